//! Organizations: the tree, its closure table, and who may see and change what.

use diesel::prelude::*;
use zs_domain::auth::Caller;
use zs_domain::org::{child_level_allowed, OrgLevel, Organization, RegionCode};
use zs_domain::DomainError;

use crate::db::{is_unique_violation, DbConn, MultiBackend};
use crate::page::{cursor_for, ListOrder, Page, PageRequest};
use crate::schema::{alliance_members, org_closure, organizations};
use crate::scope::Visibility;
use crate::{ancestor_ids, check_version, keyset, new_id, now, subtree_ids, utc, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organizations)]
pub struct OrgRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub level: String,
    pub name: String,
    pub short_code: String,
    pub region_code: String,
    pub time_zone: String,
    pub version: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl OrgRow {
    fn into_domain(self) -> Organization {
        Organization {
            level: OrgLevel::parse(&self.level).unwrap_or(OrgLevel::Department),
            id: self.id,
            parent_id: self.parent_id,
            name: self.name,
            short_code: self.short_code,
            region_code: self.region_code,
            time_zone: self.time_zone,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

/// A new organization, parsed.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub id: Option<String>,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    pub name: String,
    pub short_code: String,
    pub region_code: RegionCode,
    pub time_zone: String,
}

/// Changes to an organization; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub short_code: Option<String>,
    pub region_code: Option<RegionCode>,
    pub time_zone: Option<String>,
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub parent_id: Option<String>,
    pub level: Option<OrgLevel>,
    /// Only this organization and its descendants.
    pub within: Option<String>,
    pub updated_since: Option<chrono::NaiveDateTime>,
}

/// Organizations the caller sees: its subtree, its ancestors (their names and codes, so a team
/// knows its chain), and fellow active members of its alliances.
fn visible(vis: &Visibility) -> organizations::BoxedQuery<'static, MultiBackend> {
    let q = organizations::table.into_boxed();
    if vis.all {
        return q;
    }
    let org = vis.organization_id.clone();
    q.filter(
        organizations::id
            .eq_any(subtree_ids!(org.clone()))
            .or(organizations::id.eq_any(ancestor_ids!(org.clone())))
            .or(organizations::id.eq_any(
                alliance_members::table
                    .filter(alliance_members::state.eq("active"))
                    .filter(alliance_members::alliance_id.eq_any(vis.alliance_ids.clone()))
                    .select(alliance_members::organization_id),
            )),
    )
}

/// Whether `org` is `ancestor` or one of its descendants.
pub fn in_subtree(conn: &mut DbConn, ancestor: &str, org: &str) -> StoreResult<bool> {
    let n: i64 = org_closure::table
        .filter(org_closure::ancestor_id.eq(ancestor))
        .filter(org_closure::descendant_id.eq(org))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether the caller administers `org`: a sysadmin, or an org admin of it or a superior.
pub fn administers(conn: &mut DbConn, caller: &Caller, org: &str) -> StoreResult<bool> {
    if caller.is_sysadmin() {
        return Ok(true);
    }
    Ok(caller.is_admin() && in_subtree(conn, &caller.organization_id, org)?)
}

pub fn get(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<Organization> {
    visible(vis)
        .filter(organizations::id.eq(id.to_owned()))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?
        .map(OrgRow::into_domain)
        .ok_or_else(|| DomainError::NotFound.into())
}

/// Whether an organization exists at all (for references that do not need visibility).
pub fn exists(conn: &mut DbConn, id: &str) -> StoreResult<bool> {
    let n: i64 = organizations::table.filter(organizations::id.eq(id)).count().get_result(conn)?;
    Ok(n > 0)
}

pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    filter: &OrgFilter,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<Organization>> {
    let mut q = visible(vis);
    if let Some(p) = &filter.parent_id {
        q = q.filter(organizations::parent_id.eq(p.clone()));
    }
    if let Some(l) = filter.level {
        q = q.filter(organizations::level.eq(l.as_str()));
    }
    if let Some(w) = &filter.within {
        q = q.filter(organizations::id.eq_any(subtree_ids!(w.clone())));
    }
    if let Some(ts) = filter.updated_since {
        q = q.filter(organizations::updated_at.ge(ts));
    }
    let q = keyset!(q, organizations::id, organizations::updated_at, order, &page.after);
    let rows: Vec<OrgRow> = q.limit(page.limit + 1).select(OrgRow::as_select()).load(conn)?;
    Ok(Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at)).map(OrgRow::into_domain))
}

fn short_code_taken(conn: &mut DbConn, code: &str, except: Option<&str>) -> StoreResult<bool> {
    let mut q = organizations::table.filter(organizations::short_code.eq(code.to_owned())).into_boxed();
    if let Some(id) = except {
        q = q.filter(organizations::id.ne(id.to_owned()));
    }
    let n: i64 = q.count().get_result(conn)?;
    Ok(n > 0)
}

pub fn create(conn: &mut DbConn, caller: &Caller, cmd: NewOrganization) -> StoreResult<Organization> {
    if !caller.is_admin() {
        return Err(DomainError::forbidden("only an org admin or sysadmin creates organizations").into());
    }
    match &cmd.parent_id {
        None if !caller.is_sysadmin() => {
            return Err(DomainError::forbidden("only a sysadmin creates top-level organizations").into());
        }
        None => {}
        Some(parent_id) => {
            let vis = Visibility::load(conn, caller)?;
            let parent = get(conn, &vis, parent_id)?;
            if !administers(conn, caller, parent_id)? {
                return Err(DomainError::forbidden(
                    "children are created under your own organization or its descendants",
                )
                .into());
            }
            if !child_level_allowed(parent.level, cmd.level) {
                return Err(DomainError::invalid(
                    "/level",
                    "level",
                    format!("a {} cannot be placed under a {}", cmd.level, parent.level),
                )
                .into());
            }
        }
    }
    let id = cmd.id.unwrap_or_else(new_id);
    if exists(conn, &id)? {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("organization {id} already exists")).into());
    }
    if short_code_taken(conn, &cmd.short_code, None)? {
        return Err(DomainError::conflict(
            "SHORT_CODE_TAKEN",
            format!("short code {} is already used", cmd.short_code),
        )
        .into());
    }
    let t = now();
    let row = OrgRow {
        id: id.clone(),
        parent_id: cmd.parent_id.clone(),
        level: cmd.level.as_str().to_owned(),
        name: cmd.name,
        short_code: cmd.short_code,
        region_code: cmd.region_code.as_str().to_owned(),
        time_zone: cmd.time_zone,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(organizations::table).values(&row).execute(conn).map_err(|e| {
        if is_unique_violation(&e) {
            DomainError::conflict("ALREADY_EXISTS", "organization id or short code already exists").into()
        } else {
            crate::StoreError::Db(e)
        }
    })?;
    // Closure: itself at depth 0, and every ancestor of the parent one level deeper.
    let mut closure: Vec<(String, String, i32)> = vec![(id.clone(), id.clone(), 0)];
    if let Some(parent_id) = &cmd.parent_id {
        let ancestors: Vec<(String, i32)> = org_closure::table
            .filter(org_closure::descendant_id.eq(parent_id))
            .select((org_closure::ancestor_id, org_closure::depth))
            .load(conn)?;
        closure.extend(ancestors.into_iter().map(|(a, d)| (a, id.clone(), d + 1)));
    }
    for (a, d, depth) in closure {
        diesel::insert_into(org_closure::table)
            .values((org_closure::ancestor_id.eq(a), org_closure::descendant_id.eq(d), org_closure::depth.eq(depth)))
            .execute(conn)?;
    }
    Ok(row.into_domain())
}

pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: OrganizationPatch,
    if_match: Option<i64>,
) -> StoreResult<Organization> {
    crate::db::lock_row(conn, "organizations", id)?;
    let vis = Visibility::load(conn, caller)?;
    let current = get(conn, &vis, id)?;
    if !administers(conn, caller, id)? {
        return Err(DomainError::forbidden("only an org admin of this organization or a superior edits it").into());
    }
    check_version(if_match, current.version)?;
    if let Some(code) = &patch.short_code {
        if short_code_taken(conn, code, Some(id))? {
            return Err(DomainError::conflict("SHORT_CODE_TAKEN", format!("short code {code} is already used")).into());
        }
    }
    let t = now();
    diesel::update(organizations::table.filter(organizations::id.eq(id)))
        .set((
            organizations::name.eq(patch.name.unwrap_or(current.name)),
            organizations::short_code.eq(patch.short_code.unwrap_or(current.short_code)),
            organizations::region_code
                .eq(patch.region_code.map(|r| r.as_str().to_owned()).unwrap_or(current.region_code)),
            organizations::time_zone.eq(patch.time_zone.unwrap_or(current.time_zone)),
            organizations::version.eq(current.version + 1),
            organizations::updated_at.eq(t),
        ))
        .execute(conn)?;
    get(conn, &vis, id)
}
