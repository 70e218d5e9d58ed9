//! What the party resources (branches, activities, attendance, points, rules) share: who sees
//! a branch and an activity, and who may manage them (DESIGN.md §2).
//!
//! - A **branch** is read in full (members included) by its organization's subtree; its
//!   name, organization, secretary, groups and stationed flag are also read by the alliance:
//!   organizations (and their descendants) that are active members of an alliance the caller
//!   reads through, so a secretary can pick a partner's branch as co-host of a joint activity.
//! - An **activity** is read by the subtree of its host branch's organization, by the subtree
//!   of each co-host branch's organization ("an activity co-hosted by a branch of the user's
//!   organization"), and by members of its host and co-host branches.
//! - Managing (create, edit, hold, cancel, record attendance, award points) follows
//!   [`zs_domain::party::may_manage_party`] against the branch's organization.

use diesel::prelude::*;
use zs_domain::auth::{Caller, PrincipalKind};
use zs_domain::party::may_manage_party;
use zs_domain::DomainError;

use crate::db::{DbConn, MultiBackend};
use crate::schema::{activities, activity_cohosts, alliance_members, branch_members, branches, org_closure};
use crate::scope::Visibility;
use crate::{subtree_ids, StoreResult};

/// Branches the caller reads (see the module documentation), as a boxed query to filter further.
pub fn visible_branches(vis: &Visibility) -> branches::BoxedQuery<'static, MultiBackend> {
    let q = branches::table.into_boxed();
    if vis.all {
        return q;
    }
    let partners = alliance_members::table
        .filter(alliance_members::state.eq("active"))
        .filter(alliance_members::alliance_id.eq_any(vis.alliance_ids.clone()))
        .select(alliance_members::organization_id);
    let partner_orgs =
        org_closure::table.filter(org_closure::ancestor_id.eq_any(partners)).select(org_closure::descendant_id);
    q.filter(
        branches::organization_id
            .eq_any(subtree_ids!(vis.organization_id.clone()))
            .or(branches::organization_id.eq_any(partner_orgs)),
    )
}

/// Activities the caller reads (see the module documentation), deleted ones included: callers
/// add `deleted_at IS NULL` where a tombstone must not show.
pub fn visible_activities(caller: &Caller, vis: &Visibility) -> activities::BoxedQuery<'static, MultiBackend> {
    let q = activities::table.into_boxed();
    if vis.all {
        return q;
    }
    let cohosted = activity_cohosts::table
        .filter(activity_cohosts::organization_id.eq_any(subtree_ids!(vis.organization_id.clone())))
        .select(activity_cohosts::activity_id);
    let owned = activities::owner_organization_id.eq_any(subtree_ids!(vis.organization_id.clone()));
    if caller.kind != PrincipalKind::User {
        return q.filter(owned.or(activities::id.eq_any(cohosted)));
    }
    let my_branches = || {
        branch_members::table
            .filter(branch_members::user_id.eq(caller.principal_id.clone()))
            .select(branch_members::branch_id)
    };
    let cohosted_by_mine = activity_cohosts::table
        .filter(activity_cohosts::branch_id.eq_any(my_branches()))
        .select(activity_cohosts::activity_id);
    q.filter(
        owned
            .or(activities::id.eq_any(cohosted))
            .or(activities::host_branch_id.eq_any(my_branches()))
            .or(activities::id.eq_any(cohosted_by_mine)),
    )
}

/// A branch as the access rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchRef {
    pub id: String,
    pub organization_id: String,
    pub secretary_id: Option<String>,
}

/// The branch if the caller reads it; 404 otherwise.
pub fn branch_ref(conn: &mut DbConn, vis: &Visibility, branch_id: &str) -> StoreResult<BranchRef> {
    let (id, organization_id, secretary_id) = visible_branches(vis)
        .filter(branches::id.eq(branch_id.to_owned()))
        .select((branches::id, branches::organization_id, branches::secretary_id))
        .first::<(String, String, Option<String>)>(conn)
        .optional()?
        .ok_or(DomainError::NotFound)?;
    Ok(BranchRef { id, organization_id, secretary_id })
}

/// Whether the caller may manage the branch (its activities, attendance and points).
pub fn may_manage(conn: &mut DbConn, caller: &Caller, branch: &BranchRef) -> StoreResult<bool> {
    let relation = crate::records::relation(conn, caller, &branch.organization_id)?;
    let is_secretary = branch.secretary_id.as_deref() == Some(caller.principal_id.as_str());
    Ok(may_manage_party(caller, relation, is_secretary))
}

/// Refuses (403) a caller who may not manage the branch.
pub fn check_manage(conn: &mut DbConn, caller: &Caller, branch: &BranchRef) -> StoreResult<()> {
    if may_manage(conn, caller, branch)? {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "only the branch's secretary, party secretaries and org admins of its organization, and org admins of a superior manage this branch",
        )
        .into())
    }
}

/// Whether two organizations may hold a joint activity: the co-host's organization is in the
/// host's subtree, or some ancestor-or-self of each is an active member of one alliance.
pub fn may_cohost(conn: &mut DbConn, host_org: &str, cohost_org: &str) -> StoreResult<bool> {
    if crate::orgs::in_subtree(conn, host_org, cohost_org)? {
        return Ok(true);
    }
    let host_alliances: Vec<String> = alliance_members::table
        .filter(alliance_members::state.eq("active"))
        .filter(alliance_members::organization_id.eq_any(crate::ancestor_ids!(host_org.to_owned())))
        .select(alliance_members::alliance_id)
        .load(conn)?;
    let shared: i64 = alliance_members::table
        .filter(alliance_members::state.eq("active"))
        .filter(alliance_members::alliance_id.eq_any(host_alliances))
        .filter(alliance_members::organization_id.eq_any(crate::ancestor_ids!(cohost_org.to_owned())))
        .count()
        .get_result(conn)?;
    Ok(shared > 0)
}
