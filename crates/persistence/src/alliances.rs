//! Alliances and memberships. Nothing is shared with an organization until it accepts;
//! leaving or removal ends visibility at once (visibility reads `state = 'active'`).

use std::collections::HashMap;

use diesel::prelude::*;
use zs_domain::alliance::{next_membership_state, Alliance, Membership, MembershipAction, MembershipState};
use zs_domain::auth::Caller;
use zs_domain::DomainError;

use crate::db::{DbConn, MultiBackend};
use crate::orgs::administers;
use crate::page::{cursor_for, ListOrder, Page, PageRequest};
use crate::schema::{alliance_members, alliances, organizations};
use crate::scope::Visibility;
use crate::{check_version, keyset, new_id, now, subtree_ids, utc, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = alliances)]
pub struct AllianceRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub founder_organization_id: String,
    pub version: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

type MemberRow = (
    String,
    String,
    String,
    String,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
);

fn with_members(conn: &mut DbConn, rows: Vec<AllianceRow>) -> StoreResult<Vec<Alliance>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let members: Vec<MemberRow> = alliance_members::table
        .inner_join(organizations::table)
        .filter(alliance_members::alliance_id.eq_any(&ids))
        .order((alliance_members::alliance_id, alliance_members::invited_at, alliance_members::organization_id))
        .select((
            alliance_members::alliance_id,
            alliance_members::organization_id,
            organizations::name,
            alliance_members::state,
            alliance_members::invited_at,
            alliance_members::joined_at,
            alliance_members::ended_at,
        ))
        .load(conn)?;
    let mut by_alliance: HashMap<String, Vec<Membership>> = HashMap::new();
    for (a, org, name, state, invited, joined, ended) in members {
        by_alliance.entry(a).or_default().push(Membership {
            organization_id: org,
            organization_name: name,
            state: MembershipState::parse(&state).unwrap_or(MembershipState::Removed),
            invited_at: utc(invited),
            joined_at: joined.map(utc),
            ended_at: ended.map(utc),
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| Alliance {
            members: by_alliance.remove(&r.id).unwrap_or_default(),
            id: r.id,
            name: r.name,
            description: r.description,
            founder_organization_id: r.founder_organization_id,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
        .collect())
}

/// Alliances the caller sees: those with a current membership (invited, so the invitation can
/// be read and accepted, or active) of an organization in its subtree, and those its ancestors
/// are active in. An organization that left or was removed no longer sees the alliance.
fn visible(vis: &Visibility) -> alliances::BoxedQuery<'static, MultiBackend> {
    let q = alliances::table.into_boxed();
    if vis.all {
        return q;
    }
    let org = vis.organization_id.clone();
    q.filter(
        alliances::id
            .eq_any(
                alliance_members::table
                    .filter(alliance_members::organization_id.eq_any(subtree_ids!(org.clone())))
                    .filter(
                        alliance_members::state
                            .eq_any([MembershipState::Invited.as_str(), MembershipState::Active.as_str()]),
                    )
                    .select(alliance_members::alliance_id),
            )
            .or(alliances::id.eq_any(vis.alliance_ids.clone())),
    )
}

pub fn get(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<Alliance> {
    let row = visible(vis)
        .filter(alliances::id.eq(id.to_owned()))
        .select(AllianceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::NotFound)?;
    with_members(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

#[derive(Debug, Clone, Default)]
pub struct AllianceFilter {
    /// Alliances in which this organization has a membership in the given state (any state when
    /// `state` is `None`).
    pub member_organization_id: Option<String>,
    pub state: Option<MembershipState>,
    pub updated_since: Option<chrono::NaiveDateTime>,
}

pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    filter: &AllianceFilter,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<Alliance>> {
    let mut q = visible(vis);
    let members = alliance_members::table.select(alliance_members::alliance_id);
    match (&filter.member_organization_id, filter.state) {
        (Some(o), Some(s)) => {
            q = q.filter(
                alliances::id.eq_any(
                    members
                        .filter(alliance_members::organization_id.eq(o.clone()))
                        .filter(alliance_members::state.eq(s.as_str())),
                ),
            )
        }
        (Some(o), None) => {
            q = q.filter(alliances::id.eq_any(members.filter(alliance_members::organization_id.eq(o.clone()))))
        }
        (None, Some(s)) => q = q.filter(alliances::id.eq_any(members.filter(alliance_members::state.eq(s.as_str())))),
        (None, None) => {}
    }
    if let Some(ts) = filter.updated_since {
        q = q.filter(alliances::updated_at.ge(ts));
    }
    let q = keyset!(q, alliances::id, alliances::updated_at, order, &page.after);
    let rows: Vec<AllianceRow> = q.limit(page.limit + 1).select(AllianceRow::as_select()).load(conn)?;
    let p = Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at));
    let items = with_members(conn, p.items)?;
    Ok(Page { items, next: p.next })
}

#[derive(Debug, Clone)]
pub struct NewAlliance {
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub founder_organization_id: String,
}

pub fn create(conn: &mut DbConn, caller: &Caller, cmd: NewAlliance) -> StoreResult<Alliance> {
    let vis = Visibility::load(conn, caller)?;
    crate::orgs::get(conn, &vis, &cmd.founder_organization_id)?;
    if !administers(conn, caller, &cmd.founder_organization_id)? {
        return Err(DomainError::forbidden("only an org admin of the founding organization creates an alliance").into());
    }
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = alliances::table.filter(alliances::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("alliance {id} already exists")).into());
    }
    let t = now();
    let row = AllianceRow {
        id: id.clone(),
        name: cmd.name,
        description: cmd.description,
        founder_organization_id: cmd.founder_organization_id.clone(),
        version: 1,
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(alliances::table).values(&row).execute(conn)?;
    diesel::insert_into(alliance_members::table)
        .values((
            alliance_members::alliance_id.eq(&id),
            alliance_members::organization_id.eq(&cmd.founder_organization_id),
            alliance_members::state.eq(MembershipState::Active.as_str()),
            alliance_members::invited_at.eq(t),
            alliance_members::joined_at.eq(Some(t)),
            alliance_members::updated_at.eq(t),
        ))
        .execute(conn)?;
    with_members(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

#[derive(Debug, Clone, Default)]
pub struct AlliancePatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: AlliancePatch,
    if_match: Option<i64>,
) -> StoreResult<Alliance> {
    crate::db::lock_row(conn, "alliances", id)?;
    let vis = Visibility::load(conn, caller)?;
    let current = get(conn, &vis, id)?;
    if !administers(conn, caller, &current.founder_organization_id)? {
        return Err(DomainError::forbidden("only an org admin of the founding organization edits the alliance").into());
    }
    check_version(if_match, current.version)?;
    diesel::update(alliances::table.filter(alliances::id.eq(id)))
        .set((
            alliances::name.eq(patch.name.unwrap_or(current.name)),
            alliances::description.eq(patch.description.unwrap_or(current.description)),
            alliances::version.eq(current.version + 1),
            alliances::updated_at.eq(now()),
        ))
        .execute(conn)?;
    get(conn, &vis, id)
}

/// Invites, accepts, leaves or removes a membership; returns the alliance afterwards.
/// Invite and remove are the founder's admin's; accept and leave the member's admin's.
pub fn change_membership(
    conn: &mut DbConn,
    caller: &Caller,
    alliance_id: &str,
    organization_id: &str,
    action: MembershipAction,
) -> StoreResult<Alliance> {
    let vis = Visibility::load(conn, caller)?;
    crate::db::lock_row(conn, "alliances", alliance_id)?;
    let alliance = get(conn, &vis, alliance_id)?;
    let current = alliance.members.iter().find(|m| m.organization_id == organization_id).map(|m| m.state);
    let acting_for = match action {
        MembershipAction::Invite | MembershipAction::Remove => alliance.founder_organization_id.clone(),
        MembershipAction::Accept | MembershipAction::Leave => organization_id.to_owned(),
    };
    if action == MembershipAction::Invite && !crate::orgs::exists(conn, organization_id)? {
        return Err(DomainError::NotFound.into());
    }
    if current.is_none() && action != MembershipAction::Invite {
        return Err(DomainError::NotFound.into());
    }
    if !administers(conn, caller, &acting_for)? {
        let who = match action {
            MembershipAction::Invite | MembershipAction::Remove => "the founding organization",
            MembershipAction::Accept | MembershipAction::Leave => "the member organization",
        };
        return Err(DomainError::forbidden(format!("only an org admin of {who} may do this")).into());
    }
    let is_founder = organization_id == alliance.founder_organization_id;
    let next = next_membership_state(current, action, is_founder)?;
    let t = now();
    if current.is_none() {
        diesel::insert_into(alliance_members::table)
            .values((
                alliance_members::alliance_id.eq(alliance_id),
                alliance_members::organization_id.eq(organization_id),
                alliance_members::state.eq(next.as_str()),
                alliance_members::invited_at.eq(t),
                alliance_members::updated_at.eq(t),
            ))
            .execute(conn)?;
    } else {
        let target = alliance_members::table
            .filter(alliance_members::alliance_id.eq(alliance_id))
            .filter(alliance_members::organization_id.eq(organization_id));
        match next {
            MembershipState::Invited => diesel::update(target)
                .set((
                    alliance_members::state.eq(next.as_str()),
                    alliance_members::invited_at.eq(t),
                    alliance_members::joined_at.eq(None::<chrono::NaiveDateTime>),
                    alliance_members::ended_at.eq(None::<chrono::NaiveDateTime>),
                    alliance_members::updated_at.eq(t),
                ))
                .execute(conn)?,
            MembershipState::Active => diesel::update(target)
                .set((
                    alliance_members::state.eq(next.as_str()),
                    alliance_members::joined_at.eq(Some(t)),
                    alliance_members::updated_at.eq(t),
                ))
                .execute(conn)?,
            MembershipState::Left | MembershipState::Removed => diesel::update(target)
                .set((
                    alliance_members::state.eq(next.as_str()),
                    alliance_members::ended_at.eq(Some(t)),
                    alliance_members::updated_at.eq(t),
                ))
                .execute(conn)?,
        };
    }
    if matches!(next, MembershipState::Left | MembershipState::Removed) {
        // Leaving ends sharing at once: the organization's records leave the alliance.
        crate::records::unshare_all_of_owner(conn, alliance_id, organization_id)?;
    }
    diesel::update(alliances::table.filter(alliances::id.eq(alliance_id)))
        .set((alliances::version.eq(alliance.version + 1), alliances::updated_at.eq(t)))
        .execute(conn)?;
    // The caller may have just left: read without visibility.
    let row = alliances::table.filter(alliances::id.eq(alliance_id)).select(AllianceRow::as_select()).first(conn)?;
    with_members(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}
