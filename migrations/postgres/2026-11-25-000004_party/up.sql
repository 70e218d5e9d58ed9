-- Party building (党建): branches with members and party groups, dated activities (三会一课,
-- theme days, studies, joint activities across the alliance, trainings …) with co-host
-- branches, attachments as metadata and linked projects, sign-in attendance, the points ledger
-- (党员积分) with per-organization point rules, and compliance rules as data (national
-- defaults, overridable per organization).

CREATE TABLE branches (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    secretary_id TEXT COLLATE "C" REFERENCES users (id),
    deputy_id TEXT COLLATE "C" REFERENCES users (id),
    stationed BOOLEAN NOT NULL,
    stationed_in TEXT,
    version BIGINT NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX branches_organization ON branches (organization_id, id);
CREATE INDEX branches_secretary ON branches (secretary_id);

-- Party groups (党小组) inside a branch, named uniquely within it.
CREATE TABLE branch_groups (
    branch_id TEXT COLLATE "C" NOT NULL REFERENCES branches (id),
    name TEXT NOT NULL,
    leader_id TEXT COLLATE "C" REFERENCES users (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (branch_id, name)
);

-- party_role: member, probationary_member, committee_member; group_name names a branch_groups row.
CREATE TABLE branch_members (
    branch_id TEXT COLLATE "C" NOT NULL REFERENCES branches (id),
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    party_role TEXT NOT NULL,
    joined_on DATE NOT NULL,
    group_name TEXT,
    PRIMARY KEY (branch_id, user_id)
);
CREATE INDEX branch_members_user ON branch_members (user_id, branch_id);

-- owner_organization_id is the host branch's organization (kept with the row for visibility).
-- held_on is the business date the activity was held on, in the owner's time zone.
CREATE TABLE activities (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner_organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    host_branch_id TEXT COLLATE "C" NOT NULL REFERENCES branches (id),
    title TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    status TEXT NOT NULL,
    planned_start TIMESTAMP NOT NULL,
    planned_end TIMESTAMP NOT NULL,
    place TEXT,
    online_link TEXT,
    speaker TEXT,
    agenda TEXT NOT NULL,
    minutes TEXT,
    held_at TIMESTAMP,
    held_on DATE,
    cancel_reason TEXT,
    cancelled_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX activities_owner ON activities (owner_organization_id, planned_start, id);
CREATE INDEX activities_host ON activities (host_branch_id, planned_start, id);
CREATE INDEX activities_updated ON activities (updated_at, id);
CREATE INDEX activities_held ON activities (status, held_on);

-- Co-host branches of a joint activity (organization_id kept with the row for visibility).
CREATE TABLE activity_cohosts (
    activity_id TEXT COLLATE "C" NOT NULL REFERENCES activities (id),
    branch_id TEXT COLLATE "C" NOT NULL REFERENCES branches (id),
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (activity_id, branch_id)
);
CREATE INDEX activity_cohosts_branch ON activity_cohosts (branch_id, activity_id);
CREATE INDEX activity_cohosts_organization ON activity_cohosts (organization_id, activity_id);

-- Attachments as metadata: kind notice, minutes, sign_in_sheet, photo, audio.
CREATE TABLE activity_attachments (
    activity_id TEXT COLLATE "C" NOT NULL REFERENCES activities (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    checksum TEXT NOT NULL,
    PRIMARY KEY (activity_id, position)
);

-- Projects an activity pushes (党建+招商).
CREATE TABLE activity_projects (
    activity_id TEXT COLLATE "C" NOT NULL REFERENCES activities (id),
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    PRIMARY KEY (activity_id, project_id)
);
CREATE INDEX activity_projects_project ON activity_projects (project_id, activity_id);

-- One row per member and activity: status present (signed in), leave (with reason), absent.
-- branch_id is the branch (host or co-host) the member attends for.
CREATE TABLE attendance (
    activity_id TEXT COLLATE "C" NOT NULL REFERENCES activities (id),
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    branch_id TEXT COLLATE "C" NOT NULL REFERENCES branches (id),
    status TEXT NOT NULL,
    reason TEXT,
    signed_in_at TIMESTAMP,
    recorded_by TEXT COLLATE "C" NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (activity_id, user_id)
);
CREATE INDEX attendance_user ON attendance (user_id, activity_id);

-- The points ledger (党员积分): kind attendance (earned by signing in; one per member and
-- activity), award or deduction (by the secretary, with a reason). organization_id is the
-- member's branch's organization.
CREATE TABLE point_entries (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    branch_id TEXT COLLATE "C" NOT NULL REFERENCES branches (id),
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    activity_id TEXT COLLATE "C" REFERENCES activities (id),
    kind TEXT NOT NULL,
    points INTEGER NOT NULL,
    reason TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX point_entries_attendance ON point_entries (activity_id, user_id) WHERE kind = 'attendance';
CREATE INDEX point_entries_branch ON point_entries (branch_id, occurred_on);
CREATE INDEX point_entries_user ON point_entries (user_id, occurred_on);
CREATE INDEX point_entries_organization ON point_entries (organization_id, occurred_on);

-- Points an organization awards for attending an activity of a type (defaults in code when absent).
CREATE TABLE point_rules (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    activity_type TEXT NOT NULL,
    points INTEGER NOT NULL,
    updated_by TEXT COLLATE "C" NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, activity_type)
);

-- Compliance rules: at least min_count activities of activity_type in each period (monthly,
-- quarterly, yearly). rule_set is 'national' for the national defaults or an organization id
-- for that organization's override (which its descendants inherit).
CREATE TABLE compliance_rules (
    rule_set TEXT COLLATE "C" NOT NULL,
    activity_type TEXT NOT NULL,
    period TEXT NOT NULL,
    min_count INTEGER NOT NULL,
    updated_by TEXT COLLATE "C" NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (rule_set, activity_type, period)
);

INSERT INTO compliance_rules (rule_set, activity_type, period, min_count, updated_by, updated_at) VALUES
    ('national', 'general_meeting', 'quarterly', 1, 'migration', '2026-11-25 00:00:00'),
    ('national', 'committee_meeting', 'monthly', 1, 'migration', '2026-11-25 00:00:00'),
    ('national', 'group_meeting', 'monthly', 1, 'migration', '2026-11-25 00:00:00'),
    ('national', 'party_lesson', 'quarterly', 1, 'migration', '2026-11-25 00:00:00'),
    ('national', 'theme_day', 'monthly', 1, 'migration', '2026-11-25 00:00:00');
