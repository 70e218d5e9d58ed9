//! `/v1/signing-events`: ceremonies where several projects are signed together
//! ("31 projects, 92.5 billion yuan").

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::money::Money;
use zs_domain::text;
use zs_persistence::signing::{self, EventFields, EventFilter, SigningEvent};

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::paging::{since, ListRequest};
use crate::state::AppState;

/// A project signed at the event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignedProjectResponse {
    /// The project.
    pub project_id: String,
    /// Its name.
    pub project_name: String,
    /// Amount signed there, in minor units of `currency`.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// CNY equivalent, in fen.
    pub cny_minor: i64,
}

/// A signing event (集中签约活动).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SigningEventResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The organizing organization.
    pub organizer_organization_id: String,
    /// Name, e.g. 两江新区重点科创项目集中签约活动.
    pub name: String,
    /// Date held.
    pub held_on: NaiveDate,
    /// Place.
    pub place: String,
    /// The projects signed there.
    pub projects: Vec<SignedProjectResponse>,
    /// How many projects.
    pub project_count: i64,
    /// Their total, CNY fen.
    pub total_cny_minor: i64,
    /// Version (also the `ETag`).
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<SigningEvent> for SigningEventResponse {
    fn from(e: SigningEvent) -> Self {
        SigningEventResponse {
            id: e.id,
            organizer_organization_id: e.organizer_organization_id,
            name: e.name,
            held_on: e.held_on,
            place: e.place,
            projects: e
                .projects
                .into_iter()
                .map(|p| SignedProjectResponse {
                    currency: p.amount.currency_str().to_owned(),
                    amount_minor: p.amount.amount_minor,
                    cny_minor: p.amount.cny_minor,
                    project_id: p.project_id,
                    project_name: p.project_name,
                })
                .collect(),
            project_count: e.project_count,
            total_cny_minor: e.total_cny_minor,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A page of signing events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SigningEventPage {
    /// The events of this page.
    pub items: Vec<SigningEventResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new signing event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "两江新区重点科创项目集中签约活动", "held_on": "2026-06-16", "place": "重庆两江新区"}))]
pub struct CreateSigningEventRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// Organizer: the caller's organization (default) or a descendant it may act for.
    pub organizer_organization_id: Option<String>,
    /// Name.
    pub name: String,
    /// Date held.
    pub held_on: NaiveDate,
    /// Place.
    #[serde(default)]
    pub place: String,
}

/// Changes to a signing event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"place": "重庆悦来国际会议中心"}))]
pub struct UpdateSigningEventRequest {
    /// New name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// New date.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub held_on: Option<NaiveDate>,
    /// New place.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub place: Option<String>,
}

/// A project to attach, with the amount signed there (default: its contract amount).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"project_id": "01936f3e-0000-7000-8000-000000000010"}))]
pub struct AttachProjectRequest {
    /// The project; it must be `signed` or later. Attaching changes nothing on the project.
    pub project_id: String,
    /// Amount signed at the event, minor units (default: the contract amount).
    pub amount_minor: Option<i64>,
    /// Currency of that amount (default CNY).
    pub currency: Option<String>,
    /// CNY equivalent, fen (required for a foreign currency).
    pub cny_minor: Option<i64>,
}

list_query! {
    /// Filters of the signing-event list.
    pub struct SigningEventListQuery {
        /// Organized by this organization or a descendant.
        pub organizer_organization_id: Option<String>,
        /// Held on or after.
        pub held_from: Option<NaiveDate>,
        /// Held on or before.
        pub held_to: Option<NaiveDate>,
    }
}

fn fields(v: &mut Violations, name: &str, held_on: NaiveDate, place: &str) -> Option<EventFields> {
    let name = v.take(text::name("/name", name, 200));
    let place = v.take(text::body("/place", place, 500));
    match (name, place) {
        (Some(name), Some(place)) => Some(EventFields { name, held_on, place }),
        _ => None,
    }
}

/// Create a signing event.
#[utoipa::path(
    tag = "signing-events",
    operation_id = "create_signing_event",
    request_body = CreateSigningEventRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = SigningEventResponse,
            headers(("Location" = String, description = "URL of the event"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to act for that organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Organizer not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/signing-events")]
pub async fn create_signing_event(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateSigningEventRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let id = body.id.as_deref().and_then(|i| v.take(zs_persistence::parse_client_id("/id", i)));
    let f = fields(&mut v, &body.name, body.held_on, &body.place);
    v.into_result()?;
    let Some(f) = f else { return Err(ApiError::Internal("validation passed without values".to_owned())) };
    let organizer = body.organizer_organization_id.clone().unwrap_or_else(|| auth.caller.organization_id.clone());
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| signing::create(c, &caller, &vis, id, &organizer, f),
        |e| {
            let r = SigningEventResponse::from(e);
            Created::new(&r, format!("/v1/signing-events/{}", r.id), r.version)
        },
    )
    .await
}

/// Get a signing event with its projects, count and total.
#[utoipa::path(
    tag = "signing-events",
    operation_id = "get_signing_event",
    params(("id" = String, Path, description = "Event id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The event", body = SigningEventResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified"),
        (status = 403, description = "The token lacks projects:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/signing-events/{id}")]
pub async fn get_signing_event(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::ProjectsRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let e = state.db(move |c| signing::get(c, &vis, &id)).await?;
    Ok(respond(&req, e.version, &SigningEventResponse::from(e)))
}

/// List signing events.
#[utoipa::path(
    tag = "signing-events",
    operation_id = "list_signing_events",
    params(SigningEventListQuery),
    responses(
        (status = 200, description = "A page of events", body = SigningEventPage),
        (status = 403, description = "The token lacks projects:read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/signing-events")]
pub async fn list_signing_events(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<SigningEventListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::ProjectsRead)?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "signing-events", &auth.caller.principal_id, &q)?;
    let filter = EventFilter {
        organizer_organization_id: q.organizer_organization_id,
        held_from: q.held_from,
        held_to: q.held_to,
        updated_since: since(q.updated_since),
    };
    let vis = auth.vis.clone();
    let (order, page) = (lr.order, lr.page.clone());
    let result = state.db(move |c| signing::list(c, &vis, &filter, order, &page)).await?;
    Ok(HttpResponse::Ok().json(SigningEventPage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Update a signing event.
#[utoipa::path(
    tag = "signing-events",
    operation_id = "update_signing_event",
    request_body(content = UpdateSigningEventRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Event id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = SigningEventResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to change this event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/signing-events/{id}")]
pub async fn update_signing_event(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateSigningEventRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    if let Some(n) = &body.name {
        v.take(text::name("/name", n, 200));
    }
    if let Some(p) = &body.place {
        v.take(text::body("/place", p, 500));
    }
    v.into_result()?;
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let e = state
        .write(move |c| {
            signing::update(
                c,
                &caller,
                &vis,
                &id,
                |cur| EventFields {
                    name: body.name.as_deref().map(|n| n.trim().to_owned()).unwrap_or_else(|| cur.name.clone()),
                    held_on: body.held_on.unwrap_or(cur.held_on),
                    place: body.place.clone().unwrap_or_else(|| cur.place.clone()),
                },
                expected,
            )
        })
        .await?;
    Ok(written(e.version, &SigningEventResponse::from(e)))
}

/// Delete a signing event (soft).
#[utoipa::path(
    tag = "signing-events",
    operation_id = "delete_signing_event",
    params(("id" = String, Path, description = "Event id"), crate::v1::IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed to change this event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/signing-events/{id}")]
pub async fn delete_signing_event(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    state.write(move |c| signing::delete(c, &caller, &vis, &id, expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Attach a project signed at the event.
///
/// The project must be visible and `signed` or later (409 `PROJECT_NOT_SIGNED` otherwise);
/// attaching changes nothing on the project.
#[utoipa::path(
    tag = "signing-events",
    operation_id = "attach_signing_event_project",
    request_body = AttachProjectRequest,
    params(("id" = String, Path, description = "Event id"), crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The event afterwards", body = SigningEventResponse),
        (status = 403, description = "Not allowed to change this event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event or project, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Project not signed yet, or already attached", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/signing-events/{id}/projects")]
pub async fn attach_signing_event_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<AttachProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let amount = match body.amount_minor {
        Some(a) => Some(Money::parse("", a, body.currency.as_deref().unwrap_or("CNY"), body.cny_minor)?),
        None if body.currency.is_some() || body.cny_minor.is_some() => {
            return Err(ApiError::invalid("/amount_minor", "required", "give the amount with its currency"));
        }
        None => None,
    };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let (id, project_id) = (id.into_inner(), body.project_id.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| signing::attach(c, &caller, &vis, &id, &project_id, amount),
        |e| Created::ok(&SigningEventResponse::from(e)),
    )
    .await
}

/// Detach a project from the event.
#[utoipa::path(
    tag = "signing-events",
    operation_id = "detach_signing_event_project",
    params(("id" = String, Path, description = "Event id"), ("project_id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The event afterwards", body = SigningEventResponse),
        (status = 403, description = "Not allowed to change this event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event, or the project is not attached", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/signing-events/{id}/projects/{project_id}")]
pub async fn detach_signing_event_project(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, project_id) = path.into_inner();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let e = state.write(move |c| signing::detach(c, &caller, &vis, &id, &project_id)).await?;
    Ok(written(e.version, &SigningEventResponse::from(e)))
}
