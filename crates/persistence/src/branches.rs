//! Party branches (党支部) with their party groups and members; the compliance rules (national
//! defaults and per-organization overrides, which descendants inherit); and the compliance of
//! a branch, or of every branch of an organization's subtree, for a year.
//!
//! Visibility is [`crate::party::visible_branches`]: the branch organization's subtree reads a
//! branch in full; alliance partners read it without its members. Managing follows
//! [`crate::party::check_manage`].

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use zs_domain::auth::Caller;
use zs_domain::branch::{Branch, BranchFields, BranchGroup, BranchMember, RuleSet, RuleSource};
use zs_domain::party::{
    compliance, ActivityType, ComplianceRule, HeldActivity, PartyRole, PeriodCompliance, RulePeriod,
};
use zs_domain::{DomainError, FieldViolation};

use crate::db::DbConn;
use crate::page::{cursor_for, Cursor, ListOrder, Page, PageRequest};
use crate::party::{branch_ref, check_manage, visible_branches, BranchRef};
use crate::schema::{
    activities, activity_attachments, activity_cohosts, attendance, branch_groups, branch_members, branches,
    compliance_rules, org_closure, organizations, users,
};
use crate::scope::Visibility;
use crate::{check_version, keyset, new_id, now, subtree_ids, utc, StoreResult};

/// The `rule_set` of the national defaults.
const NATIONAL: &str = "national";

diesel::define_sql_function! {
    /// Lower case (ASCII on SQLite, Unicode on PostgreSQL; Chinese has no case).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = branches)]
pub struct BranchRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub secretary_id: Option<String>,
    pub deputy_id: Option<String>,
    pub stationed: bool,
    pub stationed_in: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new branch: optional client id (UUIDv7, checked here), its organization, and its fields
/// as sent (parsed here, where the organization's date and users are known).
#[derive(Debug, Clone)]
pub struct NewBranch {
    pub id: Option<String>,
    pub organization_id: String,
    pub fields: BranchFields,
}

/// Branch list filters.
#[derive(Debug, Clone, Default)]
pub struct BranchFilter {
    /// Only branches of exactly this organization.
    pub organization_id: Option<String>,
    pub stationed: Option<bool>,
    /// Substring of the name (case-insensitive for Latin letters).
    pub q: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
}

/// Loads groups, members and member counts of branch rows. Members are loaded only for
/// branches whose organization is in the caller's subtree (or for a sysadmin).
fn to_branches(conn: &mut DbConn, vis: &Visibility, rows: Vec<BranchRow>) -> StoreResult<Vec<Branch>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let full: HashSet<String> = if vis.all {
        ids.iter().cloned().collect()
    } else {
        let orgs: Vec<String> = rows.iter().map(|r| r.organization_id.clone()).collect();
        let mine: HashSet<String> = org_closure::table
            .filter(org_closure::ancestor_id.eq(vis.organization_id.clone()))
            .filter(org_closure::descendant_id.eq_any(orgs))
            .select(org_closure::descendant_id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        rows.iter().filter(|r| mine.contains(&r.organization_id)).map(|r| r.id.clone()).collect()
    };
    let mut groups: HashMap<String, Vec<BranchGroup>> = HashMap::new();
    let group_rows: Vec<(String, String, Option<String>)> = branch_groups::table
        .filter(branch_groups::branch_id.eq_any(&ids))
        .order((branch_groups::branch_id, branch_groups::position))
        .select((branch_groups::branch_id, branch_groups::name, branch_groups::leader_id))
        .load(conn)?;
    for (b, name, leader_id) in group_rows {
        groups.entry(b).or_default().push(BranchGroup { name, leader_id });
    }
    let counts: HashMap<String, i64> = branch_members::table
        .filter(branch_members::branch_id.eq_any(&ids))
        .group_by(branch_members::branch_id)
        .select((branch_members::branch_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let full_ids: Vec<String> = full.iter().cloned().collect();
    let mut members: HashMap<String, Vec<BranchMember>> = HashMap::new();
    let member_rows: Vec<(String, String, String, NaiveDate, Option<String>)> = branch_members::table
        .filter(branch_members::branch_id.eq_any(full_ids))
        .order((branch_members::branch_id, branch_members::user_id))
        .select((
            branch_members::branch_id,
            branch_members::user_id,
            branch_members::party_role,
            branch_members::joined_on,
            branch_members::group_name,
        ))
        .load(conn)?;
    for (b, user_id, role, joined_on, group) in member_rows {
        members.entry(b).or_default().push(BranchMember {
            user_id,
            party_role: PartyRole::parse(&role).unwrap_or(PartyRole::Member),
            joined_on,
            group,
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| Branch {
            groups: groups.remove(&r.id).unwrap_or_default(),
            members: if full.contains(&r.id) { Some(members.remove(&r.id).unwrap_or_default()) } else { None },
            member_count: counts.get(&r.id).copied().unwrap_or(0),
            id: r.id,
            organization_id: r.organization_id,
            name: r.name,
            secretary_id: r.secretary_id,
            deputy_id: r.deputy_id,
            stationed: r.stationed,
            stationed_in: r.stationed_in,
            version: r.version,
            created_by: r.created_by,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
        .collect())
}

/// A branch the caller sees; 404 otherwise.
pub fn get(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<Branch> {
    let row = visible_branches(vis)
        .filter(branches::id.eq(id.to_owned()))
        .select(BranchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::NotFound)?;
    to_branches(conn, vis, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// Today's date in an organization's time zone.
fn today_of(conn: &mut DbConn, org: &str) -> StoreResult<NaiveDate> {
    let tz: String = organizations::table
        .filter(organizations::id.eq(org.to_owned()))
        .select(organizations::time_zone)
        .first(conn)?;
    Ok(zs_domain::org::today_in(&tz, chrono::Utc::now()))
}

/// Parses the fields and checks every user they name: an enabled user of the branch's
/// organization or one of its descendants (`unknown_user` otherwise). Users in `known` (already
/// named by the branch before an update) are kept without checking. Every violation at once.
fn parse_fields(
    conn: &mut DbConn,
    org: &str,
    raw: BranchFields,
    known: &HashSet<String>,
    mut violations: Vec<FieldViolation>,
) -> StoreResult<BranchFields> {
    let today = today_of(conn, org)?;
    let refs = raw.user_references();
    let wanted: Vec<String> = refs.iter().map(|(_, u)| u.clone()).filter(|u| !known.contains(u)).collect();
    let valid: HashSet<String> = users::table
        .filter(users::id.eq_any(wanted))
        .filter(users::disabled.eq(false))
        .filter(users::organization_id.eq_any(subtree_ids!(org.to_owned())))
        .select(users::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let parsed = match BranchFields::parse(raw, today) {
        Ok(f) => Some(f),
        Err(DomainError::Validation(vs)) => {
            violations.extend(vs);
            None
        }
        Err(e) => return Err(e.into()),
    };
    for (pointer, u) in refs {
        if !known.contains(&u) && !valid.contains(&u) {
            violations.push(FieldViolation::new(
                pointer,
                "unknown_user",
                "must be an enabled user of the branch's organization or one of its descendants",
            ));
        }
    }
    violations.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    match parsed {
        Some(f) if violations.is_empty() => Ok(f),
        _ => Err(DomainError::Validation(violations).into()),
    }
}

fn write_children(conn: &mut DbConn, id: &str, f: &BranchFields) -> StoreResult<()> {
    diesel::delete(branch_members::table.filter(branch_members::branch_id.eq(id))).execute(conn)?;
    diesel::delete(branch_groups::table.filter(branch_groups::branch_id.eq(id))).execute(conn)?;
    for (i, g) in f.groups.iter().enumerate() {
        diesel::insert_into(branch_groups::table)
            .values((
                branch_groups::branch_id.eq(id),
                branch_groups::name.eq(&g.name),
                branch_groups::leader_id.eq(&g.leader_id),
                branch_groups::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
            ))
            .execute(conn)?;
    }
    for m in &f.members {
        diesel::insert_into(branch_members::table)
            .values((
                branch_members::branch_id.eq(id),
                branch_members::user_id.eq(&m.user_id),
                branch_members::party_role.eq(m.party_role.as_str()),
                branch_members::joined_on.eq(m.joined_on),
                branch_members::group_name.eq(&m.group),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Creates a branch of an organization the caller sees (404 otherwise) and may manage (403).
pub fn create(conn: &mut DbConn, caller: &Caller, vis: &Visibility, cmd: NewBranch) -> StoreResult<Branch> {
    crate::orgs::get(conn, vis, &cmd.organization_id)?;
    let target = BranchRef { id: String::new(), organization_id: cmd.organization_id.clone(), secretary_id: None };
    check_manage(conn, caller, &target)?;
    let (id, bad_id) = match cmd.id.as_deref().map(|raw| crate::parse_client_id("/id", raw)) {
        None => (new_id(), vec![]),
        Some(Ok(id)) => (id, vec![]),
        Some(Err(DomainError::Validation(vs))) => (String::new(), vs),
        Some(Err(e)) => return Err(e.into()),
    };
    let f = parse_fields(conn, &cmd.organization_id, cmd.fields, &HashSet::new(), bad_id)?;
    let taken: i64 = branches::table.filter(branches::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("branch {id} already exists")).into());
    }
    let t = now();
    let row = BranchRow {
        id: id.clone(),
        organization_id: cmd.organization_id,
        name: f.name.clone(),
        secretary_id: f.secretary_id.clone(),
        deputy_id: f.deputy_id.clone(),
        stationed: f.stationed,
        stationed_in: f.stationed_in.clone(),
        version: 1,
        created_by: caller.principal_id.clone(),
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(branches::table).values(&row).execute(conn)?;
    write_children(conn, &id, &f)?;
    get(conn, vis, &id)
}

/// Replaces the editable fields with what `merge` makes of the current branch (the http layer
/// applies the merge patch). The branch's own secretary, and those who manage its
/// organization's branches, may change it.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    merge: impl FnOnce(&Branch) -> BranchFields,
    if_match: Option<i64>,
) -> StoreResult<Branch> {
    crate::db::lock_row(conn, "branches", id)?;
    let target = branch_ref(conn, vis, id)?;
    check_manage(conn, caller, &target)?;
    // The whole branch (members included) whatever the caller's view, so a merge that leaves
    // the members alone keeps them (a secretary whose user has moved elsewhere still manages).
    let current = get(conn, &Visibility { all: true, ..vis.clone() }, id)?;
    check_version(if_match, current.version)?;
    let raw = merge(&current);
    let mut known: HashSet<String> = current.secretary_id.iter().chain(current.deputy_id.iter()).cloned().collect();
    known.extend(current.groups.iter().filter_map(|g| g.leader_id.clone()));
    known.extend(current.members.iter().flatten().map(|m| m.user_id.clone()));
    let f = parse_fields(conn, &current.organization_id, raw, &known, vec![])?;
    diesel::update(branches::table.filter(branches::id.eq(id)))
        .set((
            branches::name.eq(&f.name),
            branches::secretary_id.eq(&f.secretary_id),
            branches::deputy_id.eq(&f.deputy_id),
            branches::stationed.eq(f.stationed),
            branches::stationed_in.eq(&f.stationed_in),
            branches::version.eq(current.version + 1),
            branches::updated_at.eq(now()),
        ))
        .execute(conn)?;
    write_children(conn, id, &f)?;
    get(conn, vis, id)
}

/// The visible branches that pass the filter, keyset-paged.
pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    f: &BranchFilter,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<Branch>> {
    let mut q = visible_branches(vis);
    if let Some(o) = &f.organization_id {
        q = q.filter(branches::organization_id.eq(o.clone()));
    }
    if let Some(s) = f.stationed {
        q = q.filter(branches::stationed.eq(s));
    }
    if let Some(text) = &f.q {
        let pattern = format!("%{}%", crate::page::like_escape(&text.trim().to_lowercase()));
        q = q.filter(lower(branches::name).like(pattern).escape('\\'));
    }
    if let Some(ts) = f.updated_since {
        q = q.filter(branches::updated_at.ge(ts));
    }
    let q = keyset!(q, branches::id, branches::updated_at, order, &page.after);
    let rows: Vec<BranchRow> = q.limit(page.limit + 1).select(BranchRow::as_select()).load(conn)?;
    let rows = Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at));
    let items = to_branches(conn, vis, rows.items)?;
    Ok(Page { items, next: rows.next })
}

// ---------------------------------------------------------------------------------------------
// Compliance rules

type RuleRow = (String, String, i32, String, NaiveDateTime);

fn load_set(conn: &mut DbConn, rule_set: &str) -> StoreResult<Vec<RuleRow>> {
    Ok(compliance_rules::table
        .filter(compliance_rules::rule_set.eq(rule_set.to_owned()))
        .select((
            compliance_rules::activity_type,
            compliance_rules::period,
            compliance_rules::min_count,
            compliance_rules::updated_by,
            compliance_rules::updated_at,
        ))
        .load(conn)?)
}

fn to_rule_set(source: RuleSource, defined_by: Option<String>, rows: Vec<RuleRow>) -> RuleSet {
    let latest = rows.iter().max_by_key(|r| r.4).map(|r| (utc(r.4), r.3.clone()));
    let mut rules: Vec<ComplianceRule> = rows
        .into_iter()
        .filter_map(|(t, p, n, _, _)| {
            Some(ComplianceRule {
                activity_type: ActivityType::parse(&t)?,
                period: RulePeriod::parse(&p)?,
                min_count: u32::try_from(n).ok()?,
            })
        })
        .collect();
    rules.sort_by_key(|r| (r.activity_type, r.period));
    RuleSet { source, defined_by, rules, updated_at: latest.as_ref().map(|l| l.0), updated_by: latest.map(|l| l.1) }
}

/// The national rule set.
pub fn national_rules(conn: &mut DbConn) -> StoreResult<RuleSet> {
    let rows = load_set(conn, NATIONAL)?;
    Ok(to_rule_set(RuleSource::National, None, rows))
}

/// The rules in force for an organization: its own override, else its nearest ancestor's,
/// else the national set. No visibility check (callers check the organization or branch).
pub fn effective_rules(conn: &mut DbConn, org: &str) -> StoreResult<RuleSet> {
    let nearest: Option<String> = org_closure::table
        .filter(org_closure::descendant_id.eq(org.to_owned()))
        .filter(org_closure::ancestor_id.eq_any(compliance_rules::table.select(compliance_rules::rule_set)))
        .order(org_closure::depth.asc())
        .select(org_closure::ancestor_id)
        .first(conn)
        .optional()?;
    match nearest {
        Some(o) => {
            let rows = load_set(conn, &o)?;
            Ok(to_rule_set(RuleSource::Organization, Some(o), rows))
        }
        None => national_rules(conn),
    }
}

/// The rules in force for an organization the caller sees (404 otherwise), or the national
/// set when `org` is `None`.
pub fn get_rules(conn: &mut DbConn, vis: &Visibility, org: Option<&str>) -> StoreResult<RuleSet> {
    match org {
        None => national_rules(conn),
        Some(o) => {
            crate::orgs::get(conn, vis, o)?;
            effective_rules(conn, o)
        }
    }
}

/// Refuses (404/403) a caller who may not change the rule set of `org` (`None`: national).
fn check_rules_admin(conn: &mut DbConn, caller: &Caller, vis: &Visibility, org: Option<&str>) -> StoreResult<()> {
    match org {
        None if caller.is_sysadmin() => Ok(()),
        None => Err(DomainError::forbidden("only the platform operator changes the national compliance rules").into()),
        Some(o) => {
            crate::orgs::get(conn, vis, o)?;
            if crate::orgs::administers(conn, caller, o)? {
                Ok(())
            } else {
                Err(DomainError::forbidden(
                    "only org admins of the organization or of a superior change its compliance rules",
                )
                .into())
            }
        }
    }
}

/// Replaces a whole rule set (`org` `None`: the national set) and answers the set in force.
pub fn replace_rules(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    org: Option<&str>,
    rules: &[ComplianceRule],
) -> StoreResult<RuleSet> {
    check_rules_admin(conn, caller, vis, org)?;
    let key = org.unwrap_or(NATIONAL).to_owned();
    diesel::delete(compliance_rules::table.filter(compliance_rules::rule_set.eq(&key))).execute(conn)?;
    let t = now();
    for r in rules {
        diesel::insert_into(compliance_rules::table)
            .values((
                compliance_rules::rule_set.eq(&key),
                compliance_rules::activity_type.eq(r.activity_type.as_str()),
                compliance_rules::period.eq(r.period.as_str()),
                compliance_rules::min_count.eq(i32::try_from(r.min_count).unwrap_or(i32::MAX)),
                compliance_rules::updated_by.eq(&caller.principal_id),
                compliance_rules::updated_at.eq(t),
            ))
            .execute(conn)?;
    }
    match org {
        None => national_rules(conn),
        Some(o) => effective_rules(conn, o),
    }
}

/// Removes an organization's override (nothing to remove is fine): it inherits again.
pub fn delete_rules(conn: &mut DbConn, caller: &Caller, vis: &Visibility, org: &str) -> StoreResult<()> {
    check_rules_admin(conn, caller, vis, Some(org))?;
    diesel::delete(compliance_rules::table.filter(compliance_rules::rule_set.eq(org.to_owned()))).execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Compliance

/// The compliance of one branch for a year.
#[derive(Debug, Clone)]
pub struct BranchCompliance {
    pub branch_id: String,
    pub branch_name: String,
    pub organization_id: String,
    pub year: i32,
    /// Today in the branch organization's time zone (periods after it owe nothing yet).
    pub as_of: NaiveDate,
    pub rules: RuleSet,
    pub periods: Vec<PeriodCompliance>,
}

/// A held activity: id, host branch, type, date held, minutes.
type HeldRow = (String, String, String, Option<NaiveDate>, Option<String>);

/// Judges each branch (id, name, organization) against its organization's rules in force.
fn judge(conn: &mut DbConn, year: i32, branches: Vec<(String, String, String)>) -> StoreResult<Vec<BranchCompliance>> {
    let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return Err(DomainError::invalid("/year", "range", "not a valid year").into());
    };
    let ids: Vec<String> = branches.iter().map(|b| b.0.clone()).collect();
    let cohosts: Vec<(String, String)> = activity_cohosts::table
        .filter(activity_cohosts::branch_id.eq_any(&ids))
        .select((activity_cohosts::activity_id, activity_cohosts::branch_id))
        .load(conn)?;
    let held: Vec<HeldRow> = activities::table
        .filter(activities::status.eq("held"))
        .filter(activities::deleted_at.is_null())
        .filter(activities::held_on.ge(first))
        .filter(activities::held_on.le(last))
        .filter(
            activities::host_branch_id.eq_any(&ids).or(activities::id.eq_any(
                activity_cohosts::table
                    .filter(activity_cohosts::branch_id.eq_any(&ids))
                    .select(activity_cohosts::activity_id),
            )),
        )
        .select((
            activities::id,
            activities::host_branch_id,
            activities::activity_type,
            activities::held_on,
            activities::minutes,
        ))
        .load(conn)?;
    let held_ids: Vec<String> = held.iter().map(|a| a.0.clone()).collect();
    let attached: Vec<(String, String)> = activity_attachments::table
        .filter(activity_attachments::activity_id.eq_any(&held_ids))
        .filter(activity_attachments::kind.eq_any(["minutes", "sign_in_sheet"]))
        .select((activity_attachments::activity_id, activity_attachments::kind))
        .load(conn)?;
    let present: HashSet<String> = attendance::table
        .filter(attendance::activity_id.eq_any(&held_ids))
        .filter(attendance::status.eq("present"))
        .select(attendance::activity_id)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let with_minutes: HashSet<&str> =
        attached.iter().filter(|(_, k)| k == "minutes").map(|(a, _)| a.as_str()).collect();
    let with_sheet: HashSet<&str> =
        attached.iter().filter(|(_, k)| k == "sign_in_sheet").map(|(a, _)| a.as_str()).collect();
    let cohosted: HashSet<(&str, &str)> = cohosts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut rules_of: HashMap<String, RuleSet> = HashMap::new();
    let mut today_of_org: HashMap<String, NaiveDate> = HashMap::new();
    let mut out = Vec::with_capacity(branches.len());
    for (branch_id, branch_name, org) in branches {
        if !rules_of.contains_key(&org) {
            let r = effective_rules(conn, &org)?;
            rules_of.insert(org.clone(), r);
            let d = today_of(conn, &org)?;
            today_of_org.insert(org.clone(), d);
        }
        let (Some(rules), Some(today)) = (rules_of.get(&org), today_of_org.get(&org).copied()) else {
            return Err(DomainError::NotFound.into());
        };
        let mine: Vec<HeldActivity> = held
            .iter()
            .filter(|(id, host, ..)| *host == branch_id || cohosted.contains(&(id.as_str(), branch_id.as_str())))
            .filter_map(|(id, _, t, on, minutes)| {
                Some(HeldActivity {
                    id: id.clone(),
                    activity_type: ActivityType::parse(t)?,
                    held_on: (*on)?,
                    has_minutes: minutes.as_deref().is_some_and(|m| !m.trim().is_empty())
                        || with_minutes.contains(id.as_str()),
                    has_sign_in: present.contains(id) || with_sheet.contains(id.as_str()),
                })
            })
            .collect();
        out.push(BranchCompliance {
            periods: compliance(year, today, &rules.rules, &mine),
            rules: rules.clone(),
            branch_id,
            branch_name,
            organization_id: org,
            year,
            as_of: today,
        });
    }
    Ok(out)
}

/// The compliance of a branch the caller sees (404 otherwise) for `year`.
pub fn branch_compliance(conn: &mut DbConn, vis: &Visibility, id: &str, year: i32) -> StoreResult<BranchCompliance> {
    let b = branch_ref(conn, vis, id)?;
    let name: String = branches::table.filter(branches::id.eq(&b.id)).select(branches::name).first(conn)?;
    judge(conn, year, vec![(b.id, name, b.organization_id)])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// The compliance of every branch the caller sees whose organization is `org` or one of its
/// descendants, in branch id order, keyset-paged. `org` must be visible (404 otherwise).
pub fn organization_compliance(
    conn: &mut DbConn,
    vis: &Visibility,
    org: &str,
    year: i32,
    after: Option<&Cursor>,
    limit: i64,
) -> StoreResult<(Vec<BranchCompliance>, Option<Cursor>)> {
    crate::orgs::get(conn, vis, org)?;
    let mut q = visible_branches(vis).filter(branches::organization_id.eq_any(subtree_ids!(org.to_owned())));
    if let Some(c) = after {
        q = q.filter(branches::id.gt(c.id.clone()));
    }
    let mut rows: Vec<(String, String, String)> = q
        .order(branches::id.asc())
        .limit(limit + 1)
        .select((branches::id, branches::name, branches::organization_id))
        .load(conn)?;
    let n = usize::try_from(limit).unwrap_or(0);
    let next = if rows.len() > n {
        rows.truncate(n);
        rows.last().map(|r| Cursor { key: String::new(), id: r.0.clone() })
    } else {
        None
    };
    Ok((judge(conn, year, rows)?, next))
}
