//! List parameters and opaque page tokens. A token carries the position after the last item
//! of a page, bound by an HMAC to the list, the caller and the filters; a forged, altered or
//! foreign token is 400 and never grants access (the query applies visibility anyway).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_persistence::page::{Cursor, ListOrder, PageRequest};

use crate::auth::Keys;
use crate::error::ApiError;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 200;

/// Sort order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderBy {
    /// Creation order (ids are time-ordered UUIDv7).
    Id,
    /// Order of last change: what a syncing client wants with `updated_since`.
    UpdatedAt,
}

impl From<OrderBy> for ListOrder {
    fn from(o: OrderBy) -> Self {
        match o {
            OrderBy::Id => ListOrder::Id,
            OrderBy::UpdatedAt => ListOrder::UpdatedAt,
        }
    }
}

/// The paging part of a list's query string.
pub trait Listing {
    fn page_size(&self) -> Option<i64>;
    fn page_token(&self) -> Option<&str>;
    fn order_by(&self) -> Option<OrderBy>;
    /// The filters, as a stable string, so a token cannot be reused with other filters.
    fn fingerprint(&self) -> String;
}

/// Declares a list's query parameters: its filters plus `page_size`, `page_token`,
/// `order_by` and `updated_since`. Unknown parameters are refused (400).
#[macro_export]
macro_rules! list_query {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
            /// Items per page, 1–200 (default 50); more than 200 is refused, not clamped.
            #[param(minimum = 1, maximum = 200)]
            pub page_size: Option<i64>,
            /// Opaque token from `next_page_token` of the previous page, with the same filters.
            pub page_token: Option<String>,
            /// Sort order: `id` (creation order, the default) or `updated_at` (for sync).
            #[param(inline)]
            pub order_by: Option<$crate::paging::OrderBy>,
            /// Only records changed at or after this instant (RFC 3339).
            pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
        }

        impl $crate::paging::Listing for $name {
            fn page_size(&self) -> Option<i64> {
                self.page_size
            }
            fn page_token(&self) -> Option<&str> {
                self.page_token.as_deref()
            }
            fn order_by(&self) -> Option<$crate::paging::OrderBy> {
                self.order_by
            }
            fn fingerprint(&self) -> String {
                let mut c = self.clone();
                c.page_size = None;
                c.page_token = None;
                serde_json::to_string(&c).unwrap_or_default()
            }
        }
    };
}

#[derive(Serialize, Deserialize)]
struct TokenBody {
    /// list
    l: String,
    /// principal
    p: String,
    /// filters fingerprint (hashed)
    f: String,
    /// cursor key and id
    k: String,
    i: String,
}

fn fingerprint_hash(s: &str) -> String {
    crate::auth::token_hash(s)[..16].to_owned()
}

/// A list request: the order, and where the page starts.
pub struct ListRequest {
    pub order: ListOrder,
    pub page: PageRequest,
    list: &'static str,
    principal: String,
    fingerprint: String,
}

impl ListRequest {
    /// Checks page size and token for `list` as called by `principal`.
    pub fn new(keys: &Keys, list: &'static str, principal: &str, q: &impl Listing) -> Result<Self, ApiError> {
        let size = q.page_size().unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::bad_request(
                "INVALID_PAGE_SIZE",
                format!("page_size must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        let order: ListOrder = q.order_by().unwrap_or(OrderBy::Id).into();
        let fingerprint = fingerprint_hash(&q.fingerprint());
        let after = match q.page_token() {
            None => None,
            Some(t) => Some(decode(keys, t, list, principal, &fingerprint)?),
        };
        Ok(ListRequest {
            order,
            page: PageRequest { after, limit: size },
            list,
            principal: principal.to_owned(),
            fingerprint,
        })
    }

    /// The token of the page after the one that ended at `next`.
    pub fn token(&self, keys: &Keys, next: Option<Cursor>) -> Option<String> {
        next.map(|c| {
            let body = TokenBody {
                l: self.list.to_owned(),
                p: self.principal.clone(),
                f: self.fingerprint.clone(),
                k: c.key,
                i: c.id,
            };
            let json = serde_json::to_vec(&body).unwrap_or_default();
            let mac = keys.mac("page-token", &json);
            format!("{}.{}", URL_SAFE_NO_PAD.encode(&json), URL_SAFE_NO_PAD.encode(mac))
        })
    }
}

fn decode(keys: &Keys, token: &str, list: &str, principal: &str, fingerprint: &str) -> Result<Cursor, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "INVALID_PAGE_TOKEN",
            "the page token is invalid, altered, or from another list, caller or filter",
        )
    };
    let (body, mac) = token.split_once('.').ok_or_else(bad)?;
    let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())?;
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| bad())?;
    let expected = keys.mac("page-token", &json);
    if !constant_time_eq(&mac, &expected) {
        return Err(bad());
    }
    let t: TokenBody = serde_json::from_slice(&json).map_err(|_| bad())?;
    if t.l != list || t.p != principal || t.f != fingerprint {
        return Err(bad());
    }
    Ok(Cursor { key: t.k, id: t.i })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Converts `updated_since` to the stored form.
pub fn since(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<chrono::NaiveDateTime> {
    t.map(|t| t.naive_utc())
}
