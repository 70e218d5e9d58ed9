//! Party branches (党支部): name, organization, secretary and deputy, the stationed flag of a
//! team's branch far from home (驻外党支部), party groups (党小组) and members; the parsing of
//! a branch's editable fields, of a compliance rule set, and the summary of a compliance table.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::Violations;
use crate::party::{ActivityType, ComplianceRule, PartyRole, PeriodCompliance, RulePeriod};
use crate::{text, DomainError, FieldViolation};

/// Longest branch name, in characters.
pub const MAX_NAME: usize = 100;
/// Longest party group name, in characters.
pub const MAX_GROUP_NAME: usize = 50;
/// Longest `stationed_in` text, in characters.
pub const MAX_STATIONED_IN: usize = 200;
/// At most this many party groups per branch.
pub const MAX_GROUPS: usize = 50;
/// At most this many members per branch.
pub const MAX_MEMBERS: usize = 1000;
/// At most this many rules in a compliance rule set.
pub const MAX_RULES: usize = 50;
/// A rule requires 1 to this many activities per period.
pub const MAX_MIN_COUNT: i64 = 31;

/// A party group (党小组) of a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchGroup {
    pub name: String,
    pub leader_id: Option<String>,
}

/// A member of a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchMember {
    pub user_id: String,
    pub party_role: PartyRole,
    pub joined_on: NaiveDate,
    /// The name of the party group the member belongs to.
    pub group: Option<String>,
}

/// A branch as the API shows it. `members` is `None` for a caller outside the branch
/// organization's subtree (alliance partners see the branch, not its people).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub secretary_id: Option<String>,
    pub deputy_id: Option<String>,
    pub stationed: bool,
    pub stationed_in: Option<String>,
    pub groups: Vec<BranchGroup>,
    pub members: Option<Vec<BranchMember>>,
    pub member_count: i64,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The editable fields of a branch, parsed: the name is trimmed and bounded, group names are
/// unique, a user is a member once, every member's group names a group, no one joined in the
/// future, and `stationed_in` only describes a stationed branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchFields {
    pub name: String,
    pub secretary_id: Option<String>,
    pub deputy_id: Option<String>,
    pub stationed: bool,
    pub stationed_in: Option<String>,
    pub groups: Vec<BranchGroup>,
    pub members: Vec<BranchMember>,
}

impl BranchFields {
    /// Parses every field, reporting every failing one at once. `today` is the date in the
    /// branch organization's time zone (`joined_on` may not lie after it).
    pub fn parse(raw: BranchFields, today: NaiveDate) -> Result<BranchFields, DomainError> {
        let mut v = Violations::new();
        let name = v.take(text::name("/name", &raw.name, MAX_NAME));
        let stationed_in = match raw.stationed_in.as_deref() {
            None => None,
            Some(_) if !raw.stationed => {
                v.push(FieldViolation::new(
                    "/stationed_in",
                    "not_stationed",
                    "only a stationed branch (stationed: true) has a place it is stationed in; send null or omit it",
                ));
                None
            }
            Some(s) => v.take(text::name("/stationed_in", s, MAX_STATIONED_IN)),
        };
        if raw.groups.len() > MAX_GROUPS {
            v.push(FieldViolation::new("/groups", "length", format!("at most {MAX_GROUPS} party groups")));
        }
        let mut groups = Vec::with_capacity(raw.groups.len());
        let mut group_names = HashSet::new();
        for (i, g) in raw.groups.iter().enumerate() {
            if let Some(n) = v.take(text::name(&format!("/groups/{i}/name"), &g.name, MAX_GROUP_NAME)) {
                if !group_names.insert(n.clone()) {
                    v.push(FieldViolation::new(
                        format!("/groups/{i}/name"),
                        "duplicate",
                        "two party groups of a branch have the same name",
                    ));
                }
                groups.push(BranchGroup { name: n, leader_id: g.leader_id.clone() });
            }
        }
        if raw.members.len() > MAX_MEMBERS {
            v.push(FieldViolation::new("/members", "length", format!("at most {MAX_MEMBERS} members")));
        }
        let mut members = Vec::with_capacity(raw.members.len());
        let mut seen = HashSet::new();
        for (i, m) in raw.members.iter().enumerate() {
            if !seen.insert(m.user_id.as_str()) {
                v.push(FieldViolation::new(
                    format!("/members/{i}/user_id"),
                    "duplicate",
                    "a user is a member of the branch once",
                ));
            }
            if m.joined_on > today {
                v.push(FieldViolation::new(
                    format!("/members/{i}/joined_on"),
                    "future",
                    format!("must not be after today ({today})"),
                ));
            }
            let group = match m.group.as_deref().map(str::trim) {
                None => None,
                Some(g) if group_names.contains(g) => Some(g.to_owned()),
                Some(_) => {
                    v.push(FieldViolation::new(
                        format!("/members/{i}/group"),
                        "unknown_group",
                        "must name one of the branch's party groups",
                    ));
                    None
                }
            };
            members.push(BranchMember { group, ..m.clone() });
        }
        v.into_result()?;
        let Some(name) = name else { return Err(DomainError::invalid("/name", "required", "must not be empty")) };
        Ok(BranchFields {
            name,
            secretary_id: raw.secretary_id,
            deputy_id: raw.deputy_id,
            stationed: raw.stationed,
            stationed_in,
            groups,
            members,
        })
    }

    /// Every user the branch names, with the JSON pointer of the field that names it.
    pub fn user_references(&self) -> Vec<(String, String)> {
        let mut out = vec![];
        if let Some(s) = &self.secretary_id {
            out.push(("/secretary_id".to_owned(), s.clone()));
        }
        if let Some(d) = &self.deputy_id {
            out.push(("/deputy_id".to_owned(), d.clone()));
        }
        for (i, g) in self.groups.iter().enumerate() {
            if let Some(l) = &g.leader_id {
                out.push((format!("/groups/{i}/leader_id"), l.clone()));
            }
        }
        for (i, m) in self.members.iter().enumerate() {
            out.push((format!("/members/{i}/user_id"), m.user_id.clone()));
        }
        out
    }
}

/// Where an effective rule set comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSource {
    /// The national defaults.
    National,
    /// An organization's override (the organization itself or its nearest ancestor with one).
    Organization,
}

impl RuleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleSource::National => "national",
            RuleSource::Organization => "organization",
        }
    }
}

/// The rules compliance is judged against, and where they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    pub source: RuleSource,
    /// The organization whose override this is; `None` for the national set.
    pub defined_by: Option<String>,
    pub rules: Vec<ComplianceRule>,
    /// When the set was last replaced, and by whom (`None` for an empty national set).
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}

/// Parses a whole rule set: at most 50 rules, each `min_count` 1-31, no (type, period) twice.
/// An organization's override needs at least one rule (DELETE the override to inherit again);
/// an empty national set means no national requirements.
pub fn parse_rules(
    raw: &[(ActivityType, RulePeriod, i64)],
    is_override: bool,
) -> Result<Vec<ComplianceRule>, DomainError> {
    let mut v = Violations::new();
    if raw.len() > MAX_RULES {
        v.push(FieldViolation::new("/rules", "length", format!("at most {MAX_RULES} rules")));
    }
    if raw.is_empty() && is_override {
        v.push(FieldViolation::new(
            "/rules",
            "required",
            "an organization's override needs at least one rule; DELETE the override to inherit the rules again",
        ));
    }
    let mut seen = HashSet::new();
    let mut rules = vec![];
    for (i, (activity_type, period, min_count)) in raw.iter().enumerate() {
        if !seen.insert((*activity_type, *period)) {
            v.push(FieldViolation::new(
                format!("/rules/{i}"),
                "duplicate",
                "the same activity type and period appear twice",
            ));
        }
        match u32::try_from(*min_count) {
            Ok(n) if (1..=MAX_MIN_COUNT).contains(min_count) => {
                rules.push(ComplianceRule { activity_type: *activity_type, period: *period, min_count: n })
            }
            _ => v.push(FieldViolation::new(
                format!("/rules/{i}/min_count"),
                "range",
                format!("must be between 1 and {MAX_MIN_COUNT}"),
            )),
        }
    }
    v.into_result()?;
    Ok(rules)
}

/// Totals of a compliance table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ComplianceSummary {
    /// Periods that have begun (each rule, each period).
    pub periods_owed: u32,
    /// Of those, periods in which the required number of activities was held.
    pub periods_held: u32,
    /// Periods in which fewer were held than required.
    pub periods_missing: u32,
    /// Held activities without minutes or a sign-in record (each counted once).
    pub incomplete_count: u32,
}

/// Sums a compliance table.
pub fn summarize(periods: &[PeriodCompliance]) -> ComplianceSummary {
    let mut s = ComplianceSummary::default();
    let mut incomplete = HashSet::new();
    for p in periods {
        s.periods_owed += 1;
        if p.missing == 0 {
            s.periods_held += 1;
        } else {
            s.periods_missing += 1;
        }
        incomplete.extend(p.incomplete.iter().map(String::as_str));
    }
    s.incomplete_count = u32::try_from(incomplete.len()).unwrap_or(u32::MAX);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn member(user: &str, joined: &str, group: Option<&str>) -> BranchMember {
        BranchMember {
            user_id: user.into(),
            party_role: PartyRole::Member,
            joined_on: day(joined),
            group: group.map(Into::into),
        }
    }

    fn fields() -> BranchFields {
        BranchFields {
            name: "  第一党支部 ".into(),
            secretary_id: Some("s".into()),
            deputy_id: None,
            stationed: false,
            stationed_in: None,
            groups: vec![BranchGroup { name: "第一党小组".into(), leader_id: Some("l".into()) }],
            members: vec![member("a", "2020-07-01", Some("第一党小组")), member("b", "2021-07-01", None)],
        }
    }

    fn pointers(r: Result<BranchFields, DomainError>) -> Vec<(String, String)> {
        match r {
            Err(DomainError::Validation(vs)) => vs.into_iter().map(|v| (v.pointer, v.code)).collect(),
            other => panic!("expected violations, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_branch_is_trimmed() {
        let f = BranchFields::parse(fields(), day("2026-01-01")).unwrap();
        assert_eq!(f.name, "第一党支部");
        assert_eq!(
            f.user_references().into_iter().map(|(p, _)| p).collect::<Vec<_>>(),
            vec!["/secretary_id", "/groups/0/leader_id", "/members/0/user_id", "/members/1/user_id"]
        );
    }

    #[test]
    fn every_rule_is_reported_at_once() {
        let mut f = fields();
        f.name = " ".into();
        f.stationed_in = Some("深圳".into());
        f.groups.push(BranchGroup { name: "第一党小组".into(), leader_id: None });
        f.groups.push(BranchGroup { name: "".into(), leader_id: None });
        f.members.push(member("a", "2027-01-01", Some("第二党小组")));
        assert_eq!(
            pointers(BranchFields::parse(f, day("2026-01-01"))),
            vec![
                ("/name".into(), "required".into()),
                ("/stationed_in".into(), "not_stationed".into()),
                ("/groups/1/name".into(), "duplicate".into()),
                ("/groups/2/name".into(), "required".into()),
                ("/members/2/user_id".into(), "duplicate".into()),
                ("/members/2/joined_on".into(), "future".into()),
                ("/members/2/group".into(), "unknown_group".into()),
            ]
        );
    }

    #[test]
    fn a_stationed_branch_names_its_place() {
        let mut f = fields();
        f.stationed = true;
        f.stationed_in = Some(" 广东省深圳市 ".into());
        assert_eq!(BranchFields::parse(f, day("2026-01-01")).unwrap().stationed_in.as_deref(), Some("广东省深圳市"));
    }

    #[test]
    fn rule_sets() {
        use ActivityType::*;
        use RulePeriod::*;
        assert_eq!(parse_rules(&[(ThemeDay, Quarterly, 2)], true).unwrap()[0].min_count, 2);
        assert!(parse_rules(&[], false).unwrap().is_empty());
        let err = parse_rules(&[], true).unwrap_err();
        assert!(matches!(err, DomainError::Validation(ref v) if v[0].pointer == "/rules"));
        match parse_rules(&[(ThemeDay, Monthly, 0), (ThemeDay, Monthly, 32), (ThemeDay, Yearly, 31)], true) {
            Err(DomainError::Validation(v)) => assert_eq!(
                v.iter().map(|v| v.pointer.as_str()).collect::<Vec<_>>(),
                vec!["/rules/0/min_count", "/rules/1", "/rules/1/min_count"]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn summary_counts_periods_and_distinct_incomplete_activities() {
        let p = |missing: u32, incomplete: &[&str]| PeriodCompliance {
            activity_type: ActivityType::ThemeDay,
            period: RulePeriod::Monthly,
            index: 1,
            owed: 1,
            held: 1 - missing,
            missing,
            incomplete: incomplete.iter().map(|s| s.to_string()).collect(),
        };
        let s = summarize(&[p(0, &["x"]), p(1, &[]), p(0, &["x", "y"])]);
        assert_eq!(s, ComplianceSummary { periods_owed: 3, periods_held: 2, periods_missing: 1, incomplete_count: 2 });
    }
}
