//! `/v1/users` and `/v1/me`: people of an organization and their roles.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::{Role, Scope};
use zs_domain::error::Violations;
use zs_domain::text;
use zs_domain::user::{check_password, parse_email, parse_phone, parse_username, User};
use zs_persistence::users::{self, NewUser, UserFilter, UserPatch};

use crate::auth::{hash_secret, Auth};
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::paging::{since, ListRequest};
use crate::state::AppState;

/// A user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The organization the user belongs to.
    pub organization_id: String,
    /// Login name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Roles within the organization.
    pub roles: Vec<Role>,
    /// A disabled user cannot log in and its tokens stop working.
    pub disabled: bool,
    /// Version (also the `ETag`).
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        UserResponse {
            id: u.id,
            organization_id: u.organization_id,
            username: u.username,
            display_name: u.display_name,
            phone: u.phone,
            email: u.email,
            roles: u.roles,
            disabled: u.disabled,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    /// The users of this page.
    pub items: Vec<UserResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// The caller: its account (or service account), organization, roles and scopes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    /// `user` or `service`.
    pub kind: String,
    /// The user, for people.
    pub user: Option<UserResponse>,
    /// The service account id, for partner systems.
    pub service_account_id: Option<String>,
    /// The caller's organization.
    pub organization_id: String,
    /// Roles (people).
    pub roles: Vec<Role>,
    /// Scopes in force for this token.
    pub scopes: Vec<Scope>,
    /// Alliances whose shared records the caller reads.
    pub alliance_ids: Vec<String>,
}

/// A new user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organization_id": "01936f3e-0000-7000-8000-000000000004",
    "username": "ruili.li",
    "display_name": "李明",
    "password": "Zhaoshang-2026",
    "roles": ["officer"]
}))]
pub struct CreateUserRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// The user's organization (the caller's or a descendant).
    pub organization_id: String,
    /// Login name: 3-64 characters of a-z, 0-9, '.', '_' and '-'.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Initial password: 10-128 characters mixing letters with digits or symbols.
    pub password: String,
    /// Roles; an org admin grants any role but sysadmin.
    pub roles: Vec<Role>,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// Changes to a user (JSON merge patch; `null` clears phone or e-mail).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"roles": ["officer", "leader"], "disabled": false}))]
pub struct UpdateUserRequest {
    /// New display name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub display_name: Option<String>,
    /// New phone number, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub phone: Option<Option<String>>,
    /// New e-mail address, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
    /// The complete new set of roles.
    pub roles: Option<Vec<Role>>,
    /// Disable or enable the account; disabling revokes its refresh tokens.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub disabled: Option<bool>,
    /// A new password (an administrator's reset); clears any login lock.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub password: Option<String>,
}

list_query! {
    /// Filters of the user list.
    pub struct UserListQuery {
        /// Only users of this organization and its descendants.
        pub organization_id: Option<String>,
        /// Only users with this role.
        pub role: Option<Role>,
        /// Only disabled (true) or enabled (false) users.
        pub disabled: Option<bool>,
    }
}

fn contact(v: &mut Violations, phone: Option<&str>, email: Option<&str>) -> (Option<String>, Option<String>) {
    (phone.and_then(|p| v.take(parse_phone("/phone", p))), email.and_then(|e| v.take(parse_email("/email", e))))
}

impl CreateUserRequest {
    fn parse(&self) -> Result<(NewUser, String), ApiError> {
        let mut v = Violations::new();
        let id = self.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
        let username = v.take(parse_username("/username", &self.username));
        let display_name = v.take(text::name("/display_name", &self.display_name, 100));
        v.take(check_password("/password", &self.password));
        let (phone, email) = contact(&mut v, self.phone.as_deref(), self.email.as_deref());
        if self.roles.is_empty() {
            v.push(zs_domain::FieldViolation::new("/roles", "required", "give the user at least one role"));
        }
        v.into_result()?;
        let (Some(username), Some(display_name)) = (username, display_name) else {
            return Err(ApiError::Internal("validation passed without values".to_owned()));
        };
        Ok((
            NewUser {
                id,
                organization_id: self.organization_id.clone(),
                username,
                display_name,
                phone,
                email,
                password_hash: String::new(),
                roles: self.roles.clone(),
            },
            self.password.clone(),
        ))
    }
}

impl UpdateUserRequest {
    fn parse(&self) -> Result<(UserPatch, Option<String>), ApiError> {
        let mut v = Violations::new();
        let display_name = self.display_name.as_deref().and_then(|n| v.take(text::name("/display_name", n, 100)));
        let phone = match &self.phone {
            Some(Some(p)) => v.take(parse_phone("/phone", p)).map(|p| Some(Some(p))).unwrap_or(None),
            Some(None) => Some(None),
            None => None,
        };
        let email = match &self.email {
            Some(Some(e)) => v.take(parse_email("/email", e)).map(|e| Some(Some(e))).unwrap_or(None),
            Some(None) => Some(None),
            None => None,
        };
        if let Some(p) = &self.password {
            v.take(check_password("/password", p));
        }
        if self.roles.as_ref().is_some_and(Vec::is_empty) {
            v.push(zs_domain::FieldViolation::new("/roles", "required", "a user keeps at least one role"));
        }
        v.into_result()?;
        Ok((
            UserPatch {
                display_name,
                phone,
                email,
                roles: self.roles.clone(),
                disabled: self.disabled,
                password_hash: None,
            },
            self.password.clone(),
        ))
    }
}

/// Create a user.
///
/// Org admins create users in their organization and its descendants.
#[utoipa::path(
    tag = "users",
    operation_id = "create_user",
    request_body = CreateUserRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = UserResponse,
            headers(("Location" = String, description = "URL of the new user"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of the organization, or a role you may not grant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Organization not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id or user name already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let (mut cmd, password) = body.parse()?;
    cmd.password_hash = web::block(move || hash_secret(&password)).await??;
    let caller = auth.caller.clone();
    let mut hashed_body = serde_json::to_value(&body).unwrap_or_default();
    if let Some(o) = hashed_body.as_object_mut() {
        // The key's fingerprint must not depend on the random salt, only on the request.
        o.insert("password".to_owned(), serde_json::Value::String(crate::auth::token_hash(&body.password)));
    }
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &hashed_body,
        move |c| users::create(c, Some(&caller), cmd),
        |u| {
            let r = UserResponse::from(u);
            Created::new(&r, format!("/v1/users/{}", r.id), r.version)
        },
    )
    .await
}

/// Get a user.
///
/// Visible: users of the caller's organization and its descendants.
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    params(("id" = String, Path, description = "User id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The user", body = UserResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified"),
        (status = 403, description = "Service accounts cannot read users", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let user = state.db(move |c| users::get(c, &vis, &id)).await?;
    Ok(respond(&req, user.version, &UserResponse::from(user)))
}

/// List users.
#[utoipa::path(
    tag = "users",
    operation_id = "list_users",
    params(UserListQuery),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 403, description = "Service accounts cannot read users", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "users", &auth.caller.principal_id, &q)?;
    let filter = UserFilter {
        organization_id: q.organization_id,
        role: q.role,
        disabled: q.disabled,
        updated_since: since(q.updated_since),
    };
    let vis = auth.vis.clone();
    let (order, page) = (lr.order, lr.page.clone());
    let result = state.db(move |c| users::list(c, &vis, &filter, order, &page)).await?;
    Ok(HttpResponse::Ok().json(UserPage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Update a user.
///
/// Org admins of the user's organization or a superior: roles, disabling, password reset.
#[utoipa::path(
    tag = "users",
    operation_id = "update_user",
    request_body(content = UpdateUserRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "User id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = UserResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of the user's organization, or a role you may not grant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "You cannot disable or demote yourself", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let (mut patch, password) = body.parse()?;
    if let Some(p) = password {
        patch.password_hash = Some(web::block(move || hash_secret(&p)).await??);
    }
    let expected = if_match(&req)?;
    let caller = auth.caller.clone();
    let id = id.into_inner();
    let user = state.write(move |c| users::update(c, &caller, &id, patch, expected)).await?;
    Ok(written(user.version, &UserResponse::from(user)))
}

/// Who am I.
///
/// The caller's account, organization, roles, scopes and alliances.
#[utoipa::path(
    tag = "users",
    operation_id = "get_me",
    responses((status = 200, description = "The caller", body = MeResponse)),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let caller = auth.caller.clone();
    let vis = auth.vis.clone();
    let user = match caller.kind {
        zs_domain::auth::PrincipalKind::User => {
            let id = caller.principal_id.clone();
            let vis = vis.clone();
            Some(UserResponse::from(state.db(move |c| users::get(c, &vis, &id)).await?))
        }
        zs_domain::auth::PrincipalKind::Service => None,
    };
    Ok(HttpResponse::Ok().json(MeResponse {
        kind: if user.is_some() { "user" } else { "service" }.to_owned(),
        service_account_id: user.is_none().then(|| caller.principal_id.clone()),
        user,
        organization_id: caller.organization_id,
        roles: caller.roles,
        scopes: caller.scopes,
        alliance_ids: vis.alliance_ids,
    }))
}
