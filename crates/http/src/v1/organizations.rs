//! `/v1/organizations`: the tree of bureaus, parks, departments and stationed teams.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::org::{parse_short_code, parse_time_zone, OrgLevel, Organization, RegionCode};
use zs_domain::text;
use zs_persistence::orgs::{self, NewOrganization, OrgFilter, OrganizationPatch};

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::paging::{since, ListRequest};
use crate::state::AppState;

/// An organization (单位): a bureau, park, department or stationed team.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The parent organization; absent for a top-level one.
    pub parent_id: Option<String>,
    /// Level in the administrative tree.
    pub level: OrgLevel,
    /// Full name, e.g. 瑞丽市投资促进局.
    pub name: String,
    /// Unique short code (A-Z, 0-9, dashes).
    pub short_code: String,
    /// 6-digit administrative division code (GB/T 2260).
    pub region_code: String,
    /// Time zone of the organization's business dates.
    pub time_zone: String,
    /// Version, incremented by every change (also the `ETag`).
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Organization> for OrganizationResponse {
    fn from(o: Organization) -> Self {
        OrganizationResponse {
            id: o.id,
            parent_id: o.parent_id,
            level: o.level,
            name: o.name,
            short_code: o.short_code,
            region_code: o.region_code,
            time_zone: o.time_zone,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A page of organizations.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationPage {
    /// The organizations of this page.
    pub items: Vec<OrganizationResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "parent_id": "01936f3e-0000-7000-8000-000000000002",
    "level": "park",
    "name": "瑞丽边境经济合作区",
    "short_code": "YN-RL-PARK",
    "region_code": "533102"
}))]
pub struct CreateOrganizationRequest {
    /// Optional client-chosen id (UUIDv7), for clients that create records offline.
    pub id: Option<String>,
    /// Parent organization; omit for a top-level organization (sysadmin only).
    pub parent_id: Option<String>,
    /// Level in the tree; must fit under the parent's level.
    pub level: OrgLevel,
    /// Full name (1-200 characters).
    pub name: String,
    /// Unique short code: 2-32 characters of A-Z, 0-9 and inner dashes.
    pub short_code: String,
    /// 6-digit administrative division code.
    pub region_code: String,
    /// Time zone of business dates (default Asia/Shanghai).
    pub time_zone: Option<String>,
}

impl CreateOrganizationRequest {
    fn parse(&self) -> Result<NewOrganization, ApiError> {
        let mut v = Violations::new();
        let id = match &self.id {
            Some(id) => v.take(zs_persistence::parse_client_id("/id", id)),
            None => Some(String::new()),
        };
        let name = v.take(text::name("/name", &self.name, 200));
        let short_code = v.take(parse_short_code("/short_code", &self.short_code));
        let region_code = v.take(RegionCode::parse("/region_code", &self.region_code));
        let time_zone = v.take(parse_time_zone("/time_zone", self.time_zone.as_deref().unwrap_or("Asia/Shanghai")));
        v.into_result()?;
        match (id, name, short_code, region_code, time_zone) {
            (Some(id), Some(name), Some(short_code), Some(region_code), Some(time_zone)) => Ok(NewOrganization {
                id: (!id.is_empty()).then_some(id),
                parent_id: self.parent_id.clone(),
                level: self.level,
                name,
                short_code,
                region_code,
                time_zone,
            }),
            _ => Err(ApiError::Internal("validation passed without values".to_owned())),
        }
    }
}

/// Changes to an organization (JSON merge patch). Its place in the tree is fixed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "瑞丽市投资促进局（口岸办）"}))]
pub struct UpdateOrganizationRequest {
    /// New name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// New short code.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub short_code: Option<String>,
    /// New region code.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub region_code: Option<String>,
    /// New time zone.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub time_zone: Option<String>,
}

impl UpdateOrganizationRequest {
    fn parse(&self) -> Result<OrganizationPatch, ApiError> {
        let mut v = Violations::new();
        let patch = OrganizationPatch {
            name: self.name.as_deref().and_then(|n| v.take(text::name("/name", n, 200))),
            short_code: self.short_code.as_deref().and_then(|c| v.take(parse_short_code("/short_code", c))),
            region_code: self.region_code.as_deref().and_then(|c| v.take(RegionCode::parse("/region_code", c))),
            time_zone: self.time_zone.as_deref().and_then(|z| v.take(parse_time_zone("/time_zone", z))),
        };
        v.into_result()?;
        Ok(patch)
    }
}

list_query! {
    /// Filters of the organization list.
    pub struct OrganizationListQuery {
        /// Only direct children of this organization.
        pub parent_id: Option<String>,
        /// Only this level.
        pub level: Option<OrgLevel>,
        /// Only this organization and its descendants.
        pub within: Option<String>,
    }
}

/// Create an organization.
///
/// A sysadmin creates top-level organizations; an org admin creates children under its own
/// organization or one of its descendants. The level must fit under the parent's level.
#[utoipa::path(
    tag = "organizations",
    operation_id = "create_organization",
    request_body = CreateOrganizationRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = OrganizationResponse,
            headers(("Location" = String, description = "URL of the new organization"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of the parent", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Parent not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id or short code already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/organizations")]
pub async fn create_organization(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let cmd = body.parse()?;
    let caller = auth.caller.clone();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| orgs::create(c, &caller, cmd),
        |o| {
            let r = OrganizationResponse::from(o);
            Created::new(&r, format!("/v1/organizations/{}", r.id), r.version)
        },
    )
    .await
}

/// Get an organization.
///
/// Visible: the caller's organization and descendants, its ancestors, and fellow active
/// members of its alliances.
#[utoipa::path(
    tag = "organizations",
    operation_id = "get_organization",
    params(("id" = String, Path, description = "Organization id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The organization", body = OrganizationResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified since the version in If-None-Match"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::OrganizationsRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let org = state.db(move |c| orgs::get(c, &vis, &id)).await?;
    Ok(respond(&req, org.version, &OrganizationResponse::from(org)))
}

/// List organizations.
///
/// Keyset-paged; visible organizations only.
#[utoipa::path(
    tag = "organizations",
    operation_id = "list_organizations",
    params(OrganizationListQuery),
    responses((status = 200, description = "A page of organizations", body = OrganizationPage)),
    security(("bearer" = []))
)]
#[get("/organizations")]
pub async fn list_organizations(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<OrganizationListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::OrganizationsRead)?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "organizations", &auth.caller.principal_id, &q)?;
    let filter =
        OrgFilter { parent_id: q.parent_id, level: q.level, within: q.within, updated_since: since(q.updated_since) };
    let vis = auth.vis.clone();
    let (order, page) = (lr.order, lr.page.clone());
    let result = state.db(move |c| orgs::list(c, &vis, &filter, order, &page)).await?;
    Ok(HttpResponse::Ok().json(OrganizationPage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Update an organization.
///
/// Org admins of the organization or of a superior; sysadmins. Send `If-Match` with the
/// version you read to avoid overwriting someone else's change.
#[utoipa::path(
    tag = "organizations",
    operation_id = "update_organization",
    request_body(content = UpdateOrganizationRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Organization id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = OrganizationResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of this organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Short code already taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/organizations/{id}")]
pub async fn update_organization(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let patch = body.parse()?;
    let expected = if_match(&req)?;
    let caller = auth.caller.clone();
    let id = id.into_inner();
    let org = state.write(move |c| orgs::update(c, &caller, &id, patch, expected)).await?;
    Ok(written(org.version, &OrganizationResponse::from(org)))
}
