//! The caller's visibility as SQL fragments (DESIGN.md §2). Every query of a record applies
//! one of these in its WHERE clause; nothing is filtered after loading.
//!
//! - own organization and descendants: `owner IN subtree_ids!(org)`;
//! - records shared with an alliance where the caller's organization or an ancestor is an
//!   active member: `alliance IN active_alliance_ids!(org)`.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::StoreResult;

/// The caller's position, computed once per request: its organization (whose subtree is a
/// closure-table subquery) and the alliances in which it or an ancestor is an active member.
#[derive(Debug, Clone)]
pub struct Visibility {
    pub organization_id: String,
    /// The platform operator reads everything.
    pub all: bool,
    /// Alliances whose shared records the caller reads.
    pub alliance_ids: Vec<String>,
}

impl Visibility {
    pub fn load(conn: &mut DbConn, caller: &zs_domain::auth::Caller) -> StoreResult<Self> {
        let alliance_ids = crate::schema::alliance_members::table
            .filter(crate::schema::alliance_members::state.eq("active"))
            .filter(
                crate::schema::alliance_members::organization_id
                    .eq_any(crate::ancestor_ids!(caller.organization_id.clone())),
            )
            .select(crate::schema::alliance_members::alliance_id)
            .distinct()
            .load(conn)?;
        Ok(Visibility { organization_id: caller.organization_id.clone(), all: caller.is_sysadmin(), alliance_ids })
    }
}

/// Ids of the organization and all its descendants (closure table, indexed).
#[macro_export]
macro_rules! subtree_ids {
    ($org:expr) => {
        $crate::schema::org_closure::table
            .filter($crate::schema::org_closure::ancestor_id.eq($org))
            .select($crate::schema::org_closure::descendant_id)
    };
}

/// Ids of the organization and all its ancestors.
#[macro_export]
macro_rules! ancestor_ids {
    ($org:expr) => {
        $crate::schema::org_closure::table
            .filter($crate::schema::org_closure::descendant_id.eq($org))
            .select($crate::schema::org_closure::ancestor_id)
    };
}
