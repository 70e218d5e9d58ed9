//! `/v1/auth`: login, refresh, logout, and client credentials for partner systems.

use actix_web::http::header;
use actix_web::{post, web, HttpMessage, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::{PrincipalKind, Scope};
use zs_persistence::tokens::{self, Rotation};
use zs_persistence::users;
use zs_persistence::users::LoginAttempt;

use crate::auth::{
    dummy_hash, issue_access_token, random_token, successor_token, token_hash, verify_secret, Claims, AUDIENCE, ISSUER,
};
use crate::body::Body;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Tokens for a person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// Access token (JWT) for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque refresh token; single use (rotated by `POST /v1/auth/refresh`).
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
}

/// A partner system's access token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceToken {
    /// Access token (JWT) for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// Login with user name and password.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "ruili.officer", "password": "Zhaoshang-2026"}))]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A refresh token to rotate or revoke.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "k3J0…"}))]
pub struct RefreshRequest {
    /// The refresh token of the last pair.
    pub refresh_token: String,
}

/// Client-credentials grant (RFC 6749 §4.4), form-encoded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: String,
    /// The service account's client id.
    pub client_id: String,
    /// The service account's client secret.
    pub client_secret: String,
    /// Optional space-separated subset of the account's scopes.
    pub scope: Option<String>,
}

/// The form as sent. Unknown parameters are ignored and empty ones count as omitted
/// (RFC 6749 §3.2); the client may authenticate with HTTP Basic instead (§2.3.1).
/// [`TokenRequest`] documents the parameters.
#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn present(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// Client credentials sent as `Authorization: Basic` (RFC 6749 §2.3.1: both parts
/// form-urlencoded, then base64). `None` without such a header.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let malformed = || ApiError::unauthorized("INVALID_CLIENT", "the Basic client credentials are malformed");
    let value = value.to_str().map_err(|_| malformed())?.trim();
    let Some((scheme, encoded)) = value.split_once(' ') else { return Ok(None) };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = form_decode(id).ok_or_else(malformed)?;
    let secret = form_decode(secret).ok_or_else(malformed)?;
    Ok(Some((id, secret)))
}

/// Decodes one application/x-www-form-urlencoded value.
fn form_decode(raw: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={}", raw.replace('&', "%26"))).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// A 200 that carries tokens: no cache may keep it (RFC 6749 §5.1).
fn token_response<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn chrono_dur(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Builds the pair whose access token was issued at `issued_at` for the refresh token
/// `refresh`: the same inputs give the same pair (the JWT id derives from the refresh token).
fn pair(state: &AppState, user_id: &str, refresh: String, issued_at: DateTime<Utc>) -> Result<TokenPair, ApiError> {
    let ttl = state.settings.access_token_ttl;
    let claims = Claims {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        sub: user_id.to_owned(),
        iat: issued_at.timestamp(),
        exp: issued_at.timestamp() + secs(ttl),
        jti: token_hash(&refresh)[..32].to_owned(),
        typ: "user".to_owned(),
        scope: String::new(),
    };
    let remaining = (issued_at + chrono_dur(ttl) - Utc::now()).num_seconds().max(0);
    Ok(TokenPair {
        access_token: issue_access_token(&state.keys, &claims)?,
        token_type: "Bearer".to_owned(),
        expires_in: remaining,
        refresh_token: refresh,
        refresh_expires_in: secs(state.settings.refresh_token_ttl),
    })
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("INVALID_CREDENTIALS", "unknown user name or wrong password")
}

/// Log in.
///
/// Returns a short-lived access token and a refresh token. After repeated failures the
/// account is locked for a while (counted in the database, so it holds across instances).
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 401, description = "Unknown user, wrong password, or disabled account", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked after too many failures; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "Seconds until the lock ends"))),
    )
)]
#[post("/auth/login")]
pub async fn login(state: web::Data<AppState>, Body(body): Body<LoginRequest>) -> Result<HttpResponse, ApiError> {
    let username = body.username.clone();
    let account = state.db(move |c| users::find_for_login(c, &username)).await?;
    let Some(account) = account else {
        let password = body.password.clone();
        web::block(move || verify_secret(&password, dummy_hash())).await?;
        return Err(invalid_credentials());
    };
    let now = zs_persistence::now();
    let locked =
        |until: chrono::NaiveDateTime| ApiError::Locked { retry_after_secs: (until - now).num_seconds().max(1) };
    if let Some(until) = account.locked_until.filter(|u| *u > now) {
        return Err(locked(until));
    }
    // The attempt is counted before the (slow) password check, atomically with the lock
    // check: parallel guesses cannot all pass the check before any of them is counted.
    let user_id = account.id.clone();
    let (max, lock) = (state.settings.login_max_failures, chrono_dur(state.settings.login_lock));
    match state.write(move |c| users::claim_login_attempt(c, &user_id, now, max, lock)).await? {
        LoginAttempt::Claimed => {}
        LoginAttempt::Locked { until } => return Err(locked(until)),
        LoginAttempt::Unknown => return Err(invalid_credentials()),
    }
    let (password, hash) = (body.password.clone(), account.password_hash.clone());
    let ok = web::block(move || verify_secret(&password, &hash)).await?;
    let user_id = account.id.clone();
    if !ok {
        return Err(invalid_credentials());
    }
    if account.disabled {
        // The password was right: the attempt is no failure.
        state.write(move |c| users::record_login_success(c, &user_id)).await?;
        return Err(ApiError::unauthorized("ACCOUNT_DISABLED", "the account is disabled"));
    }
    let refresh = random_token();
    let (hash, ttl) = (token_hash(&refresh), chrono_dur(state.settings.refresh_token_ttl));
    let issued = zs_persistence::now();
    state
        .write(move |c| {
            users::record_login_success(c, &user_id)?;
            tokens::insert(c, &hash, &zs_persistence::new_id(), &user_id, issued, issued + ttl)
        })
        .await?;
    Ok(token_response(&pair(&state, &account.id, refresh, issued.and_utc())?))
}

/// Rotate a refresh token.
///
/// The presented token is spent and a new pair returned. Presented again within 30 s (a phone
/// that lost the answer), it returns the same new pair; later reuse revokes the whole family.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh_token",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh_token(
    state: web::Data<AppState>,
    Body(body): Body<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let old = body.refresh_token;
    let new = successor_token(&state.keys, &old);
    let (old_hash, new_hash) = (token_hash(&old), token_hash(&new));
    let grace = chrono_dur(state.settings.refresh_grace);
    let ttl = chrono_dur(state.settings.refresh_token_ttl);
    let outcome = state
        .write(move |c| {
            let r = tokens::rotate(c, &old_hash, &new_hash, zs_persistence::now(), grace, ttl)?;
            // A disabled account gets nothing, even within the grace period.
            let alive = match &r {
                Rotation::Rotated { user_id, .. } | Rotation::Replayed { user_id, .. } => {
                    users::load_caller(c, PrincipalKind::User, user_id, &[])?.is_some()
                }
                _ => true,
            };
            Ok((r, alive))
        })
        .await?;
    match outcome {
        (Rotation::Rotated { user_id, rotated_at } | Rotation::Replayed { user_id, rotated_at }, true) => {
            Ok(token_response(&pair(&state, &user_id, new, rotated_at.and_utc())?))
        }
        (Rotation::Reused, _) => Err(ApiError::unauthorized(
            "REFRESH_TOKEN_REUSED",
            "this refresh token was already used; every token of its family is now revoked — log in again",
        )),
        _ => Err(ApiError::unauthorized("INVALID_REFRESH_TOKEN", "the refresh token is unknown, expired or revoked")),
    }
}

/// Log out.
///
/// Revokes the refresh token's family. Access tokens already issued expire on their own.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out (also when the token was unknown)"))
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, Body(body): Body<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    let hash = token_hash(&body.refresh_token);
    state.write(move |c| tokens::revoke_by_token(c, &hash, zs_persistence::now())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Get a token for a partner system.
///
/// OAuth 2.0 client credentials (`grant_type=client_credentials`, form-encoded). The token
/// carries the requested scopes (all of the account's when `scope` is omitted).
#[utoipa::path(
    tag = "auth",
    operation_id = "client_credentials_token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Access token", body = ServiceToken),
        (status = 400, description = "Unsupported grant type or malformed form", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown client, wrong secret or disabled account", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not form-encoded", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A requested scope is not granted to the account", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn client_credentials_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if !req.content_type().eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(ApiError::UnsupportedMediaType("send the body as application/x-www-form-urlencoded".to_owned()));
    }
    if bytes.len() > state.settings.body_limit {
        return Err(ApiError::PayloadTooLarge { limit: state.settings.body_limit });
    }
    let form: TokenForm = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| ApiError::bad_request("MALFORMED_FORM", format!("the form is malformed: {e}")))?;
    let grant_type =
        present(form.grant_type).ok_or_else(|| ApiError::bad_request("MALFORMED_FORM", "grant_type is required"))?;
    if grant_type != "client_credentials" {
        return Err(ApiError::bad_request("UNSUPPORTED_GRANT_TYPE", "grant_type must be client_credentials"));
    }
    let (client_id, secret) = match (basic_credentials(&req)?, present(form.client_id), present(form.client_secret)) {
        (Some(_), _, Some(_)) => {
            return Err(ApiError::bad_request(
                "MALFORMED_FORM",
                "authenticate the client once: in Authorization: Basic or in the form, not both",
            ))
        }
        (Some((id, _)), Some(form_id), None) if form_id != id => {
            return Err(ApiError::bad_request("MALFORMED_FORM", "client_id differs from the one in Authorization"))
        }
        (Some(credentials), _, None) => credentials,
        (None, Some(id), Some(secret)) => (id, secret),
        (None, _, _) => {
            return Err(ApiError::unauthorized(
                "INVALID_CLIENT",
                "send client_id and client_secret in the form or in Authorization: Basic",
            ))
        }
    };
    let found = state.db(move |c| users::find_service_account_for_login(c, &client_id)).await?;
    let hash = found.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(|| dummy_hash().to_owned());
    let ok = web::block(move || verify_secret(&secret, &hash)).await?;
    let account = match found {
        Some((a, _)) if ok && !a.disabled => a,
        _ => return Err(ApiError::unauthorized("INVALID_CLIENT", "unknown client, wrong secret, or disabled account")),
    };
    let granted: Vec<Scope> = match present(form.scope) {
        None => account.scopes.clone(),
        Some(s) => {
            let mut out = vec![];
            for name in s.split_whitespace() {
                match Scope::parse(name).filter(|sc| account.scopes.contains(sc)) {
                    Some(sc) if out.contains(&sc) => {}
                    Some(sc) => out.push(sc),
                    None => {
                        return Err(ApiError::invalid(
                            "/scope",
                            "scope",
                            format!("scope {name} is not granted to this client"),
                        ))
                    }
                }
            }
            out
        }
    };
    let scope = granted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
    let now = Utc::now();
    let ttl = state.settings.access_token_ttl;
    let claims = Claims {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        sub: account.id.clone(),
        iat: now.timestamp(),
        exp: now.timestamp() + secs(ttl),
        jti: zs_persistence::new_id(),
        typ: "service".to_owned(),
        scope: scope.clone(),
    };
    Ok(token_response(&ServiceToken {
        access_token: issue_access_token(&state.keys, &claims)?,
        token_type: "Bearer".to_owned(),
        expires_in: secs(ttl),
        scope,
    }))
}
