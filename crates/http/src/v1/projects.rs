//! `/v1/projects`: the project library (项目库), from the first lead to a factory at full
//! capacity: stage transitions with their history, and sharing with alliances.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zs_domain::auth::Scope;
use zs_domain::enterprise::{parse_country, IndustrySection};
use zs_domain::error::Violations;
use zs_domain::money::{Money, MAX_MINOR};
use zs_domain::org::RegionCode;
use zs_domain::project::{
    parse_tag, DropReason, InvestmentType, Milestone, Project, ProjectCategory, Stage, TeamMember, Transition,
    TransitionRequest,
};
use zs_domain::{text, FieldViolation};
use zs_persistence::page::{Cursor, Entry};
use zs_persistence::projects::{self, NewProject, ProjectFields, ProjectFilter, ProjectOrder};
use zs_persistence::records::{self, RecordRef};

use crate::auth::Auth;
use crate::body::Body;
use crate::conditional::{if_match, respond, written};
use crate::create::{create, Created};
use crate::error::{ApiError, Problem};
use crate::paging::{Listing, OrderBy};
use crate::state::AppState;

/// A member of the project team (一套班子).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMemberBody {
    /// The user (of the caller's organization or a descendant).
    pub user_id: String,
    /// Role in the team, e.g. 专班组长, 联络员.
    pub role: String,
}

/// A dated milestone of the plan (一套方案).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneBody {
    /// What is to be done.
    pub title: String,
    /// When it is due.
    pub due_on: NaiveDate,
    /// When it was done.
    #[serde(default)]
    pub done_on: Option<NaiveDate>,
}

/// The date the project last entered each stage (so "days from signing to production" is one
/// subtraction).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StageDatesResponse {
    /// The lead was registered (`lead_on` at creation).
    pub lead_on: Option<NaiveDate>,
    /// Entered `negotiating`.
    pub negotiating_on: Option<NaiveDate>,
    /// Entered `signed`.
    pub signed_on: Option<NaiveDate>,
    /// Entered `landed`.
    pub landed_on: Option<NaiveDate>,
    /// Entered `under_construction`.
    pub under_construction_on: Option<NaiveDate>,
    /// Entered `in_production`.
    pub in_production_on: Option<NaiveDate>,
    /// Entered `at_capacity`.
    pub at_capacity_on: Option<NaiveDate>,
    /// Entered `dropped`.
    pub dropped_on: Option<NaiveDate>,
}

/// An investment project (招商项目).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProjectResponse {
    /// Id (UUIDv7).
    pub id: String,
    /// The organization that owns the project.
    pub owner_organization_id: String,
    /// Name, e.g. 麦格纳座椅（中国）研发中心项目.
    pub name: String,
    /// The investor enterprise.
    pub enterprise_id: Option<String>,
    /// Category.
    pub category: ProjectCategory,
    /// Industry section (GB/T 4754).
    pub industry: Option<IndustrySection>,
    /// Industry-chain tags chosen by the organization (e.g. the "8+4" chains).
    pub chain_tags: Vec<String>,
    /// New, expansion or reinvestment.
    pub investment_type: InvestmentType,
    /// Contract amount (协议投资额) in minor units of `contract_currency` (fen for CNY).
    pub contract_amount_minor: i64,
    /// ISO 4217 currency of the contract amount.
    pub contract_currency: String,
    /// The CNY equivalent the bureau reports, in fen (used by statistics).
    pub contract_cny_minor: i64,
    /// Planned fixed-asset investment, in fen.
    pub fixed_asset_cny_minor: Option<i64>,
    /// Expected jobs.
    pub expected_jobs: Option<i32>,
    /// Investor origin country (ISO 3166-1 alpha-2).
    pub origin_country: String,
    /// Investor origin region (6-digit code, for origins in China).
    pub origin_region_code: Option<String>,
    /// Foreign investment (外资).
    pub foreign_investment: bool,
    /// The lead leader (一名领导).
    pub leader_user_id: Option<String>,
    /// The team (一套班子).
    pub team: Vec<TeamMemberBody>,
    /// The plan text (一套方案).
    pub plan: String,
    /// The plan's dated milestones.
    pub milestones: Vec<MilestoneBody>,
    /// Expected signing date.
    pub expected_signing_on: Option<NaiveDate>,
    /// Expected construction start.
    pub expected_start_on: Option<NaiveDate>,
    /// Expected production start.
    pub expected_production_on: Option<NaiveDate>,
    /// Description.
    pub description: String,
    /// Current stage (changed only through `POST /v1/projects/{id}/transitions`).
    pub stage: Stage,
    /// Date the project entered its current stage.
    pub stage_since: NaiveDate,
    /// Date it last entered each stage.
    pub stage_dates: StageDatesResponse,
    /// Why it was dropped (when `dropped`).
    pub drop_reason: Option<DropReason>,
    /// Running total of funds arrived (实际到位资金), CNY fen.
    pub funds_arrived_cny_minor: i64,
    /// Alliances the project is shared with.
    pub shared_with: Vec<String>,
    /// Version (also the `ETag`).
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Project> for ProjectResponse {
    fn from(p: Project) -> Self {
        ProjectResponse {
            contract_currency: p.contract_amount.currency_str().to_owned(),
            contract_amount_minor: p.contract_amount.amount_minor,
            contract_cny_minor: p.contract_amount.cny_minor,
            id: p.id,
            owner_organization_id: p.owner_organization_id,
            name: p.name,
            enterprise_id: p.enterprise_id,
            category: p.category,
            industry: p.industry,
            chain_tags: p.chain_tags,
            investment_type: p.investment_type,
            fixed_asset_cny_minor: p.fixed_asset_cny_minor,
            expected_jobs: p.expected_jobs,
            origin_country: p.origin_country,
            origin_region_code: p.origin_region_code,
            foreign_investment: p.foreign_investment,
            leader_user_id: p.leader_user_id,
            team: p.team.into_iter().map(|m| TeamMemberBody { user_id: m.user_id, role: m.role }).collect(),
            plan: p.plan,
            milestones: p
                .milestones
                .into_iter()
                .map(|m| MilestoneBody { title: m.title, due_on: m.due_on, done_on: m.done_on })
                .collect(),
            expected_signing_on: p.expected_signing_on,
            expected_start_on: p.expected_start_on,
            expected_production_on: p.expected_production_on,
            description: p.description,
            stage: p.stage,
            stage_since: p.stage_since,
            stage_dates: StageDatesResponse {
                lead_on: p.stage_dates.lead_on,
                negotiating_on: p.stage_dates.negotiating_on,
                signed_on: p.stage_dates.signed_on,
                landed_on: p.stage_dates.landed_on,
                under_construction_on: p.stage_dates.under_construction_on,
                in_production_on: p.stage_dates.in_production_on,
                at_capacity_on: p.stage_dates.at_capacity_on,
                dropped_on: p.stage_dates.dropped_on,
            },
            drop_reason: p.drop_reason,
            funds_arrived_cny_minor: p.funds_arrived_cny_minor,
            shared_with: p.shared_with,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A deleted record, for clients that sync (`include_deleted=true`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Tombstone {
    /// The deleted record's id.
    pub id: String,
    /// When it was deleted (UTC).
    pub deleted_at: chrono::DateTime<chrono::Utc>,
    /// Its version after deletion.
    pub version: i64,
}

/// A list entry: a project, or (with `include_deleted=true`) the tombstone of a deleted one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ProjectListItem {
    /// A live project.
    Project(Box<ProjectResponse>),
    /// A deleted project.
    Deleted(Tombstone),
}

/// A page of projects.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProjectPage {
    /// The projects of this page.
    pub items: Vec<ProjectListItem>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// A new project. It starts as a `lead`; stages change through transitions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "麦格纳座椅（中国）研发中心项目",
    "category": "industrial",
    "industry": "C",
    "chain_tags": ["汽车"],
    "investment_type": "new",
    "contract_amount_minor": 150000000000i64,
    "contract_currency": "CNY",
    "origin_country": "CN",
    "description": "西洽会期间签约落户两江新区"
}))]
pub struct CreateProjectRequest {
    /// Optional client-chosen id (UUIDv7).
    pub id: Option<String>,
    /// Owner: the caller's organization (default) or a descendant it may act for.
    pub owner_organization_id: Option<String>,
    /// Date the lead was registered (default today; not in the future). Transitions cannot
    /// precede it.
    pub lead_on: Option<NaiveDate>,
    /// Name (1-200 characters).
    pub name: String,
    /// The investor enterprise (one the caller sees).
    pub enterprise_id: Option<String>,
    /// Category.
    pub category: ProjectCategory,
    /// Industry section.
    pub industry: Option<IndustrySection>,
    /// Chain tags (at most 20, each 1-40 characters).
    #[serde(default)]
    pub chain_tags: Vec<String>,
    /// Investment type (default `new`).
    pub investment_type: Option<InvestmentType>,
    /// Contract amount in minor units (default 0).
    #[serde(default)]
    pub contract_amount_minor: i64,
    /// Currency (default CNY).
    pub contract_currency: Option<String>,
    /// CNY equivalent in fen; required for a foreign currency.
    pub contract_cny_minor: Option<i64>,
    /// Planned fixed-asset investment, in fen.
    pub fixed_asset_cny_minor: Option<i64>,
    /// Expected jobs.
    pub expected_jobs: Option<i64>,
    /// Investor origin country (default CN).
    pub origin_country: Option<String>,
    /// Investor origin region code (only for CN).
    pub origin_region_code: Option<String>,
    /// Foreign investment flag (default false).
    #[serde(default)]
    pub foreign_investment: bool,
    /// The lead leader.
    pub leader_user_id: Option<String>,
    /// The team.
    #[serde(default)]
    pub team: Vec<TeamMemberBody>,
    /// The plan text.
    #[serde(default)]
    pub plan: String,
    /// The plan's milestones.
    #[serde(default)]
    pub milestones: Vec<MilestoneBody>,
    /// Expected signing date.
    pub expected_signing_on: Option<NaiveDate>,
    /// Expected construction start.
    pub expected_start_on: Option<NaiveDate>,
    /// Expected production start.
    pub expected_production_on: Option<NaiveDate>,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// Changes to a project (JSON merge patch; `null` clears an optional field; lists are
/// replaced whole). Stage, owner and totals are not writable here.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contract_amount_minor": 180000000000i64, "chain_tags": ["汽车", "研发"]}))]
pub struct UpdateProjectRequest {
    /// New name.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// New investor enterprise, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<Option<String>>,
    /// New category.
    pub category: Option<ProjectCategory>,
    /// New industry section, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub industry: Option<Option<IndustrySection>>,
    /// New chain tags.
    pub chain_tags: Option<Vec<String>>,
    /// New investment type.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub investment_type: Option<InvestmentType>,
    /// New contract amount in minor units.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contract_amount_minor: Option<i64>,
    /// New currency.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contract_currency: Option<String>,
    /// New CNY equivalent.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contract_cny_minor: Option<i64>,
    /// New planned fixed-asset investment, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub fixed_asset_cny_minor: Option<Option<i64>>,
    /// New expected jobs, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub expected_jobs: Option<Option<i64>>,
    /// New origin country.
    pub origin_country: Option<String>,
    /// New origin region, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub origin_region_code: Option<Option<String>>,
    /// New foreign-investment flag.
    pub foreign_investment: Option<bool>,
    /// New lead leader, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub leader_user_id: Option<Option<String>>,
    /// New team.
    pub team: Option<Vec<TeamMemberBody>>,
    /// New plan text.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub plan: Option<String>,
    /// New milestones.
    #[serde(default, deserialize_with = "crate::body::present", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub milestones: Option<Vec<MilestoneBody>>,
    /// New expected signing date, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub expected_signing_on: Option<Option<NaiveDate>>,
    /// New expected start, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub expected_start_on: Option<Option<NaiveDate>>,
    /// New expected production start, or null.
    #[serde(default, deserialize_with = "crate::body::nullable", skip_serializing_if = "Option::is_none")]
    pub expected_production_on: Option<Option<NaiveDate>>,
    /// New description.
    pub description: Option<String>,
}

/// Every editable field with its value, before validation.
struct FieldsInput {
    name: String,
    enterprise_id: Option<String>,
    category: ProjectCategory,
    industry: Option<IndustrySection>,
    chain_tags: Vec<String>,
    investment_type: InvestmentType,
    amount_minor: i64,
    currency: String,
    cny_minor: Option<i64>,
    fixed_asset_cny_minor: Option<i64>,
    expected_jobs: Option<i64>,
    origin_country: String,
    origin_region_code: Option<String>,
    foreign_investment: bool,
    leader_user_id: Option<String>,
    team: Vec<TeamMemberBody>,
    plan: String,
    milestones: Vec<MilestoneBody>,
    expected_signing_on: Option<NaiveDate>,
    expected_start_on: Option<NaiveDate>,
    expected_production_on: Option<NaiveDate>,
    description: String,
}

impl FieldsInput {
    fn validate(self) -> Result<ProjectFields, zs_domain::DomainError> {
        let mut v = Violations::new();
        let name = v.take(text::name("/name", &self.name, 200));
        if self.chain_tags.len() > 20 {
            v.push(FieldViolation::new("/chain_tags", "length", "at most 20 tags"));
        }
        let chain_tags: Vec<String> = self
            .chain_tags
            .iter()
            .enumerate()
            .filter_map(|(i, t)| v.take(parse_tag(&format!("/chain_tags/{i}"), t)))
            .collect();
        let money = v.take(Money::parse("", self.amount_minor, &self.currency, self.cny_minor).map_err(|e| {
            match e {
                // Money reports `/amount_minor`, `/currency`, `/cny_minor`: name the project's fields.
                zs_domain::DomainError::Validation(vs) => zs_domain::DomainError::Validation(
                    vs.into_iter()
                        .map(|f| FieldViolation {
                            pointer: format!("/contract_{}", f.pointer.trim_start_matches('/')),
                            ..f
                        })
                        .collect(),
                ),
                other => other,
            }
        }));
        if let Some(x) = self.fixed_asset_cny_minor.filter(|x| !(0..=MAX_MINOR).contains(x)) {
            v.push(FieldViolation::new(
                "/fixed_asset_cny_minor",
                "range",
                format!("{x} is out of range (0..={MAX_MINOR})"),
            ));
        }
        let expected_jobs = match self.expected_jobs {
            Some(j) if (0..=10_000_000).contains(&j) => i32::try_from(j).ok(),
            Some(_) => {
                v.push(FieldViolation::new("/expected_jobs", "range", "must be between 0 and 10,000,000"));
                None
            }
            None => None,
        };
        let origin_country = v.take(parse_country("/origin_country", &self.origin_country));
        let origin_region_code = match (&self.origin_region_code, self.origin_country.as_str()) {
            (Some(r), "CN") => v.take(RegionCode::parse("/origin_region_code", r)).map(|r| r.as_str().to_owned()),
            (Some(_), _) => {
                v.push(FieldViolation::new(
                    "/origin_region_code",
                    "not_applicable",
                    "a region code applies only to origin CN",
                ));
                None
            }
            (None, _) => None,
        };
        if self.team.len() > 50 {
            v.push(FieldViolation::new("/team", "length", "at most 50 team members"));
        }
        let team: Vec<TeamMember> = self
            .team
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                v.take(text::name(&format!("/team/{i}/role"), &m.role, 40))
                    .map(|role| TeamMember { user_id: m.user_id.clone(), role })
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (i, m) in self.team.iter().enumerate() {
            if !seen.insert(m.user_id.clone()) {
                v.push(FieldViolation::new(
                    format!("/team/{i}/user_id"),
                    "duplicate",
                    "a user appears twice in the team",
                ));
            }
        }
        let plan = v.take(text::body("/plan", &self.plan, 20_000));
        if self.milestones.len() > 100 {
            v.push(FieldViolation::new("/milestones", "length", "at most 100 milestones"));
        }
        let milestones: Vec<Milestone> = self
            .milestones
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                v.take(text::name(&format!("/milestones/{i}/title"), &m.title, 200)).map(|title| Milestone {
                    title,
                    due_on: m.due_on,
                    done_on: m.done_on,
                })
            })
            .collect();
        let description = v.take(text::body("/description", &self.description, 20_000));
        v.into_result()?;
        match (name, money, origin_country, plan, description) {
            (Some(name), Some(contract_amount), Some(origin_country), Some(plan), Some(description)) => {
                Ok(ProjectFields {
                    name,
                    enterprise_id: self.enterprise_id,
                    category: self.category,
                    industry: self.industry,
                    chain_tags,
                    investment_type: self.investment_type,
                    contract_amount,
                    fixed_asset_cny_minor: self.fixed_asset_cny_minor,
                    expected_jobs,
                    origin_country,
                    origin_region_code,
                    foreign_investment: self.foreign_investment,
                    leader_user_id: self.leader_user_id,
                    team,
                    plan,
                    milestones,
                    expected_signing_on: self.expected_signing_on,
                    expected_start_on: self.expected_start_on,
                    expected_production_on: self.expected_production_on,
                    description,
                })
            }
            // Every None above pushed a violation, so into_result() returned early.
            _ => Err(zs_domain::DomainError::invalid("", "invalid", "the project is invalid")),
        }
    }
}

impl CreateProjectRequest {
    fn input(&self) -> FieldsInput {
        FieldsInput {
            name: self.name.clone(),
            enterprise_id: self.enterprise_id.clone(),
            category: self.category,
            industry: self.industry,
            chain_tags: self.chain_tags.clone(),
            investment_type: self.investment_type.unwrap_or(InvestmentType::New),
            amount_minor: self.contract_amount_minor,
            currency: self.contract_currency.clone().unwrap_or_else(|| "CNY".to_owned()),
            cny_minor: self.contract_cny_minor,
            fixed_asset_cny_minor: self.fixed_asset_cny_minor,
            expected_jobs: self.expected_jobs,
            origin_country: self.origin_country.clone().unwrap_or_else(|| "CN".to_owned()),
            origin_region_code: self.origin_region_code.clone(),
            foreign_investment: self.foreign_investment,
            leader_user_id: self.leader_user_id.clone(),
            team: self.team.clone(),
            plan: self.plan.clone(),
            milestones: self.milestones.clone(),
            expected_signing_on: self.expected_signing_on,
            expected_start_on: self.expected_start_on,
            expected_production_on: self.expected_production_on,
            description: self.description.clone(),
        }
    }
}

impl UpdateProjectRequest {
    /// The patch applied to the current project.
    fn merge(self, p: &Project) -> FieldsInput {
        let money_touched = self.contract_amount_minor.is_some() || self.contract_currency.is_some();
        let currency = self.contract_currency.unwrap_or_else(|| p.contract_amount.currency_str().to_owned());
        // A changed CNY amount is its own equivalent; a foreign one keeps the stored equivalent
        // only while neither amount nor currency changes.
        let cny_minor = match self.contract_cny_minor {
            Some(c) => Some(c),
            None if currency == "CNY" => None,
            None if money_touched => None,
            None => Some(p.contract_amount.cny_minor),
        };
        FieldsInput {
            name: self.name.unwrap_or_else(|| p.name.clone()),
            enterprise_id: self.enterprise_id.unwrap_or_else(|| p.enterprise_id.clone()),
            category: self.category.unwrap_or(p.category),
            industry: self.industry.unwrap_or(p.industry),
            chain_tags: self.chain_tags.unwrap_or_else(|| p.chain_tags.clone()),
            investment_type: self.investment_type.unwrap_or(p.investment_type),
            amount_minor: self.contract_amount_minor.unwrap_or(p.contract_amount.amount_minor),
            currency,
            cny_minor,
            fixed_asset_cny_minor: self.fixed_asset_cny_minor.unwrap_or(p.fixed_asset_cny_minor),
            expected_jobs: self.expected_jobs.unwrap_or(p.expected_jobs.map(i64::from)),
            origin_country: self.origin_country.unwrap_or_else(|| p.origin_country.clone()),
            origin_region_code: self.origin_region_code.unwrap_or_else(|| p.origin_region_code.clone()),
            foreign_investment: self.foreign_investment.unwrap_or(p.foreign_investment),
            leader_user_id: self.leader_user_id.unwrap_or_else(|| p.leader_user_id.clone()),
            team: self.team.unwrap_or_else(|| {
                p.team.iter().map(|m| TeamMemberBody { user_id: m.user_id.clone(), role: m.role.clone() }).collect()
            }),
            plan: self.plan.unwrap_or_else(|| p.plan.clone()),
            milestones: self.milestones.unwrap_or_else(|| {
                p.milestones
                    .iter()
                    .map(|m| MilestoneBody { title: m.title.clone(), due_on: m.due_on, done_on: m.done_on })
                    .collect()
            }),
            expected_signing_on: self.expected_signing_on.unwrap_or(p.expected_signing_on),
            expected_start_on: self.expected_start_on.unwrap_or(p.expected_start_on),
            expected_production_on: self.expected_production_on.unwrap_or(p.expected_production_on),
            description: self.description.unwrap_or_else(|| p.description.clone()),
        }
    }
}

/// A stage change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to_stage": "signed", "effective_on": "2026-06-16", "note": "两江新区重点科创项目集中签约"}))]
pub struct TransitionBody {
    /// The stage to move to. Forward moves may skip stages (each skipped stage is recorded
    /// with the same date); backward needs a leader and a reason; `dropped` needs `drop_reason`.
    pub to_stage: Stage,
    /// When it happened (not before the current stage's date, not in the future).
    pub effective_on: NaiveDate,
    /// Why (required to move backward or reopen).
    pub reason: Option<String>,
    /// Why the project was dropped (required for `dropped`).
    pub drop_reason: Option<DropReason>,
    /// A free note.
    #[serde(default)]
    pub note: String,
}

/// One recorded stage change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransitionResponse {
    /// Id.
    pub id: String,
    /// Stage before.
    pub from_stage: Stage,
    /// Stage entered.
    pub to_stage: Stage,
    /// When it took effect.
    pub effective_on: NaiveDate,
    /// Why.
    pub reason: Option<String>,
    /// Why dropped.
    pub drop_reason: Option<DropReason>,
    /// Note.
    pub note: String,
    /// Who recorded it (user or service account id).
    pub actor_id: String,
    /// When it was recorded (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<Transition> for TransitionResponse {
    fn from(t: Transition) -> Self {
        TransitionResponse {
            id: t.id,
            from_stage: t.from_stage,
            to_stage: t.to_stage,
            effective_on: t.effective_on,
            reason: t.reason,
            drop_reason: t.drop_reason,
            note: t.note,
            actor_id: t.actor_id,
            created_at: t.created_at,
        }
    }
}

/// A project's stage history, oldest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransitionList {
    /// The transitions.
    pub items: Vec<TransitionResponse>,
}

/// Sort order of the project list; a leading `-` sorts descending. Ties break on `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ProjectOrderBy {
    /// Creation order.
    #[serde(rename = "id")]
    Id,
    /// Newest first.
    #[serde(rename = "-id")]
    IdDesc,
    /// Last change.
    #[serde(rename = "updated_at")]
    UpdatedAt,
    /// Last change, newest first.
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
    /// Signing date (unsigned first).
    #[serde(rename = "signed_on")]
    SignedOn,
    /// Signing date, latest first (unsigned last).
    #[serde(rename = "-signed_on")]
    SignedOnDesc,
    /// Contract amount (CNY).
    #[serde(rename = "contract_amount")]
    ContractAmount,
    /// Contract amount (CNY), largest first.
    #[serde(rename = "-contract_amount")]
    ContractAmountDesc,
    /// Name (normalized).
    #[serde(rename = "name")]
    Name,
    /// Name, descending.
    #[serde(rename = "-name")]
    NameDesc,
}

impl ProjectOrderBy {
    fn split(self) -> (ProjectOrder, bool) {
        use ProjectOrderBy::*;
        match self {
            Id => (ProjectOrder::Id, false),
            IdDesc => (ProjectOrder::Id, true),
            UpdatedAt => (ProjectOrder::UpdatedAt, false),
            UpdatedAtDesc => (ProjectOrder::UpdatedAt, true),
            SignedOn => (ProjectOrder::SignedOn, false),
            SignedOnDesc => (ProjectOrder::SignedOn, true),
            ContractAmount => (ProjectOrder::ContractAmount, false),
            ContractAmountDesc => (ProjectOrder::ContractAmount, true),
            Name => (ProjectOrder::Name, false),
            NameDesc => (ProjectOrder::Name, true),
        }
    }
}

/// Filters of the project list.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectListQuery {
    /// Only projects owned by this organization (and, unless `include_descendants=false`, its
    /// descendants).
    pub owner_organization_id: Option<String>,
    /// With `owner_organization_id`: include its descendants (default true).
    pub include_descendants: Option<bool>,
    /// Only these stages, comma-separated (e.g. `signed,landed`).
    pub stage: Option<String>,
    /// Only this category.
    pub category: Option<ProjectCategory>,
    /// Only this industry section.
    pub industry: Option<IndustrySection>,
    /// Only projects with this chain tag.
    pub chain_tag: Option<String>,
    /// Contract amount (CNY fen) at least.
    pub min_amount_cny_minor: Option<i64>,
    /// Contract amount (CNY fen) at most.
    pub max_amount_cny_minor: Option<i64>,
    /// Signed on or after.
    pub signed_from: Option<NaiveDate>,
    /// Signed on or before.
    pub signed_to: Option<NaiveDate>,
    /// Only projects led by this user.
    pub leader_user_id: Option<String>,
    /// Only projects of this enterprise.
    pub enterprise_id: Option<String>,
    /// Only (true) or never (false) Fortune Global 500 investors.
    pub fortune_global_500: Option<bool>,
    /// Only (true) or never (false) China 500 investors.
    pub china_500: Option<bool>,
    /// Only foreign (true) or domestic (false) investment.
    pub foreign_investment: Option<bool>,
    /// Investor origin country.
    pub origin_country: Option<String>,
    /// Investor origin region; a province or prefecture code matches the regions under it.
    pub origin_region_code: Option<String>,
    /// Substring of the name (Chinese included; traditional characters match simplified).
    pub q: Option<String>,
    /// Also return tombstones of deleted projects (for sync, with `updated_since`).
    pub include_deleted: Option<bool>,
    /// Items per page, 1–200 (default 50); more than 200 is refused, not clamped.
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
    /// Opaque token from `next_page_token` of the previous page, with the same filters.
    pub page_token: Option<String>,
    /// Sort order (default `id`).
    #[param(inline)]
    pub order_by: Option<ProjectOrderBy>,
    /// Only projects changed at or after this instant (RFC 3339).
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Listing for ProjectListQuery {
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

impl ProjectListQuery {
    fn filter(&self) -> Result<ProjectFilter, ApiError> {
        let mut stages = vec![];
        for s in self.stage.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            stages.push(
                Stage::parse(s).ok_or_else(|| ApiError::bad_request("INVALID_QUERY", format!("unknown stage {s}")))?,
            );
        }
        Ok(ProjectFilter {
            owner_organization_id: self.owner_organization_id.clone(),
            include_descendants: self.include_descendants.unwrap_or(true),
            stages,
            category: self.category,
            industry: self.industry,
            chain_tag: self.chain_tag.clone(),
            min_amount_cny_minor: self.min_amount_cny_minor,
            max_amount_cny_minor: self.max_amount_cny_minor,
            signed_from: self.signed_from,
            signed_to: self.signed_to,
            leader_user_id: self.leader_user_id.clone(),
            enterprise_id: self.enterprise_id.clone(),
            fortune_global_500: self.fortune_global_500,
            china_500: self.china_500,
            foreign_investment: self.foreign_investment,
            origin_country: self.origin_country.clone(),
            origin_region_code: self.origin_region_code.clone(),
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            updated_since: crate::paging::since(self.updated_since),
            include_deleted: self.include_deleted.unwrap_or(false),
        })
    }
}

fn location(id: &str) -> String {
    format!("/v1/projects/{id}")
}

/// Create a project.
///
/// Officers, leaders and org admins create projects of their organization; leaders and org
/// admins of a superior create them for a subordinate, which owns them.
#[utoipa::path(
    tag = "projects",
    operation_id = "create_project",
    request_body = CreateProjectRequest,
    params(crate::v1::IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = ProjectResponse,
            headers(("Location" = String, description = "URL of the new project"), ("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to create projects for that organization", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Owner, enterprise or a team member not found or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id already taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    Body(body): Body<CreateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let id = body.id.as_deref().and_then(|id| v.take(zs_persistence::parse_client_id("/id", id)));
    let fields = v.take(body.input().validate());
    v.into_result()?;
    let Some(fields) = fields else { return Err(ApiError::Internal("validation passed without values".to_owned())) };
    let cmd = NewProject {
        id,
        owner_organization_id: body
            .owner_organization_id
            .clone()
            .unwrap_or_else(|| auth.caller.organization_id.clone()),
        lead_on: body.lead_on,
        fields,
    };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| projects::create(c, &caller, &vis, cmd),
        |p| {
            let r = ProjectResponse::from(p);
            Created::new(&r, location(&r.id), r.version)
        },
    )
    .await
}

/// Get a project.
///
/// Visible to its owner organization and superiors, and to members of alliances it is shared
/// with.
#[utoipa::path(
    tag = "projects",
    operation_id = "get_project",
    params(("id" = String, Path, description = "Project id"), crate::v1::IfNoneMatch),
    responses(
        (status = 200, description = "The project", body = ProjectResponse, headers(("ETag" = String, description = "Version"))),
        (status = 304, description = "Not modified"),
        (status = 403, description = "The token lacks projects:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}")]
pub async fn get_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::ProjectsRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let p = state.db(move |c| projects::get(c, &vis, &id)).await?;
    Ok(respond(&req, p.version, &ProjectResponse::from(p)))
}

/// List projects.
///
/// Filtered, sorted and keyset-paged; visible projects only.
#[utoipa::path(
    tag = "projects",
    operation_id = "list_projects",
    params(ProjectListQuery),
    responses(
        (status = 200, description = "A page of projects", body = ProjectPage),
        (status = 403, description = "The token lacks projects:read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<ProjectListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::ProjectsRead)?;
    let q = q.into_inner();
    let lr = crate::paging::ListRequest::new(&state.keys, "projects", &auth.caller.principal_id, &q)?;
    let filter = q.filter()?;
    let (order, desc) = q.order_by.unwrap_or(ProjectOrderBy::Id).split();
    let vis = auth.vis.clone();
    let after: Option<Cursor> = lr.page.after.clone();
    let limit = lr.page.limit;
    let (entries, next) =
        state.db(move |c| projects::list(c, &vis, &filter, order, desc, after.as_ref(), limit)).await?;
    Ok(HttpResponse::Ok().json(ProjectPage {
        next_page_token: lr.token(&state.keys, next),
        items: entries
            .into_iter()
            .map(|e| match e {
                Entry::Live(p) => ProjectListItem::Project(Box::new(ProjectResponse::from(*p))),
                Entry::Deleted { id, deleted_at, version } => {
                    ProjectListItem::Deleted(Tombstone { id, deleted_at, version })
                }
            })
            .collect(),
    }))
}

/// Update a project.
#[utoipa::path(
    tag = "projects",
    operation_id = "update_project",
    request_body(content = UpdateProjectRequest, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Project id"), crate::v1::IfMatch),
    responses(
        (status = 200, description = "Updated", body = ProjectResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed to change this project (e.g. an alliance partner)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project (or referenced record), or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/projects/{id}")]
pub async fn update_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let p = state
        .write(move |c| projects::update(c, &caller, &vis, &id, |current| body.merge(current).validate(), expected))
        .await?;
    Ok(written(p.version, &ProjectResponse::from(p)))
}

/// Delete a project.
///
/// Soft delete: the project then answers 404, lists skip it, and sync clients get its
/// tombstone with `include_deleted=true`.
#[utoipa::path(
    tag = "projects",
    operation_id = "delete_project",
    params(("id" = String, Path, description = "Project id"), crate::v1::IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed to delete this project", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/projects/{id}")]
pub async fn delete_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    state.write(move |c| projects::delete(c, &caller, &vis, &id, expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move a project to another stage.
///
/// Records who, when and why. Forward moves may skip stages (each skipped stage is recorded
/// with the same date); moving backward needs the leader role and a reason; `dropped` needs a
/// `drop_reason` and can be reopened by a leader. Illegal moves are 409 listing the allowed
/// stages.
#[utoipa::path(
    tag = "projects",
    operation_id = "transition_project",
    request_body = TransitionBody,
    params(("id" = String, Path, description = "Project id"), crate::v1::IfMatch, crate::v1::IdempotencyKey),
    responses(
        (status = 200, description = "The project afterwards", body = ProjectResponse, headers(("ETag" = String, description = "Version"))),
        (status = 403, description = "Not allowed (e.g. backward without the leader role, or a partner)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Illegal transition; the detail lists the allowed stages", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an old version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/transitions")]
pub async fn transition_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let note = v.take(text::body("/note", &body.note, 4000)).unwrap_or_default();
    let reason = body.reason.as_deref().and_then(|r| v.take(text::body("/reason", r, 4000)));
    v.into_result()?;
    let expected = if_match(&req)?;
    let request = TransitionRequest {
        target: body.to_stage,
        effective_on: body.effective_on,
        reason,
        drop_reason: body.drop_reason,
    };
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    create(
        &state,
        &req,
        &caller.principal_id.clone(),
        &body,
        move |c| projects::transition(c, &caller, &vis, &id, request, note, expected),
        |p| Created::ok(&ProjectResponse::from(p)),
    )
    .await
}

/// A project's stage history.
#[utoipa::path(
    tag = "projects",
    operation_id = "list_project_transitions",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "Every recorded stage change, oldest first", body = TransitionList),
        (status = 403, description = "The token lacks projects:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/transitions")]
pub async fn list_project_transitions(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::ProjectsRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let items = state.db(move |c| projects::transitions(c, &vis, &id)).await?;
    Ok(HttpResponse::Ok().json(TransitionList { items: items.into_iter().map(Into::into).collect() }))
}

async fn set_share(
    state: &AppState,
    auth: &Auth,
    id: String,
    alliance_id: String,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let p = state
        .write(move |c| {
            projects::lock_for_write(c, &id)?;
            let row = projects::get(c, &vis, &id)?;
            let record = RecordRef { kind: projects::KIND, id: &id, owner: &row.owner_organization_id };
            if on {
                records::share(c, &caller, &vis, record, &alliance_id, Scope::ProjectsWrite)?;
            } else {
                records::unshare(c, &caller, record, &alliance_id, Scope::ProjectsWrite)?;
            }
            projects::touch(c, &id)?;
            projects::get(c, &vis, &id)
        })
        .await?;
    Ok(written(p.version, &ProjectResponse::from(p)))
}

/// Share a project with an alliance.
///
/// The alliance must be one the owner organization is an active member of. Partners in it
/// then read the project (and its enterprise's non-personal fields), never write it.
#[utoipa::path(
    tag = "projects",
    operation_id = "share_project",
    params(("id" = String, Path, description = "Project id"), ("alliance_id" = String, Path, description = "Alliance id")),
    responses(
        (status = 200, description = "The project afterwards", body = ProjectResponse),
        (status = 403, description = "Not allowed to change this project", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or alliance, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The owner is not an active member of the alliance", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/shares/{alliance_id}")]
pub async fn share_project(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, alliance) = path.into_inner();
    set_share(&state, &auth, id, alliance, true).await
}

/// Stop sharing a project with an alliance.
#[utoipa::path(
    tag = "projects",
    operation_id = "unshare_project",
    params(("id" = String, Path, description = "Project id"), ("alliance_id" = String, Path, description = "Alliance id")),
    responses(
        (status = 200, description = "The project afterwards", body = ProjectResponse),
        (status = 403, description = "Not allowed to change this project", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or not shared with that alliance", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/projects/{id}/shares/{alliance_id}")]
pub async fn unshare_project(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, alliance) = path.into_inner();
    set_share(&state, &auth, id, alliance, false).await
}
