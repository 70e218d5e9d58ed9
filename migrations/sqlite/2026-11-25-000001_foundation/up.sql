-- Foundation: settings, organizations (tree + closure), users, service accounts, tokens,
-- alliances, idempotency keys. Ids are TEXT so ordering is bytewise as on SQLite.
CREATE TABLE app_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES organizations (id),
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    short_code TEXT NOT NULL UNIQUE,
    region_code TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organizations_parent ON organizations (parent_id);
CREATE INDEX organizations_updated ON organizations (updated_at, id);

CREATE TABLE org_closure (
    ancestor_id TEXT NOT NULL REFERENCES organizations (id),
    descendant_id TEXT NOT NULL REFERENCES organizations (id),
    depth INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX org_closure_descendant ON org_closure (descendant_id, ancestor_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL,
    locked_until TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_org ON users (organization_id, id);
CREATE INDEX users_updated ON users (updated_at, id);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE service_accounts (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX service_accounts_org ON service_accounts (organization_id, id);

CREATE TABLE service_account_scopes (
    service_account_id TEXT NOT NULL REFERENCES service_accounts (id),
    scope TEXT NOT NULL,
    PRIMARY KEY (service_account_id, scope)
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE alliances (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    founder_organization_id TEXT NOT NULL REFERENCES organizations (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE alliance_members (
    alliance_id TEXT NOT NULL REFERENCES alliances (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    state TEXT NOT NULL,
    invited_at TIMESTAMP NOT NULL,
    joined_at TIMESTAMP,
    ended_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (alliance_id, organization_id)
);
CREATE INDEX alliance_members_org ON alliance_members (organization_id, state, alliance_id);

CREATE TABLE idempotency_keys (
    principal_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    location TEXT,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (principal_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
