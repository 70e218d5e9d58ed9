//! Party activities (党建活动): create, read, edit, hold, cancel and soft-delete an activity of a
//! host branch with its co-host branches, attachments (metadata) and linked projects; the
//! filtered, keyset-paged list with tombstones.
//!
//! Visibility is [`crate::party::visible_activities`] in the SQL of every query. Every change
//! is made by a manager of the HOST branch ([`crate::party::check_manage`]); co-host branches'
//! managers read the activity and act only through attendance.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use zs_domain::activity::{
    check_minutes_allowed, date_in, plan_cancel, plan_hold, Activity, ActivityFields, Attachment,
};
use zs_domain::auth::Caller;
use zs_domain::party::{ActivityStatus, ActivityType, AttachmentKind};
use zs_domain::{DomainError, FieldViolation};

use crate::db::{DbConn, MultiBackend};
use crate::page::{ts_key, Cursor, Page};
use crate::party::{branch_ref, check_manage, may_cohost, visible_activities, BranchRef};
use crate::schema::{activities, activity_attachments, activity_cohosts, activity_projects, branches, organizations};
use crate::scope::Visibility;
use crate::{check_version, keyset_by, new_id, now, utc, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activities)]
pub struct ActivityRow {
    pub id: String,
    pub owner_organization_id: String,
    pub host_branch_id: String,
    pub title: String,
    pub activity_type: String,
    pub status: String,
    pub planned_start: NaiveDateTime,
    pub planned_end: NaiveDateTime,
    pub place: Option<String>,
    pub online_link: Option<String>,
    pub speaker: Option<String>,
    pub agenda: String,
    pub minutes: Option<String>,
    pub held_at: Option<NaiveDateTime>,
    pub held_on: Option<NaiveDate>,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// A new activity: its host branch, fields and optional client id (phones create offline).
#[derive(Debug, Clone)]
pub struct NewActivity {
    pub id: Option<String>,
    pub host_branch_id: String,
    pub fields: ActivityFields,
}

/// An edit: the fields after the merge patch, and the minutes when the patch sets them
/// (`Some(None)` clears them).
#[derive(Debug, Clone)]
pub struct ActivityChange {
    pub fields: ActivityFields,
    pub minutes: Option<Option<String>>,
}

/// A stored instant: UTC, to the microsecond (what both backends keep).
fn stored(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc().trunc_subsecs(6)
}

fn to_activities(conn: &mut DbConn, rows: Vec<ActivityRow>) -> StoreResult<Vec<Activity>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut cohosts: HashMap<String, Vec<String>> = HashMap::new();
    let rows_c: Vec<(String, String)> = activity_cohosts::table
        .filter(activity_cohosts::activity_id.eq_any(&ids))
        .order((activity_cohosts::activity_id, activity_cohosts::branch_id))
        .select((activity_cohosts::activity_id, activity_cohosts::branch_id))
        .load(conn)?;
    for (a, b) in rows_c {
        cohosts.entry(a).or_default().push(b);
    }
    let mut projects: HashMap<String, Vec<String>> = HashMap::new();
    let rows_p: Vec<(String, String)> = activity_projects::table
        .filter(activity_projects::activity_id.eq_any(&ids))
        .order((activity_projects::activity_id, activity_projects::project_id))
        .select((activity_projects::activity_id, activity_projects::project_id))
        .load(conn)?;
    for (a, p) in rows_p {
        projects.entry(a).or_default().push(p);
    }
    let mut attachments: HashMap<String, Vec<Attachment>> = HashMap::new();
    let rows_a: Vec<(String, String, String, i64, String)> = activity_attachments::table
        .filter(activity_attachments::activity_id.eq_any(&ids))
        .order((activity_attachments::activity_id, activity_attachments::position))
        .select((
            activity_attachments::activity_id,
            activity_attachments::kind,
            activity_attachments::name,
            activity_attachments::size_bytes,
            activity_attachments::checksum,
        ))
        .load(conn)?;
    for (a, kind, name, size_bytes, checksum) in rows_a {
        attachments.entry(a).or_default().push(Attachment {
            kind: AttachmentKind::parse(&kind).unwrap_or(AttachmentKind::Notice),
            name,
            size_bytes,
            checksum,
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| Activity {
            cohost_branch_ids: cohosts.remove(&r.id).unwrap_or_default(),
            project_ids: projects.remove(&r.id).unwrap_or_default(),
            attachments: attachments.remove(&r.id).unwrap_or_default(),
            activity_type: ActivityType::parse(&r.activity_type).unwrap_or(ActivityType::Study),
            status: ActivityStatus::parse(&r.status).unwrap_or(ActivityStatus::Planned),
            planned_start: utc(r.planned_start),
            planned_end: utc(r.planned_end),
            held_at: r.held_at.map(utc),
            cancelled_at: r.cancelled_at.map(utc),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            id: r.id,
            owner_organization_id: r.owner_organization_id,
            host_branch_id: r.host_branch_id,
            title: r.title,
            place: r.place,
            online_link: r.online_link,
            speaker: r.speaker,
            agenda: r.agenda,
            minutes: r.minutes,
            held_on: r.held_on,
            cancel_reason: r.cancel_reason,
            version: r.version,
            created_by: r.created_by,
        })
        .collect())
}

fn load_row(conn: &mut DbConn, caller: &Caller, vis: &Visibility, id: &str) -> StoreResult<ActivityRow> {
    visible_activities(caller, vis)
        .filter(activities::id.eq(id.to_owned()))
        .filter(activities::deleted_at.is_null())
        .select(ActivityRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound.into())
}

/// Locks the activity's row for the rest of the write transaction (see
/// [`crate::db::lock_row`]), so If-Match and the status judge what a concurrent change left.
pub fn lock_for_write(conn: &mut DbConn, id: &str) -> StoreResult<()> {
    crate::db::lock_row(conn, "activities", id)
}

/// The activity if the caller sees it (and it is not deleted); 404 otherwise.
pub fn get(conn: &mut DbConn, caller: &Caller, vis: &Visibility, id: &str) -> StoreResult<Activity> {
    let row = load_row(conn, caller, vis, id)?;
    to_activities(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// The host branch of an activity the caller sees. Read without the branch visibility rule:
/// a co-host's manager in a child organization sees the activity but not the host's branch,
/// and must get 403 (it sees the activity), not 404, when it tries to change it.
pub fn host_branch(conn: &mut DbConn, activity: &Activity) -> StoreResult<BranchRef> {
    let (id, organization_id, secretary_id) = branches::table
        .filter(branches::id.eq(&activity.host_branch_id))
        .select((branches::id, branches::organization_id, branches::secretary_id))
        .first::<(String, String, Option<String>)>(conn)?;
    Ok(BranchRef { id, organization_id, secretary_id })
}

/// Checks what the fields add: each new co-host branch must be one the caller sees (404) and
/// in the host organization's subtree or share an alliance with it (422
/// `cohost_out_of_scope`); each new linked project one the caller sees (404, as visits do).
/// Co-hosts and projects already on the activity are kept without a new check.
fn check_references(
    conn: &mut DbConn,
    vis: &Visibility,
    host: &BranchRef,
    f: &ActivityFields,
    before: Option<&Activity>,
) -> StoreResult<()> {
    let mut out_of_scope = vec![];
    for (i, b) in f.cohost_branch_ids.iter().enumerate() {
        if before.is_some_and(|a| a.cohost_branch_ids.contains(b)) {
            continue;
        }
        let cohost = branch_ref(conn, vis, b)?;
        if !may_cohost(conn, &host.organization_id, &cohost.organization_id)? {
            out_of_scope.push(FieldViolation::new(
                format!("/cohost_branch_ids/{i}"),
                "cohost_out_of_scope",
                "must be in the host organization's subtree or share an alliance with it",
            ));
        }
    }
    for p in &f.project_ids {
        if before.is_some_and(|a| a.project_ids.contains(p)) {
            continue;
        }
        crate::projects::get(conn, vis, p)?;
    }
    if !out_of_scope.is_empty() {
        return Err(DomainError::Validation(out_of_scope).into());
    }
    Ok(())
}

fn position(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

/// Replaces co-hosts (with their branch's organization, for visibility), attachments and
/// linked projects.
fn write_children(conn: &mut DbConn, id: &str, f: &ActivityFields) -> StoreResult<()> {
    diesel::delete(activity_cohosts::table.filter(activity_cohosts::activity_id.eq(id))).execute(conn)?;
    let orgs: HashMap<String, String> = branches::table
        .filter(branches::id.eq_any(&f.cohost_branch_ids))
        .select((branches::id, branches::organization_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    for b in &f.cohost_branch_ids {
        let org = orgs.get(b).ok_or(DomainError::NotFound)?;
        diesel::insert_into(activity_cohosts::table)
            .values((
                activity_cohosts::activity_id.eq(id),
                activity_cohosts::branch_id.eq(b),
                activity_cohosts::organization_id.eq(org),
            ))
            .execute(conn)?;
    }
    diesel::delete(activity_attachments::table.filter(activity_attachments::activity_id.eq(id))).execute(conn)?;
    for (i, a) in f.attachments.iter().enumerate() {
        diesel::insert_into(activity_attachments::table)
            .values((
                activity_attachments::activity_id.eq(id),
                activity_attachments::position.eq(position(i)),
                activity_attachments::kind.eq(a.kind.as_str()),
                activity_attachments::name.eq(&a.name),
                activity_attachments::size_bytes.eq(a.size_bytes),
                activity_attachments::checksum.eq(&a.checksum),
            ))
            .execute(conn)?;
    }
    diesel::delete(activity_projects::table.filter(activity_projects::activity_id.eq(id))).execute(conn)?;
    for p in &f.project_ids {
        diesel::insert_into(activity_projects::table)
            .values((activity_projects::activity_id.eq(id), activity_projects::project_id.eq(p)))
            .execute(conn)?;
    }
    Ok(())
}

/// Plans an activity of a host branch the caller sees (404) and manages (403); the host
/// branch's organization owns it.
pub fn create(conn: &mut DbConn, caller: &Caller, vis: &Visibility, cmd: NewActivity) -> StoreResult<Activity> {
    let host = branch_ref(conn, vis, &cmd.host_branch_id)?;
    check_manage(conn, caller, &host)?;
    let f = cmd.fields;
    check_references(conn, vis, &host, &f, None)?;
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = activities::table.filter(activities::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("activity {id} already exists")).into());
    }
    let t = now();
    let row = ActivityRow {
        id: id.clone(),
        owner_organization_id: host.organization_id.clone(),
        host_branch_id: host.id.clone(),
        title: f.title.clone(),
        activity_type: f.activity_type.as_str().to_owned(),
        status: ActivityStatus::Planned.as_str().to_owned(),
        planned_start: stored(f.planned_start),
        planned_end: stored(f.planned_end),
        place: f.place.clone(),
        online_link: f.online_link.clone(),
        speaker: f.speaker.clone(),
        agenda: f.agenda.clone(),
        minutes: None,
        held_at: None,
        held_on: None,
        cancel_reason: None,
        cancelled_at: None,
        version: 1,
        created_by: caller.principal_id.clone(),
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    diesel::insert_into(activities::table).values(&row).execute(conn)?;
    write_children(conn, &id, &f)?;
    to_activities(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// Loads a visible activity for a change by a manager of its host branch: 404, 403, 412.
fn for_change(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    if_match: Option<i64>,
) -> StoreResult<(Activity, BranchRef)> {
    lock_for_write(conn, id)?;
    let current = get(conn, caller, vis, id)?;
    let host = host_branch(conn, &current)?;
    check_manage(conn, caller, &host)?;
    check_version(if_match, current.version)?;
    Ok((current, host))
}

/// Replaces the editable fields (the http layer merges the patch onto the current activity).
/// Minutes are set only on a held activity (409 `ACTIVITY_NOT_HELD`).
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    merge: impl FnOnce(&Activity) -> Result<ActivityChange, DomainError>,
    if_match: Option<i64>,
) -> StoreResult<Activity> {
    let (current, host) = for_change(conn, caller, vis, id, if_match)?;
    let change = merge(&current)?;
    if let Some(Some(_)) = &change.minutes {
        check_minutes_allowed(current.status)?;
    }
    let f = change.fields;
    check_references(conn, vis, &host, &f, Some(&current))?;
    diesel::update(activities::table.filter(activities::id.eq(id)))
        .set((
            activities::title.eq(&f.title),
            activities::activity_type.eq(f.activity_type.as_str()),
            activities::planned_start.eq(stored(f.planned_start)),
            activities::planned_end.eq(stored(f.planned_end)),
            activities::place.eq(&f.place),
            activities::online_link.eq(&f.online_link),
            activities::speaker.eq(&f.speaker),
            activities::agenda.eq(&f.agenda),
            activities::minutes.eq(change.minutes.unwrap_or(current.minutes.clone())),
            activities::version.eq(current.version + 1),
            activities::updated_at.eq(now()),
        ))
        .execute(conn)?;
    write_children(conn, id, &f)?;
    get(conn, caller, vis, id)
}

/// Records that a planned activity was held at `held_at` (409 `ILLEGAL_TRANSITION` otherwise),
/// on the date of that instant in the owner organization's time zone, with its minutes if given.
pub fn hold(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    held_at: DateTime<Utc>,
    minutes: Option<String>,
    if_match: Option<i64>,
) -> StoreResult<Activity> {
    let (current, _) = for_change(conn, caller, vis, id, if_match)?;
    let status = plan_hold(current.status)?;
    let tz: String = organizations::table
        .filter(organizations::id.eq(&current.owner_organization_id))
        .select(organizations::time_zone)
        .first(conn)?;
    let held_at = stored(held_at);
    diesel::update(activities::table.filter(activities::id.eq(id)))
        .set((
            activities::status.eq(status.as_str()),
            activities::held_at.eq(Some(held_at)),
            activities::held_on.eq(Some(date_in(&tz, utc(held_at)))),
            activities::minutes.eq(minutes.or(current.minutes)),
            activities::version.eq(current.version + 1),
            activities::updated_at.eq(now()),
        ))
        .execute(conn)?;
    get(conn, caller, vis, id)
}

/// Cancels a planned activity with a reason (409 `ILLEGAL_TRANSITION` otherwise).
pub fn cancel(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    reason: String,
    if_match: Option<i64>,
) -> StoreResult<Activity> {
    let (current, _) = for_change(conn, caller, vis, id, if_match)?;
    let status = plan_cancel(current.status)?;
    let t = now();
    diesel::update(activities::table.filter(activities::id.eq(id)))
        .set((
            activities::status.eq(status.as_str()),
            activities::cancel_reason.eq(Some(reason)),
            activities::cancelled_at.eq(Some(t)),
            activities::version.eq(current.version + 1),
            activities::updated_at.eq(t),
        ))
        .execute(conn)?;
    get(conn, caller, vis, id)
}

/// Soft delete: the activity then answers 404 and leaves a tombstone for sync.
pub fn delete(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    if_match: Option<i64>,
) -> StoreResult<()> {
    let (current, _) = for_change(conn, caller, vis, id, if_match)?;
    let t = now();
    diesel::update(activities::table.filter(activities::id.eq(id)))
        .set((
            activities::deleted_at.eq(Some(t)),
            activities::version.eq(current.version + 1),
            activities::updated_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sort orders of the activity list; each ties on `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityOrder {
    /// Planned start (the calendar view).
    PlannedStart,
    /// Order of last change (for sync).
    UpdatedAt,
    /// Creation order (ids are UUIDv7).
    Id,
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Hosted or co-hosted by this branch.
    pub branch_id: Option<String>,
    /// Owned by this organization, or co-hosted by one of its branches.
    pub organization_id: Option<String>,
    pub activity_type: Option<ActivityType>,
    pub status: Option<ActivityStatus>,
    /// Planned to start on or after this date (in the owner organization's time zone).
    pub from: Option<NaiveDate>,
    /// Planned to start on or before this date (in the owner organization's time zone).
    pub to: Option<NaiveDate>,
    /// Linked to this project.
    pub project_id: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// Also return deleted activities (as tombstones).
    pub include_deleted: bool,
}

fn cursor_of(order: ActivityOrder, r: &ActivityRow) -> Cursor {
    let key = match order {
        ActivityOrder::Id => String::new(),
        ActivityOrder::UpdatedAt => ts_key(r.updated_at),
        ActivityOrder::PlannedStart => ts_key(r.planned_start),
    };
    Cursor { key, id: r.id.clone() }
}

type Condition = Box<dyn BoxableExpression<activities::table, MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// `planned_start` within the local dates `from..=to` of a time zone `offset_hours` ahead of
/// UTC: from local midnight of `from` to (excluding) local midnight after `to`.
fn starts_within(from: Option<NaiveDate>, to: Option<NaiveDate>, offset_hours: i64) -> Condition {
    let offset = chrono::Duration::hours(offset_hours);
    let lower = from.map(|d| d.and_time(chrono::NaiveTime::MIN) - offset);
    let upper = to.and_then(|d| d.succ_opt()).map(|d| d.and_time(chrono::NaiveTime::MIN) - offset);
    match (lower, upper) {
        (Some(a), Some(b)) => Box::new(activities::planned_start.ge(a).and(activities::planned_start.lt(b))),
        (Some(a), None) => Box::new(activities::planned_start.ge(a)),
        (None, Some(b)) => Box::new(activities::planned_start.lt(b)),
        (None, None) => Box::new(activities::planned_start.eq(activities::planned_start)),
    }
}

/// The visible activities that pass the filter, in `order`, starting after `after`.
#[allow(clippy::too_many_arguments)]
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    f: &ActivityFilter,
    order: ActivityOrder,
    descending: bool,
    after: Option<&Cursor>,
    limit: i64,
) -> StoreResult<(Vec<crate::page::Entry<Activity>>, Option<Cursor>)> {
    let mut q = visible_activities(caller, vis);
    if !f.include_deleted {
        q = q.filter(activities::deleted_at.is_null());
    }
    if let Some(b) = &f.branch_id {
        q = q.filter(
            activities::host_branch_id.eq(b.clone()).or(activities::id.eq_any(
                activity_cohosts::table
                    .filter(activity_cohosts::branch_id.eq(b.clone()))
                    .select(activity_cohosts::activity_id),
            )),
        );
    }
    if let Some(o) = &f.organization_id {
        q = q.filter(
            activities::owner_organization_id.eq(o.clone()).or(activities::id.eq_any(
                activity_cohosts::table
                    .filter(activity_cohosts::organization_id.eq(o.clone()))
                    .select(activity_cohosts::activity_id),
            )),
        );
    }
    if let Some(t) = f.activity_type {
        q = q.filter(activities::activity_type.eq(t.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(activities::status.eq(s.as_str()));
    }
    if f.from.is_some() || f.to.is_some() {
        // Business dates are in the owner's time zone: UTC+6 for Asia/Urumqi, UTC+8 for the
        // other accepted zones (zs_domain::calendar::utc_offset_hours).
        let urumqi =
            || organizations::table.filter(organizations::time_zone.eq("Asia/Urumqi")).select(organizations::id);
        let (six, eight) = (
            zs_domain::calendar::utc_offset_hours("Asia/Urumqi"),
            zs_domain::calendar::utc_offset_hours("Asia/Shanghai"),
        );
        q = q.filter(
            activities::owner_organization_id
                .eq_any(urumqi())
                .and(starts_within(f.from, f.to, six))
                .or(diesel::dsl::not(activities::owner_organization_id.eq_any(urumqi()))
                    .and(starts_within(f.from, f.to, eight))),
        );
    }
    if let Some(p) = &f.project_id {
        q = q.filter(
            activities::id.eq_any(
                activity_projects::table
                    .filter(activity_projects::project_id.eq(p.clone()))
                    .select(activity_projects::activity_id),
            ),
        );
    }
    if let Some(ts) = f.updated_since {
        q = q.filter(activities::updated_at.ge(ts));
    }
    match order {
        ActivityOrder::Id => keyset_by!(q, activities::id, descending, after),
        ActivityOrder::UpdatedAt => {
            keyset_by!(q, activities::updated_at, activities::id, descending, after, crate::page::parse_ts_key)
        }
        ActivityOrder::PlannedStart => {
            keyset_by!(q, activities::planned_start, activities::id, descending, after, crate::page::parse_ts_key)
        }
    }
    let rows: Vec<ActivityRow> = q.limit(limit + 1).select(ActivityRow::as_select()).load(conn)?;
    let Page { items, next } = Page::from_rows(rows, limit, |r| cursor_of(order, r));
    let entries = crate::page::entries(
        items,
        |r| (r.id.clone(), r.deleted_at, r.version),
        |live| to_activities(conn, live),
        |x| x.id.clone(),
    )?;
    Ok((entries, next))
}
