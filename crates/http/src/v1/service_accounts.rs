//! `/v1/service-accounts`: partner systems that call the API with client credentials.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::text;
use zs_domain::user::ServiceAccount;
use zs_persistence::users::{self, NewServiceAccount, ServiceAccountPatch};

use crate::auth::{hash_secret, random_token, Auth};
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::paging::ListRequest;
use crate::state::AppState;

/// A service account (接入系统).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceAccountResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The organization it acts for.
    pub organization_id: String,
    /// Name of the partner system.
    pub name: String,
    /// Client id for `POST /v1/auth/token`.
    pub client_id: String,
    /// The client secret: only in the response that created or rotated it. Store it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_secret: Option<String>,
    /// Scopes it may request.
    pub scopes: Vec<Scope>,
    /// A disabled account gets no tokens and its tokens stop working.
    pub disabled: bool,
    /// Version (also the `ETag`).
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl ServiceAccountResponse {
    fn new(a: ServiceAccount, client_secret: Option<String>) -> Self {
        ServiceAccountResponse {
            id: a.id,
            organization_id: a.organization_id,
            name: a.name,
            client_id: a.client_id,
            client_secret,
            scopes: a.scopes,
            disabled: a.disabled,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A page of service accounts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceAccountPage {
    /// The accounts of this page.
    pub items: Vec<ServiceAccountResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new service account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organization_id": "01936f3e-0000-7000-8000-000000000002",
    "name": "德宏州招商项目库",
    "scopes": ["organizations:read", "projects:read"]
}))]
pub struct CreateServiceAccountRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// The organization it acts for (the caller's or a descendant).
    pub organization_id: String,
    /// Name of the partner system.
    pub name: String,
    /// Scopes it may request (at least one).
    pub scopes: Vec<Scope>,
}

/// Changes to a service account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"disabled": true}))]
pub struct UpdateServiceAccountRequest {
    /// New name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// The complete new set of scopes.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub scopes: Option<Vec<Scope>>,
    /// Disable or enable the account.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub disabled: Option<bool>,
}

list_query! {
    /// Filters of the service-account list.
    pub struct ServiceAccountListQuery {
        /// Only accounts of this organization and its descendants.
        pub organization_id: Option<String>,
    }
}

fn scopes_given(v: &mut Violations, scopes: &[Scope]) {
    if scopes.is_empty() {
        v.push(zs_domain::FieldViolation::new("/scopes", "required", "grant at least one scope"));
    }
}

/// Create a service account.
///
/// Org admins create accounts for their organization and its descendants. The response is
/// the only one that shows the client secret.
#[utoipa::path(
    tag = "service-accounts",
    operation_id = "create_service_account",
    request_body = CreateServiceAccountRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created; carries the client secret", body = ServiceAccountResponse,
            headers(("Location" = String, description = "URL of the new account"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of the organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Organization not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/service-accounts")]
pub async fn create_service_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateServiceAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let mut v = Violations::new();
    let id = body.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
    let name = v.take(text::name("/name", &body.name, 200));
    scopes_given(&mut v, &body.scopes);
    v.into_result()?;
    let name = name.unwrap_or_default();
    let secret = random_token();
    let to_hash = secret.clone();
    let secret_hash = web::block(move || hash_secret(&to_hash)).await??;
    let cmd = NewServiceAccount {
        id,
        organization_id: body.organization_id.clone(),
        name,
        client_id: format!("zs-{}", uuid::Uuid::now_v7().simple()),
        secret_hash,
        scopes: body.scopes.clone(),
    };
    let caller = auth.caller.clone();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| users::create_service_account(c, &caller, cmd),
        move |a| {
            let r = ServiceAccountResponse::new(a, Some(secret));
            Created::new(&r, format!("/v1/service-accounts/{}", r.id), r.version)
        },
    )
    .await
}

/// Get a service account.
#[utoipa::path(
    tag = "service-accounts",
    operation_id = "get_service_account",
    params(("id" = String, Path, description = "Service account id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The account (without its secret)", body = ServiceAccountResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified"),
        (status = 403, description = "Only administrators manage service accounts", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/service-accounts/{id}")]
pub async fn get_service_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let caller = auth.caller.clone();
    let id = id.into_inner();
    let a = state.db(move |c| users::get_service_account(c, &caller, &id)).await?;
    Ok(respond(&req, a.version, &ServiceAccountResponse::new(a, None)))
}

/// List service accounts.
#[utoipa::path(
    tag = "service-accounts",
    operation_id = "list_service_accounts",
    params(ServiceAccountListQuery),
    responses(
        (status = 200, description = "A page of service accounts", body = ServiceAccountPage),
        (status = 403, description = "Only administrators manage service accounts", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/service-accounts")]
pub async fn list_service_accounts(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<ServiceAccountListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "service-accounts", &auth.caller.principal_id, &q)?;
    let caller = auth.caller.clone();
    let (order, page, org, since) =
        (lr.order, lr.page.clone(), q.organization_id.clone(), crate::paging::since(q.updated_since));
    let result =
        state.db(move |c| users::list_service_accounts(c, &caller, org.as_deref(), since, order, &page)).await?;
    Ok(HttpResponse::Ok().json(ServiceAccountPage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(|a| ServiceAccountResponse::new(a, None)).collect(),
    }))
}

/// Update a service account.
#[utoipa::path(
    tag = "service-accounts",
    operation_id = "update_service_account",
    request_body(content = UpdateServiceAccountRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Service account id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = ServiceAccountResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of the account's organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/service-accounts/{id}")]
pub async fn update_service_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateServiceAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let mut v = Violations::new();
    let name = body.name.as_deref().and_then(|n| v.take(text::name("/name", n, 200)));
    if let Some(s) = &body.scopes {
        scopes_given(&mut v, s);
    }
    v.into_result()?;
    let patch = ServiceAccountPatch { name, scopes: body.scopes.clone(), disabled: body.disabled, secret_hash: None };
    let expected = if_match(&req)?;
    let caller = auth.caller.clone();
    let id = id.into_inner();
    let a = state.write(move |c| users::update_service_account(c, &caller, &id, patch, expected)).await?;
    Ok(written(a.version, &ServiceAccountResponse::new(a, None)))
}

/// Rotate a service account's secret.
///
/// Issues a new client secret (shown once in this response); the old one stops working.
#[utoipa::path(
    tag = "service-accounts",
    operation_id = "rotate_service_account_secret",
    params(("id" = String, Path, description = "Service account id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Rotated; carries the new secret", body = ServiceAccountResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of the account's organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/service-accounts/{id}/secret")]
pub async fn rotate_service_account_secret(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let secret = random_token();
    let to_hash = secret.clone();
    let secret_hash = web::block(move || hash_secret(&to_hash)).await??;
    let patch = ServiceAccountPatch { secret_hash: Some(secret_hash), ..Default::default() };
    let expected = if_match(&req)?;
    let caller = auth.caller.clone();
    let id = id.into_inner();
    let a = state.write(move |c| users::update_service_account(c, &caller, &id, patch, expected)).await?;
    Ok(written(a.version, &ServiceAccountResponse::new(a, Some(secret))))
}
