//! `/v1/branches`: party branches (党支部) with their party groups (党小组) and members; the
//! compliance of a branch, or of every branch of an organization's subtree, with the rules of
//! 三会一课 for a year; and `/v1/compliance-rules`, those rules as data (national defaults,
//! overridable per organization and inherited by its descendants).

use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zs_domain::auth::Scope;
use zs_domain::branch::{
    parse_rules, summarize, Branch, BranchFields, BranchGroup, BranchMember, ComplianceSummary, RuleSet, RuleSource,
};
use zs_domain::party::{ActivityType, ComplianceRule, PartyRole, PeriodCompliance, RulePeriod};
use zs_persistence::branches::{self, BranchCompliance, BranchFilter, NewBranch};
use zs_persistence::page::Cursor;

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::list_query;
use crate::paging::{since, ListRequest, Listing, OrderBy};
use crate::state::AppState;

/// Years a compliance table can be asked for.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A party group (党小组) of a branch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "第一党小组", "leader_id": "01936f3e-0000-7000-8000-000000000011"}))]
pub struct BranchGroupBody {
    /// Name, 1-50 characters, unique within the branch.
    pub name: String,
    /// The group leader: an enabled user of the branch's organization or its descendants.
    #[serde(default)]
    pub leader_id: Option<String>,
}

/// A member of a branch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": "01936f3e-0000-7000-8000-000000000012", "party_role": "member", "joined_on": "2019-07-01", "group": "第一党小组"}))]
pub struct BranchMemberBody {
    /// The member: an enabled user of the branch's organization or its descendants, once per
    /// branch.
    pub user_id: String,
    /// Standing in the branch.
    pub party_role: PartyRole,
    /// When the member joined the branch (not after today in the organization's time zone).
    pub joined_on: NaiveDate,
    /// The name of one of the branch's party groups.
    #[serde(default)]
    pub group: Option<String>,
}

impl From<BranchGroup> for BranchGroupBody {
    fn from(g: BranchGroup) -> Self {
        BranchGroupBody { name: g.name, leader_id: g.leader_id }
    }
}

impl From<BranchMember> for BranchMemberBody {
    fn from(m: BranchMember) -> Self {
        BranchMemberBody { user_id: m.user_id, party_role: m.party_role, joined_on: m.joined_on, group: m.group }
    }
}

impl BranchGroupBody {
    fn into_domain(self) -> BranchGroup {
        BranchGroup { name: self.name, leader_id: self.leader_id }
    }
}

impl BranchMemberBody {
    fn into_domain(self) -> BranchMember {
        BranchMember {
            user_id: self.user_id,
            party_role: self.party_role,
            joined_on: self.joined_on,
            group: self.group,
        }
    }
}

/// A party branch (党支部).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "01936f3e-0000-7000-8000-000000000020", "organization_id": "01936f3e-0000-7000-8000-000000000001",
    "name": "驻深圳招商小分队党支部", "secretary_id": "01936f3e-0000-7000-8000-000000000011", "deputy_id": null,
    "stationed": true, "stationed_in": "广东省深圳市",
    "groups": [{"name": "第一党小组", "leader_id": "01936f3e-0000-7000-8000-000000000011"}],
    "members": [{"user_id": "01936f3e-0000-7000-8000-000000000011", "party_role": "committee_member", "joined_on": "2015-07-01", "group": "第一党小组"}],
    "member_count": 1, "version": 1, "created_by": "01936f3e-0000-7000-8000-000000000002",
    "created_at": "2026-03-01T02:00:00Z", "updated_at": "2026-03-01T02:00:00Z"
}))]
pub struct BranchResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The organization the branch belongs to.
    pub organization_id: String,
    /// Name.
    pub name: String,
    /// The branch secretary (支部书记).
    pub secretary_id: Option<String>,
    /// The deputy secretary.
    pub deputy_id: Option<String>,
    /// A branch of a team stationed elsewhere (驻外党支部).
    pub stationed: bool,
    /// Where a stationed branch works (only with `stationed: true`).
    pub stationed_in: Option<String>,
    /// Party groups (党小组), in the order sent.
    pub groups: Vec<BranchGroupBody>,
    /// Members sorted by user id; null for callers outside the branch organization's subtree
    /// (alliance partners see the branch, not its people).
    pub members: Option<Vec<BranchMemberBody>>,
    /// Number of members.
    pub member_count: i64,
    /// Version (also the `ETag`).
    pub version: i64,
    /// Who created the branch.
    pub created_by: String,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Branch> for BranchResponse {
    fn from(b: Branch) -> Self {
        BranchResponse {
            id: b.id,
            organization_id: b.organization_id,
            name: b.name,
            secretary_id: b.secretary_id,
            deputy_id: b.deputy_id,
            stationed: b.stationed,
            stationed_in: b.stationed_in,
            groups: b.groups.into_iter().map(Into::into).collect(),
            members: b.members.map(|ms| ms.into_iter().map(Into::into).collect()),
            member_count: b.member_count,
            version: b.version,
            created_by: b.created_by,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// A page of branches.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BranchPage {
    /// The branches of this page.
    pub items: Vec<BranchResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new branch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organization_id": "01936f3e-0000-7000-8000-000000000001",
    "name": "驻深圳招商小分队党支部",
    "secretary_id": "01936f3e-0000-7000-8000-000000000011",
    "stationed": true, "stationed_in": "广东省深圳市",
    "groups": [{"name": "第一党小组", "leader_id": "01936f3e-0000-7000-8000-000000000011"}],
    "members": [{"user_id": "01936f3e-0000-7000-8000-000000000011", "party_role": "committee_member", "joined_on": "2015-07-01", "group": "第一党小组"}]
}))]
pub struct CreateBranchRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// The organization (default: yours); one you see and whose branches you manage.
    pub organization_id: Option<String>,
    /// Name, 1-100 characters.
    pub name: String,
    /// The secretary: an enabled user of the organization or its descendants.
    pub secretary_id: Option<String>,
    /// The deputy secretary: an enabled user of the organization or its descendants.
    pub deputy_id: Option<String>,
    /// A branch of a team stationed elsewhere (default false).
    #[serde(default)]
    pub stationed: bool,
    /// Where a stationed branch works (1-200 characters); only with `stationed: true`.
    pub stationed_in: Option<String>,
    /// Party groups (at most 50), names unique.
    #[serde(default)]
    pub groups: Vec<BranchGroupBody>,
    /// Members (at most 1,000), each user once; a member's `group` names one of `groups`.
    #[serde(default)]
    pub members: Vec<BranchMemberBody>,
}

/// Changes to a branch (JSON merge patch: `null` clears an optional field; `groups` and
/// `members`, when present, replace the whole list). The organization, version and timestamps
/// are not writable.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"deputy_id": "01936f3e-0000-7000-8000-000000000012", "members": [{"user_id": "01936f3e-0000-7000-8000-000000000012", "party_role": "probationary_member", "joined_on": "2025-07-01"}]}))]
pub struct UpdateBranchRequest {
    /// New name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// New secretary, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub secretary_id: Option<Option<String>>,
    /// New deputy secretary, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub deputy_id: Option<Option<String>>,
    /// New stationed flag (clearing it needs `stationed_in: null` too).
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub stationed: Option<bool>,
    /// New place of a stationed branch, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub stationed_in: Option<Option<String>>,
    /// The whole new list of party groups (members must still name existing groups).
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub groups: Option<Vec<BranchGroupBody>>,
    /// The whole new list of members.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub members: Option<Vec<BranchMemberBody>>,
}

impl CreateBranchRequest {
    fn fields(&self) -> BranchFields {
        BranchFields {
            name: self.name.clone(),
            secretary_id: self.secretary_id.clone(),
            deputy_id: self.deputy_id.clone(),
            stationed: self.stationed,
            stationed_in: self.stationed_in.clone(),
            groups: self.groups.iter().cloned().map(BranchGroupBody::into_domain).collect(),
            members: self.members.iter().cloned().map(BranchMemberBody::into_domain).collect(),
        }
    }
}

impl UpdateBranchRequest {
    /// The patch applied to the current branch.
    fn merge(self, b: &Branch) -> BranchFields {
        BranchFields {
            name: self.name.unwrap_or_else(|| b.name.clone()),
            secretary_id: self.secretary_id.unwrap_or_else(|| b.secretary_id.clone()),
            deputy_id: self.deputy_id.unwrap_or_else(|| b.deputy_id.clone()),
            stationed: self.stationed.unwrap_or(b.stationed),
            stationed_in: self.stationed_in.unwrap_or_else(|| b.stationed_in.clone()),
            groups: match self.groups {
                Some(gs) => gs.into_iter().map(BranchGroupBody::into_domain).collect(),
                None => b.groups.clone(),
            },
            members: match self.members {
                Some(ms) => ms.into_iter().map(BranchMemberBody::into_domain).collect(),
                None => b.members.clone().unwrap_or_default(),
            },
        }
    }
}

list_query! {
    /// Filters of the branch list.
    pub struct BranchListQuery {
        /// Only branches of exactly this organization.
        pub organization_id: Option<String>,
        /// Only stationed (true) or other (false) branches.
        pub stationed: Option<bool>,
        /// Substring of the name (Latin letters match in any case).
        pub q: Option<String>,
    }
}

fn location(id: &str) -> String {
    format!("/v1/branches/{id}")
}

/// Create a party branch.
///
/// Org admins and party secretaries of the organization, and org admins of a superior, create
/// its branches (a service account with `party:write` for its own organization). The
/// secretary, deputy, group leaders and members must be enabled users of the organization or
/// its descendants (422 `unknown_user` at the field naming one). Retry safely with the same
/// `Idempotency-Key`.
#[utoipa::path(
    tag = "branches",
    operation_id = "create_branch",
    request_body = CreateBranchRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = BranchResponse,
            headers(("Location" = String, description = "URL of the new branch"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to create branches of that organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/branches")]
pub async fn create_branch(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateBranchRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = NewBranch {
        id: body.id.clone(),
        organization_id: body.organization_id.clone().unwrap_or_else(|| auth.caller.organization_id.clone()),
        fields: body.fields(),
    };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| branches::create(c, &caller, &vis, cmd),
        |b| {
            let r = BranchResponse::from(b);
            Created::new(&r, location(&r.id), r.version)
        },
    )
    .await
}

/// Get a party branch.
///
/// The branch organization's subtree reads it in full; alliance partners read it with
/// `members: null`.
#[utoipa::path(
    tag = "branches",
    operation_id = "get_branch",
    params(("id" = String, Path, description = "Branch id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The branch", body = BranchResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified since the version in If-None-Match"),
        (status = 403, description = "The token lacks `party:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such branch, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/branches/{id}")]
pub async fn get_branch(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let b = state.db(move |c| branches::get(c, &vis, &id)).await?;
    Ok(respond(&req, b.version, &BranchResponse::from(b)))
}

/// List party branches.
///
/// Keyset-paged; the branches you see (alliance partners' without members).
#[utoipa::path(
    tag = "branches",
    operation_id = "list_branches",
    params(BranchListQuery),
    responses(
        (status = 200, description = "A page of branches", body = BranchPage),
        (status = 403, description = "The token lacks `party:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/branches")]
pub async fn list_branches(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<BranchListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let q = q.into_inner();
    let lr = ListRequest::new(&state.keys, "branches", &auth.caller.principal_id, &q)?;
    let filter = BranchFilter {
        organization_id: q.organization_id,
        stationed: q.stationed,
        q: q.q.filter(|t| !t.trim().is_empty()),
        updated_since: since(q.updated_since),
    };
    let vis = auth.vis.clone();
    let (order, page) = (lr.order, lr.page.clone());
    let result = state.db(move |c| branches::list(c, &vis, &filter, order, &page)).await?;
    Ok(HttpResponse::Ok().json(BranchPage {
        next_page_token: lr.token(&state.keys, result.next),
        items: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Update a party branch.
///
/// The branch's secretary, org admins and party secretaries of its organization, and org
/// admins of a superior change it; others who see it get 403. `groups` and `members`, when
/// sent, replace the whole list.
#[utoipa::path(
    tag = "branches",
    operation_id = "update_branch",
    request_body(content = UpdateBranchRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Branch id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = BranchResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to change this branch", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such branch, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/branches/{id}")]
pub async fn update_branch(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateBranchRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let b =
        state.write(move |c| branches::update(c, &caller, &vis, &id, |current| body.merge(current), expected)).await?;
    Ok(written(b.version, &BranchResponse::from(b)))
}

// ---------------------------------------------------------------------------------------------
// Compliance rules

/// Where a rule set comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleSourceBody {
    /// The national defaults.
    National,
    /// An organization's override (its own or its nearest ancestor's).
    Organization,
}

/// A compliance rule: at least `min_count` activities of `activity_type` in each period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"activity_type": "theme_day", "period": "monthly", "min_count": 1}))]
pub struct ComplianceRuleBody {
    /// The activity type required.
    pub activity_type: ActivityType,
    /// How often.
    pub period: RulePeriod,
    /// At least this many per period, 1-31.
    pub min_count: i64,
}

impl From<ComplianceRule> for ComplianceRuleBody {
    fn from(r: ComplianceRule) -> Self {
        ComplianceRuleBody { activity_type: r.activity_type, period: r.period, min_count: i64::from(r.min_count) }
    }
}

/// A rule set in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "organization_id": "01936f3e-0000-7000-8000-000000000003", "source": "organization",
    "defined_by": "01936f3e-0000-7000-8000-000000000001",
    "rules": [{"activity_type": "general_meeting", "period": "quarterly", "min_count": 1}, {"activity_type": "theme_day", "period": "quarterly", "min_count": 1}],
    "updated_at": "2026-03-01T02:00:00Z", "updated_by": "01936f3e-0000-7000-8000-000000000002"
}))]
pub struct ComplianceRulesResponse {
    /// The organization asked about; null for the national set.
    pub organization_id: Option<String>,
    /// `national` (the national defaults) or `organization` (an override).
    pub source: RuleSourceBody,
    /// The organization whose override is in force (the organization itself or its nearest
    /// ancestor with one); null for the national set.
    pub defined_by: Option<String>,
    /// The rules, by activity type and period.
    pub rules: Vec<ComplianceRuleBody>,
    /// When the set was last replaced (UTC); null for an empty national set.
    pub updated_at: Option<DateTime<Utc>>,
    /// Who replaced it last.
    pub updated_by: Option<String>,
}

impl ComplianceRulesResponse {
    fn new(organization_id: Option<String>, s: RuleSet) -> Self {
        ComplianceRulesResponse {
            organization_id,
            source: match s.source {
                RuleSource::National => RuleSourceBody::National,
                RuleSource::Organization => RuleSourceBody::Organization,
            },
            defined_by: s.defined_by,
            rules: s.rules.into_iter().map(Into::into).collect(),
            updated_at: s.updated_at,
            updated_by: s.updated_by,
        }
    }
}

/// A whole rule set.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": [
    {"activity_type": "general_meeting", "period": "quarterly", "min_count": 1},
    {"activity_type": "committee_meeting", "period": "monthly", "min_count": 1},
    {"activity_type": "group_meeting", "period": "monthly", "min_count": 1},
    {"activity_type": "party_lesson", "period": "quarterly", "min_count": 1},
    {"activity_type": "theme_day", "period": "quarterly", "min_count": 1}
]}))]
pub struct ReplaceComplianceRulesRequest {
    /// At most 50 rules, no activity type and period twice. An organization's override needs
    /// at least one rule (DELETE it to inherit again); an empty national set requires nothing.
    pub rules: Vec<ComplianceRuleBody>,
}

/// Which rule set.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplianceRulesQuery {
    /// The organization; without it, the national set.
    pub organization_id: Option<String>,
}

/// Get the compliance rules in force.
///
/// With `organization_id` (an organization you see): the rules in force for it, i.e. its own
/// override, else its nearest ancestor's, else the national defaults, with where they come
/// from. Without it: the national defaults.
#[utoipa::path(
    tag = "branches",
    operation_id = "get_compliance_rules",
    params(ComplianceRulesQuery),
    responses(
        (status = 200, description = "The rules in force", body = ComplianceRulesResponse),
        (status = 403, description = "The token lacks `party:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/compliance-rules")]
pub async fn get_compliance_rules(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<ComplianceRulesQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let org = q.into_inner().organization_id;
    let vis = auth.vis.clone();
    let o = org.clone();
    let set = state.db(move |c| branches::get_rules(c, &vis, o.as_deref())).await?;
    Ok(HttpResponse::Ok().json(ComplianceRulesResponse::new(org, set)))
}

/// Replace a compliance rule set.
///
/// Without `organization_id`: the national defaults (the platform operator only). With it:
/// that organization's override, which its descendants inherit unless they have their own
/// (org admins of the organization or of a superior).
#[utoipa::path(
    tag = "branches",
    operation_id = "replace_compliance_rules",
    params(ComplianceRulesQuery),
    request_body = ReplaceComplianceRulesRequest,
    responses(
        (status = 200, description = "The rules now in force", body = ComplianceRulesResponse),
        (status = 403, description = "Not allowed to change this rule set", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/compliance-rules")]
pub async fn replace_compliance_rules(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<ComplianceRulesQuery>,
    Body(body): Body<ReplaceComplianceRulesRequest>,
) -> Result<HttpResponse, ApiError> {
    let org = q.into_inner().organization_id;
    let raw: Vec<_> = body.rules.iter().map(|r| (r.activity_type, r.period, r.min_count)).collect();
    let rules = parse_rules(&raw, org.is_some())?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let o = org.clone();
    let set = state.write(move |c| branches::replace_rules(c, &caller, &vis, o.as_deref(), &rules)).await?;
    Ok(HttpResponse::Ok().json(ComplianceRulesResponse::new(org, set)))
}

/// Which override to remove.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteComplianceRulesQuery {
    /// The organization whose override is removed (the national set cannot be removed).
    pub organization_id: String,
}

/// Remove an organization's compliance rules.
///
/// The organization inherits again (its nearest ancestor's override, else the national
/// defaults). Removing an override that does not exist is fine (204). Org admins of the
/// organization or of a superior.
#[utoipa::path(
    tag = "branches",
    operation_id = "delete_compliance_rules",
    params(DeleteComplianceRulesQuery),
    responses(
        (status = 204, description = "Removed; the organization inherits again"),
        (status = 400, description = "`organization_id` missing", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to change this rule set", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/compliance-rules")]
pub async fn delete_compliance_rules(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<DeleteComplianceRulesQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = q.into_inner().organization_id;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    state.write(move |c| branches::delete_rules(c, &caller, &vis, &org)).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------
// Compliance

/// One period of one rule.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"activity_type": "theme_day", "period": "monthly", "index": 2, "owed": 1, "held": 0, "missing": 1, "incomplete": []}))]
pub struct PeriodComplianceBody {
    /// The activity type the rule requires.
    pub activity_type: ActivityType,
    /// The rule's period.
    pub period: RulePeriod,
    /// 1-based month (monthly), quarter (quarterly), or 1 (yearly).
    pub index: u32,
    /// Activities required in the period.
    pub owed: u32,
    /// Activities held in the period (as host or co-host).
    pub held: u32,
    /// `owed - held`, never below 0.
    pub missing: u32,
    /// Ids of activities held in the period without minutes or without a sign-in record
    /// (they count as held, and are listed here).
    pub incomplete: Vec<String>,
}

impl From<PeriodCompliance> for PeriodComplianceBody {
    fn from(p: PeriodCompliance) -> Self {
        PeriodComplianceBody {
            activity_type: p.activity_type,
            period: p.period,
            index: p.index,
            owed: p.owed,
            held: p.held,
            missing: p.missing,
            incomplete: p.incomplete,
        }
    }
}

/// Totals of a branch's compliance table.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ComplianceSummaryBody {
    /// Periods that have begun (each rule, each period).
    pub periods_owed: u32,
    /// Of those, periods in which the required number was held.
    pub periods_held: u32,
    /// Periods in which fewer were held than required.
    pub periods_missing: u32,
    /// Held activities without minutes or without a sign-in record.
    pub incomplete_count: u32,
}

impl From<ComplianceSummary> for ComplianceSummaryBody {
    fn from(s: ComplianceSummary) -> Self {
        ComplianceSummaryBody {
            periods_owed: s.periods_owed,
            periods_held: s.periods_held,
            periods_missing: s.periods_missing,
            incomplete_count: s.incomplete_count,
        }
    }
}

/// A branch's compliance with the rules of 三会一课 for a year.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "branch_id": "01936f3e-0000-7000-8000-000000000020", "branch_name": "第一党支部",
    "organization_id": "01936f3e-0000-7000-8000-000000000001", "year": 2025, "as_of": "2026-03-01",
    "rules": {"organization_id": "01936f3e-0000-7000-8000-000000000001", "source": "national", "defined_by": null,
        "rules": [{"activity_type": "theme_day", "period": "monthly", "min_count": 1}],
        "updated_at": "2026-11-25T00:00:00Z", "updated_by": "migration"},
    "summary": {"periods_owed": 12, "periods_held": 11, "periods_missing": 1, "incomplete_count": 0},
    "periods": [{"activity_type": "theme_day", "period": "monthly", "index": 1, "owed": 1, "held": 1, "missing": 0, "incomplete": []}]
}))]
pub struct BranchComplianceResponse {
    /// The branch.
    pub branch_id: String,
    /// Its name.
    pub branch_name: String,
    /// Its organization (whose rules and time zone apply).
    pub organization_id: String,
    /// The year.
    pub year: i32,
    /// Today in the organization's time zone: periods that begin later owe nothing yet.
    pub as_of: NaiveDate,
    /// The rules in force for the branch's organization, and where they come from.
    pub rules: ComplianceRulesResponse,
    /// Totals.
    pub summary: ComplianceSummaryBody,
    /// Each rule's periods that have begun, in rule order then period order.
    pub periods: Vec<PeriodComplianceBody>,
}

impl From<BranchCompliance> for BranchComplianceResponse {
    fn from(c: BranchCompliance) -> Self {
        BranchComplianceResponse {
            summary: summarize(&c.periods).into(),
            rules: ComplianceRulesResponse::new(Some(c.organization_id.clone()), c.rules),
            periods: c.periods.into_iter().map(Into::into).collect(),
            branch_id: c.branch_id,
            branch_name: c.branch_name,
            organization_id: c.organization_id,
            year: c.year,
            as_of: c.as_of,
        }
    }
}

/// The year of a compliance table.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// The year, 2000-2100.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: i32,
}

fn check_year(year: i32) -> Result<(), ApiError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(ApiError::invalid("/year", "range", "the year must be between 2000 and 2100"))
    }
}

/// Get a branch's compliance for a year.
///
/// For each rule in force for the branch's organization and each period of the year that has
/// begun (today in the organization's time zone): activities owed, held (as host or co-host;
/// status held, by the date held), missing, and the held ones lacking minutes (text or a
/// `minutes` attachment) or a sign-in record (someone present, or a `sign_in_sheet`
/// attachment). Anyone who sees the branch.
#[utoipa::path(
    tag = "branches",
    operation_id = "get_branch_compliance",
    params(("id" = String, Path, description = "Branch id"), ComplianceQuery),
    responses(
        (status = 200, description = "The compliance table", body = BranchComplianceResponse),
        (status = 403, description = "The token lacks `party:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such branch, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A year outside 2000-2100", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/branches/{id}/compliance")]
pub async fn get_branch_compliance(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    q: web::Query<ComplianceQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let year = q.year;
    check_year(year)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let c = state.db(move |conn| branches::branch_compliance(conn, &vis, &id, year)).await?;
    Ok(HttpResponse::Ok().json(BranchComplianceResponse::from(c)))
}

/// The year and page of an organization's compliance.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationComplianceQuery {
    /// The year, 2000-2100.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// Branches per page, 1–200 (default 50); more than 200 is refused, not clamped.
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
    /// Opaque token from `next_page_token` of the previous page, with the same year.
    pub page_token: Option<String>,
}

impl Listing for OrganizationComplianceQuery {
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
        self.year.to_string()
    }
}

/// The compliance of an organization's branches.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationComplianceResponse {
    /// The organization (its descendants included).
    pub organization_id: String,
    /// The year.
    pub year: i32,
    /// One table per branch, in branch id order.
    pub items: Vec<BranchComplianceResponse>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// Get the compliance of an organization's branches for a year.
///
/// Every branch you see whose organization is this one or a descendant, each judged against
/// the rules in force for its own organization, with its summary; keyset-paged by branch.
#[utoipa::path(
    tag = "branches",
    operation_id = "get_organization_compliance",
    params(("id" = String, Path, description = "Organization id"), OrganizationComplianceQuery),
    responses(
        (status = 200, description = "The compliance tables", body = OrganizationComplianceResponse),
        (status = 403, description = "The token lacks `party:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A year outside 2000-2100", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/organizations/{id}/compliance")]
pub async fn get_organization_compliance(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    q: web::Query<OrganizationComplianceQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::PartyRead)?;
    let q = q.into_inner();
    check_year(q.year)?;
    let lr = ListRequest::new(&state.keys, "organization-compliance", &auth.caller.principal_id, &q)?;
    let (vis, org, year) = (auth.vis.clone(), id.into_inner(), q.year);
    let after: Option<Cursor> = lr.page.after.clone();
    let limit = lr.page.limit;
    let o = org.clone();
    let (items, next) =
        state.db(move |c| branches::organization_compliance(c, &vis, &o, year, after.as_ref(), limit)).await?;
    Ok(HttpResponse::Ok().json(OrganizationComplianceResponse {
        organization_id: org,
        year,
        items: items.into_iter().map(Into::into).collect(),
        next_page_token: lr.token(&state.keys, next),
    }))
}
