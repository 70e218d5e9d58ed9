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
        position -> Integer,
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

diesel::table! {
    enterprises (id) {
        id -> Text,
        owner_organization_id -> Text,
        name -> Text,
        name_key -> Text,
        uscc -> Nullable<Text>,
        country -> Text,
        region_code -> Nullable<Text>,
        industry -> Nullable<Text>,
        ownership -> Text,
        fortune_global_500 -> Bool,
        china_500 -> Bool,
        china_private_500 -> Bool,
        listed -> Bool,
        exchange -> Nullable<Text>,
        ticker -> Nullable<Text>,
        website -> Nullable<Text>,
        notes -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    enterprise_contacts (id) {
        id -> Text,
        enterprise_id -> Text,
        name -> Text,
        title -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    shares (record_kind, record_id, alliance_id) {
        record_kind -> Text,
        record_id -> Text,
        alliance_id -> Text,
        shared_by -> Text,
        shared_at -> Timestamp,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        owner_organization_id -> Text,
        name -> Text,
        name_key -> Text,
        enterprise_id -> Nullable<Text>,
        category -> Text,
        industry -> Nullable<Text>,
        investment_type -> Text,
        contract_amount_minor -> BigInt,
        contract_currency -> Text,
        contract_cny_minor -> BigInt,
        fixed_asset_cny_minor -> Nullable<BigInt>,
        expected_jobs -> Nullable<Integer>,
        origin_country -> Text,
        origin_region_code -> Nullable<Text>,
        foreign_investment -> Bool,
        leader_user_id -> Nullable<Text>,
        plan -> Text,
        expected_signing_on -> Nullable<Date>,
        expected_start_on -> Nullable<Date>,
        expected_production_on -> Nullable<Date>,
        description -> Text,
        stage -> Text,
        stage_since -> Date,
        lead_on -> Date,
        negotiating_on -> Nullable<Date>,
        signed_on -> Nullable<Date>,
        landed_on -> Nullable<Date>,
        under_construction_on -> Nullable<Date>,
        in_production_on -> Nullable<Date>,
        at_capacity_on -> Nullable<Date>,
        dropped_on -> Nullable<Date>,
        drop_reason -> Nullable<Text>,
        signed_key -> Date,
        funds_arrived_cny_minor -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    project_tags (project_id, tag) {
        project_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    project_team (project_id, user_id) {
        project_id -> Text,
        user_id -> Text,
        role -> Text,
        position -> Integer,
    }
}

diesel::table! {
    project_milestones (project_id, position) {
        project_id -> Text,
        position -> Integer,
        title -> Text,
        due_on -> Date,
        done_on -> Nullable<Date>,
    }
}

diesel::table! {
    project_transitions (id) {
        id -> Text,
        project_id -> Text,
        from_stage -> Text,
        to_stage -> Text,
        effective_on -> Date,
        reason -> Nullable<Text>,
        drop_reason -> Nullable<Text>,
        note -> Text,
        actor_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fund_arrivals (id) {
        id -> Text,
        project_id -> Text,
        arrived_on -> Date,
        amount_minor -> BigInt,
        currency -> Text,
        cny_minor -> BigInt,
        note -> Text,
        created_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signing_events (id) {
        id -> Text,
        owner_organization_id -> Text,
        name -> Text,
        held_on -> Date,
        place -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signing_event_projects (event_id, project_id) {
        event_id -> Text,
        project_id -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        cny_minor -> BigInt,
        attached_at -> Timestamp,
    }
}

diesel::table! {
    work_calendar_days (day) {
        day -> Date,
        kind -> Text,
        name -> Text,
    }
}

diesel::table! {
    work_calendar_years (year) {
        year -> Integer,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_deadlines (organization_id, priority) {
        organization_id -> Text,
        priority -> Text,
        working_days -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    visits (id) {
        id -> Text,
        owner_organization_id -> Text,
        direction -> Text,
        purpose -> Text,
        enterprise_id -> Text,
        project_id -> Nullable<Text>,
        visited_at -> Timestamp,
        recorded_at -> Nullable<Timestamp>,
        late_entry -> Bool,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        accuracy_m -> Nullable<Double>,
        address -> Nullable<Text>,
        external_attendees -> Text,
        summary -> Text,
        findings -> Text,
        next_steps -> Text,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    visit_participants (visit_id, user_id) {
        visit_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    visit_policy_tags (visit_id, tag) {
        visit_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    tickets (id) {
        id -> Text,
        owner_organization_id -> Text,
        title -> Text,
        description -> Text,
        category -> Text,
        priority -> Text,
        source -> Text,
        enterprise_id -> Nullable<Text>,
        project_id -> Nullable<Text>,
        visit_id -> Nullable<Text>,
        reporter_name -> Nullable<Text>,
        reporter_phone -> Nullable<Text>,
        reporter_email -> Nullable<Text>,
        status -> Text,
        assignee_organization_id -> Nullable<Text>,
        assignee_user_id -> Nullable<Text>,
        claimed_by_user_id -> Nullable<Text>,
        escalation_level -> Integer,
        escalated_to_organization_id -> Nullable<Text>,
        due_at -> Timestamp,
        due_provisional -> Bool,
        resolution -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        confirmed_at -> Nullable<Timestamp>,
        satisfaction -> Nullable<Integer>,
        reopen_count -> Integer,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> Text,
        ticket_id -> Text,
        kind -> Text,
        actor_id -> Text,
        from_status -> Text,
        to_status -> Text,
        organization_id -> Nullable<Text>,
        user_id -> Nullable<Text>,
        satisfaction -> Nullable<Integer>,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    branches (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        secretary_id -> Nullable<Text>,
        deputy_id -> Nullable<Text>,
        stationed -> Bool,
        stationed_in -> Nullable<Text>,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    branch_groups (branch_id, name) {
        branch_id -> Text,
        name -> Text,
        leader_id -> Nullable<Text>,
        position -> Integer,
    }
}

diesel::table! {
    branch_members (branch_id, user_id) {
        branch_id -> Text,
        user_id -> Text,
        party_role -> Text,
        joined_on -> Date,
        group_name -> Nullable<Text>,
    }
}

diesel::table! {
    activities (id) {
        id -> Text,
        owner_organization_id -> Text,
        host_branch_id -> Text,
        title -> Text,
        activity_type -> Text,
        status -> Text,
        planned_start -> Timestamp,
        planned_end -> Timestamp,
        place -> Nullable<Text>,
        online_link -> Nullable<Text>,
        speaker -> Nullable<Text>,
        agenda -> Text,
        minutes -> Nullable<Text>,
        held_at -> Nullable<Timestamp>,
        held_on -> Nullable<Date>,
        cancel_reason -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    activity_cohosts (activity_id, branch_id) {
        activity_id -> Text,
        branch_id -> Text,
        organization_id -> Text,
    }
}

diesel::table! {
    activity_attachments (activity_id, position) {
        activity_id -> Text,
        position -> Integer,
        kind -> Text,
        name -> Text,
        size_bytes -> BigInt,
        checksum -> Text,
    }
}

diesel::table! {
    activity_projects (activity_id, project_id) {
        activity_id -> Text,
        project_id -> Text,
    }
}

diesel::table! {
    attendance (activity_id, user_id) {
        activity_id -> Text,
        user_id -> Text,
        branch_id -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        signed_in_at -> Nullable<Timestamp>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    point_entries (id) {
        id -> Text,
        organization_id -> Text,
        branch_id -> Text,
        user_id -> Text,
        activity_id -> Nullable<Text>,
        kind -> Text,
        points -> Integer,
        reason -> Text,
        occurred_on -> Date,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    point_rules (organization_id, activity_type) {
        organization_id -> Text,
        activity_type -> Text,
        points -> Integer,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    compliance_rules (rule_set, activity_type, period) {
        rule_set -> Text,
        activity_type -> Text,
        period -> Text,
        min_count -> Integer,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(service_accounts -> organizations (organization_id));
diesel::joinable!(service_account_scopes -> service_accounts (service_account_id));
diesel::joinable!(alliance_members -> alliances (alliance_id));
diesel::joinable!(alliance_members -> organizations (organization_id));
diesel::joinable!(enterprise_contacts -> enterprises (enterprise_id));
diesel::joinable!(projects -> enterprises (enterprise_id));
diesel::joinable!(project_tags -> projects (project_id));
diesel::joinable!(project_team -> projects (project_id));
diesel::joinable!(project_milestones -> projects (project_id));
diesel::joinable!(project_transitions -> projects (project_id));
diesel::joinable!(fund_arrivals -> projects (project_id));
diesel::joinable!(signing_event_projects -> signing_events (event_id));
diesel::joinable!(signing_event_projects -> projects (project_id));
diesel::joinable!(visit_participants -> visits (visit_id));
diesel::joinable!(visit_policy_tags -> visits (visit_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(branch_groups -> branches (branch_id));
diesel::joinable!(branch_members -> branches (branch_id));
diesel::joinable!(activities -> branches (host_branch_id));
diesel::joinable!(activity_cohosts -> activities (activity_id));
diesel::joinable!(activity_attachments -> activities (activity_id));
diesel::joinable!(activity_projects -> activities (activity_id));
diesel::joinable!(attendance -> activities (activity_id));

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
    enterprises,
    enterprise_contacts,
    shares,
    projects,
    project_tags,
    project_team,
    project_milestones,
    project_transitions,
    fund_arrivals,
    signing_events,
    signing_event_projects,
    work_calendar_days,
    work_calendar_years,
    ticket_deadlines,
    visits,
    visit_participants,
    visit_policy_tags,
    tickets,
    ticket_events,
    branches,
    branch_groups,
    branch_members,
    activities,
    activity_cohosts,
    activity_attachments,
    activity_projects,
    attendance,
    point_entries,
    point_rules,
    compliance_rules,
);
