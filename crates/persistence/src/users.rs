//! Users and service accounts: who they are, their roles and scopes, login bookkeeping,
//! and loading the caller of a request.

use std::collections::HashMap;

use diesel::prelude::*;
use zs_domain::auth::{may_grant, Caller, PrincipalKind, Role, Scope};
use zs_domain::user::{ServiceAccount, User};
use zs_domain::DomainError;

use crate::db::{is_unique_violation, DbConn, MultiBackend};
use crate::orgs::administers;
use crate::page::{cursor_for, ListOrder, Page, PageRequest};
use crate::schema::{service_account_scopes, service_accounts, user_roles, users};
use crate::scope::Visibility;
use crate::{check_version, keyset, new_id, now, subtree_ids, utc, StoreError, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub organization_id: String,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<chrono::NaiveDateTime>,
    pub version: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

fn roles_of(conn: &mut DbConn, ids: &[String]) -> StoreResult<HashMap<String, Vec<Role>>> {
    let rows: Vec<(String, String)> = user_roles::table
        .filter(user_roles::user_id.eq_any(ids))
        .select((user_roles::user_id, user_roles::role))
        .load(conn)?;
    let mut map: HashMap<String, Vec<Role>> = HashMap::new();
    for (u, r) in rows {
        if let Some(role) = Role::parse(&r) {
            map.entry(u).or_default().push(role);
        }
    }
    for v in map.values_mut() {
        v.sort();
    }
    Ok(map)
}

fn to_users(conn: &mut DbConn, rows: Vec<UserRow>) -> StoreResult<Vec<User>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut roles = roles_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| User {
            roles: roles.remove(&r.id).unwrap_or_default(),
            id: r.id,
            organization_id: r.organization_id,
            username: r.username,
            display_name: r.display_name,
            phone: r.phone,
            email: r.email,
            disabled: r.disabled,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
        .collect())
}

/// Users the caller sees: those of its organization and descendants (a superior's users are
/// its own business).
fn visible(vis: &Visibility) -> users::BoxedQuery<'static, MultiBackend> {
    let q = users::table.into_boxed();
    if vis.all {
        q
    } else {
        q.filter(users::organization_id.eq_any(subtree_ids!(vis.organization_id.clone())))
    }
}

pub fn get(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<User> {
    let row = visible(vis)
        .filter(users::id.eq(id.to_owned()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::NotFound)?;
    to_users(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// A new user, parsed; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Option<String>,
    pub organization_id: String,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    pub roles: Vec<Role>,
}

/// Changes to a user; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Users of this organization and its descendants.
    pub organization_id: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub updated_since: Option<chrono::NaiveDateTime>,
}

pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    filter: &UserFilter,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<User>> {
    let mut q = visible(vis);
    if let Some(o) = &filter.organization_id {
        q = q.filter(users::organization_id.eq_any(subtree_ids!(o.clone())));
    }
    if let Some(r) = filter.role {
        q = q.filter(
            users::id.eq_any(user_roles::table.filter(user_roles::role.eq(r.as_str())).select(user_roles::user_id)),
        );
    }
    if let Some(d) = filter.disabled {
        q = q.filter(users::disabled.eq(d));
    }
    if let Some(ts) = filter.updated_since {
        q = q.filter(users::updated_at.ge(ts));
    }
    let q = keyset!(q, users::id, users::updated_at, order, &page.after);
    let rows: Vec<UserRow> = q.limit(page.limit + 1).select(UserRow::as_select()).load(conn)?;
    let page_rows = Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at));
    let items = to_users(conn, page_rows.items)?;
    Ok(Page { items, next: page_rows.next })
}

fn check_grants(caller: &Caller, roles: &[Role]) -> Result<(), DomainError> {
    match roles.iter().find(|r| !may_grant(caller, **r)) {
        Some(r) => Err(DomainError::forbidden(format!("you may not grant the role {r}"))),
        None => Ok(()),
    }
}

fn insert_roles(conn: &mut DbConn, user_id: &str, roles: &[Role]) -> StoreResult<()> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    for r in roles {
        diesel::insert_into(user_roles::table)
            .values((user_roles::user_id.eq(user_id), user_roles::role.eq(r.as_str())))
            .execute(conn)?;
    }
    Ok(())
}

/// Creates a user. `caller` is `None` only for the command line and demo seeding.
pub fn create(conn: &mut DbConn, caller: Option<&Caller>, cmd: NewUser) -> StoreResult<User> {
    if let Some(caller) = caller {
        let vis = Visibility::load(conn, caller)?;
        crate::orgs::get(conn, &vis, &cmd.organization_id)?;
        if !administers(conn, caller, &cmd.organization_id)? {
            return Err(DomainError::forbidden(
                "only an org admin of the organization or a superior creates its users",
            )
            .into());
        }
        check_grants(caller, &cmd.roles)?;
    } else if !crate::orgs::exists(conn, &cmd.organization_id)? {
        return Err(DomainError::invalid("/organization_id", "not_found", "no such organization").into());
    }
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 =
        users::table.filter(users::id.eq(&id).or(users::username.eq(&cmd.username))).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", "a user with this id or username already exists").into());
    }
    let t = now();
    let row = UserRow {
        id: id.clone(),
        organization_id: cmd.organization_id,
        username: cmd.username,
        display_name: cmd.display_name,
        phone: cmd.phone,
        email: cmd.email,
        password_hash: cmd.password_hash,
        disabled: false,
        failed_logins: 0,
        locked_until: None,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(users::table).values(&row).execute(conn).map_err(|e| {
        if is_unique_violation(&e) {
            DomainError::conflict("ALREADY_EXISTS", "a user with this id or username already exists").into()
        } else {
            StoreError::Db(e)
        }
    })?;
    insert_roles(conn, &id, &cmd.roles)?;
    to_users(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: UserPatch,
    if_match: Option<i64>,
) -> StoreResult<User> {
    crate::db::lock_row(conn, "users", id)?;
    let vis = Visibility::load(conn, caller)?;
    let current = get(conn, &vis, id)?;
    if !administers(conn, caller, &current.organization_id)? {
        return Err(
            DomainError::forbidden("only an org admin of the user's organization or a superior edits users").into()
        );
    }
    // A user holding a role the caller may not grant is beyond the caller: an org admin cannot
    // demote, disable, reset the password of, or otherwise change a platform operator.
    if current.roles.iter().any(|r| !may_grant(caller, *r)) {
        return Err(DomainError::forbidden("you may not change a user holding a role you may not grant").into());
    }
    check_version(if_match, current.version)?;
    if let Some(roles) = &patch.roles {
        check_grants(caller, roles)?;
        if current.id == caller.principal_id && !roles.contains(&Role::OrgAdmin) && !roles.contains(&Role::Sysadmin) {
            return Err(
                DomainError::conflict("SELF_DEMOTION", "you cannot take your own administrator role away").into()
            );
        }
    }
    if patch.disabled == Some(true) && current.id == caller.principal_id {
        return Err(DomainError::conflict("SELF_DISABLE", "you cannot disable your own account").into());
    }
    let t = now();
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::display_name.eq(patch.display_name.unwrap_or(current.display_name)),
            users::phone.eq(patch.phone.unwrap_or(current.phone)),
            users::email.eq(patch.email.unwrap_or(current.email)),
            users::disabled.eq(patch.disabled.unwrap_or(current.disabled)),
            users::version.eq(current.version + 1),
            users::updated_at.eq(t),
        ))
        .execute(conn)?;
    if let Some(hash) = patch.password_hash {
        diesel::update(users::table.filter(users::id.eq(id)))
            .set((
                users::password_hash.eq(hash),
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(conn)?;
        // A reset password ends every session: whoever held the old one is logged out.
        crate::tokens::revoke_all_for_user(conn, id, t)?;
    }
    if let Some(roles) = patch.roles {
        diesel::delete(user_roles::table.filter(user_roles::user_id.eq(id))).execute(conn)?;
        insert_roles(conn, id, &roles)?;
    }
    if patch.disabled == Some(true) {
        crate::tokens::revoke_all_for_user(conn, id, t)?;
    }
    get(conn, &vis, id)
}

/// What login needs to know of an account.
#[derive(Debug, Clone)]
pub struct LoginAccount {
    pub id: String,
    pub password_hash: String,
    pub disabled: bool,
    pub locked_until: Option<chrono::NaiveDateTime>,
}

pub fn find_for_login(conn: &mut DbConn, username: &str) -> StoreResult<Option<LoginAccount>> {
    let row: Option<(String, String, bool, Option<chrono::NaiveDateTime>)> = users::table
        .filter(users::username.eq(username))
        .select((users::id, users::password_hash, users::disabled, users::locked_until))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, password_hash, disabled, locked_until)| LoginAccount {
        id,
        password_hash,
        disabled,
        locked_until,
    }))
}

/// Whether a login attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginAttempt {
    /// Claimed and counted as a failure until [`crate::users::record_login_success`] clears it.
    Claimed,
    /// The account is locked until this instant.
    Locked { until: chrono::NaiveDateTime },
    /// No such account (any more).
    Unknown,
}

/// Claims one login attempt of `user_id` *before* its password is checked: counts it as a
/// failure and, at the `max_failures`-th, locks the account for `lock`; refuses while locked.
/// The check and the count are one conditional `UPDATE` (a row lock on PostgreSQL, the write
/// lock on SQLite), so parallel guesses get no more password checks than sequential ones.
/// Run in a write transaction.
pub fn claim_login_attempt(
    conn: &mut DbConn,
    user_id: &str,
    now: chrono::NaiveDateTime,
    max_failures: i32,
    lock: chrono::Duration,
) -> StoreResult<LoginAttempt> {
    let unlocked = users::locked_until.is_null().or(users::locked_until.le(now));
    let n = diesel::update(users::table.filter(users::id.eq(user_id)).filter(unlocked))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .execute(conn)?;
    if n == 0 {
        let until: Option<Option<chrono::NaiveDateTime>> =
            users::table.filter(users::id.eq(user_id)).select(users::locked_until).first(conn).optional()?;
        return Ok(match until {
            Some(Some(until)) => LoginAttempt::Locked { until },
            // Unlocked yet not updated: it cannot be; answer as for a vanished account.
            Some(None) | None => LoginAttempt::Unknown,
        });
    }
    let failures: i32 = users::table.filter(users::id.eq(user_id)).select(users::failed_logins).first(conn)?;
    if failures >= max_failures {
        diesel::update(users::table.filter(users::id.eq(user_id)))
            .set((users::locked_until.eq(Some(now + lock)), users::failed_logins.eq(0)))
            .execute(conn)?;
    }
    Ok(LoginAttempt::Claimed)
}

pub fn record_login_success(conn: &mut DbConn, user_id: &str) -> StoreResult<()> {
    diesel::update(users::table.filter(users::id.eq(user_id)))
        .set((users::failed_logins.eq(0), users::locked_until.eq(None::<chrono::NaiveDateTime>)))
        .execute(conn)?;
    Ok(())
}

/// Loads the caller of a request; `None` when the account is gone or disabled.
pub fn load_caller(
    conn: &mut DbConn,
    kind: PrincipalKind,
    id: &str,
    token_scopes: &[Scope],
) -> StoreResult<Option<Caller>> {
    match kind {
        PrincipalKind::User => {
            let row: Option<(String, bool)> = users::table
                .filter(users::id.eq(id))
                .select((users::organization_id, users::disabled))
                .first(conn)
                .optional()?;
            let Some((org, false)) = row else { return Ok(None) };
            let roles = roles_of(conn, &[id.to_owned()])?.remove(id).unwrap_or_default();
            Ok(Some(Caller {
                principal_id: id.to_owned(),
                kind,
                organization_id: org,
                roles,
                scopes: Scope::ALL.to_vec(),
            }))
        }
        PrincipalKind::Service => {
            let Some(acct) = find_service_account(conn, id)? else { return Ok(None) };
            if acct.disabled {
                return Ok(None);
            }
            let scopes = acct.scopes.iter().copied().filter(|s| token_scopes.contains(s)).collect();
            Ok(Some(Caller {
                principal_id: id.to_owned(),
                kind,
                organization_id: acct.organization_id,
                roles: vec![],
                scopes,
            }))
        }
    }
}

// ---- service accounts ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_accounts)]
pub struct ServiceAccountRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub client_id: String,
    pub secret_hash: String,
    pub disabled: bool,
    pub version: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

fn to_accounts(conn: &mut DbConn, rows: Vec<ServiceAccountRow>) -> StoreResult<Vec<ServiceAccount>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let scope_rows: Vec<(String, String)> = service_account_scopes::table
        .filter(service_account_scopes::service_account_id.eq_any(&ids))
        .select((service_account_scopes::service_account_id, service_account_scopes::scope))
        .load(conn)?;
    let mut scopes: HashMap<String, Vec<Scope>> = HashMap::new();
    for (a, s) in scope_rows {
        if let Some(s) = Scope::parse(&s) {
            scopes.entry(a).or_default().push(s);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut sc = scopes.remove(&r.id).unwrap_or_default();
            sc.sort();
            ServiceAccount {
                scopes: sc,
                id: r.id,
                organization_id: r.organization_id,
                name: r.name,
                client_id: r.client_id,
                disabled: r.disabled,
                version: r.version,
                created_at: utc(r.created_at),
                updated_at: utc(r.updated_at),
            }
        })
        .collect())
}

fn find_service_account(conn: &mut DbConn, id: &str) -> StoreResult<Option<ServiceAccount>> {
    let row = service_accounts::table
        .filter(service_accounts::id.eq(id))
        .select(ServiceAccountRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(r) => Ok(to_accounts(conn, vec![r])?.pop()),
        None => Ok(None),
    }
}

/// What the token endpoint needs: the account and its secret hash.
pub fn find_service_account_for_login(
    conn: &mut DbConn,
    client_id: &str,
) -> StoreResult<Option<(ServiceAccount, String)>> {
    let row = service_accounts::table
        .filter(service_accounts::client_id.eq(client_id))
        .select(ServiceAccountRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(r) => {
            let hash = r.secret_hash.clone();
            Ok(to_accounts(conn, vec![r])?.pop().map(|a| (a, hash)))
        }
        None => Ok(None),
    }
}

/// Service accounts visible to an administrator: those of its subtree.
fn visible_accounts(vis: &Visibility) -> service_accounts::BoxedQuery<'static, MultiBackend> {
    let q = service_accounts::table.into_boxed();
    if vis.all {
        q
    } else {
        q.filter(service_accounts::organization_id.eq_any(subtree_ids!(vis.organization_id.clone())))
    }
}

pub fn get_service_account(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<ServiceAccount> {
    if !caller.is_admin() {
        return Err(DomainError::forbidden("only administrators manage service accounts").into());
    }
    let vis = Visibility::load(conn, caller)?;
    let row = visible_accounts(&vis)
        .filter(service_accounts::id.eq(id.to_owned()))
        .select(ServiceAccountRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::NotFound)?;
    to_accounts(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

pub fn list_service_accounts(
    conn: &mut DbConn,
    caller: &Caller,
    organization_id: Option<&str>,
    updated_since: Option<chrono::NaiveDateTime>,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<ServiceAccount>> {
    if !caller.is_admin() {
        return Err(DomainError::forbidden("only administrators manage service accounts").into());
    }
    let vis = Visibility::load(conn, caller)?;
    let mut q = visible_accounts(&vis);
    if let Some(o) = organization_id {
        q = q.filter(service_accounts::organization_id.eq_any(subtree_ids!(o.to_owned())));
    }
    if let Some(ts) = updated_since {
        q = q.filter(service_accounts::updated_at.ge(ts));
    }
    let q = keyset!(q, service_accounts::id, service_accounts::updated_at, order, &page.after);
    let rows: Vec<ServiceAccountRow> = q.limit(page.limit + 1).select(ServiceAccountRow::as_select()).load(conn)?;
    let p = Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at));
    let items = to_accounts(conn, p.items)?;
    Ok(Page { items, next: p.next })
}

#[derive(Debug, Clone)]
pub struct NewServiceAccount {
    pub id: Option<String>,
    pub organization_id: String,
    pub name: String,
    pub client_id: String,
    pub secret_hash: String,
    pub scopes: Vec<Scope>,
}

fn set_scopes(conn: &mut DbConn, id: &str, scopes: &[Scope]) -> StoreResult<()> {
    diesel::delete(service_account_scopes::table.filter(service_account_scopes::service_account_id.eq(id)))
        .execute(conn)?;
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    for s in scopes {
        diesel::insert_into(service_account_scopes::table)
            .values((service_account_scopes::service_account_id.eq(id), service_account_scopes::scope.eq(s.as_str())))
            .execute(conn)?;
    }
    Ok(())
}

pub fn create_service_account(
    conn: &mut DbConn,
    caller: &Caller,
    cmd: NewServiceAccount,
) -> StoreResult<ServiceAccount> {
    let vis = Visibility::load(conn, caller)?;
    crate::orgs::get(conn, &vis, &cmd.organization_id)?;
    if !administers(conn, caller, &cmd.organization_id)? {
        return Err(DomainError::forbidden(
            "only an org admin of the organization or a superior creates its service accounts",
        )
        .into());
    }
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = service_accounts::table.filter(service_accounts::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("service account {id} already exists")).into());
    }
    let t = now();
    let row = ServiceAccountRow {
        id: id.clone(),
        organization_id: cmd.organization_id,
        name: cmd.name,
        client_id: cmd.client_id,
        secret_hash: cmd.secret_hash,
        disabled: false,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(service_accounts::table).values(&row).execute(conn)?;
    set_scopes(conn, &id, &cmd.scopes)?;
    to_accounts(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

#[derive(Debug, Clone, Default)]
pub struct ServiceAccountPatch {
    pub name: Option<String>,
    pub scopes: Option<Vec<Scope>>,
    pub disabled: Option<bool>,
    pub secret_hash: Option<String>,
}

pub fn update_service_account(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: ServiceAccountPatch,
    if_match: Option<i64>,
) -> StoreResult<ServiceAccount> {
    crate::db::lock_row(conn, "service_accounts", id)?;
    let current = get_service_account(conn, caller, id)?;
    if !administers(conn, caller, &current.organization_id)? {
        return Err(
            DomainError::forbidden("only an org admin of the account's organization or a superior edits it").into()
        );
    }
    check_version(if_match, current.version)?;
    diesel::update(service_accounts::table.filter(service_accounts::id.eq(id)))
        .set((
            service_accounts::name.eq(patch.name.unwrap_or(current.name)),
            service_accounts::disabled.eq(patch.disabled.unwrap_or(current.disabled)),
            service_accounts::version.eq(current.version + 1),
            service_accounts::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if let Some(hash) = patch.secret_hash {
        diesel::update(service_accounts::table.filter(service_accounts::id.eq(id)))
            .set(service_accounts::secret_hash.eq(hash))
            .execute(conn)?;
    }
    if let Some(scopes) = patch.scopes {
        set_scopes(conn, id, &scopes)?;
    }
    get_service_account(conn, caller, id)
}
