//! Enterprise visits (走访 / 考察): who went where, when, and what was learned; participants
//! (the caller's staff or alliance partners' users), policy feedback tags, the late-entry flag,
//! soft delete with tombstones, and the filtered, keyset-paged list.
//!
//! Visibility (DESIGN.md §2), in the SQL of every query: the owner is in the caller's subtree;
//! or the caller is a user who took part in the visit while the visit's owner is in the
//! caller's tree or an active member of an alliance the caller reads through (so leaving the
//! alliance ends a partner participant's view at once); a sysadmin sees every visit.
//! Participants read, never write: changing a visit follows the write rule of its owner.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use zs_domain::auth::{Caller, PrincipalKind, Scope};
use zs_domain::visit::{is_late_entry, Location, Visit, VisitDirection, VisitPurpose};
use zs_domain::DomainError;

use crate::db::{DbConn, MultiBackend};
use crate::page::{ts_key, Cursor, Page};
use crate::records::check_write;
use crate::schema::{alliance_members, org_closure, users, visit_participants, visit_policy_tags, visits};
use crate::scope::Visibility;
use crate::{ancestor_ids, check_version, keyset_by, new_id, now, subtree_ids, utc, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = visits)]
pub struct VisitRow {
    pub id: String,
    pub owner_organization_id: String,
    pub direction: String,
    pub purpose: String,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub visited_at: NaiveDateTime,
    pub recorded_at: Option<NaiveDateTime>,
    pub late_entry: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub address: Option<String>,
    pub external_attendees: String,
    pub summary: String,
    pub findings: String,
    pub next_steps: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The editable fields of a visit, parsed (direction and purpose agree, the location is in
/// range). `late_entry` is not among them: it is computed from the two times.
#[derive(Debug, Clone)]
pub struct VisitFields {
    pub direction: VisitDirection,
    pub purpose: VisitPurpose,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub visited_at: DateTime<Utc>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub location: Location,
    pub participants: Vec<String>,
    pub external_attendees: String,
    pub summary: String,
    pub findings: String,
    pub next_steps: String,
    pub policy_tags: Vec<String>,
}

/// A new visit: its fields, owner and optional client id (phones create visits offline).
#[derive(Debug, Clone)]
pub struct NewVisit {
    /// How much later than `recorded_at` a `visited_at` may lie before `late_entry` is set.
    pub late_entry_after: chrono::Duration,
    pub id: Option<String>,
    pub owner_organization_id: String,
    pub fields: VisitFields,
}

/// A stored instant: UTC, to the microsecond (what both backends keep).
fn stored(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc().trunc_subsecs(6)
}

fn to_visits(conn: &mut DbConn, rows: Vec<VisitRow>) -> StoreResult<Vec<Visit>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut participants: HashMap<String, Vec<String>> = HashMap::new();
    let rows_p: Vec<(String, String)> = visit_participants::table
        .filter(visit_participants::visit_id.eq_any(&ids))
        .order((visit_participants::visit_id, visit_participants::user_id))
        .select((visit_participants::visit_id, visit_participants::user_id))
        .load(conn)?;
    for (v, u) in rows_p {
        participants.entry(v).or_default().push(u);
    }
    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    let rows_t: Vec<(String, String)> = visit_policy_tags::table
        .filter(visit_policy_tags::visit_id.eq_any(&ids))
        .order((visit_policy_tags::visit_id, visit_policy_tags::tag))
        .select((visit_policy_tags::visit_id, visit_policy_tags::tag))
        .load(conn)?;
    for (v, t) in rows_t {
        tags.entry(v).or_default().push(t);
    }
    Ok(rows
        .into_iter()
        .map(|r| Visit {
            participants: participants.remove(&r.id).unwrap_or_default(),
            policy_tags: tags.remove(&r.id).unwrap_or_default(),
            direction: VisitDirection::parse(&r.direction).unwrap_or(VisitDirection::Outbound),
            purpose: VisitPurpose::parse(&r.purpose).unwrap_or(VisitPurpose::Visit),
            location: Location {
                latitude: r.latitude,
                longitude: r.longitude,
                accuracy_m: r.accuracy_m,
                address: r.address,
            },
            visited_at: utc(r.visited_at),
            recorded_at: r.recorded_at.map(utc),
            late_entry: r.late_entry,
            id: r.id,
            owner_organization_id: r.owner_organization_id,
            enterprise_id: r.enterprise_id,
            project_id: r.project_id,
            external_attendees: r.external_attendees,
            summary: r.summary,
            findings: r.findings,
            next_steps: r.next_steps,
            created_by: r.created_by,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
        .collect())
}

/// Visits the caller sees (see the module documentation), as a boxed query to filter further.
/// Loads the caller's ancestors first: a participant of the same tree keeps seeing a visit of
/// a sibling or superior organization.
fn visible(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
) -> StoreResult<visits::BoxedQuery<'static, MultiBackend>> {
    let q = visits::table.into_boxed();
    if vis.all {
        return Ok(q);
    }
    let owned = visits::owner_organization_id.eq_any(subtree_ids!(vis.organization_id.clone()));
    if caller.kind != PrincipalKind::User {
        return Ok(q.filter(owned));
    }
    let ancestors: Vec<String> = ancestor_ids!(vis.organization_id.clone()).load(conn)?;
    let took_part = visit_participants::table
        .filter(visit_participants::user_id.eq(caller.principal_id.clone()))
        .select(visit_participants::visit_id);
    let same_tree =
        org_closure::table.filter(org_closure::ancestor_id.eq_any(ancestors)).select(org_closure::descendant_id);
    let partners = alliance_members::table
        .filter(alliance_members::state.eq("active"))
        .filter(alliance_members::alliance_id.eq_any(vis.alliance_ids.clone()))
        .select(alliance_members::organization_id);
    Ok(q.filter(
        owned.or(visits::id
            .eq_any(took_part)
            .and(visits::owner_organization_id.eq_any(same_tree).or(visits::owner_organization_id.eq_any(partners)))),
    ))
}

fn load_row(conn: &mut DbConn, caller: &Caller, vis: &Visibility, id: &str) -> StoreResult<VisitRow> {
    visible(conn, caller, vis)?
        .filter(visits::id.eq(id.to_owned()))
        .filter(visits::deleted_at.is_null())
        .select(VisitRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound.into())
}

/// Locks the visit's row for the rest of the write transaction (see [`crate::db::lock_row`]),
/// so If-Match judges the version a concurrent change left.
pub fn lock_for_write(conn: &mut DbConn, id: &str) -> StoreResult<()> {
    crate::db::lock_row(conn, "visits", id)
}

pub fn get(conn: &mut DbConn, caller: &Caller, vis: &Visibility, id: &str) -> StoreResult<Visit> {
    let row = load_row(conn, caller, vis, id)?;
    to_visits(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// Checks the references of a visit: the enterprise and the project must be ones the caller
/// sees; each participant an enabled user of the caller's subtree or of an organization (or a
/// descendant of one) that is an active member of an alliance the owner is an active member
/// of. Anything else is 404, like a missing record. On update (`before`), only what the change
/// adds is checked: a subordinate's officer still edits a visit a superior recorded with its
/// own staff and enterprise.
fn check_references(
    conn: &mut DbConn,
    vis: &Visibility,
    owner: &str,
    f: &VisitFields,
    before: Option<&Visit>,
) -> StoreResult<()> {
    if before.is_none_or(|v| v.enterprise_id != f.enterprise_id) {
        crate::enterprises::get(conn, vis, &f.enterprise_id)?;
    }
    if let Some(p) = f.project_id.as_ref().filter(|p| before.is_none_or(|v| v.project_id.as_ref() != Some(*p))) {
        crate::projects::get(conn, vis, p)?;
    }
    let mut people: Vec<String> = f.participants.clone();
    if let Some(v) = before {
        people.retain(|u| !v.participants.contains(u));
    }
    people.sort();
    people.dedup();
    if people.is_empty() {
        return Ok(());
    }
    let mut q = users::table
        .filter(users::id.eq_any(people.clone()))
        .filter(users::disabled.eq(false))
        .into_boxed::<MultiBackend>();
    if !vis.all {
        let owner_alliances: Vec<String> = alliance_members::table
            .filter(alliance_members::organization_id.eq(owner))
            .filter(alliance_members::state.eq("active"))
            .select(alliance_members::alliance_id)
            .load(conn)?;
        let partner_members = alliance_members::table
            .filter(alliance_members::alliance_id.eq_any(owner_alliances))
            .filter(alliance_members::state.eq("active"))
            .select(alliance_members::organization_id);
        let partner_orgs = org_closure::table
            .filter(org_closure::ancestor_id.eq_any(partner_members))
            .select(org_closure::descendant_id);
        q = q.filter(
            users::organization_id
                .eq_any(subtree_ids!(vis.organization_id.clone()))
                .or(users::organization_id.eq_any(partner_orgs)),
        );
    }
    let n: i64 = q.count().get_result(conn)?;
    if usize::try_from(n).unwrap_or(0) != people.len() {
        return Err(DomainError::NotFound.into());
    }
    Ok(())
}

fn write_children(conn: &mut DbConn, id: &str, f: &VisitFields) -> StoreResult<()> {
    diesel::delete(visit_participants::table.filter(visit_participants::visit_id.eq(id))).execute(conn)?;
    let mut people = f.participants.clone();
    people.sort();
    people.dedup();
    for u in people {
        diesel::insert_into(visit_participants::table)
            .values((visit_participants::visit_id.eq(id), visit_participants::user_id.eq(u)))
            .execute(conn)?;
    }
    diesel::delete(visit_policy_tags::table.filter(visit_policy_tags::visit_id.eq(id))).execute(conn)?;
    let mut tags = f.policy_tags.clone();
    tags.sort();
    tags.dedup();
    for t in tags {
        diesel::insert_into(visit_policy_tags::table)
            .values((visit_policy_tags::visit_id.eq(id), visit_policy_tags::tag.eq(t)))
            .execute(conn)?;
    }
    Ok(())
}

/// Records a visit owned by `cmd.owner_organization_id` (the caller's organization or one it
/// acts for), flagging it `late_entry` when its times say so.
pub fn create(conn: &mut DbConn, caller: &Caller, vis: &Visibility, cmd: NewVisit) -> StoreResult<Visit> {
    crate::orgs::get(conn, vis, &cmd.owner_organization_id)?;
    check_write(conn, caller, &cmd.owner_organization_id, Scope::VisitsWrite)?;
    let f = cmd.fields;
    let cmd_late_after = cmd.late_entry_after;
    check_references(conn, vis, &cmd.owner_organization_id, &f, None)?;
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = visits::table.filter(visits::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("visit {id} already exists")).into());
    }
    let (visited_at, recorded_at) = (stored(f.visited_at), f.recorded_at.map(stored));
    let t = now();
    let row = VisitRow {
        id: id.clone(),
        owner_organization_id: cmd.owner_organization_id,
        direction: f.direction.as_str().to_owned(),
        purpose: f.purpose.as_str().to_owned(),
        enterprise_id: f.enterprise_id.clone(),
        project_id: f.project_id.clone(),
        visited_at,
        recorded_at,
        late_entry: is_late_entry(utc(visited_at), recorded_at.map(utc), cmd_late_after),
        latitude: f.location.latitude,
        longitude: f.location.longitude,
        accuracy_m: f.location.accuracy_m,
        address: f.location.address.clone(),
        external_attendees: f.external_attendees.clone(),
        summary: f.summary.clone(),
        findings: f.findings.clone(),
        next_steps: f.next_steps.clone(),
        version: 1,
        created_by: caller.principal_id.clone(),
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    diesel::insert_into(visits::table).values(&row).execute(conn)?;
    write_children(conn, &id, &f)?;
    to_visits(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// Replaces the editable fields (the http layer merges the patch onto the current visit) and
/// computes `late_entry` again from the resulting times.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    merge: impl FnOnce(&Visit) -> Result<VisitFields, DomainError>,
    late_entry_after: chrono::Duration,
    if_match: Option<i64>,
) -> StoreResult<Visit> {
    lock_for_write(conn, id)?;
    let current = get(conn, caller, vis, id)?;
    check_write(conn, caller, &current.owner_organization_id, Scope::VisitsWrite)?;
    check_version(if_match, current.version)?;
    let f = merge(&current)?;
    check_references(conn, vis, &current.owner_organization_id, &f, Some(&current))?;
    let (visited_at, recorded_at) = (stored(f.visited_at), f.recorded_at.map(stored));
    diesel::update(visits::table.filter(visits::id.eq(id)))
        .set((
            visits::direction.eq(f.direction.as_str()),
            visits::purpose.eq(f.purpose.as_str()),
            visits::enterprise_id.eq(&f.enterprise_id),
            visits::project_id.eq(&f.project_id),
            visits::visited_at.eq(visited_at),
            visits::recorded_at.eq(recorded_at),
            visits::late_entry.eq(is_late_entry(utc(visited_at), recorded_at.map(utc), late_entry_after)),
            visits::latitude.eq(f.location.latitude),
            visits::longitude.eq(f.location.longitude),
            visits::accuracy_m.eq(f.location.accuracy_m),
            visits::address.eq(&f.location.address),
            visits::external_attendees.eq(&f.external_attendees),
            visits::summary.eq(&f.summary),
            visits::findings.eq(&f.findings),
            visits::next_steps.eq(&f.next_steps),
            visits::version.eq(current.version + 1),
            visits::updated_at.eq(now()),
        ))
        .execute(conn)?;
    write_children(conn, id, &f)?;
    get(conn, caller, vis, id)
}

/// Soft delete: the visit then answers 404 and leaves a tombstone for sync.
pub fn delete(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    if_match: Option<i64>,
) -> StoreResult<()> {
    lock_for_write(conn, id)?;
    let current = load_row(conn, caller, vis, id)?;
    check_write(conn, caller, &current.owner_organization_id, Scope::VisitsWrite)?;
    check_version(if_match, current.version)?;
    let t = now();
    diesel::update(visits::table.filter(visits::id.eq(id)))
        .set((visits::deleted_at.eq(Some(t)), visits::version.eq(current.version + 1), visits::updated_at.eq(t)))
        .execute(conn)?;
    Ok(())
}

/// Sort orders of the visit list; each ties on `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitOrder {
    /// Creation order (ids are UUIDv7).
    Id,
    /// Order of last change (for sync).
    UpdatedAt,
    /// When the visit took place.
    VisitedAt,
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub owner_organization_id: Option<String>,
    /// With `owner_organization_id`: include its descendants (default) or not.
    pub include_descendants: bool,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    /// Only visits this user took part in.
    pub participant_user_id: Option<String>,
    pub direction: Option<VisitDirection>,
    pub purpose: Option<VisitPurpose>,
    /// Visited at or after.
    pub visited_from: Option<NaiveDateTime>,
    /// Visited at or before.
    pub visited_to: Option<NaiveDateTime>,
    pub updated_since: Option<NaiveDateTime>,
    /// Also return deleted visits (as tombstones).
    pub include_deleted: bool,
}

fn cursor_of(order: VisitOrder, r: &VisitRow) -> Cursor {
    let key = match order {
        VisitOrder::Id => String::new(),
        VisitOrder::UpdatedAt => ts_key(r.updated_at),
        VisitOrder::VisitedAt => ts_key(r.visited_at),
    };
    Cursor { key, id: r.id.clone() }
}

/// The visible visits that pass the filter, in `order`, starting after `after`.
#[allow(clippy::too_many_arguments)]
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    f: &VisitFilter,
    order: VisitOrder,
    descending: bool,
    after: Option<&Cursor>,
    limit: i64,
) -> StoreResult<(Vec<crate::page::Entry<Visit>>, Option<Cursor>)> {
    let mut q = visible(conn, caller, vis)?;
    if !f.include_deleted {
        q = q.filter(visits::deleted_at.is_null());
    }
    if let Some(o) = &f.owner_organization_id {
        q = if f.include_descendants {
            q.filter(visits::owner_organization_id.eq_any(subtree_ids!(o.clone())))
        } else {
            q.filter(visits::owner_organization_id.eq(o.clone()))
        };
    }
    if let Some(e) = &f.enterprise_id {
        q = q.filter(visits::enterprise_id.eq(e.clone()));
    }
    if let Some(p) = &f.project_id {
        q = q.filter(visits::project_id.eq(p.clone()));
    }
    if let Some(u) = &f.participant_user_id {
        q = q.filter(
            visits::id.eq_any(
                visit_participants::table
                    .filter(visit_participants::user_id.eq(u.clone()))
                    .select(visit_participants::visit_id),
            ),
        );
    }
    if let Some(d) = f.direction {
        q = q.filter(visits::direction.eq(d.as_str()));
    }
    if let Some(p) = f.purpose {
        q = q.filter(visits::purpose.eq(p.as_str()));
    }
    if let Some(t) = f.visited_from {
        q = q.filter(visits::visited_at.ge(t));
    }
    if let Some(t) = f.visited_to {
        q = q.filter(visits::visited_at.le(t));
    }
    if let Some(ts) = f.updated_since {
        q = q.filter(visits::updated_at.ge(ts));
    }
    match order {
        VisitOrder::Id => keyset_by!(q, visits::id, descending, after),
        VisitOrder::UpdatedAt => {
            keyset_by!(q, visits::updated_at, visits::id, descending, after, crate::page::parse_ts_key)
        }
        VisitOrder::VisitedAt => {
            keyset_by!(q, visits::visited_at, visits::id, descending, after, crate::page::parse_ts_key)
        }
    }
    let rows: Vec<VisitRow> = q.limit(limit + 1).select(VisitRow::as_select()).load(conn)?;
    let Page { items, next } = Page::from_rows(rows, limit, |r| cursor_of(order, r));
    let entries = crate::page::entries(
        items,
        |r| (r.id.clone(), r.deleted_at, r.version),
        |live| to_visits(conn, live),
        |x| x.id.clone(),
    )?;
    Ok((entries, next))
}
