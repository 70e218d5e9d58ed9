//! Projects (招商项目): the library, the stage machine with its history, sharing, and the
//! filtered, keyset-paged list.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use zs_domain::auth::{is_leader, Caller, Scope};
use zs_domain::enterprise::IndustrySection;
use zs_domain::money::Money;
use zs_domain::project::{
    plan_transition, DropReason, InvestmentType, Milestone, Project, ProjectCategory, Stage, StageDates, TeamMember,
    Transition, TransitionContext, TransitionRequest,
};
use zs_domain::DomainError;

use crate::db::{DbConn, MultiBackend};
use crate::page::Cursor;
use crate::records::{check_write, shared_with};
use crate::schema::{
    enterprises, project_milestones, project_tags, project_team, project_transitions, projects, users,
};
use crate::scope::Visibility;
use crate::{check_version, keyset_by, new_id, now, owned_or_shared, subtree_ids, utc, StoreResult};

pub const KIND: &str = "project";

/// The sort key of unsigned projects in `signed_on` order: before every real date, and a date
/// both backends store (PostgreSQL's dates start in 4713 BC).
fn unsigned_key() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default()
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = projects)]
pub struct ProjectRow {
    pub id: String,
    pub owner_organization_id: String,
    pub name: String,
    pub name_key: String,
    pub enterprise_id: Option<String>,
    pub category: String,
    pub industry: Option<String>,
    pub investment_type: String,
    pub contract_amount_minor: i64,
    pub contract_currency: String,
    pub contract_cny_minor: i64,
    pub fixed_asset_cny_minor: Option<i64>,
    pub expected_jobs: Option<i32>,
    pub origin_country: String,
    pub origin_region_code: Option<String>,
    pub foreign_investment: bool,
    pub leader_user_id: Option<String>,
    pub plan: String,
    pub expected_signing_on: Option<NaiveDate>,
    pub expected_start_on: Option<NaiveDate>,
    pub expected_production_on: Option<NaiveDate>,
    pub description: String,
    pub stage: String,
    pub stage_since: NaiveDate,
    pub lead_on: NaiveDate,
    pub negotiating_on: Option<NaiveDate>,
    pub signed_on: Option<NaiveDate>,
    pub landed_on: Option<NaiveDate>,
    pub under_construction_on: Option<NaiveDate>,
    pub in_production_on: Option<NaiveDate>,
    pub at_capacity_on: Option<NaiveDate>,
    pub dropped_on: Option<NaiveDate>,
    pub drop_reason: Option<String>,
    pub signed_key: NaiveDate,
    pub funds_arrived_cny_minor: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The editable fields of a project, parsed.
#[derive(Debug, Clone)]
pub struct ProjectFields {
    pub name: String,
    pub enterprise_id: Option<String>,
    pub category: ProjectCategory,
    pub industry: Option<IndustrySection>,
    pub chain_tags: Vec<String>,
    pub investment_type: InvestmentType,
    pub contract_amount: Money,
    pub fixed_asset_cny_minor: Option<i64>,
    pub expected_jobs: Option<i32>,
    pub origin_country: String,
    pub origin_region_code: Option<String>,
    pub foreign_investment: bool,
    pub leader_user_id: Option<String>,
    pub team: Vec<TeamMember>,
    pub plan: String,
    pub milestones: Vec<Milestone>,
    pub expected_signing_on: Option<NaiveDate>,
    pub expected_start_on: Option<NaiveDate>,
    pub expected_production_on: Option<NaiveDate>,
    pub description: String,
}

/// A new project: its fields, owner, optional client id and the date the lead was registered.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub id: Option<String>,
    pub owner_organization_id: String,
    pub lead_on: Option<NaiveDate>,
    pub fields: ProjectFields,
}

fn parse_or<T>(raw: &str, parse: impl Fn(&str) -> Option<T>, fallback: T) -> T {
    parse(raw).unwrap_or(fallback)
}

fn to_projects(conn: &mut DbConn, rows: Vec<ProjectRow>) -> StoreResult<Vec<Project>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    let tag_rows: Vec<(String, String)> = project_tags::table
        .filter(project_tags::project_id.eq_any(&ids))
        .order((project_tags::project_id, project_tags::tag))
        .select((project_tags::project_id, project_tags::tag))
        .load(conn)?;
    for (p, t) in tag_rows {
        tags.entry(p).or_default().push(t);
    }
    let mut team: HashMap<String, Vec<TeamMember>> = HashMap::new();
    let team_rows: Vec<(String, String, String)> = project_team::table
        .filter(project_team::project_id.eq_any(&ids))
        .order((project_team::project_id, project_team::position))
        .select((project_team::project_id, project_team::user_id, project_team::role))
        .load(conn)?;
    for (p, user_id, role) in team_rows {
        team.entry(p).or_default().push(TeamMember { user_id, role });
    }
    let mut milestones: HashMap<String, Vec<Milestone>> = HashMap::new();
    let ms_rows: Vec<(String, String, NaiveDate, Option<NaiveDate>)> = project_milestones::table
        .filter(project_milestones::project_id.eq_any(&ids))
        .order((project_milestones::project_id, project_milestones::position))
        .select((
            project_milestones::project_id,
            project_milestones::title,
            project_milestones::due_on,
            project_milestones::done_on,
        ))
        .load(conn)?;
    for (p, title, due_on, done_on) in ms_rows {
        milestones.entry(p).or_default().push(Milestone { title, due_on, done_on });
    }
    let mut shares: HashMap<String, Vec<String>> = HashMap::new();
    for (p, a) in shared_with(conn, KIND, &ids)? {
        shares.entry(p).or_default().push(a);
    }
    Ok(rows
        .into_iter()
        .map(|r| Project {
            chain_tags: tags.remove(&r.id).unwrap_or_default(),
            team: team.remove(&r.id).unwrap_or_default(),
            milestones: milestones.remove(&r.id).unwrap_or_default(),
            shared_with: shares.remove(&r.id).unwrap_or_default(),
            category: parse_or(&r.category, ProjectCategory::parse, ProjectCategory::Industrial),
            industry: r.industry.as_deref().and_then(IndustrySection::parse),
            investment_type: parse_or(&r.investment_type, InvestmentType::parse, InvestmentType::New),
            contract_amount: Money::from_stored(r.contract_amount_minor, &r.contract_currency, r.contract_cny_minor),
            stage: parse_or(&r.stage, Stage::parse, Stage::Lead),
            stage_dates: StageDates {
                lead_on: Some(r.lead_on),
                negotiating_on: r.negotiating_on,
                signed_on: r.signed_on,
                landed_on: r.landed_on,
                under_construction_on: r.under_construction_on,
                in_production_on: r.in_production_on,
                at_capacity_on: r.at_capacity_on,
                dropped_on: r.dropped_on,
            },
            drop_reason: r.drop_reason.as_deref().and_then(DropReason::parse),
            id: r.id,
            owner_organization_id: r.owner_organization_id,
            name: r.name,
            enterprise_id: r.enterprise_id,
            fixed_asset_cny_minor: r.fixed_asset_cny_minor,
            expected_jobs: r.expected_jobs,
            origin_country: r.origin_country,
            origin_region_code: r.origin_region_code,
            foreign_investment: r.foreign_investment,
            leader_user_id: r.leader_user_id,
            plan: r.plan,
            expected_signing_on: r.expected_signing_on,
            expected_start_on: r.expected_start_on,
            expected_production_on: r.expected_production_on,
            description: r.description,
            stage_since: r.stage_since,
            funds_arrived_cny_minor: r.funds_arrived_cny_minor,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
        .collect())
}

/// Projects the caller sees: owned in its subtree, or shared with one of its alliances while
/// the owner is still an active member of it (an owner that leaves or is removed stops sharing
/// at once, as a partner that leaves stops seeing).
fn visible(vis: &Visibility) -> projects::BoxedQuery<'static, MultiBackend> {
    let q = projects::table.into_boxed();
    if vis.all {
        return q;
    }
    q.filter(owned_or_shared!(projects::owner_organization_id, projects::id, KIND, vis))
}

fn load_row(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<ProjectRow> {
    visible(vis)
        .filter(projects::id.eq(id.to_owned()))
        .filter(projects::deleted_at.is_null())
        .select(ProjectRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound.into())
}

/// Takes the project's row lock until the transaction ends, before it is read for a change:
/// concurrent changes of one project then run one after the other, each reading what the
/// previous one committed, so If-Match and the stage machine judge the current version and a
/// move sent twice at once is recorded once. (SQLite's `BEGIN IMMEDIATE` already serializes
/// writers; PostgreSQL's read-committed transactions need the lock.)
/// Locks the project's row for the rest of the write transaction (see [`crate::db::lock_row`]).
pub fn lock_for_write(conn: &mut DbConn, id: &str) -> StoreResult<()> {
    crate::db::lock_row(conn, "projects", id)
}

pub fn get(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<Project> {
    let row = load_row(conn, vis, id)?;
    to_projects(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// Checks the references of a project's fields: the enterprise and the people must be ones
/// the caller sees (a reference to something invisible is 404, like a missing record). On
/// update (`before`), only the references the change adds are checked: a subordinate's officer
/// still edits a project whose leader a superior chose from its own staff.
fn check_references(
    conn: &mut DbConn,
    vis: &Visibility,
    f: &ProjectFields,
    before: Option<&Project>,
) -> StoreResult<()> {
    let enterprise = f.enterprise_id.as_ref().filter(|e| before.is_none_or(|p| p.enterprise_id.as_ref() != Some(*e)));
    if let Some(e) = enterprise {
        let mut q = enterprises::table
            .filter(enterprises::id.eq(e.clone()))
            .filter(enterprises::deleted_at.is_null())
            .into_boxed::<MultiBackend>();
        if !vis.all {
            q = q.filter(owned_or_shared!(enterprises::owner_organization_id, enterprises::id, "enterprise", vis));
        }
        let n: i64 = q.count().get_result(conn)?;
        if n == 0 {
            return Err(DomainError::NotFound.into());
        }
    }
    let mut people: Vec<String> = f.team.iter().map(|m| m.user_id.clone()).collect();
    people.extend(f.leader_user_id.clone());
    if let Some(p) = before {
        people.retain(|u| p.leader_user_id.as_ref() != Some(u) && !p.team.iter().any(|m| &m.user_id == u));
    }
    people.sort();
    people.dedup();
    if !people.is_empty() {
        let mut q = users::table
            .filter(users::id.eq_any(people.clone()))
            .filter(users::disabled.eq(false))
            .into_boxed::<MultiBackend>();
        if !vis.all {
            q = q.filter(users::organization_id.eq_any(subtree_ids!(vis.organization_id.clone())));
        }
        let n: i64 = q.count().get_result(conn)?;
        if usize::try_from(n).unwrap_or(0) != people.len() {
            return Err(DomainError::NotFound.into());
        }
    }
    Ok(())
}

fn write_children(conn: &mut DbConn, id: &str, f: &ProjectFields) -> StoreResult<()> {
    diesel::delete(project_tags::table.filter(project_tags::project_id.eq(id))).execute(conn)?;
    let mut tags = f.chain_tags.clone();
    tags.sort();
    tags.dedup();
    for t in tags {
        diesel::insert_into(project_tags::table)
            .values((project_tags::project_id.eq(id), project_tags::tag.eq(t)))
            .execute(conn)?;
    }
    diesel::delete(project_team::table.filter(project_team::project_id.eq(id))).execute(conn)?;
    for (i, m) in f.team.iter().enumerate() {
        diesel::insert_into(project_team::table)
            .values((
                project_team::project_id.eq(id),
                project_team::user_id.eq(&m.user_id),
                project_team::role.eq(&m.role),
                project_team::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
            ))
            .execute(conn)?;
    }
    diesel::delete(project_milestones::table.filter(project_milestones::project_id.eq(id))).execute(conn)?;
    for (i, m) in f.milestones.iter().enumerate() {
        diesel::insert_into(project_milestones::table)
            .values((
                project_milestones::project_id.eq(id),
                project_milestones::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
                project_milestones::title.eq(&m.title),
                project_milestones::due_on.eq(m.due_on),
                project_milestones::done_on.eq(m.done_on),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn owner_today(conn: &mut DbConn, owner: &str) -> StoreResult<NaiveDate> {
    use crate::schema::organizations;
    let tz: String =
        organizations::table.filter(organizations::id.eq(owner)).select(organizations::time_zone).first(conn)?;
    Ok(zs_domain::org::today_in(&tz, chrono::Utc::now()))
}

pub fn create(conn: &mut DbConn, caller: &Caller, vis: &Visibility, cmd: NewProject) -> StoreResult<Project> {
    crate::orgs::get(conn, vis, &cmd.owner_organization_id)?;
    check_write(conn, caller, &cmd.owner_organization_id, Scope::ProjectsWrite)?;
    check_references(conn, vis, &cmd.fields, None)?;
    let today = owner_today(conn, &cmd.owner_organization_id)?;
    let lead_on = cmd.lead_on.unwrap_or(today);
    if lead_on > today {
        return Err(DomainError::invalid("/lead_on", "future", "the lead date cannot lie in the future").into());
    }
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = projects::table.filter(projects::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("project {id} already exists")).into());
    }
    let f = cmd.fields;
    let t = now();
    let row = ProjectRow {
        id: id.clone(),
        owner_organization_id: cmd.owner_organization_id,
        name_key: zs_domain::enterprise::normalize_name(&f.name),
        name: f.name.clone(),
        enterprise_id: f.enterprise_id.clone(),
        category: f.category.as_str().to_owned(),
        industry: f.industry.map(|i| i.as_str().to_owned()),
        investment_type: f.investment_type.as_str().to_owned(),
        contract_amount_minor: f.contract_amount.amount_minor,
        contract_currency: f.contract_amount.currency_str().to_owned(),
        contract_cny_minor: f.contract_amount.cny_minor,
        fixed_asset_cny_minor: f.fixed_asset_cny_minor,
        expected_jobs: f.expected_jobs,
        origin_country: f.origin_country.clone(),
        origin_region_code: f.origin_region_code.clone(),
        foreign_investment: f.foreign_investment,
        leader_user_id: f.leader_user_id.clone(),
        plan: f.plan.clone(),
        expected_signing_on: f.expected_signing_on,
        expected_start_on: f.expected_start_on,
        expected_production_on: f.expected_production_on,
        description: f.description.clone(),
        stage: Stage::Lead.as_str().to_owned(),
        stage_since: lead_on,
        lead_on,
        negotiating_on: None,
        signed_on: None,
        landed_on: None,
        under_construction_on: None,
        in_production_on: None,
        at_capacity_on: None,
        dropped_on: None,
        drop_reason: None,
        signed_key: unsigned_key(),
        funds_arrived_cny_minor: 0,
        version: 1,
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    diesel::insert_into(projects::table).values(&row).execute(conn)?;
    write_children(conn, &id, &f)?;
    to_projects(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// Replaces the editable fields (the http layer merges the patch onto the current fields).
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    merge: impl FnOnce(&Project) -> Result<ProjectFields, DomainError>,
    if_match: Option<i64>,
) -> StoreResult<Project> {
    lock_for_write(conn, id)?;
    let current = get(conn, vis, id)?;
    check_write(conn, caller, &current.owner_organization_id, Scope::ProjectsWrite)?;
    check_version(if_match, current.version)?;
    let f = merge(&current)?;
    check_references(conn, vis, &f, Some(&current))?;
    diesel::update(projects::table.filter(projects::id.eq(id)))
        .set((
            projects::name_key.eq(zs_domain::enterprise::normalize_name(&f.name)),
            projects::name.eq(&f.name),
            projects::enterprise_id.eq(&f.enterprise_id),
            projects::category.eq(f.category.as_str()),
            projects::industry.eq(f.industry.map(|i| i.as_str())),
            projects::investment_type.eq(f.investment_type.as_str()),
            projects::contract_amount_minor.eq(f.contract_amount.amount_minor),
            projects::contract_currency.eq(f.contract_amount.currency_str()),
            projects::contract_cny_minor.eq(f.contract_amount.cny_minor),
            projects::fixed_asset_cny_minor.eq(f.fixed_asset_cny_minor),
            projects::expected_jobs.eq(f.expected_jobs),
            projects::origin_country.eq(&f.origin_country),
            projects::origin_region_code.eq(&f.origin_region_code),
            projects::foreign_investment.eq(f.foreign_investment),
            projects::leader_user_id.eq(&f.leader_user_id),
        ))
        .execute(conn)?;
    diesel::update(projects::table.filter(projects::id.eq(id)))
        .set((
            projects::plan.eq(&f.plan),
            projects::expected_signing_on.eq(f.expected_signing_on),
            projects::expected_start_on.eq(f.expected_start_on),
            projects::expected_production_on.eq(f.expected_production_on),
            projects::description.eq(&f.description),
            projects::version.eq(current.version + 1),
            projects::updated_at.eq(now()),
        ))
        .execute(conn)?;
    write_children(conn, id, &f)?;
    get(conn, vis, id)
}

/// Soft delete: the project then answers 404 and leaves a tombstone for sync.
pub fn delete(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    if_match: Option<i64>,
) -> StoreResult<()> {
    lock_for_write(conn, id)?;
    let current = load_row(conn, vis, id)?;
    check_write(conn, caller, &current.owner_organization_id, Scope::ProjectsWrite)?;
    check_version(if_match, current.version)?;
    let t = now();
    diesel::update(projects::table.filter(projects::id.eq(id)))
        .set((projects::deleted_at.eq(Some(t)), projects::version.eq(current.version + 1), projects::updated_at.eq(t)))
        .execute(conn)?;
    Ok(())
}

/// Moves a project along the stage machine and records every stage entered.
pub fn transition(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    req: TransitionRequest,
    note: String,
    if_match: Option<i64>,
) -> StoreResult<Project> {
    lock_for_write(conn, id)?;
    let row = load_row(conn, vis, id)?;
    check_write(conn, caller, &row.owner_organization_id, Scope::ProjectsWrite)?;
    check_version(if_match, row.version)?;
    let current = Stage::parse(&row.stage).unwrap_or(Stage::Lead);
    let ctx = TransitionContext {
        current,
        current_since: Some(row.stage_since),
        today: owner_today(conn, &row.owner_organization_id)?,
        is_leader: is_leader(caller),
    };
    let steps = plan_transition(ctx, &req)?;
    let mut dates = StageDates {
        lead_on: Some(row.lead_on),
        negotiating_on: row.negotiating_on,
        signed_on: row.signed_on,
        landed_on: row.landed_on,
        under_construction_on: row.under_construction_on,
        in_production_on: row.in_production_on,
        at_capacity_on: row.at_capacity_on,
        dropped_on: row.dropped_on,
    };
    let t = now();
    let mut from = current;
    for (stage, on) in &steps {
        dates.set(*stage, *on);
        diesel::insert_into(project_transitions::table)
            .values((
                project_transitions::id.eq(new_id()),
                project_transitions::project_id.eq(id),
                project_transitions::from_stage.eq(from.as_str()),
                project_transitions::to_stage.eq(stage.as_str()),
                project_transitions::effective_on.eq(*on),
                project_transitions::reason.eq(req.reason.as_deref()),
                project_transitions::drop_reason
                    .eq(req.drop_reason.filter(|_| *stage == Stage::Dropped).map(|d| d.as_str())),
                project_transitions::note.eq(&note),
                project_transitions::actor_id.eq(&caller.principal_id),
                project_transitions::created_at.eq(t),
            ))
            .execute(conn)?;
        from = *stage;
    }
    let (last, since) = steps.last().copied().unwrap_or((current, row.stage_since));
    let drop_reason = if last == Stage::Dropped { req.drop_reason.map(|d| d.as_str()) } else { None };
    // A project moved back before signing no longer counts as signed in signed-date order.
    let signed_key = if last.is_signed_or_later() { dates.signed_on.unwrap_or(unsigned_key()) } else { unsigned_key() };
    diesel::update(projects::table.filter(projects::id.eq(id)))
        .set((
            projects::stage.eq(last.as_str()),
            projects::stage_since.eq(since),
            projects::lead_on.eq(dates.lead_on.unwrap_or(row.lead_on)),
            projects::negotiating_on.eq(dates.negotiating_on),
            projects::signed_on.eq(dates.signed_on),
            projects::landed_on.eq(dates.landed_on),
            projects::under_construction_on.eq(dates.under_construction_on),
            projects::in_production_on.eq(dates.in_production_on),
            projects::at_capacity_on.eq(dates.at_capacity_on),
            projects::dropped_on.eq(dates.dropped_on),
            projects::drop_reason.eq(drop_reason),
            projects::signed_key.eq(signed_key),
            projects::version.eq(row.version + 1),
            projects::updated_at.eq(t),
        ))
        .execute(conn)?;
    get(conn, vis, id)
}

pub fn transitions(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<Vec<Transition>> {
    load_row(conn, vis, id)?;
    type Row = (String, String, String, NaiveDate, Option<String>, Option<String>, String, String, NaiveDateTime);
    let rows: Vec<Row> = project_transitions::table
        .filter(project_transitions::project_id.eq(id))
        .order(project_transitions::id.asc())
        .select((
            project_transitions::id,
            project_transitions::from_stage,
            project_transitions::to_stage,
            project_transitions::effective_on,
            project_transitions::reason,
            project_transitions::drop_reason,
            project_transitions::note,
            project_transitions::actor_id,
            project_transitions::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, from, to, effective_on, reason, drop_reason, note, actor_id, created_at)| Transition {
            id,
            from_stage: parse_or(&from, Stage::parse, Stage::Lead),
            to_stage: parse_or(&to, Stage::parse, Stage::Lead),
            effective_on,
            reason,
            drop_reason: drop_reason.as_deref().and_then(DropReason::parse),
            note,
            actor_id,
            created_at: utc(created_at),
        })
        .collect())
}

/// Sort orders of the project list; each ties on `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectOrder {
    Id,
    UpdatedAt,
    SignedOn,
    ContractAmount,
    Name,
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub owner_organization_id: Option<String>,
    /// With `owner_organization_id`: include its descendants (default) or not.
    pub include_descendants: bool,
    pub stages: Vec<Stage>,
    pub category: Option<ProjectCategory>,
    pub industry: Option<IndustrySection>,
    pub chain_tag: Option<String>,
    pub min_amount_cny_minor: Option<i64>,
    pub max_amount_cny_minor: Option<i64>,
    pub signed_from: Option<NaiveDate>,
    pub signed_to: Option<NaiveDate>,
    pub leader_user_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub fortune_global_500: Option<bool>,
    pub china_500: Option<bool>,
    pub foreign_investment: Option<bool>,
    pub origin_country: Option<String>,
    pub origin_region_code: Option<String>,
    /// Substring of the normalized name.
    pub q: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// Also return deleted projects (as tombstones).
    pub include_deleted: bool,
}

fn cursor_of(order: ProjectOrder, r: &ProjectRow) -> Cursor {
    let key = match order {
        ProjectOrder::Id => String::new(),
        ProjectOrder::UpdatedAt => crate::page::ts_key(r.updated_at),
        ProjectOrder::SignedOn => r.signed_key.to_string(),
        ProjectOrder::ContractAmount => r.contract_cny_minor.to_string(),
        ProjectOrder::Name => r.name_key.clone(),
    };
    Cursor { key, id: r.id.clone() }
}

pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    f: &ProjectFilter,
    order: ProjectOrder,
    descending: bool,
    after: Option<&Cursor>,
    limit: i64,
) -> StoreResult<(Vec<crate::page::Entry<Project>>, Option<Cursor>)> {
    let mut q = visible(vis);
    if !f.include_deleted {
        q = q.filter(projects::deleted_at.is_null());
    }
    if let Some(o) = &f.owner_organization_id {
        q = if f.include_descendants {
            q.filter(projects::owner_organization_id.eq_any(subtree_ids!(o.clone())))
        } else {
            q.filter(projects::owner_organization_id.eq(o.clone()))
        };
    }
    if !f.stages.is_empty() {
        q = q.filter(projects::stage.eq_any(f.stages.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>()));
    }
    if let Some(c) = f.category {
        q = q.filter(projects::category.eq(c.as_str()));
    }
    if let Some(i) = f.industry {
        q = q.filter(projects::industry.eq(i.as_str()));
    }
    if let Some(t) = &f.chain_tag {
        q = q.filter(
            projects::id
                .eq_any(project_tags::table.filter(project_tags::tag.eq(t.clone())).select(project_tags::project_id)),
        );
    }
    if let Some(a) = f.min_amount_cny_minor {
        q = q.filter(projects::contract_cny_minor.ge(a));
    }
    if let Some(a) = f.max_amount_cny_minor {
        q = q.filter(projects::contract_cny_minor.le(a));
    }
    // The signed-date range reads the same key as the signed-date order: a project moved back
    // before signing, or dropped, no longer counts as signed (its `signed_on` stays as history).
    if f.signed_from.is_some() || f.signed_to.is_some() {
        q = q.filter(projects::signed_key.gt(unsigned_key()));
    }
    if let Some(d) = f.signed_from {
        q = q.filter(projects::signed_key.ge(d));
    }
    if let Some(d) = f.signed_to {
        q = q.filter(projects::signed_key.le(d));
    }
    if let Some(u) = &f.leader_user_id {
        q = q.filter(projects::leader_user_id.eq(u.clone()));
    }
    if let Some(e) = &f.enterprise_id {
        q = q.filter(projects::enterprise_id.eq(e.clone()));
    }
    if let Some(flag) = f.fortune_global_500 {
        let sub =
            enterprises::table.filter(enterprises::fortune_global_500.eq(true)).select(enterprises::id.nullable());
        q = if flag {
            q.filter(projects::enterprise_id.eq_any(sub))
        } else {
            q.filter(projects::enterprise_id.is_null().or(projects::enterprise_id.ne_all(sub)))
        };
    }
    if let Some(flag) = f.china_500 {
        let sub = enterprises::table.filter(enterprises::china_500.eq(true)).select(enterprises::id.nullable());
        q = if flag {
            q.filter(projects::enterprise_id.eq_any(sub))
        } else {
            q.filter(projects::enterprise_id.is_null().or(projects::enterprise_id.ne_all(sub)))
        };
    }
    if let Some(flag) = f.foreign_investment {
        q = q.filter(projects::foreign_investment.eq(flag));
    }
    if let Some(c) = &f.origin_country {
        q = q.filter(projects::origin_country.eq(c.clone()));
    }
    if let Some(r) = &f.origin_region_code {
        // A province or prefecture code matches the regions under it (530000 → 53xxxx).
        let prefix = r.trim_end_matches("00").trim_end_matches("00");
        q = q.filter(projects::origin_region_code.like(format!("{}%", crate::page::like_escape(prefix))).escape('\\'));
    }
    if let Some(text) = &f.q {
        let key = zs_domain::enterprise::normalize_name(text);
        q = q.filter(projects::name_key.like(format!("%{}%", crate::page::like_escape(&key))).escape('\\'));
    }
    if let Some(ts) = f.updated_since {
        q = q.filter(projects::updated_at.ge(ts));
    }
    match order {
        ProjectOrder::Id => keyset_by!(q, projects::id, descending, after),
        ProjectOrder::UpdatedAt => {
            keyset_by!(q, projects::updated_at, projects::id, descending, after, crate::page::parse_ts_key)
        }
        ProjectOrder::SignedOn => {
            keyset_by!(q, projects::signed_key, projects::id, descending, after, |s: &str| s.parse::<NaiveDate>().ok())
        }
        ProjectOrder::ContractAmount => {
            keyset_by!(q, projects::contract_cny_minor, projects::id, descending, after, |s: &str| s
                .parse::<i64>()
                .ok())
        }
        ProjectOrder::Name => {
            keyset_by!(q, projects::name_key, projects::id, descending, after, |s: &str| Some(s.to_owned()))
        }
    }
    let mut rows: Vec<ProjectRow> = q.limit(limit + 1).select(ProjectRow::as_select()).load(conn)?;
    let next = if rows.len() > usize::try_from(limit).unwrap_or(0) {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.last().map(|r| cursor_of(order, r))
    } else {
        None
    };
    let entries = crate::page::entries(
        rows,
        |r| (r.id.clone(), r.deleted_at, r.version),
        |live| to_projects(conn, live),
        |x| x.id.clone(),
    )?;
    Ok((entries, next))
}

/// Marks a project changed (a share added or removed): new version and `updated_at`, so
/// syncing partners notice.
pub fn touch(conn: &mut DbConn, id: &str) -> StoreResult<()> {
    diesel::update(projects::table.filter(projects::id.eq(id)))
        .set((projects::version.eq(projects::version + 1), projects::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}
