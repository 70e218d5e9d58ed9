//! Party branches and activities (党建): the activity types of "three meetings and one lesson"
//! (三会一课) and the compliance check against rules that are data (national defaults,
//! overridable per organization).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::auth::{Caller, PrincipalKind, Relation, Role, Scope};
use crate::{labeled_enum, DomainError};

labeled_enum! {
    /// Type of a branch activity.
    pub enum ActivityType {
        GeneralMeeting = ("general_meeting", "支部党员大会", "General meeting of party members"),
        CommitteeMeeting = ("committee_meeting", "支委会", "Branch committee meeting"),
        GroupMeeting = ("group_meeting", "党小组会", "Party group meeting"),
        PartyLesson = ("party_lesson", "党课", "Party lesson"),
        ThemeDay = ("theme_day", "主题党日", "Theme day"),
        Study = ("study", "学习", "Study"),
        JointActivity = ("joint_activity", "联建活动", "Joint activity of several branches"),
        Service = ("service", "我为群众办实事", "Service to enterprises and the public"),
        Training = ("training", "培训", "Training"),
        SiteVisit = ("site_visit", "实地参观", "Site visit"),
    }
}

labeled_enum! {
    /// How often a rule requires an activity.
    pub enum RulePeriod {
        Monthly = ("monthly", "每月", "Monthly"),
        Quarterly = ("quarterly", "每季度", "Quarterly"),
        Yearly = ("yearly", "每年", "Yearly"),
    }
}

labeled_enum! {
    /// A member's standing in the branch.
    pub enum PartyRole {
        Member = ("member", "正式党员", "Party member"),
        ProbationaryMember = ("probationary_member", "预备党员", "Probationary member"),
        CommitteeMember = ("committee_member", "支委委员", "Branch committee member"),
    }
}

labeled_enum! {
    /// Where an activity stands: planned, held (minutes may follow), or cancelled with a reason.
    pub enum ActivityStatus {
        Planned = ("planned", "计划", "Planned"),
        Held = ("held", "已开展", "Held"),
        Cancelled = ("cancelled", "已取消", "Cancelled"),
    }
}

labeled_enum! {
    /// What an attachment of an activity is (metadata only; files live elsewhere).
    pub enum AttachmentKind {
        Notice = ("notice", "通知", "Notice"),
        Minutes = ("minutes", "会议记录", "Minutes"),
        SignInSheet = ("sign_in_sheet", "签到表", "Sign-in sheet"),
        Photo = ("photo", "照片", "Photo"),
        Audio = ("audio", "录音", "Audio recording"),
    }
}

labeled_enum! {
    /// A member's attendance of an activity: signed in, on leave (with a reason), or absent.
    pub enum AttendanceStatus {
        Present = ("present", "出席", "Present (signed in)"),
        Leave = ("leave", "请假", "On leave"),
        Absent = ("absent", "缺席", "Absent"),
    }
}

labeled_enum! {
    /// An entry of the points ledger (党员积分).
    pub enum PointKind {
        Attendance = ("attendance", "参加活动", "Attendance"),
        Award = ("award", "加分", "Award"),
        Deduction = ("deduction", "扣分", "Deduction"),
    }
}

/// Points earned for attending an activity of a type, where an organization has set no rule.
pub fn default_points(t: ActivityType) -> i32 {
    match t {
        ActivityType::GeneralMeeting
        | ActivityType::PartyLesson
        | ActivityType::ThemeDay
        | ActivityType::JointActivity
        | ActivityType::Training => 2,
        ActivityType::CommitteeMeeting | ActivityType::GroupMeeting | ActivityType::Study | ActivityType::SiteVisit => {
            1
        }
        ActivityType::Service => 3,
    }
}

/// Whether the caller may create and edit branches of an organization in `relation` to it, and
/// their activities, attendance and points (DESIGN.md §2, party_secretary row): the branch's own
/// secretary; party secretaries and org admins of the organization; org admins of a superior;
/// sysadmins; a service account with `party:write` for its own organization.
pub fn may_manage_party(caller: &Caller, relation: Relation, is_branch_secretary: bool) -> bool {
    if caller.is_sysadmin() || (caller.kind == PrincipalKind::User && is_branch_secretary) {
        return true;
    }
    match (caller.kind, relation) {
        (PrincipalKind::Service, Relation::Own) => caller.scopes.contains(&Scope::PartyWrite),
        (PrincipalKind::Service, _) => false,
        (PrincipalKind::User, Relation::Own) => {
            caller.roles.iter().any(|r| matches!(r, Role::OrgAdmin | Role::PartySecretary))
        }
        (PrincipalKind::User, Relation::Superior) => caller.roles.contains(&Role::OrgAdmin),
        (PrincipalKind::User, Relation::Other) => false,
    }
}

/// A caller who is only a party member (no other role) sees its own points, nobody else's.
pub fn sees_only_own_points(caller: &Caller) -> bool {
    caller.kind == PrincipalKind::User && caller.roles.iter().all(|r| *r == Role::Member)
}

/// When members may sign themselves in: from `opens_before` before the planned start until
/// `closes_after` after it (the service settings `ZS_SIGN_IN_OPENS_MINUTES` and
/// `ZS_SIGN_IN_CLOSES_MINUTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInWindow {
    pub opens_before: Duration,
    pub closes_after: Duration,
}

impl Default for SignInWindow {
    fn default() -> Self {
        Self { opens_before: Duration::minutes(30), closes_after: Duration::minutes(60) }
    }
}

impl SignInWindow {
    /// Refuses (409 `SIGN_IN_CLOSED`) a sign-in at `at` outside the window around `planned_start`.
    pub fn check(&self, planned_start: DateTime<Utc>, at: DateTime<Utc>) -> Result<(), DomainError> {
        let (opens, closes) = (planned_start - self.opens_before, planned_start + self.closes_after);
        if at < opens || at > closes {
            return Err(DomainError::conflict(
                "SIGN_IN_CLOSED",
                format!(
                    "sign-in is open from {} to {} (UTC); ask the branch secretary to record your attendance",
                    opens.format("%Y-%m-%dT%H:%M:%SZ"),
                    closes.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            ));
        }
        Ok(())
    }
}

/// A compliance rule: at least `min_count` activities of `activity_type` held in each period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplianceRule {
    pub activity_type: ActivityType,
    pub period: RulePeriod,
    pub min_count: u32,
}

/// The national defaults: general meeting at least quarterly, committee meeting monthly, group
/// meeting monthly, party lesson at least quarterly, theme day monthly.
pub fn default_rules() -> Vec<ComplianceRule> {
    use ActivityType::*;
    use RulePeriod::*;
    [
        (GeneralMeeting, Quarterly),
        (CommitteeMeeting, Monthly),
        (GroupMeeting, Monthly),
        (PartyLesson, Quarterly),
        (ThemeDay, Monthly),
    ]
    .into_iter()
    .map(|(activity_type, period)| ComplianceRule { activity_type, period, min_count: 1 })
    .collect()
}

/// A held activity as compliance sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldActivity {
    pub id: String,
    pub activity_type: ActivityType,
    /// The business date it was held on (organization's time zone).
    pub held_on: NaiveDate,
    pub has_minutes: bool,
    pub has_sign_in: bool,
}

/// One period of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodCompliance {
    pub activity_type: ActivityType,
    /// 1-based month, quarter, or 1 for a yearly rule.
    pub period: RulePeriod,
    pub index: u32,
    pub owed: u32,
    pub held: u32,
    pub missing: u32,
    /// Held activities lacking minutes or a sign-in record: they count as held, and are listed.
    pub incomplete: Vec<String>,
}

fn period_index(period: RulePeriod, d: NaiveDate) -> u32 {
    match period {
        RulePeriod::Monthly => d.month(),
        RulePeriod::Quarterly => (d.month() - 1) / 3 + 1,
        RulePeriod::Yearly => 1,
    }
}

fn periods_in_year(period: RulePeriod) -> u32 {
    match period {
        RulePeriod::Monthly => 12,
        RulePeriod::Quarterly => 4,
        RulePeriod::Yearly => 1,
    }
}

/// Compliance of one branch for `year`: each rule, each period that has begun by `today`
/// (periods still to come owe nothing yet).
pub fn compliance(
    year: i32,
    today: NaiveDate,
    rules: &[ComplianceRule],
    held: &[HeldActivity],
) -> Vec<PeriodCompliance> {
    let mut out = vec![];
    for rule in rules {
        let periods = periods_in_year(rule.period);
        let current = if today.year() > year {
            periods
        } else if today.year() < year {
            0
        } else {
            period_index(rule.period, today)
        };
        for index in 1..=current {
            let in_period: Vec<&HeldActivity> = held
                .iter()
                .filter(|a| {
                    a.activity_type == rule.activity_type
                        && a.held_on.year() == year
                        && period_index(rule.period, a.held_on) == index
                })
                .collect();
            let count = u32::try_from(in_period.len()).unwrap_or(u32::MAX);
            out.push(PeriodCompliance {
                activity_type: rule.activity_type,
                period: rule.period,
                index,
                owed: rule.min_count,
                held: count,
                missing: rule.min_count.saturating_sub(count),
                incomplete: in_period
                    .iter()
                    .filter(|a| !(a.has_minutes && a.has_sign_in))
                    .map(|a| a.id.clone())
                    .collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn held(id: &str, t: ActivityType, on: &str, complete: bool) -> HeldActivity {
        HeldActivity { id: id.into(), activity_type: t, held_on: day(on), has_minutes: complete, has_sign_in: true }
    }

    #[test]
    fn a_year_with_missed_months_matches_a_hand_computed_table() {
        use ActivityType::*;
        let activities = vec![
            held("g1", GeneralMeeting, "2026-02-10", true),
            held("g2", GeneralMeeting, "2026-08-10", true),
            held("l1", PartyLesson, "2026-03-01", false),
            held("t1", ThemeDay, "2026-01-05", true),
            held("t2", ThemeDay, "2026-01-20", true),
            held("t3", ThemeDay, "2026-03-05", true),
        ];
        // As of 2026-04-15: quarters 1-2 and months 1-4 are due.
        let c = compliance(2026, day("2026-04-15"), &default_rules(), &activities);
        let row = |t: ActivityType, i: u32| c.iter().find(|p| p.activity_type == t && p.index == i).cloned().unwrap();
        // General meeting: Q1 held (g1), Q2 missing (g2 is in Q3, not yet due).
        assert_eq!((row(GeneralMeeting, 1).held, row(GeneralMeeting, 1).missing), (1, 0));
        assert_eq!((row(GeneralMeeting, 2).held, row(GeneralMeeting, 2).missing), (0, 1));
        assert!(c.iter().all(|p| !(p.activity_type == GeneralMeeting && p.index > 2)));
        // Theme day: January twice, February missed, March held, April missed.
        let theme: Vec<(u32, u32, u32)> =
            c.iter().filter(|p| p.activity_type == ThemeDay).map(|p| (p.index, p.held, p.missing)).collect();
        assert_eq!(theme, vec![(1, 2, 0), (2, 0, 1), (3, 1, 0), (4, 0, 1)]);
        // Party lesson Q1 held but without minutes: counted, and listed as incomplete.
        assert_eq!(row(PartyLesson, 1).held, 1);
        assert_eq!(row(PartyLesson, 1).incomplete, vec!["l1".to_owned()]);
        // Committee and group meetings: none held in four months.
        assert_eq!(c.iter().filter(|p| p.activity_type == CommitteeMeeting).map(|p| p.missing).sum::<u32>(), 4);
        assert_eq!(c.iter().filter(|p| p.activity_type == GroupMeeting).map(|p| p.missing).sum::<u32>(), 4);
    }

    #[test]
    fn sign_in_window_is_around_the_start() {
        let start = "2026-05-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let w = SignInWindow::default();
        assert!(w.check(start, start - Duration::minutes(30)).is_ok());
        assert!(w.check(start, start + Duration::minutes(60)).is_ok());
        assert!(w.check(start, start - Duration::minutes(31)).is_err());
        assert!(w.check(start, start + Duration::minutes(61)).is_err());
    }

    #[test]
    fn party_management_table() {
        let user = |roles: Vec<Role>| Caller {
            principal_id: "u".into(),
            kind: PrincipalKind::User,
            organization_id: "o".into(),
            roles,
            scopes: vec![],
        };
        assert!(may_manage_party(&user(vec![Role::PartySecretary]), Relation::Own, false));
        assert!(!may_manage_party(&user(vec![Role::PartySecretary]), Relation::Superior, false));
        assert!(may_manage_party(&user(vec![Role::OrgAdmin]), Relation::Superior, false));
        assert!(!may_manage_party(&user(vec![Role::Officer, Role::Leader, Role::Member]), Relation::Own, false));
        assert!(may_manage_party(&user(vec![Role::Member]), Relation::Own, true));
        assert!(!may_manage_party(&user(vec![Role::OrgAdmin]), Relation::Other, false));
        let svc = Caller { kind: PrincipalKind::Service, scopes: vec![Scope::PartyWrite], ..user(vec![]) };
        assert!(may_manage_party(&svc, Relation::Own, false));
        assert!(!may_manage_party(&svc, Relation::Superior, false));
        assert!(sees_only_own_points(&user(vec![Role::Member])));
        assert!(!sees_only_own_points(&user(vec![Role::Member, Role::Viewer])));
    }

    #[test]
    fn past_years_owe_every_period_and_future_years_none() {
        let c = compliance(2025, day("2026-04-15"), &default_rules(), &[]);
        // 4 + 12 + 12 + 4 + 12 periods, all missing.
        assert_eq!(c.len(), 44);
        assert!(c.iter().all(|p| p.missing == 1));
        assert!(compliance(2027, day("2026-04-15"), &default_rules(), &[]).is_empty());
    }
}
