//! The Chinese working calendar: weekends off, statutory holidays off, make-up working days
//! (调休) on. Ticket deadlines count working days; handling time counts only the hours that
//! fall on working days.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

use crate::labeled_enum;

labeled_enum! {
    /// How a day differs from "Monday to Friday work".
    pub enum DayKind {
        Holiday = ("holiday", "法定节假日", "Statutory holiday (a weekday off)"),
        Workday = ("workday", "调休上班", "Make-up working day (a weekend day worked)"),
    }
}

/// Offset of an accepted time zone from UTC, in hours (no daylight saving in China).
pub fn utc_offset_hours(time_zone: &str) -> i64 {
    if time_zone == "Asia/Urumqi" {
        6
    } else {
        8
    }
}

/// The calendar's exceptions and the years whose official arrangement is loaded.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: HashMap<NaiveDate, DayKind>,
    loaded_years: HashSet<i32>,
}

impl Calendar {
    pub fn new(
        days: impl IntoIterator<Item = (NaiveDate, DayKind)>,
        loaded_years: impl IntoIterator<Item = i32>,
    ) -> Self {
        Calendar { days: days.into_iter().collect(), loaded_years: loaded_years.into_iter().collect() }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    pub fn year_loaded(&self, year: i32) -> bool {
        self.loaded_years.contains(&year)
    }

    fn next_working_day(&self, mut d: NaiveDate) -> NaiveDate {
        loop {
            d = d.succ_opt().unwrap_or(d);
            if self.is_working_day(d) {
                return d;
            }
        }
    }

    /// The deadline of something created at `created` that is due within `working_days`
    /// working days: the end (local midnight) of the `working_days`-th working day after the
    /// working day it was created on (0: the same working day; created on a day off, the next
    /// working day counts as the day of creation). The flag is true when a year the deadline
    /// spans has no loaded arrangement (only weekends were counted off).
    pub fn due(&self, created: DateTime<Utc>, time_zone: &str, working_days: u32) -> (DateTime<Utc>, bool) {
        let offset = Duration::hours(utc_offset_hours(time_zone));
        let start = (created + offset).date_naive();
        let mut day = if self.is_working_day(start) { start } else { self.next_working_day(start) };
        for _ in 0..working_days {
            day = self.next_working_day(day);
        }
        let end_local = day.succ_opt().unwrap_or(day).and_hms_opt(0, 0, 0).unwrap_or_default();
        let due = Utc.from_utc_datetime(&end_local) - offset;
        let provisional = (start.year()..=day.year()).any(|y| !self.year_loaded(y));
        (due, provisional)
    }

    /// Hours between two instants that fall on working days (in the given time zone).
    pub fn working_hours_between(&self, from: DateTime<Utc>, to: DateTime<Utc>, time_zone: &str) -> f64 {
        if to <= from {
            return 0.0;
        }
        let offset = Duration::hours(utc_offset_hours(time_zone));
        let (from_l, to_l) = ((from + offset).naive_utc(), (to + offset).naive_utc());
        let mut day = from_l.date();
        let mut seconds = 0i64;
        while day <= to_l.date() {
            if self.is_working_day(day) {
                let day_start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
                let day_end = day_start + Duration::days(1);
                let a = from_l.max(day_start);
                let b = to_l.min(day_end);
                if b > a {
                    seconds += (b - a).num_seconds();
                }
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        seconds as f64 / 3600.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A few days of the 2026 arrangement, written by hand (not read from the shipped data).
    fn cal() -> Calendar {
        Calendar::new(
            [
                (day("2026-01-01"), DayKind::Holiday),
                (day("2026-01-02"), DayKind::Holiday),
                (day("2026-01-03"), DayKind::Holiday),
                (day("2026-01-04"), DayKind::Workday),
                (day("2026-10-01"), DayKind::Holiday),
                (day("2026-10-02"), DayKind::Holiday),
            ],
            [2026],
        )
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekends_holidays_and_make_up_days() {
        let c = cal();
        assert!(!c.is_working_day(day("2026-01-01"))); // Thursday, holiday
        assert!(c.is_working_day(day("2026-01-04"))); // Sunday, make-up day
        assert!(!c.is_working_day(day("2026-01-10"))); // Saturday
        assert!(c.is_working_day(day("2026-01-12"))); // Monday
    }

    #[test]
    fn deadlines_count_working_days_to_local_midnight() {
        let c = cal();
        // Friday 2026-01-09 10:00 Beijing, 1 working day: Monday 2026-01-12 ends at 24:00 Beijing.
        let (due, provisional) = c.due(at("2026-01-09T02:00:00Z"), "Asia/Shanghai", 1);
        assert_eq!(due, at("2026-01-12T16:00:00Z"));
        assert!(!provisional);
        // Same working day.
        assert_eq!(c.due(at("2026-01-09T02:00:00Z"), "Asia/Shanghai", 0).0, at("2026-01-09T16:00:00Z"));
        // Created on New Year's Day: the first working day is Sunday 01-04 (make-up); +2 → Tue 01-06.
        assert_eq!(c.due(at("2026-01-01T03:00:00Z"), "Asia/Shanghai", 2).0, at("2026-01-06T16:00:00Z"));
        // 23:30 Beijing on Wednesday 2025-12-31 is still the 31st; a year without arrangement is provisional.
        let (_, provisional) = c.due(at("2025-12-31T15:30:00Z"), "Asia/Shanghai", 1);
        assert!(provisional);
    }

    #[test]
    fn handling_hours_count_only_working_days() {
        let c = cal();
        // Friday 12:00 to Monday 12:00 Beijing: 12 h Friday + 12 h Monday.
        let h = c.working_hours_between(at("2026-01-09T04:00:00Z"), at("2026-01-12T04:00:00Z"), "Asia/Shanghai");
        assert!((h - 24.0).abs() < 1e-9, "{h}");
        assert_eq!(
            c.working_hours_between(at("2026-01-12T04:00:00Z"), at("2026-01-09T04:00:00Z"), "Asia/Shanghai"),
            0.0
        );
    }
}
