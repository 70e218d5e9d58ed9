//! The JSON body extractor: `application/json` only (415 otherwise), the configured size limit
//! (413), malformed JSON 400, and wrong types, missing or unknown fields 422 with a JSON pointer
//! to the field (request types deny unknown fields, so partner typos do not vanish).

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body, parsed.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let limit = req.app_data::<web::Data<AppState>>().map(|s| s.settings.body_limit).unwrap_or(1024 * 1024);
            let mime = req.content_type().to_ascii_lowercase();
            if mime != "application/json" && !mime.ends_with("+json") {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "send the body as application/json (got {})",
                    if mime.is_empty() { "no content type" } else { mime.as_str() }
                ))
                .into());
            }
            let bytes = read_limited(&req, &mut payload, limit).await?;
            parse(&bytes).map(Body).map_err(Into::into)
        })
    }
}

/// Reads a whole body, refusing one larger than `limit` (413) before reading it when its
/// `Content-Length` says so, and while reading otherwise.
pub async fn read_limited(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("MALFORMED_BODY", format!("cannot read the body: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// For merge-patch fields that may be cleared: absent is `None`, `null` is `Some(None)`.
pub fn nullable<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// For merge-patch fields that may be absent but not `null` (a required field cannot be
/// removed): absent is `None`; `null` is 422 naming the field.
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    match <Option<T> as serde::Deserialize>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(serde::de::Error::custom("may not be null: omit the field to leave it unchanged")),
    }
}

/// Parses JSON into `T`, naming the failing field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de);
    match value {
        Ok(v) => {
            de.end()
                .map_err(|e| ApiError::bad_request("MALFORMED_JSON", format!("the body is not valid JSON: {e}")))?;
            Ok(v)
        }
        Err(e) => {
            let inner = e.inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let mut pointer = pointer_of(e.path());
                    let msg = inner.to_string();
                    if let Some(name) =
                        backticked(&msg, "unknown field `").or_else(|| backticked(&msg, "missing field `"))
                    {
                        if !pointer.ends_with(&format!("/{name}")) {
                            pointer.push('/');
                            pointer.push_str(&escape(&name));
                        }
                    }
                    let code = if msg.starts_with("unknown field")
                        && READ_ONLY.iter().any(|f| pointer.ends_with(&format!("/{f}")))
                    {
                        "read_only"
                    } else if msg.starts_with("unknown field") {
                        "unknown_field"
                    } else if msg.starts_with("missing field") {
                        "required"
                    } else {
                        "type"
                    };
                    let detail = strip_position(&msg);
                    Err(ApiError::invalid(&pointer, code, detail))
                }
                _ => Err(ApiError::bad_request("MALFORMED_JSON", format!("the body is not valid JSON: {inner}"))),
            }
        }
    }
}

/// Server-owned fields: sending one is 422 `read_only` (DESIGN.md §4.4).
const READ_ONLY: &[&str] =
    &["version", "created_at", "updated_at", "deleted_at", "stage", "status", "owner_organization_id"];

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", escape(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

fn backticked(msg: &str, prefix: &str) -> Option<String> {
    let rest = msg.strip_prefix(prefix)?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        code: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        name: String,
        count: i64,
        inner: Option<Inner>,
    }

    fn pointer(body: &str) -> (String, String) {
        match parse::<Req>(body.as_bytes()) {
            Err(ApiError::Validation(v)) => (v[0].pointer.clone(), v[0].code.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_the_failing_field() {
        assert_eq!(pointer(r#"{"name":"a","count":1,"nmae":2}"#), ("/nmae".into(), "unknown_field".into()));
        assert_eq!(pointer(r#"{"count":1}"#), ("/name".into(), "required".into()));
        assert_eq!(pointer(r#"{"name":"a","count":"x"}"#), ("/count".into(), "type".into()));
        assert_eq!(pointer(r#"{"name":"a","count":1,"inner":{"code":1}}"#), ("/inner/code".into(), "type".into()));
        assert_eq!(
            pointer(r#"{"name":"a","count":1,"inner":{"cod":"x"}}"#),
            ("/inner/cod".into(), "unknown_field".into())
        );
    }

    #[test]
    fn malformed_json_is_400() {
        assert!(matches!(parse::<Req>(b"{\"name\":"), Err(ApiError::BadRequest { code: "MALFORMED_JSON", .. })));
        assert!(matches!(
            parse::<Req>(br#"{"name":"a","count":1} trailing"#),
            Err(ApiError::BadRequest { code: "MALFORMED_JSON", .. })
        ));
    }
}
