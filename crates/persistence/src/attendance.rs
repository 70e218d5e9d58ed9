//! Attendance of an activity (签到): a member's self sign-in during the window around the
//! start, what a secretary records (present, leave with a reason, absent), and the attendance
//! list with totals. The points ledger follows every change: a present member has exactly
//! one `attendance` entry for the activity, anyone else none.
//!
//! - Who is expected: the members of the host branch and of every co-host branch. A member
//!   attends for the host branch when a member of it, else for the first co-host branch (by
//!   id) they belong to; that branch's organization's point rules set the points.
//! - Signing in: the member themself, while the activity is planned or held, within the
//!   sign-in window. A sign-in over a secretary's leave or absence makes the member present
//!   (they came after all). Signing in again answers the same record.
//! - Recording: a manager of the host branch records anyone expected; a manager of a co-host
//!   branch records its own members only (DESIGN.md §2: partners act only through the
//!   workflows made for sharing). Not for cancelled activities.
//! - Reading: anyone who sees the activity ([`crate::party::visible_activities`]).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use zs_domain::auth::{Caller, PrincipalKind};
use zs_domain::party::{ActivityStatus, ActivityType, AttendanceStatus, SignInWindow};
use zs_domain::points::{AttendanceMark, AttendanceTotals};
use zs_domain::DomainError;

use crate::db::DbConn;
use crate::party::{may_manage, visible_activities, BranchRef};
use crate::schema::{activities, activity_cohosts, attendance, branch_members, branches, organizations, users};
use crate::scope::Visibility;
use crate::{now, utc, StoreResult};

/// A member's attendance of an activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRecord {
    pub activity_id: String,
    pub user_id: String,
    pub display_name: String,
    /// The branch (host or co-host) the member attends for.
    pub branch_id: String,
    pub status: AttendanceStatus,
    pub reason: Option<String>,
    /// When the member signed in themself; null when a secretary recorded the status.
    pub signed_in_at: Option<DateTime<Utc>>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// One expected member in the attendance list; the status fields are null when unrecorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceItem {
    pub user_id: String,
    pub display_name: String,
    pub branch_id: String,
    pub status: Option<AttendanceStatus>,
    pub reason: Option<String>,
    pub signed_in_at: Option<DateTime<Utc>>,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
}

/// The attendance of an activity: every expected member and the totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceList {
    pub activity_id: String,
    pub items: Vec<AttendanceItem>,
    pub totals: AttendanceTotals,
}

/// What attendance needs of an activity.
#[derive(Debug, Clone, Queryable)]
pub(crate) struct ActivityFacts {
    pub id: String,
    pub owner_organization_id: String,
    pub host_branch_id: String,
    pub title: String,
    pub activity_type: String,
    pub status: String,
    pub planned_start: NaiveDateTime,
    pub held_on: Option<NaiveDate>,
}

impl ActivityFacts {
    fn status(&self) -> ActivityStatus {
        ActivityStatus::parse(&self.status).unwrap_or(ActivityStatus::Planned)
    }

    fn activity_type(&self) -> Option<ActivityType> {
        ActivityType::parse(&self.activity_type)
    }

    fn refuse_cancelled(&self) -> StoreResult<()> {
        if self.status() == ActivityStatus::Cancelled {
            return Err(DomainError::conflict(
                "ACTIVITY_CANCELLED",
                "the activity was cancelled; attendance is no longer recorded",
            )
            .into());
        }
        Ok(())
    }

    /// The business date of the activity: the day it was held, or else the day of its planned
    /// start in the owner's time zone.
    fn business_date(&self, conn: &mut DbConn) -> StoreResult<NaiveDate> {
        if let Some(d) = self.held_on {
            return Ok(d);
        }
        let tz: String = organizations::table
            .filter(organizations::id.eq(&self.owner_organization_id))
            .select(organizations::time_zone)
            .first(conn)?;
        Ok(zs_domain::org::today_in(&tz, utc(self.planned_start)))
    }
}

/// The activity if the caller sees it and it is not deleted; 404 otherwise.
fn load_activity(conn: &mut DbConn, caller: &Caller, vis: &Visibility, id: &str) -> StoreResult<ActivityFacts> {
    visible_activities(caller, vis)
        .filter(activities::id.eq(id.to_owned()))
        .filter(activities::deleted_at.is_null())
        .select((
            activities::id,
            activities::owner_organization_id,
            activities::host_branch_id,
            activities::title,
            activities::activity_type,
            activities::status,
            activities::planned_start,
            activities::held_on,
        ))
        .first::<ActivityFacts>(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound.into())
}

/// The host branch first, then the co-host branches by id.
fn branches_of(conn: &mut DbConn, a: &ActivityFacts) -> StoreResult<Vec<String>> {
    let mut cohosts: Vec<String> = activity_cohosts::table
        .filter(activity_cohosts::activity_id.eq(&a.id))
        .filter(activity_cohosts::branch_id.ne(&a.host_branch_id))
        .select(activity_cohosts::branch_id)
        .order(activity_cohosts::branch_id.asc())
        .load(conn)?;
    cohosts.insert(0, a.host_branch_id.clone());
    Ok(cohosts)
}

/// The branches of `branch_ids` (in that order) that `user_id` is a member of.
fn member_branches(conn: &mut DbConn, branch_ids: &[String], user_id: &str) -> StoreResult<Vec<String>> {
    let mine: Vec<String> = branch_members::table
        .filter(branch_members::user_id.eq(user_id))
        .filter(branch_members::branch_id.eq_any(branch_ids))
        .select(branch_members::branch_id)
        .load(conn)?;
    Ok(branch_ids.iter().filter(|b| mine.contains(b)).cloned().collect())
}

fn branch_refs(conn: &mut DbConn, ids: &[String]) -> StoreResult<Vec<BranchRef>> {
    let rows: Vec<(String, String, Option<String>)> = branches::table
        .filter(branches::id.eq_any(ids))
        .select((branches::id, branches::organization_id, branches::secretary_id))
        .load(conn)?;
    Ok(ids
        .iter()
        .filter_map(|id| rows.iter().find(|r| &r.0 == id))
        .map(|(id, organization_id, secretary_id)| BranchRef {
            id: id.clone(),
            organization_id: organization_id.clone(),
            secretary_id: secretary_id.clone(),
        })
        .collect())
}

#[derive(Debug, Clone, Queryable)]
struct AttendanceRow {
    activity_id: String,
    user_id: String,
    branch_id: String,
    status: String,
    reason: Option<String>,
    signed_in_at: Option<NaiveDateTime>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

const ROW: (
    attendance::activity_id,
    attendance::user_id,
    attendance::branch_id,
    attendance::status,
    attendance::reason,
    attendance::signed_in_at,
    attendance::recorded_by,
    attendance::recorded_at,
) = (
    attendance::activity_id,
    attendance::user_id,
    attendance::branch_id,
    attendance::status,
    attendance::reason,
    attendance::signed_in_at,
    attendance::recorded_by,
    attendance::recorded_at,
);

fn status_of(s: &str) -> AttendanceStatus {
    AttendanceStatus::parse(s).unwrap_or(AttendanceStatus::Absent)
}

fn load_record(conn: &mut DbConn, activity_id: &str, user_id: &str) -> StoreResult<Option<AttendanceRecord>> {
    let row: Option<AttendanceRow> = attendance::table
        .filter(attendance::activity_id.eq(activity_id))
        .filter(attendance::user_id.eq(user_id))
        .select(ROW)
        .first(conn)
        .optional()?;
    let Some(r) = row else { return Ok(None) };
    let display_name: String = users::table.filter(users::id.eq(&r.user_id)).select(users::display_name).first(conn)?;
    Ok(Some(AttendanceRecord {
        status: status_of(&r.status),
        activity_id: r.activity_id,
        user_id: r.user_id,
        display_name,
        branch_id: r.branch_id,
        reason: r.reason,
        signed_in_at: r.signed_in_at.map(utc),
        recorded_by: r.recorded_by,
        recorded_at: utc(r.recorded_at),
    }))
}

/// Writes the member's row (inserting or replacing it) and keeps the ledger in step.
#[allow(clippy::too_many_arguments)]
fn write(
    conn: &mut DbConn,
    caller: &Caller,
    a: &ActivityFacts,
    user_id: &str,
    branch: &BranchRef,
    mark: &AttendanceMark,
    signed_in_at: Option<NaiveDateTime>,
    exists: bool,
) -> StoreResult<()> {
    let t = now();
    if exists {
        diesel::update(
            attendance::table.filter(attendance::activity_id.eq(&a.id)).filter(attendance::user_id.eq(user_id)),
        )
        .set((
            attendance::branch_id.eq(&branch.id),
            attendance::status.eq(mark.status.as_str()),
            attendance::reason.eq(&mark.reason),
            attendance::signed_in_at.eq(signed_in_at),
            attendance::recorded_by.eq(&caller.principal_id),
            attendance::recorded_at.eq(t),
        ))
        .execute(conn)?;
    } else {
        diesel::insert_into(attendance::table)
            .values((
                attendance::activity_id.eq(&a.id),
                attendance::user_id.eq(user_id),
                attendance::branch_id.eq(&branch.id),
                attendance::status.eq(mark.status.as_str()),
                attendance::reason.eq(&mark.reason),
                attendance::signed_in_at.eq(signed_in_at),
                attendance::recorded_by.eq(&caller.principal_id),
                attendance::recorded_at.eq(t),
            ))
            .execute(conn)?;
    }
    if mark.status == AttendanceStatus::Present {
        let Some(activity_type) = a.activity_type() else {
            return Err(DomainError::conflict("INVALID_ACTIVITY", "the activity has an unknown type").into());
        };
        let occurred_on = a.business_date(conn)?;
        crate::points::ensure_attendance_entry(
            conn,
            crate::points::AttendanceEntry {
                activity_id: &a.id,
                activity_title: &a.title,
                activity_type,
                user_id,
                branch,
                occurred_on,
                created_by: &caller.principal_id,
            },
        )?;
    } else {
        crate::points::remove_attendance_entry(conn, &a.id, user_id)?;
    }
    Ok(())
}

/// Signs the caller in to the activity. Returns the record and whether this call made the
/// member present (`false`: they had already signed in, or been recorded present).
pub fn sign_in(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    activity_id: &str,
    window: &SignInWindow,
    at: DateTime<Utc>,
) -> StoreResult<(AttendanceRecord, bool)> {
    crate::db::lock_row(conn, "activities", activity_id)?;
    let a = load_activity(conn, caller, vis, activity_id)?;
    let candidates = branches_of(conn, &a)?;
    let mine = if caller.kind == PrincipalKind::User {
        member_branches(conn, &candidates, &caller.principal_id)?
    } else {
        vec![]
    };
    let Some(branch_id) = mine.first() else {
        return Err(DomainError::forbidden(
            "only members of the host branch or of a co-host branch sign in to this activity",
        )
        .into());
    };
    a.refuse_cancelled()?;
    let existing = load_record(conn, &a.id, &caller.principal_id)?;
    if let Some(r) = existing.as_ref().filter(|r| r.status == AttendanceStatus::Present) {
        return Ok((r.clone(), false));
    }
    window.check(utc(a.planned_start), at)?;
    let branch = branch_refs(conn, std::slice::from_ref(branch_id))?.pop().ok_or(DomainError::NotFound)?;
    let mark = AttendanceMark { status: AttendanceStatus::Present, reason: None };
    let signed_in_at = Some(at.naive_utc().trunc_subsecs(6));
    write(conn, caller, &a, &caller.principal_id, &branch, &mark, signed_in_at, existing.is_some())?;
    let record = load_record(conn, &a.id, &caller.principal_id)?.ok_or(DomainError::NotFound)?;
    Ok((record, true))
}

/// Records a member's attendance (a manager of the host branch, or of the co-host branch the
/// member belongs to). Returns the record as stored.
pub fn record(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    activity_id: &str,
    user_id: &str,
    mark: AttendanceMark,
) -> StoreResult<AttendanceRecord> {
    crate::db::lock_row(conn, "activities", activity_id)?;
    let a = load_activity(conn, caller, vis, activity_id)?;
    let order = branches_of(conn, &a)?;
    let candidates = branch_refs(conn, &order)?;
    let mut managed = vec![];
    for b in &candidates {
        if may_manage(conn, caller, b)? {
            managed.push(b.id.clone());
        }
    }
    if managed.is_empty() {
        return Err(DomainError::forbidden(
            "only managers of the host branch, or of a co-host branch for its own members, record attendance",
        )
        .into());
    }
    a.refuse_cancelled()?;
    let ids: Vec<String> = candidates.iter().map(|b| b.id.clone()).collect();
    let theirs = member_branches(conn, &ids, user_id)?;
    let Some(attends_for) = theirs.first() else {
        return Err(DomainError::invalid(
            "/user_id",
            "not_a_member",
            "the user is not a member of the host branch or of a co-host branch",
        )
        .into());
    };
    let host_managed = managed.contains(&a.host_branch_id);
    if !host_managed && !theirs.iter().any(|b| managed.contains(b)) {
        return Err(DomainError::forbidden(
            "a co-host branch's managers record the attendance of its own members only",
        )
        .into());
    }
    let branch = candidates.iter().find(|b| &b.id == attends_for).cloned().ok_or(DomainError::NotFound)?;
    let existing = load_record(conn, &a.id, user_id)?;
    // A present member keeps the time they signed in themself.
    let signed_in_at = match (&existing, mark.status) {
        (Some(r), AttendanceStatus::Present) if r.status == AttendanceStatus::Present => {
            r.signed_in_at.map(|t| t.naive_utc())
        }
        _ => None,
    };
    write(conn, caller, &a, user_id, &branch, &mark, signed_in_at, existing.is_some())?;
    load_record(conn, &a.id, user_id)?.ok_or_else(|| DomainError::NotFound.into())
}

/// The attendance list of an activity the caller sees: every member of the host and co-host
/// branches (and anyone recorded who has since left them), sorted by display name.
pub fn list(conn: &mut DbConn, caller: &Caller, vis: &Visibility, activity_id: &str) -> StoreResult<AttendanceList> {
    let a = load_activity(conn, caller, vis, activity_id)?;
    let order = branches_of(conn, &a)?;
    let members: Vec<(String, String)> = branch_members::table
        .filter(branch_members::branch_id.eq_any(&order))
        .select((branch_members::user_id, branch_members::branch_id))
        .load(conn)?;
    // Each member attends for the first of their branches in `order` (host first).
    let mut attends_for: HashMap<String, String> = HashMap::new();
    for b in &order {
        for (u, mb) in &members {
            if mb == b {
                attends_for.entry(u.clone()).or_insert_with(|| b.clone());
            }
        }
    }
    let rows: Vec<AttendanceRow> =
        attendance::table.filter(attendance::activity_id.eq(&a.id)).select(ROW).load(conn)?;
    let mut recorded: HashMap<String, AttendanceRow> = HashMap::new();
    for r in rows {
        attends_for.insert(r.user_id.clone(), r.branch_id.clone());
        recorded.insert(r.user_id.clone(), r);
    }
    let ids: Vec<String> = attends_for.keys().cloned().collect();
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut items: Vec<AttendanceItem> = attends_for
        .into_iter()
        .map(|(user_id, branch_id)| {
            let r = recorded.remove(&user_id);
            AttendanceItem {
                display_name: names.get(&user_id).cloned().unwrap_or_default(),
                status: r.as_ref().map(|r| status_of(&r.status)),
                reason: r.as_ref().and_then(|r| r.reason.clone()),
                signed_in_at: r.as_ref().and_then(|r| r.signed_in_at.map(utc)),
                recorded_by: r.as_ref().map(|r| r.recorded_by.clone()),
                recorded_at: r.as_ref().map(|r| utc(r.recorded_at)),
                user_id,
                branch_id,
            }
        })
        .collect();
    items.sort_by(|x, y| x.display_name.cmp(&y.display_name).then_with(|| x.user_id.cmp(&y.user_id)));
    let totals = AttendanceTotals::count(items.iter().map(|i| i.status.as_ref()));
    Ok(AttendanceList { activity_id: a.id, items, totals })
}
