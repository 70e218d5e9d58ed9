//! `/v1/alliances`: groups of organizations that share records, and their memberships.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::alliance::{Alliance, MembershipAction, MembershipState};
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::text;
use zs_persistence::alliances::{self, AllianceFilter, AlliancePatch, NewAlliance};

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::paging::{since, ListRequest};
use crate::state::AppState;

/// One organization's membership in an alliance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MembershipResponse {
    /// The member organization.
    pub organization_id: String,
    /// Its name.
    pub organization_name: String,
    /// Only `active` members share records.
    pub state: MembershipState,
    /// When it was (last) invited.
    pub invited_at: chrono::DateTime<chrono::Utc>,
    /// When it accepted.
    pub joined_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it left or was removed.
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An alliance (党建联盟) with its members.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AllianceResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// Name, e.g. 瑞丽边境园区党建联盟.
    pub name: String,
    /// What the alliance is for.
    pub description: String,
    /// The founding organization; its org admins invite and remove members.
    pub founder_organization_id: String,
    /// Every membership, in the order of invitation.
    pub members: Vec<MembershipResponse>,
    /// Version (also the `ETag`); membership changes increment it.
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Alliance> for AllianceResponse {
    fn from(a: Alliance) -> Self {
        AllianceResponse {
            id: a.id,
            name: a.name,
            description: a.description,
            founder_organization_id: a.founder_organization_id,
            members: a
                .members
                .into_iter()
                .map(|m| MembershipResponse {
                    organization_id: m.organization_id,
                    organization_name: m.organization_name,
                    state: m.state,
                    invited_at: m.invited_at,
                    joined_at: m.joined_at,
                    ended_at: m.ended_at,
                })
                .collect(),
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A page of alliances.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlliancePage {
    /// The alliances of this page.
    pub items: Vec<AllianceResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new alliance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "瑞丽边境园区党建联盟", "description": "四级联动：省、州、市、园区"}))]
pub struct CreateAllianceRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// Name (1-200 characters).
    pub name: String,
    /// What the alliance is for.
    #[serde(default)]
    pub description: String,
    /// The founding organization (default: the caller's); the caller must administer it.
    pub founder_organization_id: Option<String>,
}

/// Changes to an alliance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "省、州、市、园区四级联动，共享项目与问题"}))]
pub struct UpdateAllianceRequest {
    /// New name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// New description.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
}

/// An invitation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"organization_id": "01936f3e-0000-7000-8000-000000000004"}))]
pub struct InviteRequest {
    /// The organization to invite. Nothing is shared with it until it accepts.
    pub organization_id: String,
}

list_query! {
    /// Filters of the alliance list.
    pub struct AllianceListQuery {
        /// Only alliances in which this organization has a membership.
        pub member_organization_id: Option<String>,
        /// Only alliances with a membership in this state (with `member_organization_id`: that
        /// organization's membership).
        pub state: Option<MembershipState>,
    }
}

/// Create an alliance.
///
/// The founding organization's org admin creates it; the founder is its first active member.
#[utoipa::path(
    tag = "alliances",
    operation_id = "create_alliance",
    request_body = CreateAllianceRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = AllianceResponse,
            headers(("Location" = String, description = "URL of the new alliance"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of the founding organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Founding organization not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/alliances")]
pub async fn create_alliance(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateAllianceRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let mut v = Violations::new();
    let id = body.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
    let name = v.take(text::name("/name", &body.name, 200));
    let description = v.take(text::body("/description", &body.description, 4000));
    v.into_result()?;
    let cmd = NewAlliance {
        id,
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        founder_organization_id: body
            .founder_organization_id
            .clone()
            .unwrap_or_else(|| auth.caller.organization_id.clone()),
    };
    let caller = auth.caller.clone();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| alliances::create(c, &caller, cmd),
        |a| {
            let r = AllianceResponse::from(a);
            Created::new(&r, format!("/v1/alliances/{}", r.id), r.version)
        },
    )
    .await
}

/// Get an alliance with its members.
///
/// Visible to organizations with a membership in it (invited ones included, so they can
/// accept), their superiors, and the descendants of active members.
#[utoipa::path(
    tag = "alliances",
    operation_id = "get_alliance",
    params(("id" = String, Path, description = "Alliance id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The alliance", body = AllianceResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such alliance, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/alliances/{id}")]
pub async fn get_alliance(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::OrganizationsRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let a = state.db(move |c| alliances::get(c, &vis, &id)).await?;
    Ok(respond(&req, a.version, &AllianceResponse::from(a)))
}

/// List alliances.
///
/// The alliances of the caller's organization (and of its descendants and ancestors) with
/// each membership's state.
#[utoipa::path(
    tag = "alliances",
    operation_id = "list_alliances",
    params(AllianceListQuery),
    responses((status = 200, description = "A page of alliances", body = AlliancePage)),
    security(("bearer" = []))
)]
#[get("/alliances")]
pub async fn list_alliances(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<AllianceListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::OrganizationsRead)?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "alliances", &auth.caller.principal_id, &q)?;
    let filter = AllianceFilter {
        member_organization_id: q.member_organization_id,
        state: q.state,
        updated_since: since(q.updated_since),
    };
    let vis = auth.vis.clone();
    let (order, page) = (lr.order, lr.page.clone());
    let result = state.db(move |c| alliances::list(c, &vis, &filter, order, &page)).await?;
    Ok(HttpResponse::Ok().json(AlliancePage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Update an alliance.
#[utoipa::path(
    tag = "alliances",
    operation_id = "update_alliance",
    request_body(content = UpdateAllianceRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Alliance id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = AllianceResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not an admin of the founding organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alliance, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/alliances/{id}")]
pub async fn update_alliance(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateAllianceRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let mut v = Violations::new();
    let name = body.name.as_deref().and_then(|n| v.take(text::name("/name", n, 200)));
    let description = body.description.as_deref().and_then(|d| v.take(text::body("/description", d, 4000)));
    v.into_result()?;
    let expected = if_match(&req)?;
    let caller = auth.caller.clone();
    let id = id.into_inner();
    let a =
        state.write(move |c| alliances::update(c, &caller, &id, AlliancePatch { name, description }, expected)).await?;
    Ok(written(a.version, &AllianceResponse::from(a)))
}

async fn membership(
    state: &AppState,
    auth: &Auth,
    alliance_id: String,
    organization_id: String,
    action: MembershipAction,
) -> Result<AllianceResponse, ApiError> {
    auth.require_person()?;
    let caller = auth.caller.clone();
    let a =
        state.write(move |c| alliances::change_membership(c, &caller, &alliance_id, &organization_id, action)).await?;
    Ok(AllianceResponse::from(a))
}

/// Invite an organization.
///
/// The founding organization's org admin invites; the invited organization sees the
/// alliance but nothing is shared with it until its org admin accepts. An organization that
/// left or was removed can be invited again.
#[utoipa::path(
    tag = "alliances",
    operation_id = "invite_alliance_member",
    request_body = InviteRequest,
    params(("id" = String, Path, description = "Alliance id")),
    responses(
        (status = 200, description = "Invited; the alliance afterwards", body = AllianceResponse),
        (status = 403, description = "Not an admin of the founding organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alliance or organization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already invited or a member", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/alliances/{id}/members")]
pub async fn invite_alliance_member(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    let a = membership(&state, &auth, id.into_inner(), body.organization_id, MembershipAction::Invite).await?;
    Ok(written(a.version, &a))
}

/// Accept an invitation.
///
/// The invited organization's org admin (or a superior's) accepts; sharing starts now.
#[utoipa::path(
    tag = "alliances",
    operation_id = "accept_alliance_invitation",
    params(("id" = String, Path, description = "Alliance id"), ("organization_id" = String, Path, description = "The invited organization")),
    responses(
        (status = 200, description = "Accepted; the alliance afterwards", body = AllianceResponse),
        (status = 403, description = "Not an admin of the invited organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alliance or invitation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not in the invited state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/alliances/{id}/members/{organization_id}/accept")]
pub async fn accept_alliance_invitation(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, org) = path.into_inner();
    let a = membership(&state, &auth, id, org, MembershipAction::Accept).await?;
    Ok(written(a.version, &a))
}

/// Leave an alliance (or decline an invitation).
///
/// The member organization's org admin; visibility of shared records ends at once. The
/// founding organization cannot leave.
#[utoipa::path(
    tag = "alliances",
    operation_id = "leave_alliance",
    params(("id" = String, Path, description = "Alliance id"), ("organization_id" = String, Path, description = "The member organization")),
    responses(
        (status = 200, description = "Left; the alliance afterwards", body = AllianceResponse),
        (status = 403, description = "Not an admin of the member organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alliance or membership", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Membership already ended, or the founder", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/alliances/{id}/members/{organization_id}/leave")]
pub async fn leave_alliance(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, org) = path.into_inner();
    let a = membership(&state, &auth, id, org, MembershipAction::Leave).await?;
    Ok(written(a.version, &a))
}

/// Remove a member.
///
/// The founding organization's org admin removes a member or withdraws an invitation;
/// visibility ends at once.
#[utoipa::path(
    tag = "alliances",
    operation_id = "remove_alliance_member",
    params(("id" = String, Path, description = "Alliance id"), ("organization_id" = String, Path, description = "The member organization")),
    responses(
        (status = 200, description = "Removed; the alliance afterwards", body = AllianceResponse),
        (status = 403, description = "Not an admin of the founding organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alliance or membership", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Membership already ended, or the founder", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/alliances/{id}/members/{organization_id}")]
pub async fn remove_alliance_member(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, org) = path.into_inner();
    let a = membership(&state, &auth, id, org, MembershipAction::Remove).await?;
    Ok(written(a.version, &a))
}
