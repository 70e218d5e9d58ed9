//! Creating a resource: 201 with `Location` and `ETag`, and `Idempotency-Key` handling —
//! the key (scoped to the caller) is stored in the same transaction as the change; a retry
//! replays the first response; the same key with another body is 422; a concurrent duplicate
//! waits for the first (row lock or SQLite's write lock), then replays it.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};
use zs_persistence::idempotency::{self, StoredResponse};
use zs_persistence::{DbConn, StoreError};

use crate::error::ApiError;
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// What a POST use case answers: the resource as JSON, its status, and where it lives.
pub struct Created {
    pub body: serde_json::Value,
    pub location: Option<String>,
    pub status: u16,
}

impl Created {
    /// 201 with `Location`.
    pub fn new<T: Serialize>(body: &T, location: String, _version: i64) -> Self {
        Created {
            body: serde_json::to_value(body).unwrap_or(serde_json::Value::Null),
            location: Some(location),
            status: 201,
        }
    }

    /// 200: a state change answered with the resource afterwards.
    pub fn ok<T: Serialize>(body: &T) -> Self {
        Created { body: serde_json::to_value(body).unwrap_or(serde_json::Value::Null), location: None, status: 200 }
    }
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let s = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|s| (1..=255).contains(&s.len()) && s.bytes().all(|b| (0x21..0x7f).contains(&b)));
    match s {
        Some(s) => Ok(Some(s.to_owned())),
        None => Err(ApiError::bad_request(
            "INVALID_IDEMPOTENCY_KEY",
            "Idempotency-Key must be 1-255 visible ASCII characters",
        )),
    }
}

fn request_hash<B: Serialize>(req: &HttpRequest, body: &B) -> String {
    let canonical = serde_json::to_value(body).map(|v| v.to_string()).unwrap_or_default();
    let d = Sha256::new()
        .chain_update(req.method().as_str())
        .chain_update(b" ")
        .chain_update(req.path())
        .chain_update(b"\n")
        .chain_update(canonical)
        .finalize();
    d.iter().map(|b| format!("{b:02x}")).collect()
}

enum Outcome {
    Fresh(StoredResponse),
    Replay(StoredResponse),
}

fn stored_to_response(s: &StoredResponse, replayed: bool) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::from_u16(s.status as u16).unwrap_or(StatusCode::CREATED));
    res.content_type("application/json");
    if let Some(loc) = &s.location {
        res.insert_header((header::LOCATION, loc.clone()));
    }
    if let Some(v) =
        serde_json::from_str::<serde_json::Value>(&s.body).ok().and_then(|b| b.get("version").and_then(|v| v.as_i64()))
    {
        res.insert_header((header::ETAG, crate::conditional::etag(v)));
    }
    if replayed {
        res.insert_header(("idempotent-replayed", "true"));
    }
    res.body(s.body.clone())
}

/// Runs a POST use case in one write transaction with idempotency.
pub async fn create<B, T, F, R>(
    state: &AppState,
    req: &HttpRequest,
    principal_id: &str,
    body: &B,
    op: F,
    render: R,
) -> Result<HttpResponse, ApiError>
where
    B: Serialize,
    T: 'static,
    F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    R: FnOnce(T) -> Created + Send + 'static,
{
    let key = idempotency_key(req)?;
    let hash = request_hash(req, body);
    let principal = principal_id.to_owned();
    let outcome = state
        .db(move |conn| {
            let replay = |conn: &mut DbConn| -> Result<Option<Outcome>, StoreError> {
                let Some(k) = &key else { return Ok(None) };
                match idempotency::find(conn, &principal, k)? {
                    Some(s) if s.request_hash == hash => Ok(Some(Outcome::Replay(s))),
                    Some(_) => Err(zs_domain::DomainError::invalid(
                        "",
                        "idempotency_key_reused",
                        "this Idempotency-Key was used with a different request body",
                    )
                    .into()),
                    None => Ok(None),
                }
            };
            if let Some(o) = replay(conn)? {
                return Ok(o);
            }
            let result = zs_persistence::db::write_tx(conn, |c| {
                let value = op(c)?;
                let created = render(value);
                let stored = StoredResponse {
                    request_hash: hash.clone(),
                    status: i32::from(created.status),
                    location: created.location,
                    body: created.body.to_string(),
                };
                if let Some(k) = &key {
                    idempotency::save(c, &principal, k, &stored)?;
                }
                Ok::<_, StoreError>(stored)
            });
            match result {
                Ok(s) => Ok(Outcome::Fresh(s)),
                // A concurrent request with the same key won: answer with its response.
                Err(e) if key.is_some() => match replay(conn)? {
                    Some(o) => Ok(o),
                    None => Err(e),
                },
                Err(e) => Err(e),
            }
        })
        .await?;
    Ok(match outcome {
        Outcome::Fresh(s) => stored_to_response(&s, false),
        Outcome::Replay(s) => stored_to_response(&s, true),
    })
}
