//! Signing events (集中签约活动): a ceremony where several projects are signed together,
//! with each project's amount there, the project count and the total.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use zs_domain::auth::{Caller, Scope};
use zs_domain::money::Money;
use zs_domain::DomainError;

use crate::db::{DbConn, MultiBackend};
use crate::page::{cursor_for, ListOrder, Page, PageRequest};
use crate::records::check_write;
use crate::schema::{projects, signing_event_projects, signing_events};
use crate::scope::Visibility;
use crate::{check_version, keyset, new_id, now, subtree_ids, utc, StoreResult};

/// A project signed at an event, with its amount there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedProject {
    pub project_id: String,
    pub project_name: String,
    pub amount: Money,
}

/// A signing event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningEvent {
    pub id: String,
    pub organizer_organization_id: String,
    pub name: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub projects: Vec<SignedProject>,
    pub project_count: i64,
    pub total_cny_minor: i64,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_events)]
struct EventRow {
    id: String,
    owner_organization_id: String,
    name: String,
    held_on: NaiveDate,
    place: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    deleted_at: Option<NaiveDateTime>,
}

fn to_events(conn: &mut DbConn, rows: Vec<EventRow>) -> StoreResult<Vec<SigningEvent>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let attached: Vec<(String, String, String, i64, String, i64)> = signing_event_projects::table
        .inner_join(projects::table)
        .filter(signing_event_projects::event_id.eq_any(&ids))
        .order((
            signing_event_projects::event_id,
            signing_event_projects::attached_at,
            signing_event_projects::project_id,
        ))
        .select((
            signing_event_projects::event_id,
            signing_event_projects::project_id,
            projects::name,
            signing_event_projects::amount_minor,
            signing_event_projects::currency,
            signing_event_projects::cny_minor,
        ))
        .load(conn)?;
    let mut by_event: std::collections::HashMap<String, Vec<SignedProject>> = std::collections::HashMap::new();
    for (e, project_id, project_name, amount, currency, cny) in attached {
        by_event.entry(e).or_default().push(SignedProject {
            project_id,
            project_name,
            amount: Money::from_stored(amount, &currency, cny),
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let projects = by_event.remove(&r.id).unwrap_or_default();
            SigningEvent {
                project_count: i64::try_from(projects.len()).unwrap_or(i64::MAX),
                total_cny_minor: projects.iter().map(|p| p.amount.cny_minor).sum(),
                projects,
                id: r.id,
                organizer_organization_id: r.owner_organization_id,
                name: r.name,
                held_on: r.held_on,
                place: r.place,
                version: r.version,
                created_at: utc(r.created_at),
                updated_at: utc(r.updated_at),
            }
        })
        .collect())
}

/// Events the caller sees: organized by its organization or a descendant.
fn visible(vis: &Visibility) -> signing_events::BoxedQuery<'static, MultiBackend> {
    let q = signing_events::table.filter(signing_events::deleted_at.is_null()).into_boxed();
    if vis.all {
        q
    } else {
        q.filter(signing_events::owner_organization_id.eq_any(subtree_ids!(vis.organization_id.clone())))
    }
}

fn load_row(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<EventRow> {
    visible(vis)
        .filter(signing_events::id.eq(id.to_owned()))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound.into())
}

pub fn get(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<SigningEvent> {
    let row = load_row(conn, vis, id)?;
    to_events(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Organized by this organization or a descendant.
    pub organizer_organization_id: Option<String>,
    pub held_from: Option<NaiveDate>,
    pub held_to: Option<NaiveDate>,
    pub updated_since: Option<NaiveDateTime>,
}

pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    f: &EventFilter,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<SigningEvent>> {
    let mut q = visible(vis);
    if let Some(o) = &f.organizer_organization_id {
        q = q.filter(signing_events::owner_organization_id.eq_any(subtree_ids!(o.clone())));
    }
    if let Some(d) = f.held_from {
        q = q.filter(signing_events::held_on.ge(d));
    }
    if let Some(d) = f.held_to {
        q = q.filter(signing_events::held_on.le(d));
    }
    if let Some(ts) = f.updated_since {
        q = q.filter(signing_events::updated_at.ge(ts));
    }
    let q = keyset!(q, signing_events::id, signing_events::updated_at, order, &page.after);
    let rows: Vec<EventRow> = q.limit(page.limit + 1).select(EventRow::as_select()).load(conn)?;
    let p = Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at));
    let items = to_events(conn, p.items)?;
    Ok(Page { items, next: p.next })
}

/// The editable fields of an event.
#[derive(Debug, Clone)]
pub struct EventFields {
    pub name: String,
    pub held_on: NaiveDate,
    pub place: String,
}

pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: Option<String>,
    organizer: &str,
    f: EventFields,
) -> StoreResult<SigningEvent> {
    crate::orgs::get(conn, vis, organizer)?;
    check_write(conn, caller, organizer, Scope::ProjectsWrite)?;
    let id = id.unwrap_or_else(new_id);
    let taken: i64 = signing_events::table.filter(signing_events::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("signing event {id} already exists")).into());
    }
    let t = now();
    let row = EventRow {
        id,
        owner_organization_id: organizer.to_owned(),
        name: f.name,
        held_on: f.held_on,
        place: f.place,
        version: 1,
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    diesel::insert_into(signing_events::table).values(&row).execute(conn)?;
    to_events(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// Changes name, date and place; `merge` builds the new fields from the current event.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    merge: impl FnOnce(&SigningEvent) -> EventFields,
    if_match: Option<i64>,
) -> StoreResult<SigningEvent> {
    crate::db::lock_row(conn, "signing_events", id)?;
    let current = get(conn, vis, id)?;
    check_write(conn, caller, &current.organizer_organization_id, Scope::ProjectsWrite)?;
    check_version(if_match, current.version)?;
    let f = merge(&current);
    diesel::update(signing_events::table.filter(signing_events::id.eq(id)))
        .set((
            signing_events::name.eq(f.name),
            signing_events::held_on.eq(f.held_on),
            signing_events::place.eq(f.place),
            signing_events::version.eq(current.version + 1),
            signing_events::updated_at.eq(now()),
        ))
        .execute(conn)?;
    get(conn, vis, id)
}

pub fn delete(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    if_match: Option<i64>,
) -> StoreResult<()> {
    crate::db::lock_row(conn, "signing_events", id)?;
    let current = load_row(conn, vis, id)?;
    check_write(conn, caller, &current.owner_organization_id, Scope::ProjectsWrite)?;
    check_version(if_match, current.version)?;
    let t = now();
    diesel::update(signing_events::table.filter(signing_events::id.eq(id)))
        .set((
            signing_events::deleted_at.eq(Some(t)),
            signing_events::version.eq(current.version + 1),
            signing_events::updated_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

fn bump(conn: &mut DbConn, id: &str) -> StoreResult<()> {
    diesel::update(signing_events::table.filter(signing_events::id.eq(id)))
        .set((signing_events::version.eq(signing_events::version + 1), signing_events::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// Attaches a project signed at the event. The project must be visible and `signed` or later;
/// nothing about the project changes. `amount` defaults to its contract amount.
pub fn attach(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    project_id: &str,
    amount: Option<Money>,
) -> StoreResult<SigningEvent> {
    crate::db::lock_row(conn, "signing_events", id)?;
    let event = load_row(conn, vis, id)?;
    check_write(conn, caller, &event.owner_organization_id, Scope::ProjectsWrite)?;
    let project = crate::projects::get(conn, vis, project_id)?;
    if !project.stage.is_signed_or_later() {
        return Err(DomainError::conflict(
            "PROJECT_NOT_SIGNED",
            format!(
                "project {project_id} is {}; only a project signed or later is attached to a signing event",
                project.stage
            ),
        )
        .into());
    }
    let already: i64 = signing_event_projects::table
        .filter(signing_event_projects::event_id.eq(id))
        .filter(signing_event_projects::project_id.eq(project_id))
        .count()
        .get_result(conn)?;
    if already > 0 {
        return Err(DomainError::conflict("ALREADY_ATTACHED", "the project is already attached to this event").into());
    }
    let m = amount.unwrap_or(project.contract_amount);
    diesel::insert_into(signing_event_projects::table)
        .values((
            signing_event_projects::event_id.eq(id),
            signing_event_projects::project_id.eq(project_id),
            signing_event_projects::amount_minor.eq(m.amount_minor),
            signing_event_projects::currency.eq(m.currency_str()),
            signing_event_projects::cny_minor.eq(m.cny_minor),
            signing_event_projects::attached_at.eq(now()),
        ))
        .execute(conn)?;
    bump(conn, id)?;
    get(conn, vis, id)
}

pub fn detach(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    project_id: &str,
) -> StoreResult<SigningEvent> {
    crate::db::lock_row(conn, "signing_events", id)?;
    let event = load_row(conn, vis, id)?;
    check_write(conn, caller, &event.owner_organization_id, Scope::ProjectsWrite)?;
    let n = diesel::delete(
        signing_event_projects::table
            .filter(signing_event_projects::event_id.eq(id))
            .filter(signing_event_projects::project_id.eq(project_id)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(DomainError::NotFound.into());
    }
    bump(conn, id)?;
    get(conn, vis, id)
}
