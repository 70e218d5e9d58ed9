//! `/v1/activities`: party activities (党建活动) — 三会一课, theme days, studies, joint
//! activities of several branches across the alliance (联建), service, trainings and site
//! visits — planned by a host branch, held (with minutes) or cancelled (with a reason), with
//! attachments as metadata and the projects they push (党建+招商).

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zs_domain::activity::{
    check_held_at, parse_cancel_reason, parse_minutes, Activity, ActivityInput, Attachment, AttachmentInput,
};
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::party::{ActivityStatus, ActivityType, AttachmentKind};
use zs_domain::{DomainError, FieldViolation};
use zs_persistence::activities::{self, ActivityChange, ActivityFilter, ActivityOrder, NewActivity};
use zs_persistence::page::{Cursor, Entry};

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::paging::{Listing, OrderBy};
use crate::state::AppState;
use crate::v1::projects::Tombstone;

/// An attachment's metadata (the file itself is stored elsewhere).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "sign_in_sheet", "name": "7月主题党日签到表.pdf", "size_bytes": 482133,
    "checksum": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}))]
pub struct AttachmentBody {
    /// What the file is: `notice`, `minutes`, `sign_in_sheet`, `photo` or `audio`. A
    /// `minutes` attachment counts as minutes and a `sign_in_sheet` as a sign-in record for
    /// compliance.
    pub kind: AttachmentKind,
    /// File name, 1-255 characters.
    pub name: String,
    /// Size in bytes, 0 to 2 GiB (2,147,483,648).
    pub size_bytes: i64,
    /// `sha256:` followed by the 64 hex digits of the file's SHA-256 digest (either case;
    /// stored in lower case). No other algorithm is accepted.
    pub checksum: String,
}

impl From<Attachment> for AttachmentBody {
    fn from(a: Attachment) -> Self {
        AttachmentBody { kind: a.kind, name: a.name, size_bytes: a.size_bytes, checksum: a.checksum }
    }
}

impl AttachmentBody {
    fn input(&self) -> AttachmentInput {
        AttachmentInput {
            kind: self.kind,
            name: self.name.clone(),
            size_bytes: self.size_bytes,
            checksum: self.checksum.clone(),
        }
    }
}

/// A party activity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActivityResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The host branch's organization, which owns the activity.
    pub owner_organization_id: String,
    /// The branch that hosts the activity; its managers change it.
    pub host_branch_id: String,
    /// Co-host branches (joint activity, 联建), sorted by id. Their organizations see the
    /// activity and it counts for each of them; their managers act only through attendance.
    pub cohost_branch_ids: Vec<String>,
    /// Title.
    pub title: String,
    /// Type of activity.
    pub activity_type: ActivityType,
    /// `planned`, `held` or `cancelled` (changed only through `/hold` and `/cancel`).
    pub status: ActivityStatus,
    /// Planned start (UTC).
    pub planned_start: DateTime<Utc>,
    /// Planned end (UTC).
    pub planned_end: DateTime<Utc>,
    /// Where it takes place.
    pub place: Option<String>,
    /// Link of an online meeting.
    pub online_link: Option<String>,
    /// Speaker (e.g. of a party lesson).
    pub speaker: Option<String>,
    /// Agenda.
    pub agenda: String,
    /// Minutes (会议记录), recorded once held.
    pub minutes: Option<String>,
    /// Attachments as metadata, in the order sent.
    pub attachments: Vec<AttachmentBody>,
    /// Projects the activity pushes (党建+招商), sorted by id.
    pub project_ids: Vec<String>,
    /// When it was held (UTC).
    pub held_at: Option<DateTime<Utc>>,
    /// The date it was held on, in the owner organization's time zone (what compliance counts).
    pub held_on: Option<NaiveDate>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// When it was cancelled (UTC).
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Version (also the `ETag`).
    pub version: i64,
    /// Who created it (user or service account id).
    pub created_by: String,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// Always null on a live activity; deleted ones appear in lists only as tombstones.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<Activity> for ActivityResponse {
    fn from(a: Activity) -> Self {
        ActivityResponse {
            id: a.id,
            owner_organization_id: a.owner_organization_id,
            host_branch_id: a.host_branch_id,
            cohost_branch_ids: a.cohost_branch_ids,
            title: a.title,
            activity_type: a.activity_type,
            status: a.status,
            planned_start: a.planned_start,
            planned_end: a.planned_end,
            place: a.place,
            online_link: a.online_link,
            speaker: a.speaker,
            agenda: a.agenda,
            minutes: a.minutes,
            attachments: a.attachments.into_iter().map(Into::into).collect(),
            project_ids: a.project_ids,
            held_at: a.held_at,
            held_on: a.held_on,
            cancel_reason: a.cancel_reason,
            cancelled_at: a.cancelled_at,
            version: a.version,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
            deleted_at: None,
        }
    }
}

/// A list entry: an activity, or (with `include_deleted=true`) the tombstone of a deleted one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ActivityListItem {
    /// A live activity.
    Activity(Box<ActivityResponse>),
    /// A deleted activity.
    Deleted(Tombstone),
}

/// A page of activities.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActivityPage {
    /// The activities of this page.
    pub items: Vec<ActivityListItem>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new activity, planned by its host branch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "host_branch_id": "01936f3e-1a2b-7c3d-8e4f-5a6b7c8d9e01",
    "cohost_branch_ids": ["01936f3e-1a2b-7c3d-8e4f-5a6b7c8d9e02"],
    "title": "驻深招商小分队与深圳光电行业协会党支部联建活动",
    "activity_type": "joint_activity",
    "planned_start": "2026-07-01T09:00:00+08:00",
    "planned_end": "2026-07-01T11:30:00+08:00",
    "place": "深圳市南山区光电行业协会会议室",
    "speaker": "支部书记",
    "agenda": "一、重温入党誓词\n二、光电产业链招商座谈",
    "attachments": [{"kind": "notice", "name": "联建活动通知.pdf", "size_bytes": 120344,
        "checksum": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],
    "project_ids": ["01936f3e-1a2b-7c3d-8e4f-5a6b7c8d9e03"]
}))]
pub struct CreateActivityRequest {
    /// Optional client-chosen id (UUIDv7), for phones that plan offline.
    pub id: Option<String>,
    /// The host branch: one the caller sees and manages. Its organization owns the activity.
    /// Fixed once created.
    pub host_branch_id: String,
    /// Co-host branches (at most 100, distinct, not the host): each one the caller sees, in the
    /// host organization's subtree or of an organization sharing an alliance with it.
    #[serde(default)]
    pub cohost_branch_ids: Vec<String>,
    /// Title, 1-200 characters.
    pub title: String,
    /// Type of activity.
    pub activity_type: ActivityType,
    /// Planned start (RFC 3339; stored in UTC to the microsecond).
    pub planned_start: DateTime<Utc>,
    /// Planned end (RFC 3339), not before the start.
    pub planned_end: DateTime<Utc>,
    /// Where it takes place (1-500 characters).
    pub place: Option<String>,
    /// Link of an online meeting: an absolute http or https URL (at most 2,000 characters).
    pub online_link: Option<String>,
    /// Speaker (1-200 characters).
    pub speaker: Option<String>,
    /// Agenda (up to 20,000 characters).
    #[serde(default)]
    pub agenda: String,
    /// Attachments as metadata (at most 50).
    #[serde(default)]
    pub attachments: Vec<AttachmentBody>,
    /// Projects the activity pushes (at most 100, distinct), each one the caller sees.
    #[serde(default)]
    pub project_ids: Vec<String>,
}

impl CreateActivityRequest {
    fn input(&self) -> ActivityInput {
        ActivityInput {
            title: self.title.clone(),
            activity_type: self.activity_type,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
            place: self.place.clone(),
            online_link: self.online_link.clone(),
            speaker: self.speaker.clone(),
            agenda: self.agenda.clone(),
            cohost_branch_ids: self.cohost_branch_ids.clone(),
            attachments: self.attachments.iter().map(AttachmentBody::input).collect(),
            project_ids: self.project_ids.clone(),
        }
    }
}

/// Changes to an activity (JSON merge patch: `null` clears an optional field; co-hosts,
/// attachments and projects are replaced whole when present). Owner, status, the held and
/// cancelled fields, version and timestamps are not writable; the host branch is fixed.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"minutes": "一、学习《党史》第三章\n二、交流发言 6 人", "attachments": [{"kind": "photo",
    "name": "现场.jpg", "size_bytes": 2048000,
    "checksum": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]}))]
pub struct UpdateActivityRequest {
    /// The host branch is fixed: sending the current one is accepted, another one is 422
    /// `immutable`.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub host_branch_id: Option<String>,
    /// New co-host branches (the whole list). Branches added are checked like on create.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub cohost_branch_ids: Option<Vec<String>>,
    /// New title.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    /// New type.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub activity_type: Option<ActivityType>,
    /// New planned start.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub planned_start: Option<DateTime<Utc>>,
    /// New planned end.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub planned_end: Option<DateTime<Utc>>,
    /// New place, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub place: Option<Option<String>>,
    /// New online link, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub online_link: Option<Option<String>>,
    /// New speaker, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub speaker: Option<Option<String>>,
    /// New agenda.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub agenda: Option<String>,
    /// Minutes (up to 100,000 characters), or null. Only on a held activity: 409
    /// `ACTIVITY_NOT_HELD` before.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub minutes: Option<Option<String>>,
    /// New attachments (the whole list).
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub attachments: Option<Vec<AttachmentBody>>,
    /// New linked projects (the whole list). Projects added must be ones the caller sees.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub project_ids: Option<Vec<String>>,
}

impl UpdateActivityRequest {
    /// The patch applied to the current activity, checked; every failing field at once.
    fn merge(self, a: &Activity) -> Result<ActivityChange, DomainError> {
        let mut v = Violations::new();
        if self.host_branch_id.as_ref().is_some_and(|h| *h != a.host_branch_id) {
            v.push(FieldViolation::new(
                "/host_branch_id",
                "immutable",
                "the host branch of an activity cannot change; plan a new activity instead",
            ));
        }
        let minutes = match self.minutes {
            None => None,
            Some(None) => Some(None),
            Some(Some(m)) => Some(v.take(parse_minutes("/minutes", &m)).flatten()),
        };
        let input = ActivityInput {
            title: self.title.unwrap_or_else(|| a.title.clone()),
            activity_type: self.activity_type.unwrap_or(a.activity_type),
            planned_start: self.planned_start.unwrap_or(a.planned_start),
            planned_end: self.planned_end.unwrap_or(a.planned_end),
            place: self.place.unwrap_or_else(|| a.place.clone()),
            online_link: self.online_link.unwrap_or_else(|| a.online_link.clone()),
            speaker: self.speaker.unwrap_or_else(|| a.speaker.clone()),
            agenda: self.agenda.unwrap_or_else(|| a.agenda.clone()),
            cohost_branch_ids: self.cohost_branch_ids.unwrap_or_else(|| a.cohost_branch_ids.clone()),
            attachments: match self.attachments {
                Some(list) => list.iter().map(AttachmentBody::input).collect(),
                None => a
                    .attachments
                    .iter()
                    .map(|x| AttachmentInput {
                        kind: x.kind,
                        name: x.name.clone(),
                        size_bytes: x.size_bytes,
                        checksum: x.checksum.clone(),
                    })
                    .collect(),
            },
            project_ids: self.project_ids.unwrap_or_else(|| a.project_ids.clone()),
        };
        let fields = v.take(input.parse(&a.host_branch_id));
        v.into_result()?;
        let fields = fields.ok_or_else(|| DomainError::invalid("", "invalid", "the activity is invalid"))?;
        Ok(ActivityChange { fields, minutes })
    }
}

/// Recording that a planned activity was held.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"held_at": "2026-07-01T09:05:00+08:00", "minutes": "一、重温入党誓词\n二、座谈交流"}))]
pub struct HoldActivityRequest {
    /// When it was held (RFC 3339; default now). Not more than 5 minutes in the future. Sets
    /// `held_on`, its date in the owner organization's time zone.
    pub held_at: Option<DateTime<Utc>>,
    /// Minutes (up to 100,000 characters); may also be added later with PATCH.
    pub minutes: Option<String>,
}

/// Cancelling a planned activity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "台风红色预警，改期举行"}))]
pub struct CancelActivityRequest {
    /// Why (required, non-blank, up to 2,000 characters).
    pub reason: String,
}

/// Sort order of the activity list; a leading `-` sorts descending. Ties break on `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ActivityOrderBy {
    /// Planned start (the default without `updated_since`).
    #[serde(rename = "planned_start")]
    PlannedStart,
    /// Planned start, latest first.
    #[serde(rename = "-planned_start")]
    PlannedStartDesc,
    /// Last change (the default with `updated_since`, for sync).
    #[serde(rename = "updated_at")]
    UpdatedAt,
    /// Last change, newest first.
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
    /// Creation order.
    #[serde(rename = "id")]
    Id,
    /// Newest first.
    #[serde(rename = "-id")]
    IdDesc,
}

impl ActivityOrderBy {
    fn split(self) -> (ActivityOrder, bool) {
        use ActivityOrderBy::*;
        match self {
            PlannedStart => (ActivityOrder::PlannedStart, false),
            PlannedStartDesc => (ActivityOrder::PlannedStart, true),
            UpdatedAt => (ActivityOrder::UpdatedAt, false),
            UpdatedAtDesc => (ActivityOrder::UpdatedAt, true),
            Id => (ActivityOrder::Id, false),
            IdDesc => (ActivityOrder::Id, true),
        }
    }
}

/// Filters of the activity list.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityListQuery {
    /// Only activities this branch hosts or co-hosts.
    pub branch_id: Option<String>,
    /// Only activities owned by this organization (hosted by one of its branches) or co-hosted
    /// by one of its branches. Descendants are not included.
    pub organization_id: Option<String>,
    /// Only this type.
    pub activity_type: Option<ActivityType>,
    /// Only this status.
    pub status: Option<ActivityStatus>,
    /// Only activities planned to start on or after this date (YYYY-MM-DD), in the owner
    /// organization's time zone.
    pub from: Option<NaiveDate>,
    /// Only activities planned to start on or before this date (YYYY-MM-DD), in the owner
    /// organization's time zone.
    pub to: Option<NaiveDate>,
    /// Only activities linked to this project.
    pub project_id: Option<String>,
    /// Also return tombstones (`id`, `deleted_at`, `version`) of activities deleted since
    /// `updated_since`, so a phone learns of deletions.
    pub include_deleted: Option<bool>,
    /// Items per page, 1–200 (default 50); more than 200 is refused, not clamped.
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
    /// Opaque token from `next_page_token` of the previous page, with the same filters.
    pub page_token: Option<String>,
    /// Sort order: default `planned_start`, or `updated_at` when `updated_since` is given.
    #[param(inline)]
    pub order_by: Option<ActivityOrderBy>,
    /// Only activities changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

impl Listing for ActivityListQuery {
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

impl ActivityListQuery {
    fn filter(&self) -> ActivityFilter {
        ActivityFilter {
            branch_id: self.branch_id.clone(),
            organization_id: self.organization_id.clone(),
            activity_type: self.activity_type,
            status: self.status,
            from: self.from,
            to: self.to,
            project_id: self.project_id.clone(),
            updated_since: crate::paging::since(self.updated_since),
            include_deleted: self.include_deleted.unwrap_or(false),
        }
    }

    fn order(&self) -> (ActivityOrder, bool) {
        let default =
            if self.updated_since.is_some() { ActivityOrderBy::UpdatedAt } else { ActivityOrderBy::PlannedStart };
        self.order_by.unwrap_or(default).split()
    }
}

fn location(id: &str) -> String {
    format!("/v1/activities/{id}")
}

/// Plan an activity.
///
/// By a manager of the host branch: its secretary, party secretaries and org admins of its
/// organization, org admins of a superior, or a partner system with `party:write` for its own
/// organization. The host branch's organization owns the activity. Co-host branches make it a
/// joint activity (联建): each must be one the caller sees (404 otherwise) and lie in the host
/// organization's subtree or belong to an organization sharing an active alliance with it (422
/// `cohost_out_of_scope` at `/cohost_branch_ids/N`). A phone may send its own id and retry with
/// the same `Idempotency-Key`.
#[utoipa::path(
    tag = "activities",
    operation_id = "create_activity",
    request_body = CreateActivityRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = ActivityResponse,
            headers(("Location" = String, description = "URL of the new activity"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not a manager of the host branch", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Host branch, a co-host branch or a linked project not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/activities")]
pub async fn create_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateActivityRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let id = body.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
    let fields = v.take(body.input().parse(&body.host_branch_id));
    v.into_result()?;
    let Some(fields) = fields else { return Err(ApiError::Internal("validation passed without values".to_owned())) };
    let cmd = NewActivity { id, host_branch_id: body.host_branch_id.clone(), fields };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| activities::create(c, &caller, &vis, cmd),
        |a| {
            let r = ActivityResponse::from(a);
            Created::new(&r, location(&r.id), r.version)
        },
    )
    .await
}

/// Get an activity.
///
/// Visible to the host branch's organization and its superiors, to each co-host branch's
/// organization and its superiors, and to members of the host and co-host branches.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_activity",
    params(("id" = String, Path, description = "Activity id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The activity", body = ActivityResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified"),
        (status = 403, description = "The token lacks party:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/activities/{id}")]
pub async fn get_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let a = state.db(move |c| activities::get(c, &caller, &vis, &id)).await?;
    Ok(respond(&req, a.version, &ActivityResponse::from(a)))
}

/// List activities.
///
/// Filtered, sorted and keyset-paged; visible activities only. By default sorted by planned
/// start, or by last change when `updated_since` is given.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_activities",
    params(ActivityListQuery),
    responses(
        (status = 200, description = "A page of activities", body = ActivityPage),
        (status = 403, description = "The token lacks party:read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/activities")]
pub async fn list_activities(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<ActivityListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let q = q.into_inner();
    let lr = crate::paging::ListRequest::new(&state.keys, "activities", &auth.caller.principal_id, &q)?;
    let filter = q.filter();
    let (order, desc) = q.order();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let after: Option<Cursor> = lr.page.after.clone();
    let limit = lr.page.limit;
    let (entries, next) =
        state.db(move |c| activities::list(c, &caller, &vis, &filter, order, desc, after.as_ref(), limit)).await?;
    Ok(HttpResponse::Ok().json(ActivityPage {
        next_page_token: lr.token(&state.keys, next),
        items: entries
            .into_iter()
            .map(|e| match e {
                Entry::Live(a) => ActivityListItem::Activity(Box::new(ActivityResponse::from(*a))),
                Entry::Deleted { id, deleted_at, version } => {
                    ActivityListItem::Deleted(Tombstone { id, deleted_at, version })
                }
            })
            .collect(),
    }))
}

/// Update an activity.
///
/// By a manager of the host branch; managers of co-host branches only read (403). Minutes
/// are accepted once the activity is held (409 `ACTIVITY_NOT_HELD` before).
#[utoipa::path(
    tag = "activities",
    operation_id = "update_activity",
    request_body(content = UpdateActivityRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Activity id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = ActivityResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not a manager of the host branch (e.g. a co-host's secretary)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity (or added co-host branch or project), or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Minutes sent for an activity not held", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/activities/{id}")]
pub async fn update_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateActivityRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let a = state
        .write(move |c| activities::update(c, &caller, &vis, &id, |current| body.merge(current), expected))
        .await?;
    Ok(written(a.version, &ActivityResponse::from(a)))
}

/// Delete an activity.
///
/// Soft delete by a manager of the host branch: the activity then answers 404, lists skip it,
/// and sync clients get its tombstone with `include_deleted=true`.
#[utoipa::path(
    tag = "activities",
    operation_id = "delete_activity",
    params(("id" = String, Path, description = "Activity id"), crate::v1::IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not a manager of the host branch", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/activities/{id}")]
pub async fn delete_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    state.write(move |c| activities::delete(c, &caller, &vis, &id, expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Record that an activity was held.
///
/// `planned` → `held`, by a manager of the host branch, at `held_at` (default now; not in the
/// future beyond 5 minutes of clock skew). `held_on` is that instant's date in the owner
/// organization's time zone. Anything but a planned activity is 409 `ILLEGAL_TRANSITION`.
#[utoipa::path(
    tag = "activities",
    operation_id = "hold_activity",
    request_body = HoldActivityRequest,
    params(("id" = String, Path, description = "Activity id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The activity afterwards", body = ActivityResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not a manager of the host branch", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activity is not planned (ILLEGAL_TRANSITION)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/activities/{id}/hold")]
pub async fn hold_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<HoldActivityRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let mut v = Violations::new();
    let held_at = body.held_at.unwrap_or(now);
    v.take(check_held_at(held_at, now));
    let minutes = body.minutes.as_deref().and_then(|m| v.take(parse_minutes("/minutes", m))).flatten();
    v.into_result()?;
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| activities::hold(c, &caller, &vis, &id, held_at, minutes, expected),
        |a| Created::ok(&ActivityResponse::from(a)),
    )
    .await
}

/// Cancel an activity.
///
/// `planned` → `cancelled`, by a manager of the host branch, with a reason. Anything but a
/// planned activity is 409 `ILLEGAL_TRANSITION`.
#[utoipa::path(
    tag = "activities",
    operation_id = "cancel_activity",
    request_body = CancelActivityRequest,
    params(("id" = String, Path, description = "Activity id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The activity afterwards", body = ActivityResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not a manager of the host branch", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activity is not planned (ILLEGAL_TRANSITION)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/activities/{id}/cancel")]
pub async fn cancel_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<CancelActivityRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = parse_cancel_reason("/reason", &body.reason)?;
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| activities::cancel(c, &caller, &vis, &id, reason, expected),
        |a| Created::ok(&ActivityResponse::from(a)),
    )
    .await
}
