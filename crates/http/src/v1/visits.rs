//! `/v1/visits`: enterprise visits (走访, 上门对接, 政策宣讲, 回访) and inspections by an
//! enterprise's delegation (来考察), recorded from the field teams' phones with their check-in
//! location; a visit whose time lies well after the phone's clock is flagged `late_entry`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::visit::{check_purpose, parse_policy_tag, Location, Visit, VisitDirection, VisitPurpose};
use zs_domain::{text, FieldViolation};
use zs_persistence::page::{Cursor, Entry};
use zs_persistence::visits::{self, NewVisit, VisitFields, VisitFilter, VisitOrder};

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::paging::{Listing, OrderBy};
use crate::state::AppState;
use crate::v1::projects::Tombstone;

/// At most this many participants per visit.
const MAX_PARTICIPANTS: usize = 50;
/// At most this many policy feedback tags per visit.
const MAX_POLICY_TAGS: usize = 20;

/// The check-in location the phone reported.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"latitude": 29.5630, "longitude": 106.5516, "accuracy_m": 15.0, "address": "重庆市两江新区水土新城大地企业公园"}))]
pub struct LocationBody {
    /// Latitude in WGS 84 degrees, −90 to 90; sent together with `longitude`.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude in WGS 84 degrees, −180 to 180; sent together with `latitude`.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// Accuracy radius of the fix in metres, 0 to 100,000 (only with coordinates).
    #[serde(default)]
    pub accuracy_m: Option<f64>,
    /// Address text (1-500 characters).
    #[serde(default)]
    pub address: Option<String>,
}

impl From<Location> for LocationBody {
    fn from(l: Location) -> Self {
        LocationBody { latitude: l.latitude, longitude: l.longitude, accuracy_m: l.accuracy_m, address: l.address }
    }
}

/// An enterprise visit (走访) or inspection (来考察).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The organization that owns the visit record.
    pub owner_organization_id: String,
    /// `outbound` (we visit the enterprise) or `inbound` (its delegation inspects us).
    pub direction: VisitDirection,
    /// What the visit was for.
    pub purpose: VisitPurpose,
    /// The enterprise visited (or visiting).
    pub enterprise_id: String,
    /// The project the visit serves.
    pub project_id: Option<String>,
    /// When the visit took place (UTC).
    pub visited_at: DateTime<Utc>,
    /// The phone's clock when the visit was recorded (UTC), as sent.
    pub recorded_at: Option<DateTime<Utc>>,
    /// `visited_at` lies more than 24 hours after `recorded_at`: flagged for review, never
    /// refused, and neither time is changed.
    pub late_entry: bool,
    /// The check-in location; null when none was recorded.
    pub location: Option<LocationBody>,
    /// Users who took part, sorted by id.
    pub participants: Vec<String>,
    /// People of the enterprise or other bodies who attended (free text).
    pub external_attendees: String,
    /// What happened.
    pub summary: String,
    /// What was learned.
    pub findings: String,
    /// Next steps agreed.
    pub next_steps: String,
    /// Policy feedback tags (for roll-up of what enterprises ask of policy), sorted.
    pub policy_tags: Vec<String>,
    /// Who recorded the visit (user or service account id).
    pub created_by: String,
    /// Version (also the `ETag`).
    pub version: i64,
    /// When it was recorded on the server (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Visit> for VisitResponse {
    fn from(v: Visit) -> Self {
        VisitResponse {
            location: if v.location.is_empty() { None } else { Some(v.location.into()) },
            id: v.id,
            owner_organization_id: v.owner_organization_id,
            direction: v.direction,
            purpose: v.purpose,
            enterprise_id: v.enterprise_id,
            project_id: v.project_id,
            visited_at: v.visited_at,
            recorded_at: v.recorded_at,
            late_entry: v.late_entry,
            participants: v.participants,
            external_attendees: v.external_attendees,
            summary: v.summary,
            findings: v.findings,
            next_steps: v.next_steps,
            policy_tags: v.policy_tags,
            created_by: v.created_by,
            version: v.version,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A list entry: a visit, or (with `include_deleted=true`) the tombstone of a deleted one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum VisitListItem {
    /// A live visit.
    Visit(Box<VisitResponse>),
    /// A deleted visit.
    Deleted(Tombstone),
}

/// A page of visits.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitPage {
    /// The visits of this page.
    pub items: Vec<VisitListItem>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new visit, as a phone records it (possibly offline, with its own id).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "direction": "outbound",
    "purpose": "policy_briefing",
    "enterprise_id": "01936f3e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "visited_at": "2026-03-05T09:30:00+08:00",
    "recorded_at": "2026-03-05T11:02:00+08:00",
    "location": {"latitude": 29.5630, "longitude": 106.5516, "accuracy_m": 15.0, "address": "重庆市两江新区水土新城大地企业公园"},
    "participants": ["01936f3e-0000-7000-8000-000000000001"],
    "external_attendees": "市药监局医疗器械处 2 人；园区企业代表 30 余人",
    "summary": "联合市药监局走进大地企业公园开展政策宣讲",
    "findings": "企业关注医疗器械生产许可与现场检查资料提交流程",
    "next_steps": "汇总企业问题，一周内反馈",
    "policy_tags": ["医疗器械许可", "检验检测"]
}))]
pub struct CreateVisitRequest {
    /// Optional client-chosen id (UUIDv7), for phones that record offline.
    pub id: Option<String>,
    /// Owner: the caller's organization (default) or a descendant it may act for.
    pub owner_organization_id: Option<String>,
    /// `outbound` (we visit the enterprise) or `inbound` (its delegation inspects us).
    pub direction: VisitDirection,
    /// What the visit was for: `visit`, `on_site_matching`, `policy_briefing`, `follow_up`
    /// (outbound) or `inspection` (inbound); a purpose of the other direction is 422.
    pub purpose: VisitPurpose,
    /// The enterprise (one the caller sees).
    pub enterprise_id: String,
    /// The project the visit serves (one the caller sees).
    pub project_id: Option<String>,
    /// When the visit took place (RFC 3339; stored in UTC to the microsecond).
    pub visited_at: DateTime<Utc>,
    /// The phone's clock when the visit was recorded (RFC 3339). When `visited_at` lies more
    /// than 24 hours after it, the visit is flagged `late_entry`.
    pub recorded_at: Option<DateTime<Utc>>,
    /// The check-in location.
    pub location: Option<LocationBody>,
    /// Users who took part (at most 50): of the caller's organization or its descendants, or
    /// of an alliance partner of the owner organization. Partners' participants read the
    /// visit; they do not change it.
    #[serde(default)]
    pub participants: Vec<String>,
    /// People of the enterprise or other bodies who attended (free text, up to 2,000
    /// characters).
    #[serde(default)]
    pub external_attendees: String,
    /// What happened (up to 20,000 characters).
    #[serde(default)]
    pub summary: String,
    /// What was learned (up to 20,000 characters).
    #[serde(default)]
    pub findings: String,
    /// Next steps agreed (up to 20,000 characters).
    #[serde(default)]
    pub next_steps: String,
    /// Policy feedback tags (at most 20, each 1-40 characters; duplicates are kept once).
    #[serde(default)]
    pub policy_tags: Vec<String>,
    /// Problems the enterprise raised during the visit: tickets created in the same request
    /// (source `visit`, linked to this visit, its enterprise and project, owned by its owner).
    #[serde(default)]
    pub tickets: Vec<RaisedTicketRequest>,
}

/// Changes to the check-in location (JSON merge patch: `null` clears a field).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    /// New latitude, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub latitude: Option<Option<f64>>,
    /// New longitude, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub longitude: Option<Option<f64>>,
    /// New accuracy radius in metres, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<Option<f64>>,
    /// New address text, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub address: Option<Option<String>>,
}

/// Changes to a visit (JSON merge patch: `null` clears an optional field, `location` merges
/// field by field, lists are replaced whole). Owner, `late_entry`, version and timestamps are
/// not writable; `late_entry` follows the times.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"findings": "企业提出产品报证问题", "next_steps": "对接市药监局", "policy_tags": ["产品报证"]}))]
pub struct UpdateVisitRequest {
    /// New direction (the purpose must fit it).
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub direction: Option<VisitDirection>,
    /// New purpose (it must fit the direction).
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub purpose: Option<VisitPurpose>,
    /// New enterprise.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub enterprise_id: Option<String>,
    /// New project, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Option<String>>,
    /// New time of the visit.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub visited_at: Option<DateTime<Utc>>,
    /// New phone time of recording, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<Option<DateTime<Utc>>>,
    /// Changes to the location, or null to clear it.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub location: Option<Option<LocationPatch>>,
    /// New participants.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub participants: Option<Vec<String>>,
    /// New external attendees.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub external_attendees: Option<String>,
    /// New summary.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub summary: Option<String>,
    /// New findings.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub findings: Option<String>,
    /// New next steps.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub next_steps: Option<String>,
    /// New policy feedback tags.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub policy_tags: Option<Vec<String>>,
}

/// Every editable field with its value, before validation.
struct FieldsInput {
    direction: VisitDirection,
    purpose: VisitPurpose,
    enterprise_id: String,
    project_id: Option<String>,
    visited_at: DateTime<Utc>,
    recorded_at: Option<DateTime<Utc>>,
    location: LocationBody,
    participants: Vec<String>,
    external_attendees: String,
    summary: String,
    findings: String,
    next_steps: String,
    policy_tags: Vec<String>,
}

impl FieldsInput {
    fn validate(self) -> Result<VisitFields, zs_domain::DomainError> {
        let mut v = Violations::new();
        v.take(check_purpose(self.direction, self.purpose));
        let l = &self.location;
        let location =
            v.take(Location::parse("/location", l.latitude, l.longitude, l.accuracy_m, l.address.as_deref()));
        if self.participants.len() > MAX_PARTICIPANTS {
            v.push(FieldViolation::new("/participants", "length", format!("at most {MAX_PARTICIPANTS} participants")));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, u) in self.participants.iter().enumerate() {
            if !seen.insert(u.as_str()) {
                v.push(FieldViolation::new(
                    format!("/participants/{i}"),
                    "duplicate",
                    "a user appears twice among the participants",
                ));
            }
        }
        let external_attendees = v.take(text::body("/external_attendees", &self.external_attendees, 2_000));
        let summary = v.take(text::body("/summary", &self.summary, 20_000));
        let findings = v.take(text::body("/findings", &self.findings, 20_000));
        let next_steps = v.take(text::body("/next_steps", &self.next_steps, 20_000));
        if self.policy_tags.len() > MAX_POLICY_TAGS {
            v.push(FieldViolation::new("/policy_tags", "length", format!("at most {MAX_POLICY_TAGS} tags")));
        }
        let policy_tags: Vec<String> = self
            .policy_tags
            .iter()
            .enumerate()
            .filter_map(|(i, t)| v.take(parse_policy_tag(&format!("/policy_tags/{i}"), t)))
            .collect();
        v.into_result()?;
        match (location, external_attendees, summary, findings, next_steps) {
            (Some(location), Some(external_attendees), Some(summary), Some(findings), Some(next_steps)) => {
                Ok(VisitFields {
                    direction: self.direction,
                    purpose: self.purpose,
                    enterprise_id: self.enterprise_id,
                    project_id: self.project_id,
                    visited_at: self.visited_at,
                    recorded_at: self.recorded_at,
                    location,
                    participants: self.participants,
                    external_attendees,
                    summary,
                    findings,
                    next_steps,
                    policy_tags,
                })
            }
            // Every None above pushed a violation, so into_result() returned early.
            _ => Err(zs_domain::DomainError::invalid("", "invalid", "the visit is invalid")),
        }
    }
}

impl CreateVisitRequest {
    fn input(&self) -> FieldsInput {
        FieldsInput {
            direction: self.direction,
            purpose: self.purpose,
            enterprise_id: self.enterprise_id.clone(),
            project_id: self.project_id.clone(),
            visited_at: self.visited_at,
            recorded_at: self.recorded_at,
            location: self.location.clone().unwrap_or_default(),
            participants: self.participants.clone(),
            external_attendees: self.external_attendees.clone(),
            summary: self.summary.clone(),
            findings: self.findings.clone(),
            next_steps: self.next_steps.clone(),
            policy_tags: self.policy_tags.clone(),
        }
    }
}

impl UpdateVisitRequest {
    /// The patch applied to the current visit.
    fn merge(self, v: &Visit) -> FieldsInput {
        let current = LocationBody::from(v.location.clone());
        let location = match self.location {
            None => current,
            Some(None) => LocationBody::default(),
            Some(Some(p)) => LocationBody {
                latitude: p.latitude.unwrap_or(current.latitude),
                longitude: p.longitude.unwrap_or(current.longitude),
                accuracy_m: p.accuracy_m.unwrap_or(current.accuracy_m),
                address: p.address.unwrap_or(current.address),
            },
        };
        FieldsInput {
            direction: self.direction.unwrap_or(v.direction),
            purpose: self.purpose.unwrap_or(v.purpose),
            enterprise_id: self.enterprise_id.unwrap_or_else(|| v.enterprise_id.clone()),
            project_id: self.project_id.unwrap_or_else(|| v.project_id.clone()),
            visited_at: self.visited_at.unwrap_or(v.visited_at),
            recorded_at: self.recorded_at.unwrap_or(v.recorded_at),
            location,
            participants: self.participants.unwrap_or_else(|| v.participants.clone()),
            external_attendees: self.external_attendees.unwrap_or_else(|| v.external_attendees.clone()),
            summary: self.summary.unwrap_or_else(|| v.summary.clone()),
            findings: self.findings.unwrap_or_else(|| v.findings.clone()),
            next_steps: self.next_steps.unwrap_or_else(|| v.next_steps.clone()),
            policy_tags: self.policy_tags.unwrap_or_else(|| v.policy_tags.clone()),
        }
    }
}

/// Sort order of the visit list; a leading `-` sorts descending. Ties break on `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum VisitOrderBy {
    /// Creation order.
    #[serde(rename = "id")]
    Id,
    /// Newest first.
    #[serde(rename = "-id")]
    IdDesc,
    /// Last change (for sync with `updated_since`).
    #[serde(rename = "updated_at")]
    UpdatedAt,
    /// Last change, newest first.
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
    /// Time of the visit.
    #[serde(rename = "visited_at")]
    VisitedAt,
    /// Time of the visit, latest first.
    #[serde(rename = "-visited_at")]
    VisitedAtDesc,
}

impl VisitOrderBy {
    fn split(self) -> (VisitOrder, bool) {
        use VisitOrderBy::*;
        match self {
            Id => (VisitOrder::Id, false),
            IdDesc => (VisitOrder::Id, true),
            UpdatedAt => (VisitOrder::UpdatedAt, false),
            UpdatedAtDesc => (VisitOrder::UpdatedAt, true),
            VisitedAt => (VisitOrder::VisitedAt, false),
            VisitedAtDesc => (VisitOrder::VisitedAt, true),
        }
    }
}

/// Filters of the visit list.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VisitListQuery {
    /// Only visits owned by this organization (and, unless `include_descendants=false`, its
    /// descendants).
    pub owner_organization_id: Option<String>,
    /// With `owner_organization_id`: include its descendants (default true).
    pub include_descendants: Option<bool>,
    /// Only visits of this enterprise.
    pub enterprise_id: Option<String>,
    /// Only visits serving this project.
    pub project_id: Option<String>,
    /// Only visits this user took part in.
    pub participant_user_id: Option<String>,
    /// Only this direction.
    pub direction: Option<VisitDirection>,
    /// Only this purpose.
    pub purpose: Option<VisitPurpose>,
    /// Only visits that took place at or after this instant (RFC 3339; encode `+` as `%2B`).
    pub visited_from: Option<DateTime<Utc>>,
    /// Only visits that took place at or before this instant (RFC 3339).
    pub visited_to: Option<DateTime<Utc>>,
    /// Also return tombstones (`id`, `deleted_at`, `version`) of visits deleted since
    /// `updated_since`, so a phone learns of deletions.
    pub include_deleted: Option<bool>,
    /// Items per page, 1–200 (default 50); more than 200 is refused, not clamped.
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
    /// Opaque token from `next_page_token` of the previous page, with the same filters.
    pub page_token: Option<String>,
    /// Sort order (default `id`).
    #[param(inline)]
    pub order_by: Option<VisitOrderBy>,
    /// Only visits changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

impl Listing for VisitListQuery {
    fn page_size(&self) -> Option<i64> {
        self.page_size
    }
    fn page_token(&self) -> Option<&str> {
        self.page_token.as_deref()
    }
    fn order_by(&self) -> Option<OrderBy> {
        None
    }
    fn fingerprint(&self) -> String {
        let mut c = self.clone();
        c.page_size = None;
        c.page_token = None;
        serde_json::to_string(&c).unwrap_or_default()
    }
}

impl VisitListQuery {
    fn filter(&self) -> VisitFilter {
        VisitFilter {
            owner_organization_id: self.owner_organization_id.clone(),
            include_descendants: self.include_descendants.unwrap_or(true),
            enterprise_id: self.enterprise_id.clone(),
            project_id: self.project_id.clone(),
            participant_user_id: self.participant_user_id.clone(),
            direction: self.direction,
            purpose: self.purpose,
            visited_from: crate::paging::since(self.visited_from),
            visited_to: crate::paging::since(self.visited_to),
            updated_since: crate::paging::since(self.updated_since),
            include_deleted: self.include_deleted.unwrap_or(false),
        }
    }
}

fn location(id: &str) -> String {
    format!("/v1/visits/{id}")
}

/// A ticket raised during a visit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaisedTicketRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// What the enterprise needs solved, in a line.
    pub title: String,
    /// Details.
    #[serde(default)]
    pub description: String,
    /// Kind of problem.
    pub category: zs_domain::ticket::TicketCategory,
    /// Priority (default normal); sets the deadline.
    pub priority: Option<zs_domain::ticket::Priority>,
    /// Who at the enterprise reported it.
    pub reporter_name: Option<String>,
    /// Reporter's phone.
    pub reporter_phone: Option<String>,
    /// Reporter's e-mail.
    pub reporter_email: Option<String>,
}

/// A new visit with the tickets it raised.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedVisitResponse {
    /// The visit.
    #[serde(flatten)]
    pub visit: VisitResponse,
    /// Ids of the tickets raised in the same request, in the order sent.
    pub raised_ticket_ids: Vec<String>,
}
/// Record a visit.
///
/// Officers, leaders and org admins record visits of their organization; leaders and org
/// admins of a superior record them for a subordinate, which owns them. A phone may send its
/// own id and retry with the same `Idempotency-Key`. The visit is flagged `late_entry` when
/// `visited_at` lies more than 24 hours after the phone's `recorded_at`; it is never refused
/// for that.
#[utoipa::path(
    tag = "visits",
    operation_id = "create_visit",
    request_body = CreateVisitRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = CreatedVisitResponse,
            headers(("Location" = String, description = "URL of the new visit"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to record visits for that organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Owner, enterprise, project or a participant not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/visits")]
pub async fn create_visit(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateVisitRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let id = body.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
    let fields = v.take(body.input().validate());
    v.into_result()?;
    let Some(fields) = fields else { return Err(ApiError::Internal("validation passed without values".to_owned())) };
    let cmd = NewVisit {
        late_entry_after: chrono::Duration::from_std(state.settings.late_entry_after)
            .unwrap_or(chrono::Duration::hours(24)),
        id,
        owner_organization_id: body
            .owner_organization_id
            .clone()
            .unwrap_or_else(|| auth.caller.organization_id.clone()),
        fields,
    };
    let mut raised = vec![];
    let mut problems = vec![];
    for (i, t) in body.tickets.iter().enumerate() {
        let request = crate::v1::tickets::CreateTicketRequest {
            id: t.id.clone(),
            owner_organization_id: Some(cmd.owner_organization_id.clone()),
            reported_at: None,
            title: t.title.clone(),
            description: t.description.clone(),
            category: t.category,
            priority: t.priority,
            source: zs_domain::ticket::TicketSource::Visit,
            enterprise_id: None,
            project_id: None,
            visit_id: None,
            reporter_name: t.reporter_name.clone(),
            reporter_phone: t.reporter_phone.clone(),
            reporter_email: t.reporter_email.clone(),
        };
        match request.parse(&auth.caller.organization_id) {
            Ok(new) => raised.push(new),
            Err(ApiError::Validation(vs)) => problems
                .extend(vs.into_iter().map(|f| FieldViolation { pointer: format!("/tickets/{i}{}", f.pointer), ..f })),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| {
            let visit = visits::create(c, &caller, &vis, cmd)?;
            let mut ids = vec![];
            for mut t in raised {
                // Linked to the visit, its enterprise and project, in the same transaction.
                t.visit_id = Some(visit.id.clone());
                t.enterprise_id = Some(visit.enterprise_id.clone());
                t.project_id = visit.project_id.clone();
                t.reported_at = Some(visit.visited_at.min(chrono::Utc::now()));
                ids.push(zs_persistence::tickets::create(c, &caller, &vis, t)?.id);
            }
            Ok((visit, ids))
        },
        |(v, raised_ticket_ids)| {
            let r = CreatedVisitResponse { visit: VisitResponse::from(v), raised_ticket_ids };
            Created::new(&r, location(&r.visit.id), r.visit.version)
        },
    )
    .await
}

/// Get a visit.
///
/// Visible to its owner organization and superiors, and to the users who took part in it
/// (including alliance partners' users, while their alliance with the owner lasts).
#[utoipa::path(
    tag = "visits",
    operation_id = "get_visit",
    params(("id" = String, Path, description = "Visit id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The visit", body = VisitResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified"),
        (status = 403, description = "The token lacks visits:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such visit, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/visits/{id}")]
pub async fn get_visit(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::VisitsRead)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let v = state.db(move |c| visits::get(c, &caller, &vis, &id)).await?;
    Ok(respond(&req, v.version, &VisitResponse::from(v)))
}

/// List visits.
///
/// Filtered, sorted and keyset-paged; visible visits only.
#[utoipa::path(
    tag = "visits",
    operation_id = "list_visits",
    params(VisitListQuery),
    responses(
        (status = 200, description = "A page of visits", body = VisitPage),
        (status = 403, description = "The token lacks visits:read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/visits")]
pub async fn list_visits(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<VisitListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::VisitsRead)?;
    let q = q.into_inner();
    let lr = crate::paging::ListRequest::new(&state.keys, "visits", &auth.caller.principal_id, &q)?;
    let filter = q.filter();
    let (order, desc) = q.order_by.unwrap_or(VisitOrderBy::Id).split();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let after: Option<Cursor> = lr.page.after.clone();
    let limit = lr.page.limit;
    let (entries, next) =
        state.db(move |c| visits::list(c, &caller, &vis, &filter, order, desc, after.as_ref(), limit)).await?;
    Ok(HttpResponse::Ok().json(VisitPage {
        next_page_token: lr.token(&state.keys, next),
        items: entries
            .into_iter()
            .map(|e| match e {
                Entry::Live(v) => VisitListItem::Visit(Box::new(VisitResponse::from(*v))),
                Entry::Deleted { id, deleted_at, version } => {
                    VisitListItem::Deleted(Tombstone { id, deleted_at, version })
                }
            })
            .collect(),
    }))
}

/// Update a visit.
///
/// Those who may record it for its owner may change it; participants from alliance partners
/// only read (403). `late_entry` is computed again from the resulting times.
#[utoipa::path(
    tag = "visits",
    operation_id = "update_visit",
    request_body(content = UpdateVisitRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Visit id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = VisitResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to change this visit (e.g. a partner's participant)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such visit (or referenced record), or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/visits/{id}")]
pub async fn update_visit(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateVisitRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let late_after = chrono::Duration::from_std(state.settings.late_entry_after).unwrap_or(chrono::Duration::hours(24));
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let v = state
        .write(move |c| {
            visits::update(c, &caller, &vis, &id, |current| body.merge(current).validate(), late_after, expected)
        })
        .await?;
    Ok(written(v.version, &VisitResponse::from(v)))
}

/// Delete a visit.
///
/// Soft delete: the visit then answers 404, lists skip it, and sync clients get its
/// tombstone with `include_deleted=true`.
#[utoipa::path(
    tag = "visits",
    operation_id = "delete_visit",
    params(("id" = String, Path, description = "Visit id"), crate::v1::IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed to delete this visit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such visit, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/visits/{id}")]
pub async fn delete_visit(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    state.write(move |c| visits::delete(c, &caller, &vis, &id, expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}
