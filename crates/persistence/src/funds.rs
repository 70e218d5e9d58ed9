//! Funds arrived (实际到位资金): dated amounts per project; the project keeps the running total
//! in CNY, changed in the same transaction as each arrival.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use zs_domain::auth::{Caller, Scope};
use zs_domain::money::Money;
use zs_domain::DomainError;

use crate::db::DbConn;
use crate::page::{cursor_for, ListOrder, Page, PageRequest};
use crate::records::check_write;
use crate::schema::{fund_arrivals, projects};
use crate::scope::Visibility;
use crate::{keyset, new_id, now, utc, StoreResult};

/// One arrival of funds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundArrival {
    pub id: String,
    pub project_id: String,
    pub arrived_on: NaiveDate,
    pub amount: Money,
    pub note: String,
    pub created_by: String,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = fund_arrivals)]
struct ArrivalRow {
    id: String,
    project_id: String,
    arrived_on: NaiveDate,
    amount_minor: i64,
    currency: String,
    cny_minor: i64,
    note: String,
    created_by: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    deleted_at: Option<NaiveDateTime>,
}

impl ArrivalRow {
    fn into_domain(self) -> FundArrival {
        FundArrival {
            id: self.id,
            project_id: self.project_id,
            arrived_on: self.arrived_on,
            amount: Money::from_stored(self.amount_minor, &self.currency, self.cny_minor),
            note: self.note,
            created_by: self.created_by,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

/// A new arrival, parsed.
#[derive(Debug, Clone)]
pub struct NewFundArrival {
    pub id: Option<String>,
    pub arrived_on: NaiveDate,
    pub amount: Money,
    pub note: String,
}

pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    project_id: &str,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<FundArrival>> {
    crate::projects::get(conn, vis, project_id)?;
    let q = fund_arrivals::table
        .filter(fund_arrivals::project_id.eq(project_id.to_owned()))
        .filter(fund_arrivals::deleted_at.is_null())
        .into_boxed();
    let q = keyset!(q, fund_arrivals::id, fund_arrivals::updated_at, order, &page.after);
    let rows: Vec<ArrivalRow> = q.limit(page.limit + 1).select(ArrivalRow::as_select()).load(conn)?;
    Ok(Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at)).map(ArrivalRow::into_domain))
}

pub fn add(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    project_id: &str,
    cmd: NewFundArrival,
) -> StoreResult<FundArrival> {
    let project = crate::projects::get(conn, vis, project_id)?;
    check_write(conn, caller, &project.owner_organization_id, Scope::ProjectsWrite)?;
    let today = zs_domain::org::today_in("Asia/Shanghai", chrono::Utc::now());
    if cmd.arrived_on > today {
        return Err(DomainError::invalid("/arrived_on", "future", "the arrival date cannot lie in the future").into());
    }
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = fund_arrivals::table.filter(fund_arrivals::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("fund arrival {id} already exists")).into());
    }
    let t = now();
    let row = ArrivalRow {
        id,
        project_id: project_id.to_owned(),
        arrived_on: cmd.arrived_on,
        amount_minor: cmd.amount.amount_minor,
        currency: cmd.amount.currency_str().to_owned(),
        cny_minor: cmd.amount.cny_minor,
        note: cmd.note,
        created_by: caller.principal_id.clone(),
        version: 1,
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    diesel::insert_into(fund_arrivals::table).values(&row).execute(conn)?;
    adjust_total(conn, project_id, row.cny_minor, t)?;
    Ok(row.into_domain())
}

fn adjust_total(conn: &mut DbConn, project_id: &str, delta: i64, t: NaiveDateTime) -> StoreResult<()> {
    diesel::update(projects::table.filter(projects::id.eq(project_id)))
        .set((
            projects::funds_arrived_cny_minor.eq(projects::funds_arrived_cny_minor + delta),
            projects::version.eq(projects::version + 1),
            projects::updated_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

/// Soft-deletes an arrival and takes it off the project's total.
pub fn delete(conn: &mut DbConn, caller: &Caller, vis: &Visibility, project_id: &str, id: &str) -> StoreResult<()> {
    crate::db::lock_row(conn, "fund_arrivals", id)?;
    let project = crate::projects::get(conn, vis, project_id)?;
    let row: ArrivalRow = fund_arrivals::table
        .filter(fund_arrivals::id.eq(id))
        .filter(fund_arrivals::project_id.eq(project_id))
        .filter(fund_arrivals::deleted_at.is_null())
        .select(ArrivalRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::NotFound)?;
    check_write(conn, caller, &project.owner_organization_id, Scope::ProjectsWrite)?;
    let t = now();
    diesel::update(fund_arrivals::table.filter(fund_arrivals::id.eq(id)))
        .set((
            fund_arrivals::deleted_at.eq(Some(t)),
            fund_arrivals::version.eq(row.version + 1),
            fund_arrivals::updated_at.eq(t),
        ))
        .execute(conn)?;
    adjust_total(conn, project_id, -row.cny_minor, t)
}
