//! Tokens and the caller: JWT access tokens (HS256 pinned; `iss`, `aud`, `exp`, `sub`
//! required), refresh tokens derived so that a replay within the grace period yields the
//! same pair, password and secret hashing (argon2id), and the `Auth` extractor.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zs_domain::auth::{Caller, PrincipalKind, Scope};
use zs_persistence::scope::Visibility;

use crate::error::ApiError;
use crate::state::AppState;

pub const ISSUER: &str = "zhaoshang";
pub const AUDIENCE: &str = "zhaoshang-api";

/// Keys derived from the one signing secret.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    secret: Vec<u8>,
}

impl Keys {
    pub fn new(secret: &[u8]) -> Self {
        Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            secret: secret.to_vec(),
        }
    }

    /// HMAC-SHA256 of `data` under a key derived for `purpose`.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let derived = hmac_sha256(&self.secret, purpose.as_bytes());
        hmac_sha256(&derived, data)
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().into()
        }
        // HMAC takes keys of any length, so this arm is never taken; it keeps the code panic-free.
        Err(_) => Sha256::new().chain_update(key).chain_update(data).finalize().into(),
    }
}

/// Claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// `user` or `service`.
    pub typ: String,
    /// Space-separated scopes (service tokens only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

pub fn issue_access_token(keys: &Keys, claims: &Claims) -> Result<String, ApiError> {
    encode(&Header::new(Algorithm::HS256), claims, &keys.encoding)
        .map_err(|e| ApiError::Internal(format!("signing failed: {e}")))
}

pub fn verify_access_token(keys: &Keys, token: &str) -> Result<Claims, ApiError> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    v.leeway = 5;
    decode::<Claims>(token, &keys.decoding, &v).map(|d| d.claims).map_err(|e| {
        ApiError::unauthorized("INVALID_TOKEN", format!("the access token is not valid: {}", token_error(&e)))
    })
}

fn token_error(e: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "expired",
        K::InvalidAudience => "wrong audience",
        K::InvalidIssuer => "wrong issuer",
        K::InvalidSignature => "bad signature",
        K::InvalidAlgorithm | K::InvalidAlgorithmName => "algorithm not allowed",
        K::MissingRequiredClaim(_) => "a required claim is missing",
        _ => "malformed",
    }
}

/// A new random opaque token (refresh tokens, client secrets).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// How a refresh token is stored: its SHA-256, never the token.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The successor of a refresh token: derived from it, so a replay within the grace period
/// can answer with the very same token without storing it.
pub fn successor_token(keys: &Keys, old: &str) -> String {
    URL_SAFE_NO_PAD.encode(keys.mac("refresh-successor", old.as_bytes()))
}

pub fn hash_secret(secret: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing failed: {e}")))
}

pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).map(|h| Argon2::default().verify_password(secret.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// Verifying against this keeps an unknown user name as slow as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("no-such-user-password").unwrap_or_default())
}

/// The authenticated caller and its visibility, loaded once per request.
pub struct Auth {
    pub caller: Caller,
    pub vis: Visibility,
}

impl FromRequest for Auth {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await.map_err(Into::into) })
    }
}

async fn authenticate(req: &HttpRequest) -> Result<Auth, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".to_owned()))?
        .clone();
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("MISSING_TOKEN", "send Authorization: Bearer <access token>"))?;
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("MISSING_TOKEN", "send Authorization: Bearer <access token>"))?;
    let claims = verify_access_token(&state.keys, token)?;
    let kind = match claims.typ.as_str() {
        "user" => PrincipalKind::User,
        "service" => PrincipalKind::Service,
        _ => return Err(ApiError::unauthorized("INVALID_TOKEN", "the access token is not valid: unknown type")),
    };
    let scopes: Vec<Scope> = claims.scope.split_whitespace().filter_map(Scope::parse).collect();
    let sub = claims.sub.clone();
    let loaded = state
        .db(move |conn| {
            let Some(caller) = zs_persistence::users::load_caller(conn, kind, &sub, &scopes)? else {
                return Ok(None);
            };
            let vis = Visibility::load(conn, &caller)?;
            Ok(Some(Auth { caller, vis }))
        })
        .await?;
    loaded.ok_or_else(|| ApiError::unauthorized("INVALID_TOKEN", "the account is disabled or no longer exists"))
}

impl Auth {
    /// Refuses a service account that lacks `scope` (users read everything they see).
    pub fn require_read(&self, scope: Scope) -> Result<(), ApiError> {
        if self.caller.may_read(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("the token lacks the scope {scope}")))
        }
    }

    /// Refuses service accounts: they never administer organizations, users or alliances.
    pub fn require_person(&self) -> Result<(), ApiError> {
        if self.caller.kind == PrincipalKind::User {
            Ok(())
        } else {
            Err(ApiError::Forbidden("service accounts may not administer organizations, users or alliances".to_owned()))
        }
    }
}
