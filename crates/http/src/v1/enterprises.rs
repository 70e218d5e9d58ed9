//! `/v1/enterprises`: investors and local companies (企业 / 客商) each organization records,
//! with their contacts as a sub-resource and sharing with alliances.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::Scope;
use zs_domain::enterprise::{parse_country, IndustrySection, Ownership, Uscc};
use zs_domain::error::Violations;
use zs_domain::org::RegionCode;
use zs_domain::text;
use zs_domain::user::{parse_email, parse_phone};
use zs_domain::DomainError;
use zs_persistence::enterprises::{
    self, listing_violations, Contact, ContactFilter, ContactPatch, Enterprise, EnterpriseFields, EnterpriseFilter,
    EnterprisePatch, NewContact, NewEnterprise,
};
use zs_persistence::page::Entry;

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::paging::{since, ListRequest};
use crate::state::AppState;

/// An enterprise (企业 / 客商) as one organization records it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The organization that keeps this record.
    pub owner_organization_id: String,
    /// Registered name, e.g. 麦格纳座椅（中国）有限公司.
    pub name: String,
    /// Unified social credit code (统一社会信用代码, GB 32100-2015); absent for foreign firms.
    pub uscc: Option<String>,
    /// Country of the headquarters (ISO 3166-1 alpha-2).
    pub country: String,
    /// 6-digit administrative division code of the headquarters (GB/T 2260).
    pub region_code: Option<String>,
    /// Industry section (GB/T 4754-2017 门类, A–T).
    pub industry: Option<IndustrySection>,
    /// Ownership.
    pub ownership: Ownership,
    /// On the Fortune Global 500 list (世界500强).
    pub fortune_global_500: bool,
    /// On the China 500 list (中国500强).
    pub china_500: bool,
    /// On the China private 500 list (民营500强).
    pub china_private_500: bool,
    /// A listed company (上市公司).
    pub listed: bool,
    /// Stock exchange of a listed company, e.g. SSE, SZSE, HKEX.
    pub exchange: Option<String>,
    /// Ticker of a listed company, e.g. 600104.
    pub ticker: Option<String>,
    /// Web site (http or https URL).
    pub website: Option<String>,
    /// Free notes.
    pub notes: String,
    /// Alliances this enterprise is shared with.
    pub shared_with: Vec<String>,
    /// Version, incremented by every change (also the `ETag`).
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Only in the response of create: other enterprises you see with the same USCC or the same
    /// normalized name (full-width, traditional characters and punctuation folded). Not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub possible_duplicates: Option<Vec<PossibleDuplicate>>,
}

impl From<Enterprise> for EnterpriseResponse {
    fn from(e: Enterprise) -> Self {
        EnterpriseResponse {
            id: e.id,
            owner_organization_id: e.owner_organization_id,
            name: e.name,
            uscc: e.uscc,
            country: e.country,
            region_code: e.region_code,
            industry: e.industry,
            ownership: e.ownership,
            fortune_global_500: e.fortune_global_500,
            china_500: e.china_500,
            china_private_500: e.china_private_500,
            listed: e.listed,
            exchange: e.exchange,
            ticker: e.ticker,
            website: e.website,
            notes: e.notes,
            shared_with: e.shared_with,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
            possible_duplicates: None,
        }
    }
}

/// Another enterprise record that may be the same company.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PossibleDuplicate {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The organization that keeps it.
    pub owner_organization_id: String,
    /// Its USCC, if recorded.
    pub uscc: Option<String>,
}

/// The tombstone of a deleted enterprise (with `include_deleted=true`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseTombstone {
    /// Id of the deleted enterprise.
    pub id: String,
    /// When it was deleted (UTC).
    pub deleted_at: chrono::DateTime<chrono::Utc>,
    /// Its version after deletion.
    pub version: i64,
}

/// A list entry: an enterprise, or the tombstone of a deleted one (it has `deleted_at`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EnterpriseListItem {
    /// A tombstone.
    Deleted(EnterpriseTombstone),
    /// A live enterprise.
    Live(Box<EnterpriseResponse>),
}

impl From<Entry<Enterprise>> for EnterpriseListItem {
    fn from(e: Entry<Enterprise>) -> Self {
        match e {
            Entry::Live(e) => EnterpriseListItem::Live(Box::new((*e).into())),
            Entry::Deleted { id, deleted_at, version } => {
                EnterpriseListItem::Deleted(EnterpriseTombstone { id, deleted_at, version })
            }
        }
    }
}

/// A page of enterprises.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnterprisePage {
    /// The enterprises (and, with `include_deleted=true`, tombstones) of this page.
    pub items: Vec<EnterpriseListItem>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new enterprise.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "重庆市两江新区开发投资集团有限公司",
    "uscc": "11500381MB1984929M",
    "country": "CN",
    "region_code": "500000",
    "industry": "L",
    "ownership": "local_soe",
    "notes": "两江新区招商对接"
}))]
pub struct CreateEnterpriseRequest {
    /// Optional client-chosen id (UUIDv7), for clients that create records offline.
    pub id: Option<String>,
    /// The organization that keeps the record: the caller's (default) or one the caller may
    /// act for (a subordinate, for its leaders and org admins).
    pub owner_organization_id: Option<String>,
    /// Registered name (1-200 characters).
    pub name: String,
    /// Unified social credit code: 18 characters with a valid GB 32100-2015 check character.
    /// Unique among the live enterprises of one organization.
    pub uscc: Option<String>,
    /// Country of the headquarters, ISO 3166-1 alpha-2 (default CN).
    pub country: Option<String>,
    /// 6-digit administrative division code of the headquarters.
    pub region_code: Option<String>,
    /// Industry section (A–T).
    pub industry: Option<IndustrySection>,
    /// Ownership (default `other`).
    pub ownership: Option<Ownership>,
    /// On the Fortune Global 500 list (default false).
    #[serde(default)]
    pub fortune_global_500: bool,
    /// On the China 500 list (default false).
    #[serde(default)]
    pub china_500: bool,
    /// On the China private 500 list (default false).
    #[serde(default)]
    pub china_private_500: bool,
    /// A listed company (default false); then `exchange` and `ticker` are required.
    #[serde(default)]
    pub listed: bool,
    /// Stock exchange (1-50 characters); only for a listed company.
    pub exchange: Option<String>,
    /// Ticker (1-20 characters); only for a listed company.
    pub ticker: Option<String>,
    /// Web site: an http or https URL of at most 500 characters.
    pub website: Option<String>,
    /// Free notes (at most 10000 characters).
    pub notes: Option<String>,
}

/// Parses a merge-patch field that may be null: absent stays `None`, `null` clears.
fn patch_field<T>(
    v: &mut Violations,
    raw: &Option<Option<String>>,
    parse: impl Fn(&str) -> Result<T, DomainError>,
) -> Option<Option<T>> {
    match raw {
        None => None,
        Some(None) => Some(None),
        Some(Some(s)) => v.take(parse(s)).map(Some),
    }
}

fn parse_website(pointer: &str, raw: &str) -> Result<String, DomainError> {
    let t = raw.trim();
    let rest = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://"));
    let ok = t.chars().count() <= 500
        && rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !t.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(t.to_owned())
    } else {
        Err(DomainError::invalid(pointer, "url", "must be an http:// or https:// URL of at most 500 characters"))
    }
}

fn parse_exchange(raw: &str) -> Result<String, DomainError> {
    text::name("/exchange", raw, 50)
}

fn parse_ticker(raw: &str) -> Result<String, DomainError> {
    text::name("/ticker", raw, 20)
}

fn parse_notes(raw: &str) -> Result<String, DomainError> {
    text::body("/notes", raw, 10_000)
}

impl CreateEnterpriseRequest {
    fn parse(&self, caller_org: &str) -> Result<NewEnterprise, ApiError> {
        let mut v = Violations::new();
        let id = self.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
        let name = v.take(text::name("/name", &self.name, 200));
        let uscc = self.uscc.as_deref().and_then(|u| v.take(Uscc::parse("/uscc", u)));
        let country = v.take(parse_country("/country", self.country.as_deref().unwrap_or("CN")));
        let region_code = self.region_code.as_deref().and_then(|r| v.take(RegionCode::parse("/region_code", r)));
        let exchange = self.exchange.as_deref().and_then(|e| v.take(parse_exchange(e)));
        let ticker = self.ticker.as_deref().and_then(|t| v.take(parse_ticker(t)));
        let website = self.website.as_deref().and_then(|w| v.take(parse_website("/website", w)));
        let notes = v.take(parse_notes(self.notes.as_deref().unwrap_or("")));
        for violation in listing_violations(self.listed, self.exchange.is_some(), self.ticker.is_some()) {
            v.push(violation);
        }
        v.into_result()?;
        let (Some(name), Some(country), Some(notes)) = (name, country, notes) else {
            return Err(ApiError::Internal("validation passed without values".to_owned()));
        };
        Ok(NewEnterprise {
            id,
            owner_organization_id: self.owner_organization_id.clone().unwrap_or_else(|| caller_org.to_owned()),
            fields: EnterpriseFields {
                name,
                uscc,
                country,
                region_code,
                industry: self.industry,
                ownership: self.ownership.unwrap_or(Ownership::Other),
                fortune_global_500: self.fortune_global_500,
                china_500: self.china_500,
                china_private_500: self.china_private_500,
                listed: self.listed,
                exchange,
                ticker,
                website,
                notes,
            },
        })
    }
}

/// Changes to an enterprise (JSON merge patch; `null` clears an optional field). The owner,
/// version and timestamps are not writable.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"listed": true, "exchange": "SSE", "ticker": "600104", "fortune_global_500": true}))]
pub struct UpdateEnterpriseRequest {
    /// New name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// New USCC, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub uscc: Option<Option<String>>,
    /// New country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// New region code, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub region_code: Option<Option<String>>,
    /// New industry section, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub industry: Option<Option<IndustrySection>>,
    /// New ownership.
    pub ownership: Option<Ownership>,
    /// Fortune Global 500 flag.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub fortune_global_500: Option<bool>,
    /// China 500 flag.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub china_500: Option<bool>,
    /// China private 500 flag.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub china_private_500: Option<bool>,
    /// Listed flag; the result must have exchange and ticker exactly when listed.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub listed: Option<bool>,
    /// New exchange, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Option<String>>,
    /// New ticker, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub ticker: Option<Option<String>>,
    /// New web site, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub website: Option<Option<String>>,
    /// New notes.
    pub notes: Option<String>,
}

impl UpdateEnterpriseRequest {
    fn parse(&self) -> Result<EnterprisePatch, ApiError> {
        let mut v = Violations::new();
        let patch = EnterprisePatch {
            name: self.name.as_deref().and_then(|n| v.take(text::name("/name", n, 200))),
            uscc: patch_field(&mut v, &self.uscc, |u| Uscc::parse("/uscc", u)),
            country: self.country.as_deref().and_then(|c| v.take(parse_country("/country", c))),
            region_code: patch_field(&mut v, &self.region_code, |r| RegionCode::parse("/region_code", r)),
            industry: self.industry,
            ownership: self.ownership,
            fortune_global_500: self.fortune_global_500,
            china_500: self.china_500,
            china_private_500: self.china_private_500,
            listed: self.listed,
            exchange: patch_field(&mut v, &self.exchange, parse_exchange),
            ticker: patch_field(&mut v, &self.ticker, parse_ticker),
            website: patch_field(&mut v, &self.website, |w| parse_website("/website", w)),
            notes: self.notes.as_deref().and_then(|n| v.take(parse_notes(n))),
        };
        v.into_result()?;
        Ok(patch)
    }
}

list_query! {
    /// Filters of the enterprise list.
    pub struct EnterpriseListQuery {
        /// Substring of the name; matched on the normalized name, so full-width characters,
        /// traditional characters, case and punctuation do not matter.
        pub q: Option<String>,
        /// Only the enterprises with this USCC.
        pub uscc: Option<String>,
        /// Only Fortune Global 500 (true) or others (false).
        pub fortune_global_500: Option<bool>,
        /// Only China 500 (true) or others (false).
        pub china_500: Option<bool>,
        /// Only China private 500 (true) or others (false).
        pub china_private_500: Option<bool>,
        /// Only listed (true) or unlisted (false) companies.
        pub listed: Option<bool>,
        /// Only this ownership.
        pub ownership: Option<Ownership>,
        /// Only this industry section.
        pub industry: Option<IndustrySection>,
        /// Only headquarters in this region; a province or prefecture code (530000, 533100)
        /// matches the regions under it.
        pub region_code: Option<String>,
        /// Only headquarters in this country (ISO 3166-1 alpha-2).
        pub country: Option<String>,
        /// Only enterprises kept by this organization or its descendants.
        pub owner_organization_id: Option<String>,
        /// Also return tombstones (`id`, `deleted_at`, `version`) of enterprises deleted since
        /// `updated_since`, so a client learns of deletions.
        pub include_deleted: Option<bool>,
    }
}

/// Create an enterprise.
///
/// Officers, leaders and org admins record enterprises for their organization; leaders and org
/// admins of a superior for a subordinate (which keeps the record). A USCC already used by a
/// live enterprise of the same organization is 409 `DUPLICATE_USCC` naming that record; other
/// records you see with the same USCC or normalized name come back as `possible_duplicates`.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "create_enterprise",
    request_body = CreateEnterpriseRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created, with `possible_duplicates`", body = EnterpriseResponse,
            headers(("Location" = String, description = "URL of the new enterprise"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Your roles do not allow recording enterprises for that organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Owner organization not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ALREADY_EXISTS` (id taken) or `DUPLICATE_USCC` (the detail names the existing enterprise)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/enterprises")]
pub async fn create_enterprise(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateEnterpriseRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.parse(&auth.caller.organization_id)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| enterprises::create(c, &caller, &vis, cmd),
        |(e, duplicates)| {
            let mut r = EnterpriseResponse::from(e);
            r.possible_duplicates = Some(
                duplicates
                    .into_iter()
                    .map(|d| PossibleDuplicate {
                        id: d.id,
                        name: d.name,
                        owner_organization_id: d.owner_organization_id,
                        uscc: d.uscc,
                    })
                    .collect(),
            );
            Created::new(&r, format!("/v1/enterprises/{}", r.id), r.version)
        },
    )
    .await
}

/// Get an enterprise.
///
/// Visible: enterprises kept by your organization or its descendants, those shared with an
/// alliance your organization (or an ancestor) is an active member of, and the investor of a
/// project shared with such an alliance.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "get_enterprise",
    params(("id" = String, Path, description = "Enterprise id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The enterprise", body = EnterpriseResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified since the version in If-None-Match"),
        (status = 403, description = "The token lacks `enterprises:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/enterprises/{id}")]
pub async fn get_enterprise(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::EnterprisesRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let e = state.db(move |c| enterprises::get(c, &vis, &id)).await?;
    Ok(respond(&req, e.version, &EnterpriseResponse::from(e)))
}

/// List enterprises.
///
/// Keyset-paged; visible enterprises only.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "list_enterprises",
    params(EnterpriseListQuery),
    responses(
        (status = 200, description = "A page of enterprises", body = EnterprisePage),
        (status = 403, description = "The token lacks `enterprises:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/enterprises")]
pub async fn list_enterprises(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<EnterpriseListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::EnterprisesRead)?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "enterprises", &auth.caller.principal_id, &q)?;
    let filter = EnterpriseFilter {
        q: q.q,
        uscc: q.uscc.map(|u| u.trim().to_ascii_uppercase()),
        fortune_global_500: q.fortune_global_500,
        china_500: q.china_500,
        china_private_500: q.china_private_500,
        listed: q.listed,
        ownership: q.ownership,
        industry: q.industry,
        region_code: q.region_code,
        country: q.country,
        owner_organization_id: q.owner_organization_id,
        updated_since: since(q.updated_since),
        include_deleted: q.include_deleted.unwrap_or(false),
    };
    let vis = auth.vis.clone();
    let (order, page) = (lr.order, lr.page.clone());
    let result = state.db(move |c| enterprises::list(c, &vis, &filter, order, &page)).await?;
    Ok(HttpResponse::Ok().json(EnterprisePage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Update an enterprise.
///
/// Those who may create it for its owner may change it; alliance partners only read (403).
/// Send `If-Match` with the version you read to avoid overwriting someone else's change.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "update_enterprise",
    request_body(content = UpdateEnterpriseRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Enterprise id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = EnterpriseResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "You see the enterprise but may not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`DUPLICATE_USCC`: another enterprise of the owner has that USCC", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/enterprises/{id}")]
pub async fn update_enterprise(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateEnterpriseRequest>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.parse()?;
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let e = state.write(move |c| enterprises::update(c, &caller, &vis, &id, patch, expected)).await?;
    Ok(written(e.version, &EnterpriseResponse::from(e)))
}

/// Delete an enterprise.
///
/// Soft: it then answers 404, lists skip it, and it leaves a tombstone for sync. Refused with
/// 409 `ENTERPRISE_IN_USE` while live projects name it as their investor.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "delete_enterprise",
    params(("id" = String, Path, description = "Enterprise id"), crate::v1::IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "You see the enterprise but may not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ENTERPRISE_IN_USE`: projects still reference it", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/enterprises/{id}")]
pub async fn delete_enterprise(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    state.write(move |c| enterprises::delete(c, &caller, &vis, &id, expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Share an enterprise with an alliance.
///
/// Its members then read the enterprise and its contacts (phones and e-mails masked), never
/// write them. The owner organization must be an active member of the alliance. Sharing again
/// is harmless.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "share_enterprise",
    params(("id" = String, Path, description = "Enterprise id"), ("alliance_id" = String, Path, description = "Alliance id")),
    responses(
        (status = 200, description = "Shared; the enterprise afterwards", body = EnterpriseResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "You see the enterprise but may not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise or alliance, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`NOT_AN_ALLIANCE_MEMBER`: the owner is not an active member", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/enterprises/{id}/shares/{alliance_id}")]
pub async fn share_enterprise(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, alliance) = path.into_inner();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let e = state.write(move |c| enterprises::share(c, &caller, &vis, &id, &alliance)).await?;
    Ok(written(e.version, &EnterpriseResponse::from(e)))
}

/// Stop sharing an enterprise with an alliance.
///
/// Its members lose sight of it at once (unless a project they see names it as investor).
#[utoipa::path(
    tag = "enterprises",
    operation_id = "unshare_enterprise",
    params(("id" = String, Path, description = "Enterprise id"), ("alliance_id" = String, Path, description = "Alliance id")),
    responses(
        (status = 200, description = "No longer shared; the enterprise afterwards", body = EnterpriseResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "You see the enterprise but may not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise, not visible, or not shared with that alliance", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/enterprises/{id}/shares/{alliance_id}")]
pub async fn unshare_enterprise(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, alliance) = path.into_inner();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let e = state.write(move |c| enterprises::unshare(c, &caller, &vis, &id, &alliance)).await?;
    Ok(written(e.version, &EnterpriseResponse::from(e)))
}

// ---------------------------------------------------------------------------------------------
// Contacts

/// A contact person of an enterprise. Phone and e-mail are shown in full to the owner
/// organization and its superiors, masked (138****1234, z***@example.com) to everyone else.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The enterprise.
    pub enterprise_id: String,
    /// Name of the person.
    pub name: String,
    /// Position, e.g. 总经理 (may be empty).
    pub title: String,
    /// Phone number (masked when `masked`).
    pub phone: Option<String>,
    /// E-mail address (masked when `masked`).
    pub email: Option<String>,
    /// Whether phone and e-mail are shown masked to you. A masked value cannot be sent back.
    pub masked: bool,
    /// Version (also the `ETag`).
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Contact> for ContactResponse {
    fn from(c: Contact) -> Self {
        ContactResponse {
            id: c.id,
            enterprise_id: c.enterprise_id,
            name: c.name,
            title: c.title,
            phone: c.phone,
            email: c.email,
            masked: c.masked,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The tombstone of a deleted contact (with `include_deleted=true`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactTombstone {
    /// Id of the deleted contact.
    pub id: String,
    /// When it was deleted (UTC).
    pub deleted_at: chrono::DateTime<chrono::Utc>,
    /// Its version after deletion.
    pub version: i64,
}

/// A list entry: a contact, or the tombstone of a deleted one (it has `deleted_at`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ContactListItem {
    /// A tombstone.
    Deleted(ContactTombstone),
    /// A live contact.
    Live(Box<ContactResponse>),
}

impl From<Entry<Contact>> for ContactListItem {
    fn from(e: Entry<Contact>) -> Self {
        match e {
            Entry::Live(c) => ContactListItem::Live(Box::new((*c).into())),
            Entry::Deleted { id, deleted_at, version } => {
                ContactListItem::Deleted(ContactTombstone { id, deleted_at, version })
            }
        }
    }
}

/// A page of contacts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactPage {
    /// The contacts (and, with `include_deleted=true`, tombstones) of this page.
    pub items: Vec<ContactListItem>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new contact.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "张伟", "title": "中国区总经理", "phone": "13812341234", "email": "zhang.wei@example.com"}))]
pub struct CreateContactRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// Name of the person (1-100 characters).
    pub name: String,
    /// Position (at most 100 characters; default empty).
    pub title: Option<String>,
    /// Phone: an 11-digit mobile number or a fixed line with area code. Never a masked value.
    pub phone: Option<String>,
    /// E-mail address. Never a masked value.
    pub email: Option<String>,
}

/// Changes to a contact (JSON merge patch; `null` clears phone or e-mail).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "董事长", "phone": "13900001111"}))]
pub struct UpdateContactRequest {
    /// New name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// New position (empty to clear).
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    /// New phone, or null to clear it. Never a masked value.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub phone: Option<Option<String>>,
    /// New e-mail address, or null to clear it. Never a masked value.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
}

fn parse_title(raw: &str) -> Result<String, DomainError> {
    if raw.trim().is_empty() {
        Ok(String::new())
    } else {
        text::name("/title", raw, 100)
    }
}

impl CreateContactRequest {
    fn parse(&self) -> Result<NewContact, ApiError> {
        let mut v = Violations::new();
        let id = self.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
        let name = v.take(text::name("/name", &self.name, 100));
        let title = v.take(parse_title(self.title.as_deref().unwrap_or("")));
        let phone = self.phone.as_deref().and_then(|p| v.take(parse_phone("/phone", p)));
        let email = self.email.as_deref().and_then(|e| v.take(parse_email("/email", e)));
        v.into_result()?;
        let (Some(name), Some(title)) = (name, title) else {
            return Err(ApiError::Internal("validation passed without values".to_owned()));
        };
        Ok(NewContact { id, name, title, phone, email })
    }
}

impl UpdateContactRequest {
    fn parse(&self) -> Result<ContactPatch, ApiError> {
        let mut v = Violations::new();
        let patch = ContactPatch {
            name: self.name.as_deref().and_then(|n| v.take(text::name("/name", n, 100))),
            title: self.title.as_deref().and_then(|t| v.take(parse_title(t))),
            phone: patch_field(&mut v, &self.phone, |p| parse_phone("/phone", p)),
            email: patch_field(&mut v, &self.email, |e| parse_email("/email", e)),
        };
        v.into_result()?;
        Ok(patch)
    }
}

list_query! {
    /// Filters of the contact list.
    pub struct ContactListQuery {
        /// Also return tombstones (`id`, `deleted_at`, `version`) of contacts deleted since
        /// `updated_since`.
        pub include_deleted: Option<bool>,
    }
}

/// List the contacts of an enterprise.
///
/// For enterprises kept by your organization or its descendants (in full) and those shared
/// directly with your alliances (masked). The investor of a shared project shows no contacts.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "list_enterprise_contacts",
    params(("id" = String, Path, description = "Enterprise id"), ContactListQuery),
    responses(
        (status = 200, description = "A page of contacts", body = ContactPage),
        (status = 403, description = "The token lacks `enterprises:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise, or its contacts are not visible to you", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/enterprises/{id}/contacts")]
pub async fn list_enterprise_contacts(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    q: web::Query<ContactListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::EnterprisesRead)?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "enterprise-contacts", &auth.caller.principal_id, &q)?;
    let filter =
        ContactFilter { updated_since: since(q.updated_since), include_deleted: q.include_deleted.unwrap_or(false) };
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let (order, page) = (lr.order, lr.page.clone());
    let result = state.db(move |c| enterprises::list_contacts(c, &vis, &id, &filter, order, &page)).await?;
    Ok(HttpResponse::Ok().json(ContactPage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Add a contact to an enterprise.
///
/// Those who may change the enterprise. A masked phone or e-mail is 422 `masked_value`.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "create_enterprise_contact",
    request_body = CreateContactRequest,
    params(("id" = String, Path, description = "Enterprise id"), crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = ContactResponse,
            headers(("Location" = String, description = "URL of the new contact"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "You see the enterprise but may not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise, or its contacts are not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/enterprises/{id}/contacts")]
pub async fn create_enterprise_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<CreateContactRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.parse()?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let enterprise_id = id.into_inner();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| enterprises::create_contact(c, &caller, &vis, &enterprise_id, cmd),
        |contact| {
            let r = ContactResponse::from(contact);
            Created::new(&r, format!("/v1/enterprises/{}/contacts/{}", r.enterprise_id, r.id), r.version)
        },
    )
    .await
}

/// Get a contact of an enterprise.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "get_enterprise_contact",
    params(
        ("id" = String, Path, description = "Enterprise id"),
        ("contact_id" = String, Path, description = "Contact id"),
        crate::v1::IfNoneMatch
    ),
    responses(
        (status = 200, description = "The contact", body = ContactResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified since the version in If-None-Match"),
        (status = 403, description = "The token lacks `enterprises:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact, or not visible to you", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/enterprises/{id}/contacts/{contact_id}")]
pub async fn get_enterprise_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::EnterprisesRead)?;
    let (id, contact_id) = path.into_inner();
    let vis = auth.vis.clone();
    let c = state.db(move |c| enterprises::get_contact(c, &vis, &id, &contact_id)).await?;
    Ok(respond(&req, c.version, &ContactResponse::from(c)))
}

/// Update a contact of an enterprise.
///
/// Those who may change the enterprise. A masked phone or e-mail is 422 `masked_value`.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "update_enterprise_contact",
    request_body(content = UpdateContactRequest, content_type = "application/merge-patch+json"),
    params(
        ("id" = String, Path, description = "Enterprise id"),
        ("contact_id" = String, Path, description = "Contact id"),
        crate::v1::IfMatch
    ),
    responses(
        (status = 200, description = "Updated", body = ContactResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "You see the enterprise but may not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/enterprises/{id}/contacts/{contact_id}")]
pub async fn update_enterprise_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<(String, String)>,
    Body(body): Body<UpdateContactRequest>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.parse()?;
    let expected = if_match(&req)?;
    let (id, contact_id) = path.into_inner();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let c =
        state.write(move |c| enterprises::update_contact(c, &caller, &vis, &id, &contact_id, patch, expected)).await?;
    Ok(written(c.version, &ContactResponse::from(c)))
}

/// Delete a contact of an enterprise.
///
/// Soft: it then answers 404 and leaves a tombstone for sync.
#[utoipa::path(
    tag = "enterprises",
    operation_id = "delete_enterprise_contact",
    params(
        ("id" = String, Path, description = "Enterprise id"),
        ("contact_id" = String, Path, description = "Contact id"),
        crate::v1::IfMatch
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "You see the enterprise but may not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/enterprises/{id}/contacts/{contact_id}")]
pub async fn delete_enterprise_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (id, contact_id) = path.into_inner();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    state.write(move |c| enterprises::delete_contact(c, &caller, &vis, &id, &contact_id, expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites() {
        assert!(parse_website("/w", "https://www.magna.com").is_ok());
        assert!(parse_website("/w", "http://example.cn/about").is_ok());
        assert!(parse_website("/w", "www.magna.com").is_err());
        assert!(parse_website("/w", "https://").is_err());
        assert!(parse_website("/w", "https:///x").is_err());
        assert!(parse_website("/w", "https://a b.cn").is_err());
    }
}
