//! `/v1/activities/{id}/attendance`: members sign themselves in (签到) during the window around
//! an activity's start, secretaries record leave (请假, with a reason), absence or presence, and
//! anyone who sees the activity reads the attendance list with totals. Presence earns the
//! member the activity type's points (党员积分) under their branch organization's rules.

use actix_web::{get, post, put, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::Scope;
use zs_domain::party::AttendanceStatus;
use zs_domain::points::{AttendanceMark, AttendanceTotals};
use zs_persistence::attendance::{self, AttendanceItem, AttendanceList, AttendanceRecord};

use crate::auth::Auth;
use crate::body::Body;
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// A member's attendance of an activity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "activity_id": "01936f3e-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "user_id": "01936f3e-0000-7000-8000-000000000001",
    "display_name": "张伟",
    "branch_id": "01936f3e-0000-7000-8000-0000000000b1",
    "status": "present",
    "reason": null,
    "signed_in_at": "2026-05-08T01:58:12Z",
    "recorded_by": "01936f3e-0000-7000-8000-000000000001",
    "recorded_at": "2026-05-08T01:58:12Z"
}))]
pub struct AttendanceResponse {
    /// The activity.
    pub activity_id: String,
    /// The member.
    pub user_id: String,
    /// The member's display name.
    pub display_name: String,
    /// The branch the member attends for: the host branch when a member of it, else the
    /// first co-host branch (by id) they belong to. Its organization's rules set the points.
    pub branch_id: String,
    /// `present`, `leave` or `absent`.
    pub status: AttendanceStatus,
    /// Why (required for leave).
    pub reason: Option<String>,
    /// When the member signed in themself (UTC); null when a secretary recorded the status.
    pub signed_in_at: Option<DateTime<Utc>>,
    /// Who recorded the status last (the member on a self sign-in).
    pub recorded_by: String,
    /// When (UTC).
    pub recorded_at: DateTime<Utc>,
}

impl From<AttendanceRecord> for AttendanceResponse {
    fn from(r: AttendanceRecord) -> Self {
        AttendanceResponse {
            activity_id: r.activity_id,
            user_id: r.user_id,
            display_name: r.display_name,
            branch_id: r.branch_id,
            status: r.status,
            reason: r.reason,
            signed_in_at: r.signed_in_at,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        }
    }
}

/// One expected member; the status fields are null while nothing is recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttendanceItemResponse {
    /// The member.
    pub user_id: String,
    /// The member's display name.
    pub display_name: String,
    /// The branch the member attends for (host first, else the first co-host branch by id).
    pub branch_id: String,
    /// `present`, `leave`, `absent`, or null when unrecorded.
    pub status: Option<AttendanceStatus>,
    /// Why (leave, absence).
    pub reason: Option<String>,
    /// When the member signed in themself (UTC).
    pub signed_in_at: Option<DateTime<Utc>>,
    /// Who recorded the status.
    pub recorded_by: Option<String>,
    /// When (UTC).
    pub recorded_at: Option<DateTime<Utc>>,
}

impl From<AttendanceItem> for AttendanceItemResponse {
    fn from(i: AttendanceItem) -> Self {
        AttendanceItemResponse {
            user_id: i.user_id,
            display_name: i.display_name,
            branch_id: i.branch_id,
            status: i.status,
            reason: i.reason,
            signed_in_at: i.signed_in_at,
            recorded_by: i.recorded_by,
            recorded_at: i.recorded_at,
        }
    }
}

/// Totals of the attendance list: `present + leave + absent + unrecorded = expected`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"expected": 12, "present": 9, "leave": 2, "absent": 0, "unrecorded": 1}))]
pub struct AttendanceTotalsResponse {
    /// Members listed: the members of the host and co-host branches, plus anyone recorded
    /// who has since left them.
    pub expected: u32,
    /// Present (signed in or recorded present).
    pub present: u32,
    /// On leave.
    pub leave: u32,
    /// Absent.
    pub absent: u32,
    /// Not recorded yet.
    pub unrecorded: u32,
}

impl From<AttendanceTotals> for AttendanceTotalsResponse {
    fn from(t: AttendanceTotals) -> Self {
        AttendanceTotalsResponse {
            expected: t.expected,
            present: t.present,
            leave: t.leave,
            absent: t.absent,
            unrecorded: t.unrecorded,
        }
    }
}

/// The attendance of an activity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttendanceListResponse {
    /// The activity.
    pub activity_id: String,
    /// Every expected member, by display name.
    pub items: Vec<AttendanceItemResponse>,
    /// The totals.
    pub totals: AttendanceTotalsResponse,
}

impl From<AttendanceList> for AttendanceListResponse {
    fn from(l: AttendanceList) -> Self {
        AttendanceListResponse {
            activity_id: l.activity_id,
            items: l.items.into_iter().map(Into::into).collect(),
            totals: l.totals.into(),
        }
    }
}

/// A self sign-in carries nothing: send `{}` or no body at all.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct SignInRequest {}

/// What a secretary records for a member.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "leave", "reason": "赴深圳招商出差"}))]
pub struct RecordAttendanceRequest {
    /// `present`, `leave` or `absent`.
    pub status: AttendanceStatus,
    /// Why: required for leave (1-500 characters), optional otherwise.
    pub reason: Option<String>,
}

fn location(activity_id: &str) -> String {
    format!("/v1/activities/{activity_id}/attendance")
}

/// Sign in to an activity.
///
/// The caller signs itself in: a member of the host branch or of a co-host branch (a member
/// of a partner organization's co-host branch included), while the activity is planned or
/// held, from 30 minutes before its planned start until 60 minutes after it (the service's
/// sign-in window settings). The first sign-in answers 201 and earns the member the
/// activity type's points under their branch organization's point rules, dated the
/// activity's day in the owner's time zone; signing in again answers 200 with the same record
/// and earns nothing more. A sign-in over a leave or absence the secretary recorded makes the
/// member present (they came after all): 201. Send `{}` or no body; `Idempotency-Key` is
/// honoured.
#[utoipa::path(
    tag = "activities",
    operation_id = "sign_in_activity",
    request_body(content = Option<SignInRequest>, description = "Nothing: `{}` or no body"),
    params(("id" = String, Path, description = "Activity id"), crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Signed in; the points are earned", body = AttendanceResponse,
            headers(("Location" = String, description = "URL of the activity's attendance list"))),
        (status = 200, description = "Already signed in (or recorded present): the same record", body = AttendanceResponse),
        (status = 403, description = "Not a member of the host branch or of a co-host branch (or a service account)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, deleted, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ACTIVITY_CANCELLED`: the activity was cancelled; `SIGN_IN_CLOSED`: outside the sign-in window", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/activities/{id}/attendance")]
pub async fn sign_in_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let mut payload = payload.into_inner();
    let bytes = crate::body::read_limited(&req, &mut payload, state.settings.body_limit).await?;
    let body: SignInRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        SignInRequest::default()
    } else {
        let mime = req.content_type().to_ascii_lowercase();
        if mime != "application/json" && !mime.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType(format!(
                "send the body as application/json (got {})",
                if mime.is_empty() { "no content type" } else { mime.as_str() }
            )));
        }
        crate::body::parse(&bytes)?
    };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let window = state.settings.sign_in;
    let id = id.into_inner();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| attendance::sign_in(c, &caller, &vis, &id, &window, Utc::now()),
        |(record, fresh)| {
            let r = AttendanceResponse::from(record);
            if fresh {
                Created::new(&r, location(&r.activity_id), 0)
            } else {
                Created::ok(&r)
            }
        },
    )
    .await
}

/// Record a member's attendance.
///
/// By a manager of the host branch (its secretary, party secretaries and org admins of its
/// organization, org admins of a superior) for anyone expected; by a manager of a co-host
/// branch for that branch's own members only. Leave needs a reason. Any status may replace
/// any other, before or after the activity, but not once it is cancelled. The ledger follows:
/// `present` gives the member the one attendance entry of the activity (if they have none),
/// `leave` and `absent` withdraw it. Answers 200 with the record as stored, whether it was
/// new or replaced an earlier one.
#[utoipa::path(
    tag = "activities",
    operation_id = "record_attendance",
    request_body = RecordAttendanceRequest,
    params(("id" = String, Path, description = "Activity id"), ("user_id" = String, Path, description = "The member")),
    responses(
        (status = 200, description = "Recorded", body = AttendanceResponse),
        (status = 403, description = "Not a manager of the host branch, nor of a co-host branch the member belongs to", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, deleted, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ACTIVITY_CANCELLED`: the activity was cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Leave without a reason (`/reason`), a reason over 500 characters, or a user who is not a member of the host or a co-host branch (`/user_id`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/activities/{id}/attendance/{user_id}")]
pub async fn record_attendance(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    Body(body): Body<RecordAttendanceRequest>,
) -> Result<HttpResponse, ApiError> {
    let mark = AttendanceMark::parse(body.status, body.reason.as_deref())?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let (id, user_id) = path.into_inner();
    let r = state.write(move |c| attendance::record(c, &caller, &vis, &id, &user_id, mark)).await?;
    Ok(HttpResponse::Ok().json(AttendanceResponse::from(r)))
}

/// List an activity's attendance.
///
/// Anyone who sees the activity: every member of the host and co-host branches (and anyone
/// recorded who has since left them), with their status (null while unrecorded), by display
/// name, and the totals.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_attendance",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, description = "The attendance list", body = AttendanceListResponse),
        (status = 403, description = "The token lacks party:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, deleted, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/activities/{id}/attendance")]
pub async fn list_attendance(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let l = state.db(move |c| attendance::list(c, &caller, &vis, &id)).await?;
    Ok(HttpResponse::Ok().json(AttendanceListResponse::from(l)))
}
