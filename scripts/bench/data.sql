-- `make bench` data set (PostgreSQL): 1,010 organizations in ten province trees (province →
-- 10 prefectures → 9 counties each) with 50 alliances of 8 members, 100,000 enterprises,
-- 1,000,000 projects (5% shared with an alliance), 200,000 visits, 200,000 tickets, one party
-- branch per organization and 50,000 activities. Unresolved tickets are due in the coming days
-- (none overdue, so the escalation task has no backlog to work through during the run). Deterministic (no random()), so runs compare.
-- Runs on a freshly migrated database; ids are UUID-shaped text like the API's.


CREATE TEMP TABLE o (n INTEGER PRIMARY KEY, id TEXT COLLATE "C", parent INTEGER, level TEXT);
INSERT INTO o SELECT p, md5('org' || p)::uuid::text, NULL, 'province' FROM generate_series(0, 9) p;
INSERT INTO o SELECT 10 + p * 10 + c, md5('org' || (10 + p * 10 + c))::uuid::text, p, 'prefecture'
  FROM generate_series(0, 9) p, generate_series(0, 9) c;
INSERT INTO o SELECT 110 + f * 9 + c, md5('org' || (110 + f * 9 + c))::uuid::text, 10 + f, 'county'
  FROM generate_series(0, 99) f, generate_series(0, 8) c;

INSERT INTO organizations (id, parent_id, level, name, short_code, region_code, time_zone, version, created_at, updated_at)
SELECT o.id, p.id, o.level, '压测单位 ' || o.n, 'BENCH-' || o.n, '530000', 'Asia/Shanghai', 1, now(), now()
FROM o LEFT JOIN o p ON p.n = o.parent ORDER BY o.n;

INSERT INTO org_closure (ancestor_id, descendant_id, depth)
WITH RECURSIVE up (descendant, ancestor, depth) AS (
  SELECT n, n, 0 FROM o
  UNION ALL SELECT up.descendant, o.parent, up.depth + 1 FROM up JOIN o ON o.n = up.ancestor WHERE o.parent IS NOT NULL
)
SELECT a.id, d.id, up.depth FROM up JOIN o a ON a.n = up.ancestor JOIN o d ON d.n = up.descendant;

INSERT INTO alliances (id, name, description, founder_organization_id, version, created_at, updated_at)
SELECT md5('alliance' || a)::uuid::text, '压测联盟 ' || a, '', (SELECT id FROM o WHERE n = 10 + a * 2), 1, now(), now()
FROM generate_series(0, 49) a;
INSERT INTO alliance_members (alliance_id, organization_id, state, invited_at, joined_at, ended_at, updated_at)
SELECT DISTINCT ON (a, m) md5('alliance' || a)::uuid::text, (SELECT id FROM o WHERE n = m), 'active', now(), now(), NULL, now()
FROM (SELECT a, CASE WHEN k = 0 THEN 10 + a * 2 ELSE 10 + ((a * 7 + k * 13) % 100) END AS m
      FROM generate_series(0, 49) a, generate_series(0, 7) k) x;

INSERT INTO enterprises (id, owner_organization_id, name, name_key, uscc, country, region_code, industry, ownership,
  fortune_global_500, china_500, china_private_500, listed, exchange, ticker, website, notes, version, created_at, updated_at, deleted_at)
SELECT md5('ent' || e)::uuid::text, (SELECT id FROM o WHERE n = 10 + e % 1000), '压测企业 ' || e, '压测企业 ' || e, NULL, 'CN',
  NULL, 'C', 'private', e % 97 = 0, false, false, false, NULL, NULL, NULL, '', 1, now(), now(), NULL
FROM generate_series(0, 99999) e;

-- Projects: owners spread over prefectures and counties; stages and dates varied.
CREATE TEMP TABLE stages (i INTEGER PRIMARY KEY, stage TEXT);
INSERT INTO stages VALUES (0, 'lead'), (1, 'negotiating'), (2, 'signed'), (3, 'landed'), (4, 'under_construction'),
  (5, 'in_production'), (6, 'at_capacity'), (7, 'dropped');
INSERT INTO projects (id, owner_organization_id, name, name_key, enterprise_id, category, industry, investment_type,
  contract_amount_minor, contract_currency, contract_cny_minor, fixed_asset_cny_minor, expected_jobs, origin_country,
  origin_region_code, foreign_investment, leader_user_id, plan, expected_signing_on, expected_start_on,
  expected_production_on, description, stage, stage_since, lead_on, negotiating_on, signed_on, landed_on,
  under_construction_on, in_production_on, at_capacity_on, dropped_on, drop_reason, signed_key,
  funds_arrived_cny_minor, version, created_at, updated_at, deleted_at)
SELECT
  md5('project' || p)::uuid::text,
  (SELECT id FROM o WHERE n = x.owner),
  '压测项目 ' || p, '压测项目 ' || p,
  CASE WHEN p % 3 = 0 THEN md5('ent' || (p % 100000))::uuid::text END,
  (ARRAY['industrial','agricultural','tourism','commerce','logistics','modern_services'])[1 + p % 6],
  'C', 'new',
  x.amount, 'CNY', x.amount, NULL, NULL, 'CN', NULL, false, NULL, '', NULL, NULL, NULL, '',
  s.stage, x.lead_on + 30, x.lead_on,
  CASE WHEN x.si >= 1 THEN x.lead_on + 10 END,
  CASE WHEN x.si BETWEEN 2 AND 6 THEN x.lead_on + 30 END,
  CASE WHEN x.si BETWEEN 3 AND 6 THEN x.lead_on + 30 END,
  CASE WHEN x.si BETWEEN 4 AND 6 THEN x.lead_on + 30 END,
  CASE WHEN x.si BETWEEN 5 AND 6 THEN x.lead_on + 30 END,
  CASE WHEN x.si = 6 THEN x.lead_on + 30 END,
  CASE WHEN x.si = 7 THEN x.lead_on + 30 END,
  CASE WHEN x.si = 7 THEN 'other' END,
  CASE WHEN x.si BETWEEN 2 AND 6 THEN x.lead_on + 30 ELSE DATE '0001-01-01' END,
  0, 1, x.created, x.created, NULL
FROM (
  SELECT p, 10 + (p * 7919) % 1000 AS owner, (p * 31) % 8 AS si,
    ((p * 104729) % 500000 + 1) * 10000000::bigint AS amount,
    DATE '2020-01-01' + (p % 2000)::int AS lead_on,
    TIMESTAMP '2020-01-01' + (p || ' seconds')::interval * 150 AS created
  FROM generate_series(0::bigint, 999999) p
) x JOIN stages s ON s.i = x.si;

INSERT INTO shares (record_kind, record_id, alliance_id, shared_by, shared_at)
SELECT DISTINCT 'project', md5('project' || p)::uuid::text, am.alliance_id, 'bench', now()
FROM generate_series(0::bigint, 999999, 20) p
JOIN o ON o.n = 10 + (p * 7919) % 1000
JOIN LATERAL (SELECT alliance_id FROM alliance_members WHERE organization_id = o.id LIMIT 1) am ON true;

INSERT INTO visits (id, owner_organization_id, direction, purpose, enterprise_id, project_id, visited_at, recorded_at,
  late_entry, latitude, longitude, accuracy_m, address, external_attendees, summary, findings, next_steps, version,
  created_by, created_at, updated_at, deleted_at)
SELECT md5('visit' || v)::uuid::text, (SELECT id FROM o WHERE n = 10 + v % 1000), 'outbound', 'visit',
  md5('ent' || (v % 100000))::uuid::text, NULL, TIMESTAMP '2024-01-01' + (v || ' minutes')::interval * 5, NULL, false,
  NULL, NULL, NULL, NULL, '', '压测走访', '', '', 1, 'bench', now(), now(), NULL
FROM generate_series(0, 199999) v;

INSERT INTO tickets (id, owner_organization_id, title, description, category, priority, source, enterprise_id, project_id,
  visit_id, reporter_name, reporter_phone, reporter_email, status, assignee_organization_id, assignee_user_id,
  claimed_by_user_id, escalation_level, escalated_to_organization_id, due_at, due_provisional, resolution, resolved_at,
  confirmed_at, satisfaction, reopen_count, version, created_by, created_at, updated_at, deleted_at)
SELECT md5('ticket' || t)::uuid::text, (SELECT id FROM o WHERE n = 10 + t % 1000), '压测诉求 ' || t, '',
  (ARRAY['site_selection','permits','land_utilities','financing','policy','talent','logistics','other'])[1 + t % 8],
  (ARRAY['urgent','high','normal','low'])[1 + t % 4], 'visit', NULL, NULL, NULL, NULL, NULL, NULL,
  (ARRAY['open','assigned','in_progress','resolved','closed'])[1 + t % 5], NULL, NULL, NULL, 0, NULL,
  CASE WHEN t % 5 < 3 THEN now()::timestamp + ((1 + t % 10) || ' days')::interval ELSE x.created + interval '3 days' END, false,
  CASE WHEN t % 5 >= 3 THEN '已解决' END,
  CASE WHEN t % 5 >= 3 THEN x.created + ((t % 96) || ' hours')::interval END,
  CASE WHEN t % 5 = 4 THEN x.created + interval '4 days' END,
  CASE WHEN t % 5 = 4 THEN 1 + t % 5 END,
  0, 1, 'bench', x.created, x.created, NULL
FROM (SELECT t, TIMESTAMP '2025-01-01' + (t || ' minutes')::interval * 2 AS created FROM generate_series(0, 199999) t) x;

INSERT INTO branches (id, organization_id, name, secretary_id, deputy_id, stationed, stationed_in, version, created_by,
  created_at, updated_at)
SELECT md5('branch' || n)::uuid::text, id, '压测党支部 ' || n, NULL, NULL, false, NULL, 1, 'bench', now(), now() FROM o;

INSERT INTO activities (id, owner_organization_id, host_branch_id, title, activity_type, status, planned_start, planned_end,
  place, online_link, speaker, agenda, minutes, held_at, held_on, cancel_reason, cancelled_at, version, created_by,
  created_at, updated_at, deleted_at)
SELECT md5('activity' || a)::uuid::text, o.id, md5('branch' || o.n)::uuid::text, '压测活动 ' || a,
  (ARRAY['general_meeting','committee_meeting','group_meeting','party_lesson','theme_day','study'])[1 + a % 6],
  'held', x.start, x.start + interval '2 hours', '党员活动室', NULL, NULL, '', '记录', x.start, x.start::date, NULL, NULL,
  1, 'bench', x.start, x.start, NULL
FROM (SELECT a, TIMESTAMP '2025-01-01' + (a || ' minutes')::interval * 10 AS start FROM generate_series(0, 49999) a) x
JOIN o ON o.n = a % 1010;

ANALYZE;
