//! Party members' points (党员积分): each organization's point rules (points per activity type
//! for attending), the ledger of entries (attendance, awards and deductions with a reason), and
//! balances as a leaderboard per branch or organization for a period.
//!
//! Who reads entries and balances: entries of branches whose organization is the caller's or a
//! descendant, and the caller's own entries; alliance partners see each other's branches but
//! not their members' points; a caller who is only a party member sees its own entries only.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zs_domain::auth::Scope;
use zs_domain::error::Violations;
use zs_domain::party::{ActivityType, PointKind};
use zs_domain::points::{check_rules, ManualEntry, PointRule};
use zs_domain::FieldViolation;
use zs_persistence::page::Cursor;
use zs_persistence::points::{self, Balance, BalanceScope, EntryFilter, EntryOrder, NewPointEntry, PointEntry};

use crate::auth::Auth;
use crate::body::Body;
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::paging::{Listing, OrderBy};
use crate::state::AppState;

/// Points for attending an activity of one type.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PointRuleResponse {
    /// The activity type.
    pub activity_type: ActivityType,
    /// Points a member earns for attending.
    pub points: i32,
    /// True when the organization set no value of its own and the default applies.
    pub is_default: bool,
}

impl From<PointRule> for PointRuleResponse {
    fn from(r: PointRule) -> Self {
        PointRuleResponse { activity_type: r.activity_type, points: r.points, is_default: r.is_default }
    }
}

/// An organization's point rules: every activity type.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"organization_id": "01936f3e-0000-7000-8000-0000000000a1", "rules": [
    {"activity_type": "general_meeting", "points": 2, "is_default": true},
    {"activity_type": "study", "points": 3, "is_default": false}
]}))]
pub struct PointRulesResponse {
    /// The organization.
    pub organization_id: String,
    /// Every activity type, in the order of the `ActivityType` enum.
    pub rules: Vec<PointRuleResponse>,
}

impl PointRulesResponse {
    fn new(organization_id: String, rules: Vec<PointRule>) -> Self {
        PointRulesResponse { organization_id, rules: rules.into_iter().map(Into::into).collect() }
    }
}

/// Points for one activity type.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointRuleInput {
    /// The activity type.
    pub activity_type: ActivityType,
    /// Points for attending, 0 to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub points: i64,
}

/// The organization's own rules, replacing all it had; types not listed earn the default.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": [{"activity_type": "study", "points": 3}, {"activity_type": "service", "points": 5}]}))]
pub struct ReplacePointRulesRequest {
    /// Each activity type at most once.
    pub rules: Vec<PointRuleInput>,
}

/// An entry of the points ledger.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "01936f3e-1a2b-7c3d-8e4f-5a6b7c8d9e10",
    "organization_id": "01936f3e-0000-7000-8000-0000000000a1",
    "branch_id": "01936f3e-0000-7000-8000-0000000000b1",
    "user_id": "01936f3e-0000-7000-8000-000000000001",
    "activity_id": null,
    "kind": "award",
    "points": 5,
    "reason": "驻外招商促成项目签约",
    "occurred_on": "2026-05-08",
    "created_by": "01936f3e-0000-7000-8000-000000000002",
    "created_at": "2026-05-08T06:00:00Z"
}))]
pub struct PointEntryResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The member's branch's organization.
    pub organization_id: String,
    /// The member's branch.
    pub branch_id: String,
    /// The member.
    pub user_id: String,
    /// The activity attended (attendance entries).
    pub activity_id: Option<String>,
    /// `attendance`, `award` or `deduction`.
    pub kind: PointKind,
    /// Signed points: a deduction is negative.
    pub points: i32,
    /// Why (for attendance: the activity's title).
    pub reason: String,
    /// The day the points were earned or lost (the activity's day for attendance).
    pub occurred_on: NaiveDate,
    /// Who recorded the entry (the member on a self sign-in).
    pub created_by: String,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<PointEntry> for PointEntryResponse {
    fn from(e: PointEntry) -> Self {
        PointEntryResponse {
            id: e.id,
            organization_id: e.organization_id,
            branch_id: e.branch_id,
            user_id: e.user_id,
            activity_id: e.activity_id,
            kind: e.kind,
            points: e.points,
            reason: e.reason,
            occurred_on: e.occurred_on,
            created_by: e.created_by,
            created_at: e.created_at,
        }
    }
}

/// A page of ledger entries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PointEntryPage {
    /// The entries of this page.
    pub items: Vec<PointEntryResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A manual award or deduction.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "branch_id": "01936f3e-0000-7000-8000-0000000000b1",
    "user_id": "01936f3e-0000-7000-8000-000000000001",
    "kind": "award",
    "points": 5,
    "reason": "驻外招商促成项目签约",
    "occurred_on": "2026-05-08"
}))]
pub struct CreatePointEntryRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// The branch; the caller must manage it.
    pub branch_id: String,
    /// A member of the branch.
    pub user_id: String,
    /// `award` or `deduction` (`attendance` entries come only from signing in: 422).
    pub kind: PointKind,
    /// 1 to 100, positive also for a deduction (stored negative).
    #[schema(minimum = 1, maximum = 100)]
    pub points: i64,
    /// Why (1-500 characters).
    pub reason: String,
    /// The day (default today in the branch organization's time zone; not in the future).
    pub occurred_on: Option<NaiveDate>,
}

/// Sort order of the ledger; a leading `-` sorts descending. Ties break on `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum PointEntryOrderBy {
    /// Recording order.
    #[serde(rename = "id")]
    Id,
    /// Newest first.
    #[serde(rename = "-id")]
    IdDesc,
    /// Day earned.
    #[serde(rename = "occurred_on")]
    OccurredOn,
    /// Day earned, latest first.
    #[serde(rename = "-occurred_on")]
    OccurredOnDesc,
}

impl PointEntryOrderBy {
    fn split(self) -> (EntryOrder, bool) {
        match self {
            PointEntryOrderBy::Id => (EntryOrder::Id, false),
            PointEntryOrderBy::IdDesc => (EntryOrder::Id, true),
            PointEntryOrderBy::OccurredOn => (EntryOrder::OccurredOn, false),
            PointEntryOrderBy::OccurredOnDesc => (EntryOrder::OccurredOn, true),
        }
    }
}

/// Filters of the ledger.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PointEntryListQuery {
    /// Only entries of this branch.
    pub branch_id: Option<String>,
    /// Only entries of this member.
    pub user_id: Option<String>,
    /// Only entries of branches of this organization and its descendants.
    pub organization_id: Option<String>,
    /// Only this kind.
    pub kind: Option<PointKind>,
    /// Only entries earned on or after this day.
    pub from: Option<NaiveDate>,
    /// Only entries earned on or before this day.
    pub to: Option<NaiveDate>,
    /// Items per page, 1–200 (default 50); more than 200 is refused, not clamped.
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
    /// Opaque token from `next_page_token` of the previous page, with the same filters.
    pub page_token: Option<String>,
    /// Sort order (default `id`).
    #[param(inline)]
    pub order_by: Option<PointEntryOrderBy>,
    /// Only entries recorded at or after this instant (RFC 3339). Entries are never edited;
    /// an attendance entry withdrawn when a secretary corrects a presence disappears.
    pub updated_since: Option<DateTime<Utc>>,
}

impl Listing for PointEntryListQuery {
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

fn check_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), ApiError> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(ApiError::invalid("/to", "range", "`to` lies before `from`")),
        _ => Ok(()),
    }
}

/// Whose balances, and the period.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BalanceQuery {
    /// The members of this branch (give this or `organization_id`).
    pub branch_id: Option<String>,
    /// The members of the branches of this organization and its descendants (give this or
    /// `branch_id`).
    pub organization_id: Option<String>,
    /// Count entries earned on or after this day.
    pub from: Option<NaiveDate>,
    /// Count entries earned on or before this day.
    pub to: Option<NaiveDate>,
}

/// One row of the leaderboard.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BalanceResponse {
    /// Standard competition rank among the rows shown: equal points share a rank and the
    /// next rank skips (1, 2, 2, 4).
    pub rank: u32,
    /// The member.
    pub user_id: String,
    /// The member's display name.
    pub display_name: String,
    /// The branch the points were earned in (a member of two branches has a row for each).
    pub branch_id: String,
    /// Sum of the entries' signed points in the period.
    pub points: i64,
    /// Number of entries in the period.
    pub entries: i64,
}

impl From<Balance> for BalanceResponse {
    fn from(b: Balance) -> Self {
        BalanceResponse {
            rank: b.rank,
            user_id: b.user_id,
            display_name: b.display_name,
            branch_id: b.branch_id,
            points: b.points,
            entries: b.entries,
        }
    }
}

/// The leaderboard of a branch or an organization for a period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"branch_id": "01936f3e-0000-7000-8000-0000000000b1", "organization_id": null,
    "from": "2026-01-01", "to": "2026-06-30", "items": [
    {"rank": 1, "user_id": "01936f3e-0000-7000-8000-000000000001", "display_name": "张伟", "branch_id": "01936f3e-0000-7000-8000-0000000000b1", "points": 14, "entries": 6},
    {"rank": 2, "user_id": "01936f3e-0000-7000-8000-000000000003", "display_name": "李娜", "branch_id": "01936f3e-0000-7000-8000-0000000000b1", "points": 9, "entries": 5}
]}))]
pub struct BalancesResponse {
    /// The branch asked for.
    pub branch_id: Option<String>,
    /// The organization asked for.
    pub organization_id: Option<String>,
    /// First day counted.
    pub from: Option<NaiveDate>,
    /// Last day counted.
    pub to: Option<NaiveDate>,
    /// Members with entries in the period, by points (highest first), then display name.
    pub items: Vec<BalanceResponse>,
}

/// Get an organization's point rules.
///
/// Every activity type with the points a member of the organization's branches earns for
/// attending: the organization's own value, or the default (`is_default`). Anyone who sees
/// the organization.
#[utoipa::path(
    tag = "points",
    operation_id = "get_point_rules",
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The rules of every activity type", body = PointRulesResponse),
        (status = 403, description = "The token lacks party:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/organizations/{id}/point-rules")]
pub async fn get_point_rules(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let org = id.clone();
    let rules = state.db(move |c| points::rules(c, &vis, &org)).await?;
    Ok(HttpResponse::Ok().json(PointRulesResponse::new(id, rules)))
}

/// Replace an organization's point rules.
///
/// Org admins and party secretaries of the organization, org admins of a superior, and
/// sysadmins. The body replaces every value the organization had set; types not listed earn
/// the default again. Points already in the ledger stay as they were earned.
#[utoipa::path(
    tag = "points",
    operation_id = "replace_point_rules",
    request_body = ReplacePointRulesRequest,
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The rules of every activity type, as stored", body = PointRulesResponse),
        (status = 403, description = "Not allowed to set this organization's rules", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Points outside 0-100 (`/rules/{i}/points`) or a type listed twice (`/rules/{i}/activity_type`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/organizations/{id}/point-rules")]
pub async fn replace_point_rules(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<ReplacePointRulesRequest>,
) -> Result<HttpResponse, ApiError> {
    let values: Vec<(ActivityType, i64)> = body.rules.iter().map(|r| (r.activity_type, r.points)).collect();
    let rules = check_rules(&values)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let org = id.clone();
    let stored = state.write(move |c| points::replace_rules(c, &caller, &vis, &org, &rules)).await?;
    Ok(HttpResponse::Ok().json(PointRulesResponse::new(id, stored)))
}

/// Award or deduct points.
///
/// By a manager of the branch (its secretary, party secretaries and org admins of its
/// organization, org admins of a superior), for a member of the branch, with a reason. A
/// deduction is sent with positive points and stored negative. Attendance points are earned
/// only by signing in (or a secretary's recording of presence). `Idempotency-Key` is
/// honoured.
#[utoipa::path(
    tag = "points",
    operation_id = "create_point_entry",
    request_body = CreatePointEntryRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Recorded", body = PointEntryResponse,
            headers(("Location" = String, description = "URL of the ledger filtered to the member"))),
        (status = 403, description = "Not a manager of the branch", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such branch, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Kind `attendance` (`/kind`), points outside 1-100 (`/points`), a blank or over-long reason (`/reason`), a day in the future (`/occurred_on`), a user not in the branch (`/user_id`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/point-entries")]
pub async fn create_point_entry(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreatePointEntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let id = body.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
    // Every rule but "not in the future" (which needs the branch organization's today) is
    // checked here, before the branch is looked up, so a client learns of all at once.
    v.take(ManualEntry::parse(body.kind, body.points, &body.reason, body.occurred_on, NaiveDate::MAX));
    v.into_result()?;
    let cmd = NewPointEntry {
        id,
        branch_id: body.branch_id.clone(),
        user_id: body.user_id.clone(),
        kind: body.kind,
        points: body.points,
        reason: body.reason.clone(),
        occurred_on: body.occurred_on,
    };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| points::create_entry(c, &caller, &vis, cmd),
        |e| {
            let r = PointEntryResponse::from(e);
            let location = format!("/v1/point-entries?user_id={}&branch_id={}", r.user_id, r.branch_id);
            Created::new(&r, location, 0)
        },
    )
    .await
}

/// List ledger entries.
///
/// Filtered and keyset-paged. Entries of branches whose organization is the caller's or a
/// descendant, and the caller's own; a caller who is only a party member sees its own only.
#[utoipa::path(
    tag = "points",
    operation_id = "list_point_entries",
    params(PointEntryListQuery),
    responses(
        (status = 200, description = "A page of entries", body = PointEntryPage),
        (status = 403, description = "The token lacks party:read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`to` before `from` (`/to`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/point-entries")]
pub async fn list_point_entries(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<PointEntryListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let q = q.into_inner();
    check_period(q.from, q.to)?;
    let lr = crate::paging::ListRequest::new(&state.keys, "point-entries", &auth.caller.principal_id, &q)?;
    let filter = EntryFilter {
        branch_id: q.branch_id.clone(),
        user_id: q.user_id.clone(),
        organization_id: q.organization_id.clone(),
        kind: q.kind,
        from: q.from,
        to: q.to,
        created_since: crate::paging::since(q.updated_since),
    };
    let (order, desc) = q.order_by.unwrap_or(PointEntryOrderBy::Id).split();
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let after: Option<Cursor> = lr.page.after.clone();
    let limit = lr.page.limit;
    let (entries, next) =
        state.db(move |c| points::list_entries(c, &caller, &vis, &filter, order, desc, after.as_ref(), limit)).await?;
    Ok(HttpResponse::Ok().json(PointEntryPage {
        next_page_token: lr.token(&state.keys, next),
        items: entries.into_iter().map(Into::into).collect(),
    }))
}

/// Points balances (leaderboard).
///
/// For one branch (`branch_id`) or the branches of an organization's subtree
/// (`organization_id`), exactly one of the two, over a period (`from`/`to` on the day
/// earned): one row per member and branch with entries in the period, the sum of their
/// signed points and the number of entries, by points (highest first) then display name.
/// Only entries the caller reads are counted: a caller who is only a party member sees its
/// own row; an alliance partner sees no rows of another organization's branch.
#[utoipa::path(
    tag = "points",
    operation_id = "get_point_balances",
    params(BalanceQuery),
    responses(
        (status = 200, description = "The leaderboard", body = BalancesResponse),
        (status = 403, description = "The token lacks party:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such branch or organization, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of `branch_id` and `organization_id` (`/branch_id`), or `to` before `from` (`/to`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/point-balances")]
pub async fn get_point_balances(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<BalanceQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let q = q.into_inner();
    let mut problems = vec![];
    let scope = match (&q.branch_id, &q.organization_id) {
        (Some(b), None) => Some(BalanceScope::Branch(b.clone())),
        (None, Some(o)) => Some(BalanceScope::Organization(o.clone())),
        _ => {
            problems.push(FieldViolation::new(
                "/branch_id",
                "exactly_one",
                "give exactly one of branch_id and organization_id",
            ));
            None
        }
    };
    if let Err(ApiError::Validation(mut v)) = check_period(q.from, q.to) {
        problems.append(&mut v);
    }
    let Some(scope) = scope.filter(|_| problems.is_empty()) else { return Err(ApiError::Validation(problems)) };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let (from, to) = (q.from, q.to);
    let rows = state.db(move |c| points::balances(c, &caller, &vis, &scope, from, to)).await?;
    Ok(HttpResponse::Ok().json(BalancesResponse {
        branch_id: q.branch_id,
        organization_id: q.organization_id,
        from,
        to,
        items: rows.into_iter().map(Into::into).collect(),
    }))
}
