//! Projects (招商项目): the stage machine, categories and the rules of a transition.

use chrono::NaiveDate;

use crate::{labeled_enum, DomainError};

labeled_enum! {
    /// Stage of a project in the pipeline.
    pub enum Stage {
        Lead = ("lead", "线索", "Lead"),
        Negotiating = ("negotiating", "在谈", "Negotiating"),
        Signed = ("signed", "签约", "Signed"),
        Landed = ("landed", "落地", "Landed"),
        UnderConstruction = ("under_construction", "开工", "Under construction"),
        InProduction = ("in_production", "投产", "In production"),
        AtCapacity = ("at_capacity", "达产", "At full capacity"),
        Dropped = ("dropped", "终止", "Dropped"),
    }
}

labeled_enum! {
    /// Why a project was dropped.
    pub enum DropReason {
        LostToOtherRegion = ("lost_to_other_region", "落户他地", "Lost to another region"),
        InvestorWithdrew = ("investor_withdrew", "投资方撤回", "Investor withdrew"),
        Policy = ("policy", "政策原因", "Policy"),
        Other = ("other", "其他", "Other"),
    }
}

labeled_enum! {
    /// Category of a project.
    pub enum ProjectCategory {
        Industrial = ("industrial", "工业", "Industrial"),
        Agricultural = ("agricultural", "农业", "Agricultural"),
        Tourism = ("tourism", "文旅", "Tourism"),
        UrbanConstruction = ("urban_construction", "城建", "Urban construction"),
        Commerce = ("commerce", "商贸", "Commerce"),
        Logistics = ("logistics", "物流", "Logistics"),
        ModernServices = ("modern_services", "现代服务业", "Modern services"),
        ScienceTechnology = ("science_technology", "科技", "Science and technology"),
    }
}

labeled_enum! {
    /// Kind of investment.
    pub enum InvestmentType {
        New = ("new", "新建", "New"),
        Expansion = ("expansion", "增资扩产", "Expansion"),
        Reinvestment = ("reinvestment", "再投资", "Reinvestment"),
    }
}

impl Stage {
    /// Position in the pipeline; `None` for `dropped`.
    pub fn rank(self) -> Option<usize> {
        match self {
            Stage::Dropped => None,
            s => Stage::ALL.iter().position(|x| *x == s),
        }
    }

    /// Whether the project is still being pursued (not dropped, not at capacity).
    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Dropped | Stage::AtCapacity)
    }

    /// Signed or any later stage of the pipeline (not dropped).
    pub fn is_signed_or_later(self) -> bool {
        self.rank().is_some_and(|r| r >= 2)
    }

    fn pipeline() -> &'static [Stage] {
        &Stage::ALL[..7]
    }
}

/// What a transition request asks for.
#[derive(Debug, Clone)]
pub struct TransitionRequest {
    pub target: Stage,
    pub effective_on: NaiveDate,
    pub reason: Option<String>,
    pub drop_reason: Option<DropReason>,
}

/// The context the rules need.
#[derive(Debug, Clone, Copy)]
pub struct TransitionContext {
    pub current: Stage,
    /// The date the project entered its current stage.
    pub current_since: Option<NaiveDate>,
    /// Today in the owner organization's time zone.
    pub today: NaiveDate,
    /// Leaders (and sysadmins) may move backward and reopen.
    pub is_leader: bool,
}

/// The stages a project may move to from `current`.
pub fn allowed_targets(current: Stage, is_leader: bool) -> Vec<Stage> {
    match current {
        Stage::Dropped if is_leader => Stage::pipeline().to_vec(),
        Stage::Dropped => vec![],
        s => {
            let rank = s.rank().unwrap_or(0);
            let mut out: Vec<Stage> = Stage::pipeline()
                .iter()
                .copied()
                .filter(|t| t.rank().is_some_and(|r| r > rank || (is_leader && r < rank)))
                .collect();
            if s.is_open() {
                out.push(Stage::Dropped);
            }
            out
        }
    }
}

fn list(stages: &[Stage]) -> String {
    if stages.is_empty() {
        "none".to_owned()
    } else {
        stages.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Checks a transition and returns the stages entered, in order, each with its date: a forward
/// move records every skipped stage with the same date.
pub fn plan_transition(
    ctx: TransitionContext,
    req: &TransitionRequest,
) -> Result<Vec<(Stage, NaiveDate)>, DomainError> {
    let d = req.effective_on;
    if d > ctx.today {
        return Err(DomainError::invalid("/effective_on", "future", "the effective date cannot lie in the future"));
    }
    if let Some(since) = ctx.current_since {
        if d < since {
            return Err(DomainError::invalid(
                "/effective_on",
                "before_previous",
                format!("the effective date cannot precede {since}, when the project entered {}", ctx.current),
            ));
        }
    }
    let allowed = allowed_targets(ctx.current, ctx.is_leader);
    let illegal = |why: String| {
        DomainError::conflict("ILLEGAL_TRANSITION", format!("{why}; allowed from {}: {}", ctx.current, list(&allowed)))
    };
    let needs_reason = |what: &str| -> Result<(), DomainError> {
        match req.reason.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => Ok(()),
            _ => Err(DomainError::invalid("/reason", "required", format!("{what} needs a reason"))),
        }
    };
    if req.target == ctx.current {
        return Err(illegal(format!("the project is already {}", ctx.current)));
    }
    match (ctx.current, req.target) {
        (_, Stage::Dropped) => {
            if !ctx.current.is_open() {
                return Err(illegal(format!("a project {} cannot be dropped", ctx.current)));
            }
            if req.drop_reason.is_none() {
                return Err(DomainError::invalid("/drop_reason", "required", "dropping a project needs a drop_reason"));
            }
            Ok(vec![(Stage::Dropped, d)])
        }
        (Stage::Dropped, target) => {
            if !ctx.is_leader {
                return Err(DomainError::forbidden("only a leader reopens a dropped project"));
            }
            needs_reason("reopening a project")?;
            Ok(vec![(target, d)])
        }
        (current, target) => {
            let (from, to) = (current.rank().unwrap_or(0), target.rank().unwrap_or(0));
            if to > from {
                Ok(Stage::pipeline()[from + 1..=to].iter().map(|s| (*s, d)).collect())
            } else {
                if !ctx.is_leader {
                    return Err(DomainError::forbidden("only a leader moves a project backward"));
                }
                needs_reason("moving a project backward")?;
                Ok(vec![(target, d)])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ctx(current: Stage, since: &str, leader: bool) -> TransitionContext {
        TransitionContext { current, current_since: Some(day(since)), today: day("2026-11-25"), is_leader: leader }
    }

    fn req(target: Stage, on: &str) -> TransitionRequest {
        TransitionRequest { target, effective_on: day(on), reason: None, drop_reason: None }
    }

    #[test]
    fn forward_moves_record_every_skipped_stage() {
        let out = plan_transition(ctx(Stage::Lead, "2026-01-01", false), &req(Stage::Landed, "2026-03-01")).unwrap();
        assert_eq!(
            out,
            vec![
                (Stage::Negotiating, day("2026-03-01")),
                (Stage::Signed, day("2026-03-01")),
                (Stage::Landed, day("2026-03-01"))
            ]
        );
    }

    #[test]
    fn dates_cannot_precede_the_current_stage_or_lie_in_the_future() {
        let c = ctx(Stage::Signed, "2026-05-01", false);
        assert!(plan_transition(c, &req(Stage::Landed, "2026-04-30")).is_err());
        assert!(plan_transition(c, &req(Stage::Landed, "2026-11-26")).is_err());
        assert!(plan_transition(c, &req(Stage::Landed, "2026-05-01")).is_ok());
        assert!(plan_transition(c, &req(Stage::Landed, "2026-11-25")).is_ok());
    }

    #[test]
    fn backward_needs_a_leader_and_a_reason() {
        let r = req(Stage::Negotiating, "2026-06-01");
        assert!(matches!(plan_transition(ctx(Stage::Signed, "2026-05-01", false), &r), Err(DomainError::Forbidden(_))));
        assert!(matches!(plan_transition(ctx(Stage::Signed, "2026-05-01", true), &r), Err(DomainError::Validation(_))));
        let r = TransitionRequest { reason: Some("合同重谈".into()), ..r };
        assert_eq!(
            plan_transition(ctx(Stage::Signed, "2026-05-01", true), &r).unwrap(),
            vec![(Stage::Negotiating, day("2026-06-01"))]
        );
    }

    #[test]
    fn dropping_needs_a_reason_and_reopening_a_leader() {
        let r = req(Stage::Dropped, "2026-06-01");
        assert!(matches!(
            plan_transition(ctx(Stage::Negotiating, "2026-05-01", false), &r),
            Err(DomainError::Validation(_))
        ));
        let r = TransitionRequest { drop_reason: Some(DropReason::LostToOtherRegion), ..r };
        assert!(plan_transition(ctx(Stage::Negotiating, "2026-05-01", false), &r).is_ok());
        assert!(matches!(
            plan_transition(ctx(Stage::AtCapacity, "2026-05-01", false), &r),
            Err(DomainError::Conflict { .. })
        ));
        let reopen =
            TransitionRequest { reason: Some("投资方回归".into()), ..req(Stage::Negotiating, "2026-07-01") };
        assert!(matches!(
            plan_transition(ctx(Stage::Dropped, "2026-06-01", false), &reopen),
            Err(DomainError::Forbidden(_))
        ));
        assert!(plan_transition(ctx(Stage::Dropped, "2026-06-01", true), &reopen).is_ok());
    }

    #[test]
    fn same_stage_is_a_conflict_listing_the_allowed_ones() {
        match plan_transition(ctx(Stage::Signed, "2026-05-01", false), &req(Stage::Signed, "2026-06-01")) {
            Err(DomainError::Conflict { code, detail }) => {
                assert_eq!(code, "ILLEGAL_TRANSITION");
                assert!(detail.contains("landed, under_construction, in_production, at_capacity, dropped"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A team member of a project (一套班子).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub user_id: String,
    pub role: String,
}

/// A dated milestone of a project's plan (一套方案).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub title: String,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// The date a project last entered each stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageDates {
    /// When the lead was registered (the project's start).
    pub lead_on: Option<NaiveDate>,
    pub negotiating_on: Option<NaiveDate>,
    pub signed_on: Option<NaiveDate>,
    pub landed_on: Option<NaiveDate>,
    pub under_construction_on: Option<NaiveDate>,
    pub in_production_on: Option<NaiveDate>,
    pub at_capacity_on: Option<NaiveDate>,
    pub dropped_on: Option<NaiveDate>,
}

impl StageDates {
    pub fn set(&mut self, stage: Stage, on: NaiveDate) {
        match stage {
            Stage::Lead => self.lead_on = Some(on),
            Stage::Negotiating => self.negotiating_on = Some(on),
            Stage::Signed => self.signed_on = Some(on),
            Stage::Landed => self.landed_on = Some(on),
            Stage::UnderConstruction => self.under_construction_on = Some(on),
            Stage::InProduction => self.in_production_on = Some(on),
            Stage::AtCapacity => self.at_capacity_on = Some(on),
            Stage::Dropped => self.dropped_on = Some(on),
        }
    }
}

/// A project as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub owner_organization_id: String,
    pub name: String,
    pub enterprise_id: Option<String>,
    pub category: ProjectCategory,
    pub industry: Option<crate::enterprise::IndustrySection>,
    pub chain_tags: Vec<String>,
    pub investment_type: InvestmentType,
    pub contract_amount: crate::money::Money,
    pub fixed_asset_cny_minor: Option<i64>,
    pub expected_jobs: Option<i32>,
    pub origin_country: String,
    pub origin_region_code: Option<String>,
    pub foreign_investment: bool,
    pub leader_user_id: Option<String>,
    pub team: Vec<TeamMember>,
    pub plan: String,
    pub milestones: Vec<Milestone>,
    pub expected_signing_on: Option<NaiveDate>,
    pub expected_start_on: Option<NaiveDate>,
    pub expected_production_on: Option<NaiveDate>,
    pub description: String,
    pub stage: Stage,
    pub stage_since: NaiveDate,
    pub stage_dates: StageDates,
    pub drop_reason: Option<DropReason>,
    pub funds_arrived_cny_minor: i64,
    pub shared_with: Vec<String>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// One recorded stage change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub id: String,
    pub from_stage: Stage,
    pub to_stage: Stage,
    pub effective_on: NaiveDate,
    pub reason: Option<String>,
    pub drop_reason: Option<DropReason>,
    pub note: String,
    pub actor_id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A chain tag (产业链标签) such as "电子信息" or "8+4": 1-40 characters, no control characters.
pub fn parse_tag(pointer: &str, raw: &str) -> Result<String, DomainError> {
    crate::text::name(pointer, raw, 40)
}
