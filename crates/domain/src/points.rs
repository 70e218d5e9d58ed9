//! Attendance and the points ledger (党员积分): what a secretary records for a member, the
//! points an organization awards per activity type, manual awards and deductions, and the
//! leaderboard's ranks. Pure rules; the stores apply them.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::error::Violations;
use crate::party::{default_points, ActivityType, AttendanceStatus, PointKind};
use crate::{text, DomainError, FieldViolation};

/// Longest reason of a leave, an absence, an award or a deduction.
pub const MAX_REASON: usize = 500;
/// Points of one rule: 0 (attending earns nothing) to 100.
pub const RULE_POINTS: std::ops::RangeInclusive<i32> = 0..=100;
/// Points of one manual award or deduction, as entered (always positive): 1 to 100.
pub const ENTRY_POINTS: std::ops::RangeInclusive<i32> = 1..=100;

/// A member's attendance as a secretary records it. Leave needs a reason; absence and
/// presence may carry one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceMark {
    pub status: AttendanceStatus,
    pub reason: Option<String>,
}

impl AttendanceMark {
    pub fn parse(status: AttendanceStatus, reason: Option<&str>) -> Result<Self, DomainError> {
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            None if status == AttendanceStatus::Leave => {
                return Err(DomainError::invalid("/reason", "required", "leave is recorded with a reason"));
            }
            None => None,
            Some(r) => Some(text::name("/reason", r, MAX_REASON)?),
        };
        Ok(AttendanceMark { status, reason })
    }
}

/// How many of the expected members are present, on leave, absent, or not yet recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttendanceTotals {
    pub expected: u32,
    pub present: u32,
    pub leave: u32,
    pub absent: u32,
    pub unrecorded: u32,
}

impl AttendanceTotals {
    /// Counts the statuses of the expected members (`None`: not recorded).
    pub fn count<'a>(statuses: impl IntoIterator<Item = Option<&'a AttendanceStatus>>) -> Self {
        let mut t = AttendanceTotals::default();
        for s in statuses {
            t.expected += 1;
            match s {
                Some(AttendanceStatus::Present) => t.present += 1,
                Some(AttendanceStatus::Leave) => t.leave += 1,
                Some(AttendanceStatus::Absent) => t.absent += 1,
                None => t.unrecorded += 1,
            }
        }
        t
    }
}

/// Points an organization awards for attending an activity of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointRule {
    pub activity_type: ActivityType,
    pub points: i32,
    /// The national default applies (the organization set no value of its own).
    pub is_default: bool,
}

/// Every activity type with its points: the organization's own value where it set one, the
/// default otherwise; in the order of [`ActivityType::ALL`].
pub fn effective_rules(own: &[(ActivityType, i32)]) -> Vec<PointRule> {
    ActivityType::ALL
        .iter()
        .map(|&t| match own.iter().find(|(o, _)| *o == t) {
            Some(&(_, points)) => PointRule { activity_type: t, points, is_default: false },
            None => PointRule { activity_type: t, points: default_points(t), is_default: true },
        })
        .collect()
}

/// Points for attending an activity of type `t` under the organization's own rules.
pub fn attendance_points(own: &[(ActivityType, i32)], t: ActivityType) -> i32 {
    own.iter().find(|(o, _)| *o == t).map_or_else(|| default_points(t), |&(_, p)| p)
}

/// Checks a replacement set of rules: each type at most once, points 0..=100. Pointers are
/// `/rules/{i}/points` and `/rules/{i}/activity_type`.
pub fn check_rules(rules: &[(ActivityType, i64)]) -> Result<Vec<(ActivityType, i32)>, DomainError> {
    let mut v = Violations::new();
    let mut seen = HashSet::new();
    let mut out = vec![];
    for (i, &(t, points)) in rules.iter().enumerate() {
        if !seen.insert(t) {
            v.push(FieldViolation::new(
                format!("/rules/{i}/activity_type"),
                "duplicate",
                format!("{t} is listed twice"),
            ));
        }
        match i32::try_from(points).ok().filter(|p| RULE_POINTS.contains(p)) {
            Some(p) => out.push((t, p)),
            None => v.push(FieldViolation::new(format!("/rules/{i}/points"), "range", "points must be 0 to 100")),
        }
    }
    v.into_result()?;
    Ok(out)
}

/// A manual ledger entry, parsed: an award or a deduction of 1..=100 points with a reason, on
/// a day that is not in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualEntry {
    pub kind: PointKind,
    /// As entered (positive); see [`ManualEntry::signed_points`].
    pub points: i32,
    pub reason: String,
    pub occurred_on: NaiveDate,
}

impl ManualEntry {
    /// Parses an entry; `today` is today in the branch organization's time zone, the default
    /// and latest `occurred_on`.
    pub fn parse(
        kind: PointKind,
        points: i64,
        reason: &str,
        occurred_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if kind == PointKind::Attendance {
            v.push(FieldViolation::new(
                "/kind",
                "attendance",
                "attendance points are earned by signing in; post an award or a deduction",
            ));
        }
        let points = match i32::try_from(points).ok().filter(|p| ENTRY_POINTS.contains(p)) {
            Some(p) => Some(p),
            None => {
                v.push(FieldViolation::new(
                    "/points",
                    "range",
                    "points must be 1 to 100 (a deduction is sent positive, kind deduction)",
                ));
                None
            }
        };
        let reason = v.take(text::name("/reason", reason, MAX_REASON));
        let occurred_on = occurred_on.unwrap_or(today);
        if occurred_on > today {
            v.push(FieldViolation::new("/occurred_on", "future", "the day cannot lie in the future"));
        }
        v.into_result()?;
        match (points, reason) {
            (Some(points), Some(reason)) => Ok(ManualEntry { kind, points, reason, occurred_on }),
            _ => Err(DomainError::invalid("", "invalid", "the entry is invalid")),
        }
    }

    /// The points as the ledger stores them: a deduction is negative.
    pub fn signed_points(&self) -> i32 {
        signed(self.kind, self.points)
    }
}

/// Points of `kind` as stored: deductions negative, the rest as they are.
pub fn signed(kind: PointKind, points: i32) -> i32 {
    match kind {
        PointKind::Deduction => -points.abs(),
        PointKind::Award | PointKind::Attendance => points,
    }
}

/// Standard competition ranks ("1224") of values sorted best first: equal values share the
/// rank of the first of them, and the next value's rank counts everyone ahead of it.
pub fn competition_ranks(sorted_points: &[i64]) -> Vec<u32> {
    let mut out = Vec::with_capacity(sorted_points.len());
    for (i, p) in sorted_points.iter().enumerate() {
        let rank = match (i, out.last()) {
            (0, _) | (_, None) => 1,
            (_, Some(&prev)) if sorted_points[i - 1] == *p => prev,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(rank);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn pointers(e: DomainError) -> Vec<(String, String)> {
        match e {
            DomainError::Validation(v) => v.into_iter().map(|f| (f.pointer, f.code)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn ties_share_the_rank_and_the_next_rank_skips() {
        assert_eq!(competition_ranks(&[9, 7, 7, 5, 5, 5, 1]), vec![1, 2, 2, 4, 4, 4, 7]);
        assert_eq!(competition_ranks(&[3, 3, 3]), vec![1, 1, 1]);
        assert_eq!(competition_ranks(&[0, -2]), vec![1, 2]);
        assert!(competition_ranks(&[]).is_empty());
    }

    #[test]
    fn a_deduction_is_stored_negative() {
        let today = day("2026-05-01");
        let d = ManualEntry::parse(PointKind::Deduction, 3, "无故缺席", None, today).unwrap();
        assert_eq!((d.signed_points(), d.occurred_on), (-3, today));
        let a = ManualEntry::parse(PointKind::Award, 5, " 志愿服务 ", Some(day("2026-04-30")), today).unwrap();
        assert_eq!((a.signed_points(), a.reason.as_str()), (5, "志愿服务"));
        assert_eq!(signed(PointKind::Attendance, 2), 2);
    }

    #[test]
    fn a_manual_entry_names_every_bad_field() {
        let today = day("2026-05-01");
        let e = ManualEntry::parse(PointKind::Attendance, 0, "  ", Some(day("2026-05-02")), today).unwrap_err();
        assert_eq!(
            pointers(e),
            vec![
                ("/kind".into(), "attendance".into()),
                ("/points".into(), "range".into()),
                ("/reason".into(), "required".into()),
                ("/occurred_on".into(), "future".into()),
            ]
        );
        assert!(ManualEntry::parse(PointKind::Award, 101, "x", None, today).is_err());
        assert!(ManualEntry::parse(PointKind::Award, 100, "x", None, today).is_ok());
        assert!(ManualEntry::parse(PointKind::Award, 1, &"长".repeat(501), None, today).is_err());
    }

    #[test]
    fn leave_needs_a_reason() {
        assert_eq!(
            pointers(AttendanceMark::parse(AttendanceStatus::Leave, Some("  ")).unwrap_err()),
            vec![("/reason".into(), "required".into())]
        );
        assert_eq!(AttendanceMark::parse(AttendanceStatus::Absent, None).unwrap().reason, None);
        assert_eq!(
            AttendanceMark::parse(AttendanceStatus::Leave, Some("出差")).unwrap().reason.as_deref(),
            Some("出差")
        );
    }

    #[test]
    fn totals_add_up() {
        let s = [Some(AttendanceStatus::Present), None, Some(AttendanceStatus::Leave), Some(AttendanceStatus::Present)];
        let t = AttendanceTotals::count(s.iter().map(Option::as_ref));
        assert_eq!(t, AttendanceTotals { expected: 4, present: 2, leave: 1, absent: 0, unrecorded: 1 });
    }

    #[test]
    fn rules_fall_back_to_the_defaults() {
        let own = [(ActivityType::Study, 4)];
        let rules = effective_rules(&own);
        assert_eq!(rules.len(), ActivityType::ALL.len());
        let study = rules.iter().find(|r| r.activity_type == ActivityType::Study).unwrap();
        assert_eq!((study.points, study.is_default), (4, false));
        let lesson = rules.iter().find(|r| r.activity_type == ActivityType::PartyLesson).unwrap();
        assert_eq!((lesson.points, lesson.is_default), (2, true));
        assert_eq!(attendance_points(&own, ActivityType::Study), 4);
        assert_eq!(attendance_points(&own, ActivityType::Service), 3);
    }

    #[test]
    fn rules_are_checked_whole() {
        let e = check_rules(&[(ActivityType::Study, 101), (ActivityType::Study, 1), (ActivityType::Training, -1)])
            .unwrap_err();
        assert_eq!(
            pointers(e),
            vec![
                ("/rules/0/points".into(), "range".into()),
                ("/rules/1/activity_type".into(), "duplicate".into()),
                ("/rules/2/points".into(), "range".into()),
            ]
        );
        assert_eq!(check_rules(&[(ActivityType::Study, 0)]).unwrap(), vec![(ActivityType::Study, 0)]);
    }
}
