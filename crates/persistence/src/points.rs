//! The points ledger (党员积分) and the point rules of organizations.
//!
//! - **Rules**: the points an organization awards for attending an activity of each type;
//!   types it sets no value for earn the default ([`zs_domain::party::default_points`]). Read
//!   by anyone who reads the organization; replaced by its org admins and party secretaries and
//!   by org admins of a superior.
//! - **Entries**: `attendance` (made only by signing in or a secretary's recording of presence;
//!   one per member and activity), `award` and `deduction` (by a manager of the branch, with a
//!   reason; a deduction is stored negative). An entry belongs to the member's branch and that
//!   branch's organization.
//! - **Who reads entries** (in the SQL of every query): entries of branches whose organization
//!   is in the caller's subtree, and a user's own entries wherever they were earned. Alliance
//!   partners see each other's branches, not their members' points. A caller who is only a
//!   party member ([`zs_domain::party::sees_only_own_points`]) reads its own entries only. A
//!   sysadmin reads all. Balances (the leaderboard) sum exactly the entries the caller reads.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use zs_domain::auth::{Caller, PrincipalKind};
use zs_domain::party::{may_manage_party, sees_only_own_points, ActivityType, PointKind};
use zs_domain::points::{attendance_points, competition_ranks, effective_rules, ManualEntry, PointRule};
use zs_domain::DomainError;

use crate::db::{DbConn, MultiBackend};
use crate::page::{Cursor, Page};
use crate::party::{branch_ref, check_manage, BranchRef};
use crate::schema::{branch_members, branches, organizations, point_entries, point_rules, users};
use crate::scope::Visibility;
use crate::{keyset_by, new_id, now, subtree_ids, utc, StoreResult};

/// One entry of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointEntry {
    pub id: String,
    pub organization_id: String,
    pub branch_id: String,
    pub user_id: String,
    pub activity_id: Option<String>,
    pub kind: PointKind,
    /// Signed: a deduction is negative.
    pub points: i32,
    pub reason: String,
    pub occurred_on: NaiveDate,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = point_entries)]
struct PointEntryRow {
    id: String,
    organization_id: String,
    branch_id: String,
    user_id: String,
    activity_id: Option<String>,
    kind: String,
    points: i32,
    reason: String,
    occurred_on: NaiveDate,
    created_by: String,
    created_at: NaiveDateTime,
}

impl PointEntryRow {
    fn into_domain(self) -> PointEntry {
        PointEntry {
            kind: PointKind::parse(&self.kind).unwrap_or(PointKind::Award),
            id: self.id,
            organization_id: self.organization_id,
            branch_id: self.branch_id,
            user_id: self.user_id,
            activity_id: self.activity_id,
            points: self.points,
            reason: self.reason,
            occurred_on: self.occurred_on,
            created_by: self.created_by,
            created_at: utc(self.created_at),
        }
    }
}

/// The organization's own rules (types it set a value for).
pub fn own_rules(conn: &mut DbConn, org_id: &str) -> StoreResult<Vec<(ActivityType, i32)>> {
    let rows: Vec<(String, i32)> = point_rules::table
        .filter(point_rules::organization_id.eq(org_id))
        .select((point_rules::activity_type, point_rules::points))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(t, p)| ActivityType::parse(&t).map(|t| (t, p))).collect())
}

/// Every activity type with its points for the organization (404 when the caller does not
/// see the organization).
pub fn rules(conn: &mut DbConn, vis: &Visibility, org_id: &str) -> StoreResult<Vec<PointRule>> {
    crate::orgs::get(conn, vis, org_id)?;
    Ok(effective_rules(&own_rules(conn, org_id)?))
}

/// Replaces the organization's rules with `rules` (checked: each type once, points 0..=100);
/// types not listed fall back to the default.
pub fn replace_rules(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    org_id: &str,
    rules: &[(ActivityType, i32)],
) -> StoreResult<Vec<PointRule>> {
    crate::db::lock_row(conn, "organizations", org_id)?;
    crate::orgs::get(conn, vis, org_id)?;
    let relation = crate::records::relation(conn, caller, org_id)?;
    if !may_manage_party(caller, relation, false) {
        return Err(DomainError::forbidden(
            "only org admins and party secretaries of the organization, and org admins of a superior, set its point rules",
        )
        .into());
    }
    diesel::delete(point_rules::table.filter(point_rules::organization_id.eq(org_id))).execute(conn)?;
    let t = now();
    for (activity_type, points) in rules {
        diesel::insert_into(point_rules::table)
            .values((
                point_rules::organization_id.eq(org_id),
                point_rules::activity_type.eq(activity_type.as_str()),
                point_rules::points.eq(points),
                point_rules::updated_by.eq(&caller.principal_id),
                point_rules::updated_at.eq(t),
            ))
            .execute(conn)?;
    }
    Ok(effective_rules(&own_rules(conn, org_id)?))
}

/// The attendance entry a present member earns.
#[derive(Debug, Clone, Copy)]
pub struct AttendanceEntry<'a> {
    pub activity_id: &'a str,
    pub activity_title: &'a str,
    pub activity_type: ActivityType,
    pub user_id: &'a str,
    /// The branch the member attends for; its organization's rules set the points.
    pub branch: &'a BranchRef,
    pub occurred_on: NaiveDate,
    pub created_by: &'a str,
}

/// Makes sure the member has the one attendance entry of the activity (the partial unique
/// index `point_entries_attendance` holds it to one). An existing entry is kept as it is.
pub fn ensure_attendance_entry(conn: &mut DbConn, e: AttendanceEntry<'_>) -> StoreResult<()> {
    let existing: i64 = point_entries::table
        .filter(point_entries::activity_id.eq(e.activity_id))
        .filter(point_entries::user_id.eq(e.user_id))
        .filter(point_entries::kind.eq(PointKind::Attendance.as_str()))
        .count()
        .get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    let points = attendance_points(&own_rules(conn, &e.branch.organization_id)?, e.activity_type);
    let row = PointEntryRow {
        id: new_id(),
        organization_id: e.branch.organization_id.clone(),
        branch_id: e.branch.id.clone(),
        user_id: e.user_id.to_owned(),
        activity_id: Some(e.activity_id.to_owned()),
        kind: PointKind::Attendance.as_str().to_owned(),
        points,
        reason: e.activity_title.to_owned(),
        occurred_on: e.occurred_on,
        created_by: e.created_by.to_owned(),
        created_at: now(),
    };
    diesel::insert_into(point_entries::table).values(&row).execute(conn)?;
    Ok(())
}

/// Withdraws the member's attendance entry of the activity (they were not present after all).
pub fn remove_attendance_entry(conn: &mut DbConn, activity_id: &str, user_id: &str) -> StoreResult<()> {
    diesel::delete(
        point_entries::table
            .filter(point_entries::activity_id.eq(activity_id))
            .filter(point_entries::user_id.eq(user_id))
            .filter(point_entries::kind.eq(PointKind::Attendance.as_str())),
    )
    .execute(conn)?;
    Ok(())
}

/// A manual award or deduction as sent, checked against the branch's organization's today.
#[derive(Debug, Clone)]
pub struct NewPointEntry {
    pub id: Option<String>,
    pub branch_id: String,
    pub user_id: String,
    pub kind: PointKind,
    /// As entered: 1..=100, positive also for a deduction.
    pub points: i64,
    pub reason: String,
    pub occurred_on: Option<NaiveDate>,
}

/// Records an award or a deduction by a manager of the branch, for a member of it.
pub fn create_entry(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    cmd: NewPointEntry,
) -> StoreResult<PointEntry> {
    let branch = branch_ref(conn, vis, &cmd.branch_id)?;
    check_manage(conn, caller, &branch)?;
    let tz: String = organizations::table
        .filter(organizations::id.eq(&branch.organization_id))
        .select(organizations::time_zone)
        .first(conn)?;
    let today = zs_domain::org::today_in(&tz, Utc::now());
    let mut v = zs_domain::error::Violations::new();
    let entry = v.take(ManualEntry::parse(cmd.kind, cmd.points, &cmd.reason, cmd.occurred_on, today));
    let member: i64 = branch_members::table
        .filter(branch_members::branch_id.eq(&branch.id))
        .filter(branch_members::user_id.eq(&cmd.user_id))
        .count()
        .get_result(conn)?;
    if member == 0 {
        v.push(zs_domain::FieldViolation::new("/user_id", "not_a_member", "the user is not a member of the branch"));
    }
    v.into_result()?;
    let Some(entry) = entry else { return Err(DomainError::invalid("", "invalid", "the entry is invalid").into()) };
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = point_entries::table.filter(point_entries::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("point entry {id} already exists")).into());
    }
    let row = PointEntryRow {
        id,
        organization_id: branch.organization_id.clone(),
        branch_id: branch.id.clone(),
        user_id: cmd.user_id,
        activity_id: None,
        kind: entry.kind.as_str().to_owned(),
        points: entry.signed_points(),
        reason: entry.reason.clone(),
        occurred_on: entry.occurred_on,
        created_by: caller.principal_id.clone(),
        created_at: now(),
    };
    diesel::insert_into(point_entries::table).values(&row).execute(conn)?;
    Ok(row.into_domain())
}

type Condition = Box<dyn BoxableExpression<point_entries::table, MultiBackend, SqlType = Bool>>;

/// Entries the caller reads (see the module documentation), as a condition; `None` reads all.
fn visible_entries(caller: &Caller, vis: &Visibility) -> Option<Condition> {
    if vis.all {
        return None;
    }
    if sees_only_own_points(caller) {
        return Some(Box::new(point_entries::user_id.eq(caller.principal_id.clone())));
    }
    let in_tree = branches::table
        .filter(branches::organization_id.eq_any(subtree_ids!(vis.organization_id.clone())))
        .select(branches::id);
    Some(if caller.kind == PrincipalKind::User {
        Box::new(point_entries::branch_id.eq_any(in_tree).or(point_entries::user_id.eq(caller.principal_id.clone())))
    } else {
        Box::new(point_entries::branch_id.eq_any(in_tree))
    })
}

/// Filters of the ledger and of the balances.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub branch_id: Option<String>,
    pub user_id: Option<String>,
    /// Entries of branches of this organization and its descendants.
    pub organization_id: Option<String>,
    pub kind: Option<PointKind>,
    /// `occurred_on` on or after.
    pub from: Option<NaiveDate>,
    /// `occurred_on` on or before.
    pub to: Option<NaiveDate>,
    /// Entries recorded at or after (entries are never edited).
    pub created_since: Option<NaiveDateTime>,
}

/// The visibility rule and the filters, as conditions to AND together.
fn conditions(caller: &Caller, vis: &Visibility, f: &EntryFilter) -> Vec<Condition> {
    let mut c: Vec<Condition> = visible_entries(caller, vis).into_iter().collect();
    if let Some(b) = &f.branch_id {
        c.push(Box::new(point_entries::branch_id.eq(b.clone())));
    }
    if let Some(u) = &f.user_id {
        c.push(Box::new(point_entries::user_id.eq(u.clone())));
    }
    if let Some(o) = &f.organization_id {
        c.push(Box::new(point_entries::organization_id.eq_any(subtree_ids!(o.clone()))));
    }
    if let Some(k) = f.kind {
        c.push(Box::new(point_entries::kind.eq(k.as_str())));
    }
    if let Some(d) = f.from {
        c.push(Box::new(point_entries::occurred_on.ge(d)));
    }
    if let Some(d) = f.to {
        c.push(Box::new(point_entries::occurred_on.le(d)));
    }
    if let Some(t) = f.created_since {
        c.push(Box::new(point_entries::created_at.ge(t)));
    }
    c
}

/// Sort orders of the ledger; each ties on `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOrder {
    /// Recording order (ids are UUIDv7).
    Id,
    /// The day the points were earned.
    OccurredOn,
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The entries the caller reads that pass the filter, in `order`, starting after `after`.
#[allow(clippy::too_many_arguments)]
pub fn list_entries(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    f: &EntryFilter,
    order: EntryOrder,
    descending: bool,
    after: Option<&Cursor>,
    limit: i64,
) -> StoreResult<(Vec<PointEntry>, Option<Cursor>)> {
    let mut q = point_entries::table.into_boxed();
    for c in conditions(caller, vis, f) {
        q = q.filter(c);
    }
    match order {
        EntryOrder::Id => keyset_by!(q, point_entries::id, descending, after),
        EntryOrder::OccurredOn => {
            keyset_by!(q, point_entries::occurred_on, point_entries::id, descending, after, parse_day)
        }
    }
    let rows: Vec<PointEntryRow> = q.limit(limit + 1).select(PointEntryRow::as_select()).load(conn)?;
    let page = Page::from_rows(rows, limit, |r| Cursor {
        key: match order {
            EntryOrder::Id => String::new(),
            EntryOrder::OccurredOn => r.occurred_on.format("%Y-%m-%d").to_string(),
        },
        id: r.id.clone(),
    });
    Ok((page.items.into_iter().map(PointEntryRow::into_domain).collect(), page.next))
}

/// Whose balances: the members of one branch, or of the branches of an organization's subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BalanceScope {
    Branch(String),
    Organization(String),
}

/// One row of the leaderboard: a member's points in one branch over the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Standard competition rank: ties share a rank, the next rank skips ("1224").
    pub rank: u32,
    pub user_id: String,
    pub display_name: String,
    pub branch_id: String,
    pub points: i64,
    pub entries: i64,
}

/// The leaderboard of a branch or an organization for a period (`from`/`to` on
/// `occurred_on`): one row per member and branch with entries the caller reads, by points
/// (highest first), then display name. The sums are computed by the database.
pub fn balances(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    scope: &BalanceScope,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> StoreResult<Vec<Balance>> {
    let mut f = EntryFilter { from, to, ..EntryFilter::default() };
    match scope {
        BalanceScope::Branch(b) => {
            branch_ref(conn, vis, b)?;
            f.branch_id = Some(b.clone());
        }
        BalanceScope::Organization(o) => {
            crate::orgs::get(conn, vis, o)?;
            f.organization_id = Some(o.clone());
        }
    }
    let mut q = point_entries::table
        .group_by((point_entries::user_id, point_entries::branch_id))
        .select((
            point_entries::user_id,
            point_entries::branch_id,
            diesel::dsl::sum(point_entries::points),
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    for c in conditions(caller, vis, &f) {
        q = q.filter(c);
    }
    let sums: Vec<(String, String, Option<i64>, i64)> = q.load(conn)?;
    let ids: Vec<String> = sums.iter().map(|s| s.0.clone()).collect();
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut rows: Vec<Balance> = sums
        .into_iter()
        .map(|(user_id, branch_id, points, entries)| Balance {
            rank: 0,
            display_name: names.get(&user_id).cloned().unwrap_or_default(),
            user_id,
            branch_id,
            points: points.unwrap_or(0),
            entries,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then_with(|| a.display_name.cmp(&b.display_name))
            .then_with(|| a.user_id.cmp(&b.user_id))
            .then_with(|| a.branch_id.cmp(&b.branch_id))
    });
    let points: Vec<i64> = rows.iter().map(|r| r.points).collect();
    for (r, rank) in rows.iter_mut().zip(competition_ranks(&points)) {
        r.rank = rank;
    }
    Ok(rows)
}
