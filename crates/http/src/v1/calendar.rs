//! `/v1/calendar/{year}`: the Chinese working calendar (工作日历), and
//! `/v1/organizations/{id}/ticket-deadlines`: how many working days each priority of ticket
//! has in an organization.

use actix_web::{get, put, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zs_domain::auth::Scope;
use zs_domain::calendar::DayKind;
use zs_domain::error::Violations;
use zs_domain::text;
use zs_domain::ticket::Priority;
use zs_domain::FieldViolation;
use zs_persistence::calendar::{self, CalendarDay, CalendarYear, Deadline};

use crate::auth::Auth;
use crate::body::Body;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// A day that differs from "Monday to Friday work".
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarDayResponse {
    /// The date.
    pub day: NaiveDate,
    /// `holiday`: a weekday off; `workday`: a weekend day worked (调休).
    pub kind: DayKind,
    /// What the day is, e.g. 国庆节 National Day.
    pub name: String,
}

/// One year of the working calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "year": 2026,
    "loaded": true,
    "days": [
        {"day": "2026-02-14", "kind": "workday", "name": "春节调休 Spring Festival make-up"},
        {"day": "2026-02-16", "kind": "holiday", "name": "春节 Spring Festival"}
    ]
}))]
pub struct CalendarYearResponse {
    /// The year.
    pub year: i32,
    /// Whether the year's official arrangement is loaded. When it is not, only weekends are
    /// off and ticket deadlines reaching into the year are provisional.
    pub loaded: bool,
    /// The days that differ from "Monday to Friday work", in date order. Weekends not listed
    /// are off; weekdays not listed are working days.
    pub days: Vec<CalendarDayResponse>,
}

impl From<CalendarYear> for CalendarYearResponse {
    fn from(y: CalendarYear) -> Self {
        CalendarYearResponse {
            year: y.year,
            loaded: y.loaded,
            days: y.days.into_iter().map(|d| CalendarDayResponse { day: d.day, kind: d.kind, name: d.name }).collect(),
        }
    }
}

/// A day of a year's arrangement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayInput {
    /// The date (YYYY-MM-DD), in the year of the path.
    #[schema(format = Date, example = "2030-10-01")]
    pub day: String,
    /// `holiday` (only on Monday to Friday) or `workday` (only on Saturday or Sunday).
    pub kind: DayKind,
    /// What the day is (1-100 characters), e.g. 国庆节 National Day.
    pub name: String,
}

/// A year's whole arrangement: it replaces every stored day of the year.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "days": [
        {"day": "2030-09-29", "kind": "workday", "name": "国庆节调休 National Day make-up"},
        {"day": "2030-10-01", "kind": "holiday", "name": "国庆节 National Day"},
        {"day": "2030-10-02", "kind": "holiday", "name": "国庆节 National Day"}
    ]
}))]
pub struct ReplaceCalendarYearRequest {
    /// Every day of the year that differs from "Monday to Friday work"; each day once.
    pub days: Vec<CalendarDayInput>,
}

impl ReplaceCalendarYearRequest {
    fn parse(&self, year: i32) -> Result<Vec<CalendarDay>, ApiError> {
        let mut v = Violations::new();
        let mut parsed: Vec<Option<CalendarDay>> = vec![];
        for (i, d) in self.days.iter().enumerate() {
            let day = NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok().filter(|_| d.day.len() == 10);
            if day.is_none() {
                v.push(FieldViolation::new(
                    format!("/days/{i}/day"),
                    "date",
                    format!("{:?} is not a calendar date (YYYY-MM-DD)", d.day),
                ));
            }
            let name = v.take(text::name(&format!("/days/{i}/name"), &d.name, 100));
            parsed.push(match (day, name) {
                (Some(day), Some(name)) => Some(CalendarDay { day, kind: d.kind, name }),
                _ => None,
            });
        }
        for f in calendar::check_days(
            year,
            parsed.iter().enumerate().filter_map(|(i, d)| d.as_ref().map(|d| (i, d.day, d.kind))),
        ) {
            v.push(f);
        }
        v.into_result()?;
        Ok(parsed.into_iter().flatten().collect())
    }
}

/// The deadline of one priority.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketDeadlineResponse {
    /// The ticket priority.
    pub priority: Priority,
    /// Working days to resolve a ticket: 0 is the end of the working day it was raised on
    /// (or of the next working day, raised on a day off); n is the end of the n-th working day after.
    pub working_days: u32,
    /// True when the organization has not set it and the platform default applies
    /// (urgent 0, high 1, normal 2, low 5).
    pub is_default: bool,
}

/// The ticket deadlines (限时反馈) of an organization, one per priority.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "organization_id": "01936f3e-0000-7000-8000-000000000002",
    "deadlines": [
        {"priority": "urgent", "working_days": 0, "is_default": true},
        {"priority": "high", "working_days": 2, "is_default": false},
        {"priority": "normal", "working_days": 2, "is_default": true},
        {"priority": "low", "working_days": 5, "is_default": true}
    ]
}))]
pub struct TicketDeadlinesResponse {
    /// The organization.
    pub organization_id: String,
    /// Every priority, from urgent to low.
    pub deadlines: Vec<TicketDeadlineResponse>,
}

impl TicketDeadlinesResponse {
    fn new(organization_id: String, deadlines: Vec<Deadline>) -> Self {
        TicketDeadlinesResponse {
            organization_id,
            deadlines: deadlines
                .into_iter()
                .map(|d| TicketDeadlineResponse {
                    priority: d.priority,
                    working_days: d.working_days,
                    is_default: d.is_default,
                })
                .collect(),
        }
    }
}

/// A new deadline for one priority.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketDeadlineInput {
    /// The ticket priority.
    pub priority: Priority,
    /// Working days to resolve, 0 (the same working day) to 30.
    #[schema(minimum = 0, maximum = 30)]
    pub working_days: i64,
}

/// New deadlines for some priorities; priorities not listed keep their value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"deadlines": [{"priority": "high", "working_days": 2}]}))]
pub struct UpdateTicketDeadlinesRequest {
    /// The deadlines to set; each priority at most once.
    pub deadlines: Vec<TicketDeadlineInput>,
}

impl UpdateTicketDeadlinesRequest {
    fn parse(&self) -> Result<Vec<(Priority, i64)>, ApiError> {
        let values: Vec<(Priority, i64)> = self.deadlines.iter().map(|d| (d.priority, d.working_days)).collect();
        let violations = calendar::check_deadlines(&values);
        if violations.is_empty() {
            Ok(values)
        } else {
            Err(ApiError::Validation(violations))
        }
    }
}

/// Get a year of the working calendar.
///
/// The days that differ from "Monday to Friday work": statutory holidays on weekdays and
/// make-up working days (调休) on weekends. For a year whose arrangement is not loaded,
/// `loaded` is false and only weekends are off. Any authenticated caller; years 2000-2100.
#[utoipa::path(
    tag = "calendar",
    operation_id = "get_calendar_year",
    params(("year" = i32, Path, description = "The year, 2000-2100")),
    responses(
        (status = 200, description = "The year's arrangement", body = CalendarYearResponse),
        (status = 404, description = "A year outside 2000-2100", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/calendar/{year}")]
pub async fn get_calendar_year(
    state: web::Data<AppState>,
    _auth: Auth,
    year: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let year = year.into_inner();
    let y = state.db(move |c| calendar::get_year(c, year)).await?;
    Ok(HttpResponse::Ok().json(CalendarYearResponse::from(y)))
}

/// Replace a year of the working calendar.
///
/// Sysadmins only. The body lists every day of the year that differs from "Monday to Friday
/// work" (the State Council's arrangement); it replaces the year's stored days and marks the
/// year loaded, so deadlines reaching into it are no longer provisional. Tickets already
/// raised keep the due date they were given.
#[utoipa::path(
    tag = "calendar",
    operation_id = "replace_calendar_year",
    request_body = ReplaceCalendarYearRequest,
    params(("year" = i32, Path, description = "The year, 2000-2100")),
    responses(
        (status = 200, description = "The year as stored", body = CalendarYearResponse),
        (status = 403, description = "Not a sysadmin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A year outside 2000-2100", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A day that is not a date, not in the year, listed twice, a holiday on a weekend \
or a make-up working day on a weekday; `errors` points at each (`/days/{i}/day`, `/days/{i}/kind`)",
            body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/calendar/{year}")]
pub async fn replace_calendar_year(
    state: web::Data<AppState>,
    auth: Auth,
    year: web::Path<i32>,
    Body(body): Body<ReplaceCalendarYearRequest>,
) -> Result<HttpResponse, ApiError> {
    let year = year.into_inner();
    if !calendar::YEARS.contains(&year) {
        return Err(ApiError::NotFound);
    }
    // No body makes this allowed to anyone else: say so before judging the body.
    if !auth.caller.is_sysadmin() {
        return Err(ApiError::Forbidden("only a sysadmin edits the working calendar".to_owned()));
    }
    let days = body.parse(year)?;
    let caller = auth.caller.clone();
    let y = state.write(move |c| calendar::replace_year(c, &caller, year, days)).await?;
    Ok(HttpResponse::Ok().json(CalendarYearResponse::from(y)))
}

/// Get an organization's ticket deadlines.
///
/// Working days to resolve a ticket of each priority, counted on the working calendar; the
/// platform defaults (urgent the same working day, high 1, normal 2, low 5) apply where the
/// organization set none. Anyone who sees the organization.
#[utoipa::path(
    tag = "calendar",
    operation_id = "get_ticket_deadlines",
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The deadlines of every priority", body = TicketDeadlinesResponse),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/organizations/{id}/ticket-deadlines")]
pub async fn get_ticket_deadlines(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_read(Scope::OrganizationsRead)?;
    let vis = auth.vis.clone();
    let id = id.into_inner();
    let org = id.clone();
    let deadlines = state.db(move |c| calendar::deadlines(c, &vis, &org)).await?;
    Ok(HttpResponse::Ok().json(TicketDeadlinesResponse::new(id, deadlines)))
}

/// Set an organization's ticket deadlines.
///
/// Org admins of the organization or of a superior; sysadmins. Priorities not listed keep
/// their value. Tickets already raised keep the due date they were given.
#[utoipa::path(
    tag = "calendar",
    operation_id = "update_ticket_deadlines",
    request_body = UpdateTicketDeadlinesRequest,
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The deadlines of every priority, as stored", body = TicketDeadlinesResponse),
        (status = 403, description = "Not an admin of this organization or a superior", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Working days outside 0-30 or a priority listed twice; `errors` points at each \
(`/deadlines/{i}/working_days`, `/deadlines/{i}/priority`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/organizations/{id}/ticket-deadlines")]
pub async fn update_ticket_deadlines(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    Body(body): Body<UpdateTicketDeadlinesRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_person()?;
    let values = body.parse()?;
    let (caller, vis) = (auth.caller.clone(), auth.vis.clone());
    let id = id.into_inner();
    let org = id.clone();
    let deadlines = state.write(move |c| calendar::set_deadlines(c, &caller, &vis, &org, &values)).await?;
    Ok(HttpResponse::Ok().json(TicketDeadlinesResponse::new(id, deadlines)))
}
