//! `/v1/tickets`: problems enterprises need solved (问题 / 诉求工单), each due by a deadline in
//! working days on the Chinese working calendar, worked through its own workflow endpoints
//! (assign, accept, resolve, confirm, reopen, escalate, claim 揭榜, comment) that record who,
//! when and why in the ticket's timeline; and the metrics of an organization's tickets.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::text;
use zs_domain::ticket::{
    Priority, Ticket, TicketCategory, TicketEvent, TicketEventKind, TicketMetrics, TicketSource, TicketStatus,
};
use zs_domain::user::{parse_email, parse_phone};
use zs_persistence::page::Entry;
use zs_persistence::tickets::{self, MoveCommand, NewTicket, TicketFilter, TicketPatch};

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::state::AppState;
use crate::v1::projects::Tombstone;

/// Longest note, reason or resolution.
const MAX_NOTE: usize = 4000;

/// A problem ticket (诉求工单).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "01936f3e-8c2a-7d41-9a55-0c1f2e3d4b5a",
    "owner_organization_id": "01936f3e-0000-7000-8000-000000000001",
    "title": "新厂房临时用电接入",
    "description": "企业新租厂房需在两周内接入临时用电，供电所尚未排期。",
    "category": "land_utilities",
    "priority": "high",
    "source": "visit",
    "enterprise_id": null, "project_id": null, "visit_id": null,
    "reporter_name": "张伟", "reporter_phone": "138****1234", "reporter_email": null, "reporter_masked": true,
    "status": "in_progress",
    "assignee_organization_id": "01936f3e-0000-7000-8000-000000000002",
    "assignee_user_id": null, "claimed_by_user_id": null,
    "escalation_level": 0, "escalated_to_organization_id": null,
    "due_at": "2026-01-12T16:00:00Z", "due_provisional": false, "overdue": false,
    "resolution": null, "resolved_at": null, "confirmed_at": null, "satisfaction": null, "reopen_count": 0,
    "version": 3, "created_by": "01936f3e-0000-7000-8000-0000000000aa",
    "created_at": "2026-01-09T02:00:00Z", "updated_at": "2026-01-09T03:00:00Z"
}))]
pub struct TicketResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The organization that owns the ticket (it assigns, confirms and reopens).
    pub owner_organization_id: String,
    /// Short title.
    pub title: String,
    /// What the enterprise needs.
    pub description: String,
    /// Kind of problem.
    pub category: TicketCategory,
    /// Priority; sets the deadline in working days.
    pub priority: Priority,
    /// Where the ticket came from.
    pub source: TicketSource,
    /// The enterprise with the problem.
    pub enterprise_id: Option<String>,
    /// The project concerned.
    pub project_id: Option<String>,
    /// The visit that raised it.
    pub visit_id: Option<String>,
    /// Who reported it at the enterprise.
    pub reporter_name: Option<String>,
    /// The reporter's phone; masked (`138****1234`) unless you are in the owner's chain or the
    /// assignee organization.
    pub reporter_phone: Option<String>,
    /// The reporter's e-mail; masked like the phone.
    pub reporter_email: Option<String>,
    /// Whether the reporter's phone and e-mail are shown to you masked.
    pub reporter_masked: bool,
    /// Status (changed only through the workflow endpoints).
    pub status: TicketStatus,
    /// The organization working the ticket.
    pub assignee_organization_id: Option<String>,
    /// The person there it was assigned to.
    pub assignee_user_id: Option<String>,
    /// The leader who took it personally (揭榜).
    pub claimed_by_user_id: Option<String>,
    /// How many times it was escalated.
    pub escalation_level: i32,
    /// The organization it was last escalated to (the owner's parent, then grandparent …).
    pub escalated_to_organization_id: Option<String>,
    /// Deadline (UTC): the end of the last working day allowed, in the owner's time zone.
    pub due_at: DateTime<Utc>,
    /// The deadline reaches into a year whose holiday arrangement is not loaded (only
    /// weekends were counted off).
    pub due_provisional: bool,
    /// Not resolved or closed, and past `due_at` (computed).
    pub overdue: bool,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// When it was resolved (UTC).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the owner confirmed it on the enterprise's behalf (UTC).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The enterprise's satisfaction, 1-5 (on confirmation).
    pub satisfaction: Option<i32>,
    /// How many times it was reopened.
    pub reopen_count: i32,
    /// Version (also the `ETag`).
    pub version: i64,
    /// Who recorded it (user or service account id).
    pub created_by: String,
    /// When the problem was reported (UTC): `reported_at` at creation. The deadline and the
    /// handling time count from it.
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Ticket> for TicketResponse {
    fn from(t: Ticket) -> Self {
        TicketResponse {
            id: t.id,
            owner_organization_id: t.owner_organization_id,
            title: t.title,
            description: t.description,
            category: t.category,
            priority: t.priority,
            source: t.source,
            enterprise_id: t.enterprise_id,
            project_id: t.project_id,
            visit_id: t.visit_id,
            reporter_name: t.reporter_name,
            reporter_phone: t.reporter_phone,
            reporter_email: t.reporter_email,
            reporter_masked: t.reporter_masked,
            status: t.status,
            assignee_organization_id: t.assignee_organization_id,
            assignee_user_id: t.assignee_user_id,
            claimed_by_user_id: t.claimed_by_user_id,
            escalation_level: t.escalation_level,
            escalated_to_organization_id: t.escalated_to_organization_id,
            due_at: t.due_at,
            due_provisional: t.due_provisional,
            overdue: t.overdue,
            resolution: t.resolution,
            resolved_at: t.resolved_at,
            confirmed_at: t.confirmed_at,
            satisfaction: t.satisfaction,
            reopen_count: t.reopen_count,
            version: t.version,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A list entry: a ticket, or (with `include_deleted=true`) the tombstone of a deleted one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TicketListItem {
    /// A live ticket.
    Ticket(Box<TicketResponse>),
    /// A deleted ticket.
    Deleted(Tombstone),
}

/// A page of tickets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketPage {
    /// The tickets of this page.
    pub items: Vec<TicketListItem>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new ticket. It starts `open`, due by the owner's deadline for its priority.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "新厂房临时用电接入",
    "description": "企业新租厂房需在两周内接入临时用电，供电所尚未排期。",
    "category": "land_utilities",
    "priority": "high",
    "source": "visit",
    "reporter_name": "张伟",
    "reporter_phone": "13812341234",
    "reported_at": "2026-01-09T02:00:00Z"
}))]
pub struct CreateTicketRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// Owner: the caller's organization (default) or a descendant it may act for.
    pub owner_organization_id: Option<String>,
    /// When the problem was reported (RFC 3339; default now; not in the future). The
    /// deadline counts from it, and it becomes the ticket's `created_at`.
    pub reported_at: Option<DateTime<Utc>>,
    /// Short title (1-200 characters).
    pub title: String,
    /// What the enterprise needs (up to 20,000 characters).
    #[serde(default)]
    pub description: String,
    /// Kind of problem.
    pub category: TicketCategory,
    /// Priority (default `normal`): urgent is due the same working day, high in 1, normal in 2,
    /// low in 5 working days, unless the owner set other deadlines.
    pub priority: Option<Priority>,
    /// Where the ticket came from.
    pub source: TicketSource,
    /// The enterprise with the problem (one you see).
    pub enterprise_id: Option<String>,
    /// The project concerned (one you see).
    pub project_id: Option<String>,
    /// The visit that raised it (one you see).
    pub visit_id: Option<String>,
    /// Who reported it at the enterprise (1-100 characters).
    pub reporter_name: Option<String>,
    /// The reporter's phone (full number; a masked value is 422).
    pub reporter_phone: Option<String>,
    /// The reporter's e-mail (full address; a masked value is 422).
    pub reporter_email: Option<String>,
}

impl CreateTicketRequest {
    pub(crate) fn parse(&self, caller_org: &str) -> Result<NewTicket, ApiError> {
        let mut v = Violations::new();
        let id = self.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
        let title = v.take(text::name("/title", &self.title, 200));
        let description = v.take(text::body("/description", &self.description, 20_000));
        let reporter_name = self.reporter_name.as_deref().and_then(|n| v.take(text::name("/reporter_name", n, 100)));
        let reporter_phone = self.reporter_phone.as_deref().and_then(|p| v.take(parse_phone("/reporter_phone", p)));
        let reporter_email = self.reporter_email.as_deref().and_then(|e| v.take(parse_email("/reporter_email", e)));
        v.into_result()?;
        let (Some(title), Some(description)) = (title, description) else {
            return Err(ApiError::Internal("validation passed without values".to_owned()));
        };
        Ok(NewTicket {
            id,
            owner_organization_id: self.owner_organization_id.clone().unwrap_or_else(|| caller_org.to_owned()),
            reported_at: self.reported_at,
            title,
            description,
            category: self.category,
            priority: self.priority.unwrap_or(Priority::Normal),
            source: self.source,
            enterprise_id: self.enterprise_id.clone(),
            project_id: self.project_id.clone(),
            visit_id: self.visit_id.clone(),
            reporter_name,
            reporter_phone,
            reporter_email,
        })
    }
}

/// Changes to a ticket (JSON merge patch). Status, owner, links, reporter and the workflow
/// fields are not writable here.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"priority": "urgent", "description": "企业投产在即，需本周内接电。"}))]
pub struct UpdateTicketRequest {
    /// New title.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    /// New description.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// New category.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub category: Option<TicketCategory>,
    /// New priority: the deadline is recomputed from the report time.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub priority: Option<Priority>,
}

impl UpdateTicketRequest {
    fn parse(&self) -> Result<TicketPatch, ApiError> {
        let mut v = Violations::new();
        let patch = TicketPatch {
            title: self.title.as_deref().and_then(|t| v.take(text::name("/title", t, 200))),
            description: self.description.as_deref().and_then(|d| v.take(text::body("/description", d, 20_000))),
            category: self.category,
            priority: self.priority,
        };
        v.into_result()?;
        Ok(patch)
    }
}

/// Assign the ticket to an organization (the owner's subtree or an active alliance partner)
/// and optionally a person there.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"organization_id": "01936f3e-0000-7000-8000-000000000002", "note": "请园区经发局协调供电所"}))]
pub struct AssignRequest {
    /// The organization that will work the ticket.
    pub organization_id: String,
    /// A person of that organization.
    pub user_id: Option<String>,
    /// A free note.
    #[serde(default)]
    pub note: String,
}

/// A move with an optional note (`accept`, `claim`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "已受理，明日上门"}))]
pub struct NoteRequest {
    /// A free note.
    #[serde(default)]
    pub note: String,
}

/// A comment on the ticket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "已电话联系企业，约定周三现场查看"}))]
pub struct CommentRequest {
    /// The comment (required, up to 4,000 characters).
    pub note: String,
}

/// Resolve the ticket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"resolution": "已协调供电所完成临时用电接入"}))]
pub struct ResolveRequest {
    /// How it was resolved (required, up to 4,000 characters).
    pub resolution: String,
    /// When it was solved (RFC 3339; default now) — for a problem solved on site and synced
    /// later. Not in the future, not before the report or the last reopening.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Confirm the ticket solved on the enterprise's behalf.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"satisfaction": 5, "note": "企业电话回访确认满意"}))]
pub struct ConfirmRequest {
    /// The enterprise's satisfaction, 1 (poor) to 5 (very satisfied).
    pub satisfaction: i64,
    /// A free note.
    #[serde(default)]
    pub note: String,
}

/// Reopen or escalate the ticket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "企业反映仍未通电"}))]
pub struct ReasonRequest {
    /// Why (required, up to 4,000 characters).
    pub reason: String,
}

/// One step of a ticket's timeline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketEventResponse {
    /// Id.
    pub id: String,
    /// What happened.
    pub kind: TicketEventKind,
    /// Who did it (user or service account id), or `system` for the escalation task.
    pub actor_id: String,
    /// Status before (null for `created`).
    pub from_status: Option<TicketStatus>,
    /// Status after.
    pub to_status: TicketStatus,
    /// The organization assigned to (`assign`) or escalated to (`escalate`).
    pub organization_id: Option<String>,
    /// The person assigned (`assign`) or the leader who claimed (`claim`).
    pub user_id: Option<String>,
    /// The enterprise's satisfaction (`confirm`).
    pub satisfaction: Option<i32>,
    /// The note, resolution or reason.
    pub note: String,
    /// When it was recorded (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<TicketEvent> for TicketEventResponse {
    fn from(e: TicketEvent) -> Self {
        TicketEventResponse {
            id: e.id,
            kind: e.kind,
            actor_id: e.actor_id,
            from_status: e.from_status,
            to_status: e.to_status,
            organization_id: e.organization_id,
            user_id: e.user_id,
            satisfaction: e.satisfaction,
            note: e.note,
            created_at: e.created_at,
        }
    }
}

/// A ticket's timeline, oldest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketEventList {
    /// The events.
    pub items: Vec<TicketEventResponse>,
}

/// Tickets per status.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct StatusCounts {
    /// Open (待分派).
    pub open: i64,
    /// Assigned (已分派).
    pub assigned: i64,
    /// In progress (办理中).
    pub in_progress: i64,
    /// Resolved (已办结).
    pub resolved: i64,
    /// Closed (已确认关闭).
    pub closed: i64,
}

/// Tickets per category.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct CategoryCounts {
    /// Site selection (选址).
    pub site_selection: i64,
    /// Permits and licences (证照审批).
    pub permits: i64,
    /// Land and utilities (要素保障).
    pub land_utilities: i64,
    /// Financing (融资).
    pub financing: i64,
    /// Policy (政策).
    pub policy: i64,
    /// Talent and staffing (人才用工).
    pub talent: i64,
    /// Logistics (物流).
    pub logistics: i64,
    /// Other (其他).
    pub other: i64,
}

/// Figures of an organization's tickets (with its descendants) reported in a period.
/// Percentages are 0-100; figures without data are null; values are rounded to 2 decimals.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "organization_id": "01936f3e-0000-7000-8000-000000000001", "from": "2026-01-01", "to": "2026-02-01",
    "total": 4,
    "by_status": {"open": 1, "assigned": 0, "in_progress": 1, "resolved": 1, "closed": 1},
    "by_category": {"site_selection": 0, "permits": 4, "land_utilities": 0, "financing": 0, "policy": 0, "talent": 0, "logistics": 0, "other": 0},
    "resolved": 2, "resolved_on_time": 1, "resolved_on_time_pct": 50.0,
    "avg_handling_hours": 60.0, "median_handling_hours": 60.0,
    "avg_handling_working_days": 1.0, "median_handling_working_days": 1.0,
    "rated": 1, "avg_satisfaction": 5.0,
    "reopened": 2, "ever_resolved": 3, "reopen_rate_pct": 66.67
}))]
pub struct TicketMetricsResponse {
    /// The organization (its descendants included).
    pub organization_id: String,
    /// First day of the period (in the organization's time zone).
    pub from: NaiveDate,
    /// Day after the period (exclusive).
    pub to: NaiveDate,
    /// Tickets reported in the period.
    pub total: i64,
    /// Per status, now.
    pub by_status: StatusCounts,
    /// Per category.
    pub by_category: CategoryCounts,
    /// Tickets resolved (now `resolved` or `closed`).
    pub resolved: i64,
    /// Of those, resolved by their deadline.
    pub resolved_on_time: i64,
    /// `resolved_on_time / resolved`, in percent.
    pub resolved_on_time_pct: Option<f64>,
    /// Average handling time (reported → resolved), in hours.
    pub avg_handling_hours: Option<f64>,
    /// Median handling time, in hours.
    pub median_handling_hours: Option<f64>,
    /// Average handling time in working days: only the hours on working days count, / 24.
    pub avg_handling_working_days: Option<f64>,
    /// Median handling time in working days.
    pub median_handling_working_days: Option<f64>,
    /// Tickets confirmed with a satisfaction.
    pub rated: i64,
    /// Average satisfaction (1-5).
    pub avg_satisfaction: Option<f64>,
    /// Tickets reopened at least once.
    pub reopened: i64,
    /// Tickets resolved at least once (resolved now, or reopened since).
    pub ever_resolved: i64,
    /// `reopened / ever_resolved`, in percent.
    pub reopen_rate_pct: Option<f64>,
}

impl TicketMetricsResponse {
    fn new(organization_id: String, from: NaiveDate, to: NaiveDate, m: TicketMetrics) -> Self {
        let mut by_status = StatusCounts::default();
        for (s, n) in &m.by_status {
            let slot = match s {
                TicketStatus::Open => &mut by_status.open,
                TicketStatus::Assigned => &mut by_status.assigned,
                TicketStatus::InProgress => &mut by_status.in_progress,
                TicketStatus::Resolved => &mut by_status.resolved,
                TicketStatus::Closed => &mut by_status.closed,
            };
            *slot = *n;
        }
        let mut by_category = CategoryCounts::default();
        for (c, n) in &m.by_category {
            let slot = match c {
                TicketCategory::SiteSelection => &mut by_category.site_selection,
                TicketCategory::Permits => &mut by_category.permits,
                TicketCategory::LandUtilities => &mut by_category.land_utilities,
                TicketCategory::Financing => &mut by_category.financing,
                TicketCategory::Policy => &mut by_category.policy,
                TicketCategory::Talent => &mut by_category.talent,
                TicketCategory::Logistics => &mut by_category.logistics,
                TicketCategory::Other => &mut by_category.other,
            };
            *slot = *n;
        }
        TicketMetricsResponse {
            organization_id,
            from,
            to,
            total: m.total,
            by_status,
            by_category,
            resolved: m.resolved,
            resolved_on_time: m.resolved_on_time,
            resolved_on_time_pct: m.resolved_on_time_pct,
            avg_handling_hours: m.avg_handling_hours,
            median_handling_hours: m.median_handling_hours,
            avg_handling_working_days: m.avg_handling_working_days,
            median_handling_working_days: m.median_handling_working_days,
            rated: m.rated,
            avg_satisfaction: m.avg_satisfaction,
            reopened: m.reopened,
            ever_resolved: m.ever_resolved,
            reopen_rate_pct: m.reopen_rate_pct,
        }
    }
}

/// The period and organization of the metrics.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// The organization (default: yours); its descendants are included. It must be yours or
    /// one of your descendants.
    pub organization_id: Option<String>,
    /// First day of the period, in the organization's time zone (inclusive).
    pub from: NaiveDate,
    /// Day after the period (exclusive), e.g. `from=2026-01-01&to=2026-02-01` for January.
    pub to: NaiveDate,
}

list_query! {
    /// Filters of the ticket list.
    pub struct TicketListQuery {
        /// Only tickets owned by this organization (and, unless `include_descendants=false`,
        /// its descendants).
        pub owner_organization_id: Option<String>,
        /// With `owner_organization_id`: include its descendants (default true).
        pub include_descendants: Option<bool>,
        /// Only tickets assigned to this organization.
        pub assignee_organization_id: Option<String>,
        /// Only tickets assigned to this person.
        pub assignee_user_id: Option<String>,
        /// Only these statuses, comma-separated (e.g. `open,assigned`).
        pub status: Option<String>,
        /// Only this category.
        pub category: Option<TicketCategory>,
        /// Only this priority.
        pub priority: Option<Priority>,
        /// Only overdue (true) or only not overdue (false) tickets, now.
        pub overdue: Option<bool>,
        /// Only tickets of this enterprise.
        pub enterprise_id: Option<String>,
        /// Only tickets of this project.
        pub project_id: Option<String>,
        /// Only tickets raised by this visit.
        pub visit_id: Option<String>,
        /// Only tickets reported at or after this instant (RFC 3339).
        pub created_from: Option<DateTime<Utc>>,
        /// Only tickets reported before this instant (RFC 3339).
        pub created_to: Option<DateTime<Utc>>,
        /// Also return tombstones (`id`, `deleted_at`, `version`) of tickets deleted since
        /// `updated_since`, so a client learns of deletions.
        pub include_deleted: Option<bool>,
    }
}

impl TicketListQuery {
    fn filter(&self) -> Result<TicketFilter, ApiError> {
        let mut statuses = vec![];
        for s in self.status.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            statuses.push(
                TicketStatus::parse(s)
                    .ok_or_else(|| ApiError::bad_request("INVALID_QUERY", format!("unknown status {s}")))?,
            );
        }
        Ok(TicketFilter {
            owner_organization_id: self.owner_organization_id.clone(),
            include_descendants: self.include_descendants.unwrap_or(true),
            assignee_organization_id: self.assignee_organization_id.clone(),
            assignee_user_id: self.assignee_user_id.clone(),
            statuses,
            category: self.category,
            priority: self.priority,
            overdue: self.overdue,
            enterprise_id: self.enterprise_id.clone(),
            project_id: self.project_id.clone(),
            visit_id: self.visit_id.clone(),
            created_from: crate::paging::since(self.created_from),
            created_to: crate::paging::since(self.created_to),
            updated_since: crate::paging::since(self.updated_since),
            include_deleted: self.include_deleted.unwrap_or(false),
        })
    }
}

fn location(id: &str) -> String {
    format!("/v1/tickets/{id}")
}

/// Checks a required text (note, reason, resolution): not blank, at most 4,000 characters.
fn required_text(pointer: &str, raw: &str) -> Result<String, ApiError> {
    let t = text::body(pointer, raw, MAX_NOTE)?;
    if t.trim().is_empty() {
        return Err(ApiError::invalid(pointer, "required", "must not be empty"));
    }
    Ok(t)
}

/// Runs one workflow move with `If-Match` and `Idempotency-Key`; answers 200 with the ticket.
async fn make_move<B: Serialize>(
    state: &AppState,
    req: &HttpRequest,
    auth: &Auth,
    id: String,
    body: &B,
    cmd: MoveCommand,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        state,
        req,
        &caller.principal_id.clone(),
        body,
        move |c| tickets::act(c, &caller, &vis, &id, cmd, expected),
        |t| Created::ok(&TicketResponse::from(t)),
    )
    .await
}

/// Create a ticket.
///
/// Officers, leaders and org admins record tickets of their organization; leaders and org
/// admins of a superior record them for a subordinate, which owns them. The deadline
/// (`due_at`) is the end of the owner's number of working days for the priority, counted from
/// `reported_at` on the working calendar in the owner's time zone; `due_provisional` says a
/// year it reaches has no holiday arrangement loaded. A `created` event starts the timeline.
#[utoipa::path(
    tag = "tickets",
    operation_id = "create_ticket",
    request_body = CreateTicketRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = TicketResponse,
            headers(("Location" = String, description = "URL of the new ticket"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to record tickets for that organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Owner, enterprise, project or visit not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets")]
pub async fn create_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateTicketRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.parse(&auth.caller.organization_id)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| tickets::create(c, &caller, &vis, cmd),
        |t| {
            let r = TicketResponse::from(t);
            Created::new(&r, location(&r.id), r.version)
        },
    )
    .await
}

/// Ticket metrics of an organization.
///
/// For the tickets owned by the organization and its descendants and reported in
/// `[from, to)`: counts by status and category, the share resolved by the deadline, average
/// and median handling time (reported → resolved) in hours and in working days (only the
/// hours on working days count), average satisfaction and the reopen rate (tickets reopened at
/// least once / tickets resolved at least once).
#[utoipa::path(
    tag = "tickets",
    operation_id = "get_ticket_metrics",
    params(MetricsQuery),
    responses(
        (status = 200, description = "The figures", body = TicketMetricsResponse),
        (status = 403, description = "The organization is not yours or a descendant, or the token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`to` is not after `from`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/tickets/metrics")]
pub async fn get_ticket_metrics(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<MetricsQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::TicketsRead)?;
    let q = q.into_inner();
    if q.to <= q.from {
        return Err(ApiError::invalid("/to", "range", "`to` must be after `from` (the period is [from, to))"));
    }
    let org = q.organization_id.clone().unwrap_or_else(|| auth.caller.organization_id.clone());
    let vis = auth.vis.clone();
    let (from, to) = (q.from, q.to);
    let org2 = org.clone();
    let m = state.db(move |c| tickets::metrics(c, &vis, &org2, from, to)).await?;
    Ok(HttpResponse::Ok().json(TicketMetricsResponse::new(org, from, to, m)))
}

/// Get a ticket.
///
/// Visible to the owner organization and its superiors, and to the assignee organization and
/// its superiors. The reporter's phone and e-mail are masked unless you are in the owner's
/// chain or the assignee organization.
#[utoipa::path(
    tag = "tickets",
    operation_id = "get_ticket",
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The ticket", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified since the version in If-None-Match"),
        (status = 403, description = "The token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/tickets/{id}")]
pub async fn get_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::TicketsRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let t = state.db(move |c| tickets::get(c, &vis, &id)).await?;
    Ok(respond(&req, t.version, &TicketResponse::from(t)))
}

/// List tickets.
///
/// Filtered and keyset-paged; visible tickets only (owned in your subtree, or assigned to an
/// organization of it).
#[utoipa::path(
    tag = "tickets",
    operation_id = "list_tickets",
    params(TicketListQuery),
    responses(
        (status = 200, description = "A page of tickets", body = TicketPage),
        (status = 403, description = "The token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/tickets")]
pub async fn list_tickets(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<TicketListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::TicketsRead)?;
    let q = q.into_inner();
    let lr = crate::paging::ListRequest::new(&state.keys, "tickets", &auth.caller.principal_id, &q)?;
    let filter = q.filter()?;
    let vis = auth.vis.clone();
    let (order, page) = (lr.order, lr.page.clone());
    let page = state.db(move |c| tickets::list(c, &vis, &filter, order, &page)).await?;
    Ok(HttpResponse::Ok().json(TicketPage {
        next_page_token: lr.token(&state.keys, page.next),
        items: page
            .items
            .into_iter()
            .map(|e| match e {
                Entry::Live(t) => TicketListItem::Ticket(Box::new(TicketResponse::from(*t))),
                Entry::Deleted { id, deleted_at, version } => {
                    TicketListItem::Deleted(Tombstone { id, deleted_at, version })
                }
            })
            .collect(),
    }))
}

/// Update a ticket.
///
/// The owner's officers, leaders and org admins (and a superior's leaders and org admins)
/// change title, description, category and priority; a new priority recomputes `due_at` from
/// the report time. The assignee works the ticket through the workflow, never edits it.
#[utoipa::path(
    tag = "tickets",
    operation_id = "update_ticket",
    request_body(content = UpdateTicketRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to change this ticket (e.g. the assignee partner)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/tickets/{id}")]
pub async fn update_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateTicketRequest>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.parse()?;
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let t = state.write(move |c| tickets::update(c, &caller, &vis, &id, patch, expected)).await?;
    Ok(written(t.version, &TicketResponse::from(t)))
}

/// Delete a ticket.
///
/// Soft delete by the owner's writers: the ticket then answers 404, lists skip it, and sync
/// clients get its tombstone with `include_deleted=true`.
#[utoipa::path(
    tag = "tickets",
    operation_id = "delete_ticket",
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed to delete this ticket", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/tickets/{id}")]
pub async fn delete_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    state.write(move |c| tickets::delete(c, &caller, &vis, &id, expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Assign a ticket.
///
/// By the owner's writers, from `open`, `assigned` or `in_progress` (reassigning needs a new
/// acceptance): to an organization of the owner's subtree or an active member of an alliance
/// the owner (or an ancestor) is an active member of, optionally to a person there. The
/// assignee organization then sees and works the ticket.
#[utoipa::path(
    tag = "tickets",
    operation_id = "assign_ticket",
    request_body = AssignRequest,
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The ticket afterwards", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Only the owner organization assigns", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ILLEGAL_TRANSITION`; the detail lists the allowed moves", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The organization may not receive the ticket (`not_assignable`) or the person is not in it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/assign")]
pub async fn assign_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<AssignRequest>,
) -> Result<HttpResponse, ApiError> {
    let note = text::body("/note", &body.note, MAX_NOTE)?;
    let cmd =
        MoveCommand::Assign { organization_id: body.organization_id.clone(), user_id: body.user_id.clone(), note };
    make_move(&state, &req, &auth, id.into_inner(), &body, cmd).await
}

/// Accept a ticket.
///
/// By the assignee organization (its officers, leaders and org admins): `assigned` →
/// `in_progress`.
#[utoipa::path(
    tag = "tickets",
    operation_id = "accept_ticket",
    request_body = NoteRequest,
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The ticket afterwards", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Only the assignee organization accepts", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ILLEGAL_TRANSITION`; the detail lists the allowed moves", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/accept")]
pub async fn accept_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<NoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let note = text::body("/note", &body.note, MAX_NOTE)?;
    make_move(&state, &req, &auth, id.into_inner(), &body, MoveCommand::Accept { note }).await
}

/// Resolve a ticket.
///
/// By the assignee organization or the leader who claimed it: `assigned` or `in_progress` →
/// `resolved`, with the resolution.
#[utoipa::path(
    tag = "tickets",
    operation_id = "resolve_ticket",
    request_body = ResolveRequest,
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The ticket afterwards", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Only the assignee organization or the claiming leader resolves", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ILLEGAL_TRANSITION`; the detail lists the allowed moves", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/resolve")]
pub async fn resolve_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<ResolveRequest>,
) -> Result<HttpResponse, ApiError> {
    let resolution = required_text("/resolution", &body.resolution)?;
    let cmd = MoveCommand::Resolve { resolution, resolved_at: body.resolved_at };
    make_move(&state, &req, &auth, id.into_inner(), &body, cmd).await
}

/// Confirm a ticket solved.
///
/// By a leader of the owner organization or of a superior, on the enterprise's behalf:
/// `resolved` → `closed`, with the enterprise's satisfaction (1-5).
#[utoipa::path(
    tag = "tickets",
    operation_id = "confirm_ticket",
    request_body = ConfirmRequest,
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The ticket afterwards", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Only a leader of the owner organization (or a superior) confirms", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ILLEGAL_TRANSITION`; the detail lists the allowed moves", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/confirm")]
pub async fn confirm_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<ConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let note = v.take(text::body("/note", &body.note, MAX_NOTE));
    if !(1..=5).contains(&body.satisfaction) {
        v.push(zs_domain::FieldViolation::new("/satisfaction", "range", "satisfaction is 1 to 5"));
    }
    v.into_result()?;
    let satisfaction = i32::try_from(body.satisfaction).unwrap_or(0);
    let cmd = MoveCommand::Confirm { satisfaction, note: note.unwrap_or_default() };
    make_move(&state, &req, &auth, id.into_inner(), &body, cmd).await
}

/// Reopen a ticket.
///
/// By the owner's writers, from `resolved` or `closed`, with a reason: back to `in_progress`
/// when assigned or claimed, else `open`. The resolution, its time and the satisfaction are
/// cleared (the timeline keeps them).
#[utoipa::path(
    tag = "tickets",
    operation_id = "reopen_ticket",
    request_body = ReasonRequest,
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The ticket afterwards", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Only the owner organization reopens", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ILLEGAL_TRANSITION`; the detail lists the allowed moves", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/reopen")]
pub async fn reopen_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = required_text("/reason", &body.reason)?;
    make_move(&state, &req, &auth, id.into_inner(), &body, MoveCommand::Reopen { reason }).await
}

/// Escalate a ticket.
///
/// By a leader of the owner organization, of a superior or of the assignee organization, with
/// a reason, while not `closed`: one level up the owner's chain (its parent first, then its
/// grandparent …). The status stays. The background task escalates overdue tickets the same
/// way, as actor `system`.
#[utoipa::path(
    tag = "tickets",
    operation_id = "escalate_ticket",
    request_body = ReasonRequest,
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The ticket afterwards", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Only a leader escalates", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ILLEGAL_TRANSITION` (closed, or no organization above); the detail lists the allowed moves", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/escalate")]
pub async fn escalate_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = required_text("/reason", &body.reason)?;
    make_move(&state, &req, &auth, id.into_inner(), &body, MoveCommand::Escalate { reason }).await
}

/// Claim a ticket (揭榜).
///
/// A leader of the owner organization, of one of its superiors or of the assignee
/// organization takes a hard ticket personally: it becomes `in_progress` with
/// `claimed_by_user_id`, and the leader may resolve it. Once per ticket.
#[utoipa::path(
    tag = "tickets",
    operation_id = "claim_ticket",
    request_body = NoteRequest,
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The ticket afterwards", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Only a leader claims", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ILLEGAL_TRANSITION` (already claimed, resolved or closed); the detail lists the allowed moves", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/claim")]
pub async fn claim_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<NoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let note = text::body("/note", &body.note, MAX_NOTE)?;
    make_move(&state, &req, &auth, id.into_inner(), &body, MoveCommand::Claim { note }).await
}

/// Comment on a ticket.
///
/// Anyone who sees the ticket, in any status (a partner system needs `tickets:write`). The
/// status stays.
#[utoipa::path(
    tag = "tickets",
    operation_id = "comment_ticket",
    request_body = CommentRequest,
    params(("id" = String, Path, description = "Ticket id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The ticket afterwards", body = TicketResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "A partner system without `tickets:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/comment")]
pub async fn comment_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let note = required_text("/note", &body.note)?;
    make_move(&state, &req, &auth, id.into_inner(), &body, MoveCommand::Comment { note }).await
}

/// A ticket's timeline.
#[utoipa::path(
    tag = "tickets",
    operation_id = "list_ticket_events",
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, description = "Every recorded event (created, each move, each comment), oldest first", body = TicketEventList),
        (status = 403, description = "The token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/tickets/{id}/events")]
pub async fn list_ticket_events(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::TicketsRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let items = state.db(move |c| tickets::events(c, &vis, &id)).await?;
    Ok(HttpResponse::Ok().json(TicketEventList { items: items.into_iter().map(Into::into).collect() }))
}
