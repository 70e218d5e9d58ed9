//! Versions on the wire: `ETag` on every resource response, `If-Match` on writes (412 when
//! stale), `If-None-Match` on reads (304 when unchanged).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::ApiError;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version named by `If-Match`: `None` when absent or `*`. A value that is not an entity
/// tag of ours (`"3"`, optionally `W/"3"`, or the bare `3`) is malformed: 400, and nothing changes.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(v) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let malformed = || ApiError::bad_request("INVALID_IF_MATCH", "If-Match must be an ETag this API gave (\"3\") or *");
    let v = v.to_str().map_err(|_| malformed())?.trim();
    if v == "*" {
        return Ok(None);
    }
    // Quoted as the ETag gave it; a bare version number (some clients drop the quotes) too.
    let tag = v.strip_prefix("W/").unwrap_or(v);
    let digits = match tag.strip_prefix('"') {
        Some(t) => t.strip_suffix('"').ok_or_else(malformed)?,
        None => tag,
    };
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    digits.parse::<i64>().map(Some).map_err(|_| malformed())
}

fn none_match(req: &HttpRequest, version: i64) -> bool {
    let tag = etag(version);
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == tag))
}

/// 200 with the body and its ETag, or 304 when the client already has this version.
pub fn respond<T: Serialize>(req: &HttpRequest, version: i64, body: &T) -> HttpResponse {
    if none_match(req, version) {
        return HttpResponse::NotModified().insert_header((header::ETAG, etag(version))).finish();
    }
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}

/// 200 with the body and its ETag (after a write).
pub fn written<T: Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}
