-- Field work: the Chinese working calendar (weekends, statutory holidays, make-up working days)
-- with the State Council's 2025 and 2026 arrangements, ticket deadlines per organization,
-- enterprise visits and problem tickets with their event timeline.

-- Days that differ from "Monday to Friday work": kind 'holiday' (a weekday off) or 'workday'
-- (a weekend day worked, 调休).
CREATE TABLE work_calendar_days (
    day DATE PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);
-- Years whose arrangement is loaded; for other years only weekends are off (deadlines provisional).
CREATE TABLE work_calendar_years (
    year INTEGER PRIMARY KEY,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Working days to resolve a ticket, per organization and priority (defaults in code when absent).
CREATE TABLE ticket_deadlines (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    priority TEXT NOT NULL,
    working_days INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, priority)
);

CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    direction TEXT NOT NULL,
    purpose TEXT NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    project_id TEXT REFERENCES projects (id),
    visited_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP,
    late_entry BOOLEAN NOT NULL,
    latitude DOUBLE,
    longitude DOUBLE,
    accuracy_m DOUBLE,
    address TEXT,
    external_attendees TEXT NOT NULL,
    summary TEXT NOT NULL,
    findings TEXT NOT NULL,
    next_steps TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX visits_owner ON visits (owner_organization_id, visited_at, id);
CREATE INDEX visits_updated ON visits (updated_at, id);
CREATE INDEX visits_enterprise ON visits (enterprise_id);
CREATE INDEX visits_project ON visits (project_id);

CREATE TABLE visit_participants (
    visit_id TEXT NOT NULL REFERENCES visits (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (visit_id, user_id)
);
CREATE INDEX visit_participants_user ON visit_participants (user_id, visit_id);

CREATE TABLE visit_policy_tags (
    visit_id TEXT NOT NULL REFERENCES visits (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (visit_id, tag)
);
CREATE INDEX visit_policy_tags_tag ON visit_policy_tags (tag, visit_id);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    source TEXT NOT NULL,
    enterprise_id TEXT REFERENCES enterprises (id),
    project_id TEXT REFERENCES projects (id),
    visit_id TEXT REFERENCES visits (id),
    reporter_name TEXT,
    reporter_phone TEXT,
    reporter_email TEXT,
    status TEXT NOT NULL,
    assignee_organization_id TEXT REFERENCES organizations (id),
    assignee_user_id TEXT REFERENCES users (id),
    claimed_by_user_id TEXT REFERENCES users (id),
    escalation_level INTEGER NOT NULL,
    escalated_to_organization_id TEXT REFERENCES organizations (id),
    due_at TIMESTAMP NOT NULL,
    due_provisional BOOLEAN NOT NULL,
    resolution TEXT,
    resolved_at TIMESTAMP,
    confirmed_at TIMESTAMP,
    satisfaction INTEGER,
    reopen_count INTEGER NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX tickets_owner ON tickets (owner_organization_id, id);
CREATE INDEX tickets_assignee ON tickets (assignee_organization_id, id);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_due ON tickets (status, due_at);
CREATE INDEX tickets_visit ON tickets (visit_id);

CREATE TABLE ticket_events (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    organization_id TEXT,
    user_id TEXT,
    satisfaction INTEGER,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

INSERT INTO work_calendar_days (day, kind, name) VALUES
    ('2025-01-01', 'holiday', '元旦 New Year''s Day'),
    ('2025-01-26', 'workday', '春节调休 Spring Festival make-up'),
    ('2025-01-28', 'holiday', '春节 Spring Festival'),
    ('2025-01-29', 'holiday', '春节 Spring Festival'),
    ('2025-01-30', 'holiday', '春节 Spring Festival'),
    ('2025-01-31', 'holiday', '春节 Spring Festival'),
    ('2025-02-01', 'holiday', '春节 Spring Festival'),
    ('2025-02-02', 'holiday', '春节 Spring Festival'),
    ('2025-02-03', 'holiday', '春节 Spring Festival'),
    ('2025-02-04', 'holiday', '春节 Spring Festival'),
    ('2025-02-08', 'workday', '春节调休 Spring Festival make-up'),
    ('2025-04-04', 'holiday', '清明节 Qingming'),
    ('2025-04-05', 'holiday', '清明节 Qingming'),
    ('2025-04-06', 'holiday', '清明节 Qingming'),
    ('2025-04-27', 'workday', '劳动节调休 Labour Day make-up'),
    ('2025-05-01', 'holiday', '劳动节 Labour Day'),
    ('2025-05-02', 'holiday', '劳动节 Labour Day'),
    ('2025-05-03', 'holiday', '劳动节 Labour Day'),
    ('2025-05-04', 'holiday', '劳动节 Labour Day'),
    ('2025-05-05', 'holiday', '劳动节 Labour Day'),
    ('2025-05-31', 'holiday', '端午节 Dragon Boat'),
    ('2025-06-01', 'holiday', '端午节 Dragon Boat'),
    ('2025-06-02', 'holiday', '端午节 Dragon Boat'),
    ('2025-09-28', 'workday', '国庆节调休 National Day make-up'),
    ('2025-10-01', 'holiday', '国庆节、中秋节 National Day and Mid-Autumn'),
    ('2025-10-02', 'holiday', '国庆节、中秋节 National Day and Mid-Autumn'),
    ('2025-10-03', 'holiday', '国庆节、中秋节 National Day and Mid-Autumn'),
    ('2025-10-04', 'holiday', '国庆节、中秋节 National Day and Mid-Autumn'),
    ('2025-10-05', 'holiday', '国庆节、中秋节 National Day and Mid-Autumn'),
    ('2025-10-06', 'holiday', '国庆节、中秋节 National Day and Mid-Autumn'),
    ('2025-10-07', 'holiday', '国庆节、中秋节 National Day and Mid-Autumn'),
    ('2025-10-08', 'holiday', '国庆节、中秋节 National Day and Mid-Autumn'),
    ('2025-10-11', 'workday', '国庆节调休 National Day make-up'),
    ('2026-01-01', 'holiday', '元旦 New Year''s Day'),
    ('2026-01-02', 'holiday', '元旦 New Year''s Day'),
    ('2026-01-03', 'holiday', '元旦 New Year''s Day'),
    ('2026-01-04', 'workday', '元旦调休 New Year make-up'),
    ('2026-02-14', 'workday', '春节调休 Spring Festival make-up'),
    ('2026-02-15', 'holiday', '春节 Spring Festival'),
    ('2026-02-16', 'holiday', '春节 Spring Festival'),
    ('2026-02-17', 'holiday', '春节 Spring Festival'),
    ('2026-02-18', 'holiday', '春节 Spring Festival'),
    ('2026-02-19', 'holiday', '春节 Spring Festival'),
    ('2026-02-20', 'holiday', '春节 Spring Festival'),
    ('2026-02-21', 'holiday', '春节 Spring Festival'),
    ('2026-02-22', 'holiday', '春节 Spring Festival'),
    ('2026-02-23', 'holiday', '春节 Spring Festival'),
    ('2026-02-28', 'workday', '春节调休 Spring Festival make-up'),
    ('2026-04-04', 'holiday', '清明节 Qingming'),
    ('2026-04-05', 'holiday', '清明节 Qingming'),
    ('2026-04-06', 'holiday', '清明节 Qingming'),
    ('2026-05-01', 'holiday', '劳动节 Labour Day'),
    ('2026-05-02', 'holiday', '劳动节 Labour Day'),
    ('2026-05-03', 'holiday', '劳动节 Labour Day'),
    ('2026-05-04', 'holiday', '劳动节 Labour Day'),
    ('2026-05-05', 'holiday', '劳动节 Labour Day'),
    ('2026-05-09', 'workday', '劳动节调休 Labour Day make-up'),
    ('2026-06-19', 'holiday', '端午节 Dragon Boat'),
    ('2026-06-20', 'holiday', '端午节 Dragon Boat'),
    ('2026-06-21', 'holiday', '端午节 Dragon Boat'),
    ('2026-09-20', 'workday', '国庆节调休 National Day make-up'),
    ('2026-09-25', 'holiday', '中秋节 Mid-Autumn'),
    ('2026-09-26', 'holiday', '中秋节 Mid-Autumn'),
    ('2026-09-27', 'holiday', '中秋节 Mid-Autumn'),
    ('2026-10-01', 'holiday', '国庆节 National Day'),
    ('2026-10-02', 'holiday', '国庆节 National Day'),
    ('2026-10-03', 'holiday', '国庆节 National Day'),
    ('2026-10-04', 'holiday', '国庆节 National Day'),
    ('2026-10-05', 'holiday', '国庆节 National Day'),
    ('2026-10-06', 'holiday', '国庆节 National Day'),
    ('2026-10-07', 'holiday', '国庆节 National Day'),
    ('2026-10-10', 'workday', '国庆节调休 National Day make-up');
INSERT INTO work_calendar_years (year, updated_by, updated_at) VALUES
    (2025, 'migration', '2025-11-04 00:00:00'),
    (2026, 'migration', '2025-11-04 00:00:00');
