-- Projects and enterprises: the project library, its pipeline, funds arrived, signing events,
-- and sharing with alliances. Money is BIGINT minor units with an ISO 4217 currency and the CNY
-- equivalent; business dates are DATE in the owner's time zone; deletes are soft (deleted_at).

CREATE TABLE enterprises (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner_organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    uscc TEXT COLLATE "C",
    country TEXT NOT NULL,
    region_code TEXT,
    industry TEXT,
    ownership TEXT NOT NULL,
    fortune_global_500 BOOLEAN NOT NULL,
    china_500 BOOLEAN NOT NULL,
    china_private_500 BOOLEAN NOT NULL,
    listed BOOLEAN NOT NULL,
    exchange TEXT,
    ticker TEXT,
    website TEXT,
    notes TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX enterprises_owner ON enterprises (owner_organization_id, id);
CREATE INDEX enterprises_updated ON enterprises (updated_at, id);
CREATE INDEX enterprises_uscc ON enterprises (uscc);
CREATE INDEX enterprises_name_key ON enterprises (name_key);
CREATE UNIQUE INDEX enterprises_owner_uscc ON enterprises (owner_organization_id, uscc) WHERE uscc IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE enterprise_contacts (
    id TEXT COLLATE "C" PRIMARY KEY,
    enterprise_id TEXT COLLATE "C" NOT NULL REFERENCES enterprises (id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX enterprise_contacts_enterprise ON enterprise_contacts (enterprise_id, id);

-- Records shared with alliances: record_kind is 'project' or 'enterprise'.
CREATE TABLE shares (
    record_kind TEXT NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    alliance_id TEXT COLLATE "C" NOT NULL REFERENCES alliances (id),
    shared_by TEXT COLLATE "C" NOT NULL,
    shared_at TIMESTAMP NOT NULL,
    PRIMARY KEY (record_kind, record_id, alliance_id)
);
CREATE INDEX shares_alliance ON shares (alliance_id, record_kind, record_id);

CREATE TABLE projects (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner_organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    enterprise_id TEXT COLLATE "C" REFERENCES enterprises (id),
    category TEXT NOT NULL,
    industry TEXT,
    investment_type TEXT NOT NULL,
    contract_amount_minor BIGINT NOT NULL,
    contract_currency TEXT NOT NULL,
    contract_cny_minor BIGINT NOT NULL,
    fixed_asset_cny_minor BIGINT,
    expected_jobs INTEGER,
    origin_country TEXT NOT NULL,
    origin_region_code TEXT,
    foreign_investment BOOLEAN NOT NULL,
    leader_user_id TEXT COLLATE "C" REFERENCES users (id),
    plan TEXT NOT NULL,
    expected_signing_on DATE,
    expected_start_on DATE,
    expected_production_on DATE,
    description TEXT NOT NULL,
    stage TEXT NOT NULL,
    stage_since DATE NOT NULL,
    lead_on DATE NOT NULL,
    negotiating_on DATE,
    signed_on DATE,
    landed_on DATE,
    under_construction_on DATE,
    in_production_on DATE,
    at_capacity_on DATE,
    dropped_on DATE,
    drop_reason TEXT,
    signed_key DATE NOT NULL,
    funds_arrived_cny_minor BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX projects_owner ON projects (owner_organization_id, id);
CREATE INDEX projects_updated ON projects (updated_at, id);
CREATE INDEX projects_signed ON projects (signed_key, id);
CREATE INDEX projects_amount ON projects (contract_cny_minor, id);
CREATE INDEX projects_name ON projects (name_key, id);
CREATE INDEX projects_stage ON projects (stage, owner_organization_id);
CREATE INDEX projects_enterprise ON projects (enterprise_id);

CREATE TABLE project_tags (
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (project_id, tag)
);
CREATE INDEX project_tags_tag ON project_tags (tag, project_id);

CREATE TABLE project_team (
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE project_milestones (
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    due_on DATE NOT NULL,
    done_on DATE,
    PRIMARY KEY (project_id, position)
);

CREATE TABLE project_transitions (
    id TEXT COLLATE "C" PRIMARY KEY,
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    from_stage TEXT NOT NULL,
    to_stage TEXT NOT NULL,
    effective_on DATE NOT NULL,
    reason TEXT,
    drop_reason TEXT,
    note TEXT NOT NULL,
    actor_id TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX project_transitions_project ON project_transitions (project_id, id);

CREATE TABLE fund_arrivals (
    id TEXT COLLATE "C" PRIMARY KEY,
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    arrived_on DATE NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    cny_minor BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX fund_arrivals_project ON fund_arrivals (project_id, arrived_on, id);

CREATE TABLE signing_events (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner_organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    held_on DATE NOT NULL,
    place TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX signing_events_owner ON signing_events (owner_organization_id, id);

CREATE TABLE signing_event_projects (
    event_id TEXT COLLATE "C" NOT NULL REFERENCES signing_events (id),
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    cny_minor BIGINT NOT NULL,
    attached_at TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, project_id)
);
CREATE INDEX signing_event_projects_project ON signing_event_projects (project_id);
