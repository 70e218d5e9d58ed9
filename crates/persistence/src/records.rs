//! What every owned record shares: the caller's relation to its owner, the write rule of
//! DESIGN.md §2, and sharing with alliances of the owner.

use diesel::prelude::*;
use zs_domain::auth::{may_edit_records, Caller, Relation, Scope};
use zs_domain::DomainError;

use crate::db::DbConn;
use crate::schema::{alliance_members, enterprises, projects, shares};
use crate::scope::Visibility;
use crate::{now, StoreResult};

/// How the caller's organization relates to `owner`.
pub fn relation(conn: &mut DbConn, caller: &Caller, owner: &str) -> StoreResult<Relation> {
    if caller.organization_id == owner {
        return Ok(Relation::Own);
    }
    if crate::orgs::in_subtree(conn, &caller.organization_id, owner)? {
        return Ok(Relation::Superior);
    }
    Ok(Relation::Other)
}

/// Refuses (403) a caller who may not create or change records owned by `owner`.
pub fn check_write(conn: &mut DbConn, caller: &Caller, owner: &str, scope: Scope) -> StoreResult<()> {
    let rel = relation(conn, caller, owner)?;
    if may_edit_records(caller, rel, scope) {
        Ok(())
    } else {
        Err(DomainError::forbidden(match rel {
            Relation::Other => "alliance partners and other organizations only read this record",
            Relation::Superior => "only leaders and org admins of a superior act on a subordinate's records",
            Relation::Own => "your roles do not allow changing these records",
        })
        .into())
    }
}

/// Whether the caller sees a record shared with an alliance: an owned record is visible when
/// its owner is in the caller's subtree or it is shared with one of `vis.alliance_ids`.
/// Expands to a boolean SQL expression over `$owner` and `$id`.
#[macro_export]
macro_rules! owned_or_shared {
    ($owner:expr, $id:expr, $kind:expr, $vis:expr) => {
        $owner.eq_any($crate::subtree_ids!($vis.organization_id.clone())).or($id.eq_any(
            $crate::schema::shares::table
                .filter($crate::schema::shares::record_kind.eq($kind))
                .filter($crate::schema::shares::alliance_id.eq_any($vis.alliance_ids.clone()))
                .select($crate::schema::shares::record_id),
        ))
    };
}

/// The alliances a record is shared with.
pub fn shared_with(conn: &mut DbConn, kind: &str, ids: &[String]) -> StoreResult<Vec<(String, String)>> {
    Ok(shares::table
        .filter(shares::record_kind.eq(kind))
        .filter(shares::record_id.eq_any(ids))
        .order((shares::record_id, shares::alliance_id))
        .select((shares::record_id, shares::alliance_id))
        .load(conn)?)
}

/// A record that can be shared: its kind (`project`, `enterprise`), id and owner organization.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub owner: &'a str,
}

/// Shares a record with an alliance in which its owner is an active member. Sharing again
/// is harmless. The caller must be allowed to change the record.
pub fn share(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    record: RecordRef<'_>,
    alliance_id: &str,
    scope: Scope,
) -> StoreResult<()> {
    let RecordRef { kind, id: record_id, owner } = record;
    check_write(conn, caller, owner, scope)?;
    crate::alliances::get(conn, vis, alliance_id)?;
    let active: i64 = alliance_members::table
        .filter(alliance_members::alliance_id.eq(alliance_id))
        .filter(alliance_members::organization_id.eq(owner))
        .filter(alliance_members::state.eq("active"))
        .count()
        .get_result(conn)?;
    if active == 0 {
        return Err(DomainError::conflict(
            "NOT_AN_ALLIANCE_MEMBER",
            "a record is shared only with alliances in which its owner organization is an active member",
        )
        .into());
    }
    let exists: i64 = shares::table
        .filter(shares::record_kind.eq(kind))
        .filter(shares::record_id.eq(record_id))
        .filter(shares::alliance_id.eq(alliance_id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(shares::table)
            .values((
                shares::record_kind.eq(kind),
                shares::record_id.eq(record_id),
                shares::alliance_id.eq(alliance_id),
                shares::shared_by.eq(&caller.principal_id),
                shares::shared_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Ends a share; 404 when the record was not shared with that alliance.
pub fn unshare(
    conn: &mut DbConn,
    caller: &Caller,
    record: RecordRef<'_>,
    alliance_id: &str,
    scope: Scope,
) -> StoreResult<()> {
    let RecordRef { kind, id: record_id, owner } = record;
    check_write(conn, caller, owner, scope)?;
    let n = diesel::delete(
        shares::table
            .filter(shares::record_kind.eq(kind))
            .filter(shares::record_id.eq(record_id))
            .filter(shares::alliance_id.eq(alliance_id)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(DomainError::NotFound.into());
    }
    Ok(())
}

/// Ends every share in `alliance_id` of records owned by `owner` (it left or was removed).
pub fn unshare_all_of_owner(conn: &mut DbConn, alliance_id: &str, owner: &str) -> StoreResult<()> {
    let owned_projects =
        projects::table.filter(projects::owner_organization_id.eq(owner.to_owned())).select(projects::id);
    let owned_enterprises =
        enterprises::table.filter(enterprises::owner_organization_id.eq(owner.to_owned())).select(enterprises::id);
    diesel::delete(
        shares::table
            .filter(shares::alliance_id.eq(alliance_id))
            .filter(shares::record_id.eq_any(owned_projects).or(shares::record_id.eq_any(owned_enterprises))),
    )
    .execute(conn)?;
    Ok(())
}
