//! `X-Request-Id`: taken from the request when it is sane, made otherwise; echoed on every
//! response, carried by every log line of the request (a tracing span) and by every
//! problem+json body (a task-local, since error bodies are rendered without the request).

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being served on this task ("" outside a request).
pub fn current_request_id() -> String {
    CURRENT.try_with(Clone::clone).unwrap_or_default()
}

/// The request id, as stored in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(v: &str) -> bool {
    (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let header_value = HeaderValue::from_str(&id).ok();
    let result = CURRENT
        .scope(id.clone(), async move {
            match next.call(req).await {
                Ok(res) => Ok(res.map_into_boxed_body()),
                // An error no handler turned into a response: render it here, inside the
                // request's scope, so it carries the request id too.
                Err(e) => Err(e.error_response()),
            }
        })
        .instrument(span.clone())
        .await;
    let mut res = match result {
        Ok(res) => res,
        Err(mut response) => {
            if let Some(v) = header_value {
                response.headers_mut().insert(REQUEST_ID, v);
            }
            span.in_scope(|| tracing::info!(status = response.status().as_u16(), "failed"));
            return Err(actix_web::error::InternalError::from_response("request failed", response).into());
        }
    };
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, elapsed_ms, "served"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}
