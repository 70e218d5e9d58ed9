//! The `/v1` resources, one module each.

pub mod activities;
pub mod alliances;
pub mod attendance;
pub mod auth;
pub mod branches;
pub mod calendar;
pub mod enterprises;
pub mod fund_arrivals;
pub mod meta;
pub mod organizations;
pub mod points;
pub mod projects;
pub mod service_accounts;
pub mod signing_events;
pub mod tickets;
pub mod users;
pub mod visits;

use serde::Deserialize;
use utoipa::IntoParams;

/// The `Idempotency-Key` header of a POST.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Makes a retry safe: the first response is replayed; the same key with another body is
    /// 422. 1-255 visible ASCII characters, scoped to the caller, kept at least 24 h.
    #[serde(rename = "Idempotency-Key")]
    #[param(value_type = String, required = false, pattern = "^[\\x21-\\x7E]{1,255}$")]
    pub idempotency_key: Option<String>,
}

/// The `If-Match` header of a write.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The version (ETag) the change is based on, as the `ETag` gave it (`"3"`; a bare `3` is accepted), or `*`; a
    /// stale one is 412, a malformed one 400.
    #[serde(rename = "If-Match")]
    #[param(value_type = String, required = false, pattern = r#"^(\*|(W/)?"[0-9]{1,18}"|[0-9]{1,18})$"#)]
    pub if_match: Option<String>,
}

/// The `If-None-Match` header of a read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfNoneMatch {
    /// The version (ETag) the client holds; 304 when it is still current.
    #[serde(rename = "If-None-Match")]
    #[param(value_type = String, required = false)]
    pub if_none_match: Option<String>,
}
