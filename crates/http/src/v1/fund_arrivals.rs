//! `/v1/projects/{id}/fund-arrivals`: money actually received for a project (实际到位资金).

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::money::Money;
use zs_domain::text;
use zs_persistence::funds::{self, FundArrival, NewFundArrival};

use crate::auth::Auth;
use crate::body::Body;
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::paging::ListRequest;
use crate::state::AppState;

/// One arrival of funds.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FundArrivalResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The project.
    pub project_id: String,
    /// When the money arrived.
    pub arrived_on: NaiveDate,
    /// Amount in minor units of `currency`.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// CNY equivalent the bureau reports, in fen.
    pub cny_minor: i64,
    /// Note (e.g. which tranche).
    pub note: String,
    /// Who recorded it.
    pub created_by: String,
    /// Version.
    pub version: i64,
    /// When it was recorded (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<FundArrival> for FundArrivalResponse {
    fn from(f: FundArrival) -> Self {
        FundArrivalResponse {
            currency: f.amount.currency_str().to_owned(),
            amount_minor: f.amount.amount_minor,
            cny_minor: f.amount.cny_minor,
            id: f.id,
            project_id: f.project_id,
            arrived_on: f.arrived_on,
            note: f.note,
            created_by: f.created_by,
            version: f.version,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// A page of fund arrivals.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FundArrivalPage {
    /// The arrivals of this page.
    pub items: Vec<FundArrivalResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new arrival of funds.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"arrived_on": "2026-09-30", "amount_minor": 50000000000i64, "currency": "CNY", "note": "首期到位"}))]
pub struct CreateFundArrivalRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// When the money arrived (not in the future).
    pub arrived_on: NaiveDate,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Currency (default CNY).
    pub currency: Option<String>,
    /// CNY equivalent in fen; required for a foreign currency.
    pub cny_minor: Option<i64>,
    /// Note.
    #[serde(default)]
    pub note: String,
}

list_query! {
    /// Paging of a project's fund arrivals.
    pub struct FundArrivalListQuery {}
}

/// List a project's fund arrivals.
#[utoipa::path(
    tag = "projects",
    operation_id = "list_fund_arrivals",
    params(("id" = String, Path, description = "Project id"), FundArrivalListQuery),
    responses(
        (status = 200, description = "A page of arrivals", body = FundArrivalPage),
        (status = 403, description = "The token lacks projects:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/fund-arrivals")]
pub async fn list_fund_arrivals(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    q: web::Query<FundArrivalListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::ProjectsRead)?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "fund-arrivals", &auth.caller.principal_id, &q)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let (order, page) = (lr.order, lr.page.clone());
    let result = state.db(move |c| funds::list(c, &vis, &id, order, &page)).await?;
    Ok(HttpResponse::Ok().json(FundArrivalPage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Record an arrival of funds.
///
/// Adds to the project's running total (`funds_arrived_cny_minor`) in the same transaction.
#[utoipa::path(
    tag = "projects",
    operation_id = "create_fund_arrival",
    request_body = CreateFundArrivalRequest,
    params(("id" = String, Path, description = "Project id"), crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Recorded", body = FundArrivalResponse,
            headers(("Location" = String, description = "URL of the arrival"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to change this project", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/fund-arrivals")]
pub async fn create_fund_arrival(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<CreateFundArrivalRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let arrival_id = body.id.as_deref().and_then(|i| v.take(zs_persistence::parse_client_id("/id", i)));
    let amount = v.take(Money::parse("", body.amount_minor, body.currency.as_deref().unwrap_or("CNY"), body.cny_minor));
    let note = v.take(text::body("/note", &body.note, 2000));
    v.into_result()?;
    let (Some(amount), Some(note)) = (amount, note) else {
        return Err(ApiError::Internal("validation passed without values".to_owned()));
    };
    let cmd = NewFundArrival { id: arrival_id, arrived_on: body.arrived_on, amount, note };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let project_id = id.into_inner();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| funds::add(c, &caller, &vis, &project_id, cmd),
        |f| {
            let r = FundArrivalResponse::from(f);
            Created::new(&r, format!("/v1/projects/{}/fund-arrivals/{}", r.project_id, r.id), r.version)
        },
    )
    .await
}

/// Delete an arrival of funds.
///
/// Takes it off the project's running total.
#[utoipa::path(
    tag = "projects",
    operation_id = "delete_fund_arrival",
    params(("id" = String, Path, description = "Project id"), ("arrival_id" = String, Path, description = "Arrival id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed to change this project", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or arrival, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/projects/{id}/fund-arrivals/{arrival_id}")]
pub async fn delete_fund_arrival(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, arrival_id) = path.into_inner();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    state.write(move |c| funds::delete(c, &caller, &vis, &project_id, &arrival_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
