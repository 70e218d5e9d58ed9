//! `/v1/meta/enums` and the probes `/healthz` and `/readyz`.

use actix_web::{get, web, HttpResponse};
use diesel_probe::probe;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// One value of an enumeration.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnumValue {
    /// The stable code sent and received by the API.
    pub code: String,
    /// Chinese (zh-CN) label.
    pub zh: String,
    /// English label.
    pub en: String,
}

/// An enumeration of the API.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnumDescription {
    /// Schema name in the OpenAPI document.
    pub name: String,
    /// Its values, in display order.
    pub values: Vec<EnumValue>,
}

/// Every enumeration of the API.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnumsResponse {
    /// The enumerations.
    pub items: Vec<EnumDescription>,
}

/// List the enumerations with their labels.
///
/// Every enum of the API with its stable codes and their zh-CN and en labels, for apps to
/// display. Needs no token.
#[utoipa::path(
    tag = "meta",
    operation_id = "list_enums",
    responses((status = 200, description = "Every enumeration", body = EnumsResponse))
)]
#[get("/meta/enums")]
pub async fn list_enums() -> HttpResponse {
    let items = zs_domain::labels::all()
        .into_iter()
        .map(|e| EnumDescription {
            name: e.name.to_owned(),
            values: e
                .values
                .iter()
                .map(|l| EnumValue { code: l.code.to_owned(), zh: l.zh.to_owned(), en: l.en.to_owned() })
                .collect(),
        })
        .collect();
    HttpResponse::Ok().json(EnumsResponse { items })
}

/// A probe's answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProbeResponse {
    /// `ok`.
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(
    tag = "system",
    operation_id = "healthz",
    responses((status = 200, description = "Alive", body = ProbeResponse))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(ProbeResponse { status: "ok".to_owned() })
}

/// Readiness: the database answers.
#[utoipa::path(
    tag = "system",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = ProbeResponse),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db(probe).await?;
    Ok(HttpResponse::Ok().json(ProbeResponse { status: "ok".to_owned() }))
}

mod diesel_probe {
    use zs_persistence::{DbConn, StoreError};

    pub fn probe(conn: &mut DbConn) -> Result<(), StoreError> {
        zs_persistence::db::ping(conn)
    }
}
