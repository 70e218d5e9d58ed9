// The portable schema, kept by hand: only types both backends have (DESIGN.md §3).
// It matches migrations/postgres and migrations/sqlite; tests/api/migrations.rs checks parity.

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        parent_id -> Nullable<Text>,
        level -> Text,
        name -> Text,
        short_code -> Text,
        region_code -> Text,
        time_zone -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    org_closure (ancestor_id, descendant_id) {
        ancestor_id -> Text,
        descendant_id -> Text,
        depth -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        username -> Text,
        display_name -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        password_hash -> Text,
        disabled -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> Text,
        role -> Text,
    }
}

diesel::table! {
    service_accounts (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        client_id -> Text,
        secret_hash -> Text,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_account_scopes (service_account_id, scope) {
        service_account_id -> Text,
        scope -> Text,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        user_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    alliances (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        founder_organization_id -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    alliance_members (alliance_id, organization_id) {
        alliance_id -> Text,
        organization_id -> Text,
        state -> Text,
        invited_at -> Timestamp,
        joined_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (principal_id, idem_key) {
        principal_id -> Text,
        idem_key -> Text,
        request_hash -> Text,
        status -> Integer,
        location -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(service_accounts -> organizations (organization_id));
diesel::joinable!(service_account_scopes -> service_accounts (service_account_id));
diesel::joinable!(alliance_members -> alliances (alliance_id));
diesel::joinable!(alliance_members -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_settings,
    organizations,
    org_closure,
    users,
    user_roles,
    service_accounts,
    service_account_scopes,
    refresh_tokens,
    alliances,
    alliance_members,
    idempotency_keys,
);
