//! The working calendar (工作日历) and the ticket deadlines of each organization.
//!
//! The calendar stores only the days that differ from "Monday to Friday work": statutory
//! holidays on weekdays and make-up working days (调休) on weekends, plus the years whose
//! official arrangement is loaded. For a year not loaded only weekends are off, and deadlines
//! that reach into it are provisional. It is a few dozen rows a year, so it is loaded whole.
//!
//! Writes here expect to run inside [`crate::db::write_tx`], as every write use case does.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, Weekday};
use diesel::prelude::*;
use zs_domain::auth::Caller;
use zs_domain::calendar::{Calendar, DayKind};
use zs_domain::ticket::Priority;
use zs_domain::{DomainError, FieldViolation};

use crate::db::{is_unique_violation, DbConn};
use crate::schema::{ticket_deadlines, work_calendar_days, work_calendar_years};
use crate::scope::Visibility;
use crate::{now, StoreResult};

/// Years the calendar answers for; others are not found.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Most working days a ticket deadline may be set to.
pub const MAX_WORKING_DAYS: u32 = 30;

/// One day that differs from "Monday to Friday work".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// One year of the calendar: its exceptions, and whether its official arrangement is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYear {
    pub year: i32,
    pub loaded: bool,
    pub days: Vec<CalendarDay>,
}

/// The deadline of one priority in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub priority: Priority,
    pub working_days: u32,
    /// No value is stored for the organization: the platform default applies.
    pub is_default: bool,
}

fn year_bounds(year: i32) -> StoreResult<(NaiveDate, NaiveDate)> {
    match (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) {
        (Some(a), Some(b)) if YEARS.contains(&year) => Ok((a, b)),
        _ => Err(DomainError::NotFound.into()),
    }
}

/// The whole calendar (every stored day and every loaded year), for computing deadlines.
pub fn load(conn: &mut DbConn) -> StoreResult<Calendar> {
    let days: Vec<(NaiveDate, String)> =
        work_calendar_days::table.select((work_calendar_days::day, work_calendar_days::kind)).load(conn)?;
    let years: Vec<i32> = work_calendar_years::table.select(work_calendar_years::year).load(conn)?;
    Ok(Calendar::new(days.into_iter().filter_map(|(d, k)| DayKind::parse(&k).map(|k| (d, k))), years))
}

/// One year's exceptions in date order, and whether its arrangement is loaded.
pub fn get_year(conn: &mut DbConn, year: i32) -> StoreResult<CalendarYear> {
    let (first, last) = year_bounds(year)?;
    let rows: Vec<(NaiveDate, String, String)> = work_calendar_days::table
        .filter(work_calendar_days::day.ge(first))
        .filter(work_calendar_days::day.le(last))
        .order(work_calendar_days::day.asc())
        .select((work_calendar_days::day, work_calendar_days::kind, work_calendar_days::name))
        .load(conn)?;
    let loaded: i64 = work_calendar_years::table.filter(work_calendar_years::year.eq(year)).count().get_result(conn)?;
    Ok(CalendarYear {
        year,
        loaded: loaded > 0,
        days: rows
            .into_iter()
            .filter_map(|(day, kind, name)| DayKind::parse(&kind).map(|kind| CalendarDay { day, kind, name }))
            .collect(),
    })
}

/// The rules of one year's arrangement, for days given with their index in the request
/// (pointers `/days/{i}/…`): every day in that year, no day twice, a holiday only on a weekday
/// (a weekend is off anyway) and a make-up working day only on a weekend.
pub fn check_days(year: i32, days: impl IntoIterator<Item = (usize, NaiveDate, DayKind)>) -> Vec<FieldViolation> {
    let mut out = vec![];
    let mut seen = HashSet::new();
    for (i, day, kind) in days {
        if day.year() != year {
            out.push(FieldViolation::new(
                format!("/days/{i}/day"),
                "year",
                format!("{day} is not in {year}; a year's arrangement lists only days of that year"),
            ));
            continue;
        }
        if !seen.insert(day) {
            out.push(FieldViolation::new(format!("/days/{i}/day"), "duplicate", format!("{day} is listed twice")));
            continue;
        }
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        match kind {
            DayKind::Holiday if weekend => out.push(FieldViolation::new(
                format!("/days/{i}/kind"),
                "weekday",
                format!("{day} is a {}: a weekend day is off anyway, only a weekday can be a holiday", day.weekday()),
            )),
            DayKind::Workday if !weekend => out.push(FieldViolation::new(
                format!("/days/{i}/kind"),
                "weekday",
                format!("{day} is a {}: only a Saturday or Sunday can be a make-up working day", day.weekday()),
            )),
            _ => {}
        }
    }
    out
}

/// Applies `update`; when it touched no row, `insert`s, and when a concurrent writer inserted
/// the same key first (PostgreSQL), applies `update` after theirs. The insert runs in a
/// savepoint so that its failure leaves the surrounding transaction usable.
fn update_or_insert(
    conn: &mut DbConn,
    mut update: impl FnMut(&mut DbConn) -> QueryResult<usize>,
    insert: impl FnOnce(&mut DbConn) -> QueryResult<usize>,
) -> StoreResult<()> {
    if update(conn)? > 0 {
        return Ok(());
    }
    match conn.transaction(insert) {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => {
            update(conn)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Replaces a year's arrangement with `days` and marks the year loaded (sysadmin only).
pub fn replace_year(
    conn: &mut DbConn,
    caller: &Caller,
    year: i32,
    days: Vec<CalendarDay>,
) -> StoreResult<CalendarYear> {
    let (first, last) = year_bounds(year)?;
    if !caller.is_sysadmin() {
        return Err(DomainError::forbidden("only a sysadmin edits the working calendar").into());
    }
    let violations = check_days(year, days.iter().enumerate().map(|(i, d)| (i, d.day, d.kind)));
    if !violations.is_empty() {
        return Err(DomainError::Validation(violations).into());
    }
    // The year's row first: it serializes concurrent replacements of the same year.
    let t = now();
    let by = caller.principal_id.clone();
    update_or_insert(
        conn,
        |c| {
            diesel::update(work_calendar_years::table.filter(work_calendar_years::year.eq(year)))
                .set((work_calendar_years::updated_by.eq(by.clone()), work_calendar_years::updated_at.eq(t)))
                .execute(c)
        },
        |c| {
            diesel::insert_into(work_calendar_years::table)
                .values((
                    work_calendar_years::year.eq(year),
                    work_calendar_years::updated_by.eq(by.clone()),
                    work_calendar_years::updated_at.eq(t),
                ))
                .execute(c)
        },
    )?;
    diesel::delete(
        work_calendar_days::table.filter(work_calendar_days::day.ge(first)).filter(work_calendar_days::day.le(last)),
    )
    .execute(conn)?;
    for d in &days {
        diesel::insert_into(work_calendar_days::table)
            .values((
                work_calendar_days::day.eq(d.day),
                work_calendar_days::kind.eq(d.kind.as_str()),
                work_calendar_days::name.eq(&d.name),
            ))
            .execute(conn)?;
    }
    get_year(conn, year)
}

/// Checks a deadline in working days (0 means the same working day).
pub fn check_working_days(pointer: &str, value: i64) -> Result<u32, DomainError> {
    match u32::try_from(value) {
        Ok(v) if v <= MAX_WORKING_DAYS => Ok(v),
        _ => Err(DomainError::invalid(
            pointer,
            "range",
            format!("must be between 0 (the same working day) and {MAX_WORKING_DAYS} working days"),
        )),
    }
}

/// The rules of a deadlines change, for values given with their index in the request
/// (pointers `/deadlines/{i}/…`): each priority at most once, 0 to 30 working days.
pub fn check_deadlines(values: &[(Priority, i64)]) -> Vec<FieldViolation> {
    let mut out = vec![];
    let mut seen = HashSet::new();
    for (i, (priority, days)) in values.iter().enumerate() {
        if !seen.insert(*priority) {
            out.push(FieldViolation::new(
                format!("/deadlines/{i}/priority"),
                "duplicate",
                format!("{priority} is listed twice"),
            ));
        }
        if let Err(DomainError::Validation(mut v)) = check_working_days(&format!("/deadlines/{i}/working_days"), *days)
        {
            out.append(&mut v);
        }
    }
    out
}

fn stored(conn: &mut DbConn, org_id: &str) -> StoreResult<Vec<(String, i32)>> {
    Ok(ticket_deadlines::table
        .filter(ticket_deadlines::organization_id.eq(org_id))
        .select((ticket_deadlines::priority, ticket_deadlines::working_days))
        .load(conn)?)
}

fn with_defaults(stored: &[(String, i32)]) -> Vec<Deadline> {
    Priority::ALL
        .iter()
        .map(|&priority| {
            match stored.iter().find(|(p, _)| p == priority.as_str()).and_then(|(_, d)| u32::try_from(*d).ok()) {
                Some(working_days) => Deadline { priority, working_days, is_default: false },
                None => Deadline { priority, working_days: priority.default_working_days(), is_default: true },
            }
        })
        .collect()
}

/// The deadlines of a visible organization, for every priority (urgent, high, normal, low).
pub fn deadlines(conn: &mut DbConn, vis: &Visibility, org_id: &str) -> StoreResult<Vec<Deadline>> {
    crate::orgs::get(conn, vis, org_id)?;
    Ok(with_defaults(&stored(conn, org_id)?))
}

/// Sets the deadlines of the given priorities; the others keep theirs. An org admin of the
/// organization or of a superior, or a sysadmin.
pub fn set_deadlines(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    org_id: &str,
    values: &[(Priority, i64)],
) -> StoreResult<Vec<Deadline>> {
    crate::orgs::get(conn, vis, org_id)?;
    if !crate::orgs::administers(conn, caller, org_id)? {
        return Err(DomainError::forbidden(
            "only an org admin of this organization or of a superior sets its ticket deadlines",
        )
        .into());
    }
    let violations = check_deadlines(values);
    if !violations.is_empty() {
        return Err(DomainError::Validation(violations).into());
    }
    let t = now();
    for &(priority, days) in values {
        let days = i32::try_from(days).map_err(|_| DomainError::invalid("/deadlines", "range", "out of range"))?;
        let key = ticket_deadlines::table
            .filter(ticket_deadlines::organization_id.eq(org_id.to_owned()))
            .filter(ticket_deadlines::priority.eq(priority.as_str()));
        update_or_insert(
            conn,
            |c| {
                diesel::update(key.clone())
                    .set((ticket_deadlines::working_days.eq(days), ticket_deadlines::updated_at.eq(t)))
                    .execute(c)
            },
            |c| {
                diesel::insert_into(ticket_deadlines::table)
                    .values((
                        ticket_deadlines::organization_id.eq(org_id),
                        ticket_deadlines::priority.eq(priority.as_str()),
                        ticket_deadlines::working_days.eq(days),
                        ticket_deadlines::updated_at.eq(t),
                    ))
                    .execute(c)
            },
        )?;
    }
    Ok(with_defaults(&stored(conn, org_id)?))
}

/// Working days to resolve a ticket of `priority` owned by `org_id`: the organization's own
/// value or the default. No visibility check: for use cases that already hold the ticket.
pub fn working_days_for(conn: &mut DbConn, org_id: &str, priority: Priority) -> StoreResult<u32> {
    let stored: Option<i32> = ticket_deadlines::table
        .filter(ticket_deadlines::organization_id.eq(org_id))
        .filter(ticket_deadlines::priority.eq(priority.as_str()))
        .select(ticket_deadlines::working_days)
        .first(conn)
        .optional()?;
    Ok(stored.and_then(|d| u32::try_from(d).ok()).unwrap_or_else(|| priority.default_working_days()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn pointers(v: &[FieldViolation]) -> Vec<(&str, &str)> {
        v.iter().map(|f| (f.pointer.as_str(), f.code.as_str())).collect()
    }

    #[test]
    fn a_year_arrangement_follows_the_rules() {
        let ok = [
            (0, day("2030-01-01"), DayKind::Holiday), // Tuesday
            (1, day("2030-02-02"), DayKind::Workday), // Saturday
        ];
        assert!(check_days(2030, ok).is_empty());
        let bad = [
            (0, day("2031-01-01"), DayKind::Holiday), // another year
            (1, day("2030-02-02"), DayKind::Holiday), // Saturday holiday
            (2, day("2030-02-04"), DayKind::Workday), // Monday make-up day
            (3, day("2030-02-02"), DayKind::Workday), // listed twice
        ];
        assert_eq!(
            pointers(&check_days(2030, bad)),
            vec![
                ("/days/0/day", "year"),
                ("/days/1/kind", "weekday"),
                ("/days/2/kind", "weekday"),
                ("/days/3/day", "duplicate")
            ]
        );
    }

    #[test]
    fn deadlines_are_0_to_30_working_days_once_per_priority() {
        assert!(check_deadlines(&[(Priority::Urgent, 0), (Priority::Low, 30)]).is_empty());
        assert_eq!(
            pointers(&check_deadlines(&[(Priority::High, 31), (Priority::Low, -1), (Priority::High, 2)])),
            vec![
                ("/deadlines/0/working_days", "range"),
                ("/deadlines/1/working_days", "range"),
                ("/deadlines/2/priority", "duplicate")
            ]
        );
    }

    #[test]
    fn absent_values_are_the_defaults() {
        let d = with_defaults(&[("high".to_owned(), 2)]);
        let got: Vec<_> = d.iter().map(|d| (d.priority.as_str(), d.working_days, d.is_default)).collect();
        assert_eq!(got, vec![("urgent", 0, true), ("high", 2, false), ("normal", 2, true), ("low", 5, true)]);
    }
}
