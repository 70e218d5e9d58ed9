//! Problem tickets (问题 / 诉求工单): creation with a deadline on the working calendar, the
//! workflow (each move one transaction with its `ticket_events` row), the timeline, the
//! filtered keyset-paged list, the escalation of overdue tickets and the metrics.
//!
//! Who sees a ticket (in the SQL of every query): the owner organization and its superiors,
//! and the assignee organization and its superiors; a sysadmin sees all. The reporter's phone
//! and e-mail are shown in full to the owner's chain and to the assignee organization itself,
//! masked to anyone else who sees the ticket (the superiors of an assignee partner).
//!
//! Writes here expect to run inside [`crate::db::write_tx`], as every write use case does
//! (except [`escalate_overdue`], which runs its own transactions).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use zs_domain::auth::{is_leader, may_edit_records, Caller, PrincipalKind, Relation, Scope};
use zs_domain::calendar::utc_offset_hours;
use zs_domain::ticket::{
    compute_metrics, is_overdue, plan_move, MetricsRow, Move, Priority, Rights, Ticket, TicketCategory, TicketEvent,
    TicketEventKind, TicketMetrics, TicketSource, TicketStatus, WorkflowState,
};
use zs_domain::DomainError;

use crate::db::{DbConn, MultiBackend};
use crate::enterprises::{mask_email, mask_phone};
use crate::page::{cursor_for, ListOrder, Page, PageRequest};
use crate::page::{entries, Entry};
use crate::records::{check_write, relation};
use crate::schema::{alliance_members, org_closure, organizations, ticket_events, tickets, users};
use crate::scope::Visibility;
use crate::{ancestor_ids, check_version, keyset, new_id, now, subtree_ids, utc, StoreResult};

/// The actor of the events the escalation task records.
pub const SYSTEM_ACTOR: &str = "system";

/// Statuses in which a ticket is still being worked (and can be overdue).
const UNRESOLVED: [&str; 3] = ["open", "assigned", "in_progress"];

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tickets)]
pub struct TicketRow {
    pub id: String,
    pub owner_organization_id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub priority: String,
    pub source: String,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    pub visit_id: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub status: String,
    pub assignee_organization_id: Option<String>,
    pub assignee_user_id: Option<String>,
    pub claimed_by_user_id: Option<String>,
    pub escalation_level: i32,
    pub escalated_to_organization_id: Option<String>,
    pub due_at: NaiveDateTime,
    pub due_provisional: bool,
    pub resolution: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub satisfaction: Option<i32>,
    pub reopen_count: i32,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl TicketRow {
    fn status(&self) -> TicketStatus {
        TicketStatus::parse(&self.status).unwrap_or(TicketStatus::Open)
    }

    fn priority(&self) -> Priority {
        Priority::parse(&self.priority).unwrap_or(Priority::Normal)
    }
}

/// A new ticket, parsed (the reporter's phone and e-mail are full values, never masked).
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub id: Option<String>,
    pub owner_organization_id: String,
    /// When the problem was reported (default now; not in the future). The deadline counts
    /// from it and it is the ticket's `created_at`.
    pub reported_at: Option<DateTime<Utc>>,
    pub title: String,
    pub description: String,
    pub category: TicketCategory,
    pub priority: Priority,
    pub source: TicketSource,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    pub visit_id: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
}

/// Changes to a ticket; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TicketPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<TicketCategory>,
    /// A new priority recomputes `due_at` from the report time.
    pub priority: Option<Priority>,
}

/// A workflow move with its input, as the http layer parsed it.
#[derive(Debug, Clone)]
pub enum MoveCommand {
    Assign {
        organization_id: String,
        user_id: Option<String>,
        note: String,
    },
    Accept {
        note: String,
    },
    /// `resolved_at`: when it was solved (default now; not in the future, not before the
    /// ticket was reported or last reopened).
    Resolve {
        resolution: String,
        resolved_at: Option<DateTime<Utc>>,
    },
    Confirm {
        satisfaction: i32,
        note: String,
    },
    Reopen {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Claim {
        note: String,
    },
    Comment {
        note: String,
    },
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub owner_organization_id: Option<String>,
    /// With `owner_organization_id`: include its descendants (default) or not.
    pub include_descendants: bool,
    pub assignee_organization_id: Option<String>,
    pub assignee_user_id: Option<String>,
    pub statuses: Vec<TicketStatus>,
    pub category: Option<TicketCategory>,
    pub priority: Option<Priority>,
    /// Only overdue (true) or only not overdue (false) tickets, at the time of the query.
    pub overdue: Option<bool>,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    pub visit_id: Option<String>,
    /// Reported at or after.
    pub created_from: Option<NaiveDateTime>,
    /// Reported before.
    pub created_to: Option<NaiveDateTime>,
    pub updated_since: Option<NaiveDateTime>,
    /// Also return deleted tickets (as tombstones).
    pub include_deleted: bool,
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Tickets the caller sees: owned in its subtree, or assigned to an organization of its
/// subtree (the assignee and its superiors). A sysadmin sees all.
fn visible(vis: &Visibility) -> tickets::BoxedQuery<'static, MultiBackend> {
    let q = tickets::table.into_boxed();
    if vis.all {
        return q;
    }
    let org = vis.organization_id.clone();
    q.filter(tickets::owner_organization_id.eq_any(subtree_ids!(org.clone())).or(
        tickets::assignee_organization_id.eq_any(
            org_closure::table.filter(org_closure::ancestor_id.eq(org)).select(org_closure::descendant_id.nullable()),
        ),
    ))
}

fn load_row(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<TicketRow> {
    visible(vis)
        .filter(tickets::id.eq(id.to_owned()))
        .filter(tickets::deleted_at.is_null())
        .select(TicketRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound.into())
}

/// Locks the ticket's row for the rest of the write transaction (see [`crate::db::lock_row`]),
/// so that concurrent moves of one ticket run one after the other and a move sent twice at
/// once is recorded once.
pub fn lock_for_write(conn: &mut DbConn, id: &str) -> StoreResult<()> {
    crate::db::lock_row(conn, "tickets", id)
}

/// Builds the tickets as the caller sees them: the reporter in full for the owner's chain and
/// the assignee organization, masked for others.
fn to_tickets(conn: &mut DbConn, vis: &Visibility, rows: Vec<TicketRow>) -> StoreResult<Vec<Ticket>> {
    let own_chain: HashSet<String> = if vis.all {
        HashSet::new()
    } else {
        let owners: Vec<String> = rows.iter().map(|r| r.owner_organization_id.clone()).collect();
        org_closure::table
            .filter(org_closure::ancestor_id.eq(&vis.organization_id))
            .filter(org_closure::descendant_id.eq_any(owners))
            .select(org_closure::descendant_id)
            .load::<String>(conn)?
            .into_iter()
            .collect()
    };
    let at = Utc::now();
    Ok(rows
        .into_iter()
        .map(|r| {
            let full = vis.all
                || own_chain.contains(&r.owner_organization_id)
                || r.assignee_organization_id.as_deref() == Some(vis.organization_id.as_str());
            let status = r.status();
            let due_at = utc(r.due_at);
            Ticket {
                category: TicketCategory::parse(&r.category).unwrap_or(TicketCategory::Other),
                priority: r.priority(),
                source: TicketSource::parse(&r.source).unwrap_or(TicketSource::Visit),
                reporter_phone: if full { r.reporter_phone } else { r.reporter_phone.as_deref().map(mask_phone) },
                reporter_email: if full { r.reporter_email } else { r.reporter_email.as_deref().map(mask_email) },
                reporter_masked: !full,
                status,
                overdue: is_overdue(status, due_at, at),
                due_at,
                id: r.id,
                owner_organization_id: r.owner_organization_id,
                title: r.title,
                description: r.description,
                enterprise_id: r.enterprise_id,
                project_id: r.project_id,
                visit_id: r.visit_id,
                reporter_name: r.reporter_name,
                assignee_organization_id: r.assignee_organization_id,
                assignee_user_id: r.assignee_user_id,
                claimed_by_user_id: r.claimed_by_user_id,
                escalation_level: r.escalation_level,
                escalated_to_organization_id: r.escalated_to_organization_id,
                due_provisional: r.due_provisional,
                resolution: r.resolution,
                resolved_at: r.resolved_at.map(utc),
                confirmed_at: r.confirmed_at.map(utc),
                satisfaction: r.satisfaction,
                reopen_count: r.reopen_count,
                version: r.version,
                created_by: r.created_by,
                created_at: utc(r.created_at),
                updated_at: utc(r.updated_at),
            }
        })
        .collect())
}

pub fn get(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<Ticket> {
    let row = load_row(conn, vis, id)?;
    to_tickets(conn, vis, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    f: &TicketFilter,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<Entry<Ticket>>> {
    let mut q = visible(vis);
    if !f.include_deleted {
        q = q.filter(tickets::deleted_at.is_null());
    }
    if let Some(o) = &f.owner_organization_id {
        q = if f.include_descendants {
            q.filter(tickets::owner_organization_id.eq_any(subtree_ids!(o.clone())))
        } else {
            q.filter(tickets::owner_organization_id.eq(o.clone()))
        };
    }
    if let Some(a) = &f.assignee_organization_id {
        q = q.filter(tickets::assignee_organization_id.eq(a.clone()));
    }
    if let Some(u) = &f.assignee_user_id {
        q = q.filter(tickets::assignee_user_id.eq(u.clone()));
    }
    if !f.statuses.is_empty() {
        q = q.filter(tickets::status.eq_any(f.statuses.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>()));
    }
    if let Some(c) = f.category {
        q = q.filter(tickets::category.eq(c.as_str()));
    }
    if let Some(p) = f.priority {
        q = q.filter(tickets::priority.eq(p.as_str()));
    }
    if let Some(overdue) = f.overdue {
        let t = now();
        q = if overdue {
            q.filter(tickets::status.eq_any(UNRESOLVED)).filter(tickets::due_at.lt(t))
        } else {
            q.filter(tickets::status.ne_all(UNRESOLVED).or(tickets::due_at.ge(t)))
        };
    }
    if let Some(e) = &f.enterprise_id {
        q = q.filter(tickets::enterprise_id.eq(e.clone()));
    }
    if let Some(p) = &f.project_id {
        q = q.filter(tickets::project_id.eq(p.clone()));
    }
    if let Some(v) = &f.visit_id {
        q = q.filter(tickets::visit_id.eq(v.clone()));
    }
    if let Some(t) = f.created_from {
        q = q.filter(tickets::created_at.ge(t));
    }
    if let Some(t) = f.created_to {
        q = q.filter(tickets::created_at.lt(t));
    }
    if let Some(ts) = f.updated_since {
        q = q.filter(tickets::updated_at.ge(ts));
    }
    let q = keyset!(q, tickets::id, tickets::updated_at, order, &page.after);
    let rows: Vec<TicketRow> = q.limit(page.limit + 1).select(TicketRow::as_select()).load(conn)?;
    let rows = Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at));
    let items = entries(
        rows.items,
        |r| (r.id.clone(), r.deleted_at, r.version),
        |live| to_tickets(conn, vis, live),
        |t| t.id.clone(),
    )?;
    Ok(Page { items, next: rows.next })
}

/// The timeline of a visible ticket, oldest first.
pub fn events(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<Vec<TicketEvent>> {
    load_row(conn, vis, id)?;
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<i32>,
        String,
        NaiveDateTime,
    );
    let rows: Vec<Row> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .order(ticket_events::id.asc())
        .select((
            ticket_events::id,
            ticket_events::ticket_id,
            ticket_events::kind,
            ticket_events::actor_id,
            ticket_events::from_status,
            ticket_events::to_status,
            ticket_events::organization_id,
            ticket_events::user_id,
            ticket_events::satisfaction,
            ticket_events::note,
            ticket_events::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, ticket_id, kind, actor_id, from, to, organization_id, user_id, satisfaction, note, created_at)| {
            TicketEvent {
                id,
                ticket_id,
                kind: TicketEventKind::parse(&kind).unwrap_or(TicketEventKind::Comment),
                actor_id,
                from_status: TicketStatus::parse(&from),
                to_status: TicketStatus::parse(&to).unwrap_or(TicketStatus::Open),
                organization_id,
                user_id,
                satisfaction,
                note,
                created_at: utc(created_at),
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Writing

fn time_zone(conn: &mut DbConn, org: &str) -> StoreResult<String> {
    Ok(organizations::table.filter(organizations::id.eq(org)).select(organizations::time_zone).first(conn)?)
}

/// The deadline of a ticket of `owner` with `priority` reported at `reported`: the owner's
/// working days for the priority, counted on the working calendar in the owner's time zone.
fn deadline(
    conn: &mut DbConn,
    owner: &str,
    priority: Priority,
    reported: DateTime<Utc>,
) -> StoreResult<(NaiveDateTime, bool)> {
    let calendar = crate::calendar::load(conn)?;
    let days = crate::calendar::working_days_for(conn, owner, priority)?;
    let tz = time_zone(conn, owner)?;
    let (due, provisional) = calendar.due(reported, &tz, days);
    Ok((due.naive_utc(), provisional))
}

struct EventRecord<'a> {
    kind: TicketEventKind,
    from: Option<TicketStatus>,
    to: TicketStatus,
    organization_id: Option<&'a str>,
    user_id: Option<&'a str>,
    satisfaction: Option<i32>,
    note: &'a str,
}

fn record_event(
    conn: &mut DbConn,
    ticket_id: &str,
    actor: &str,
    at: NaiveDateTime,
    e: EventRecord<'_>,
) -> StoreResult<()> {
    diesel::insert_into(ticket_events::table)
        .values((
            ticket_events::id.eq(new_id()),
            ticket_events::ticket_id.eq(ticket_id),
            ticket_events::kind.eq(e.kind.as_str()),
            ticket_events::actor_id.eq(actor),
            ticket_events::from_status.eq(e.from.map(|s| s.as_str()).unwrap_or("")),
            ticket_events::to_status.eq(e.to.as_str()),
            ticket_events::organization_id.eq(e.organization_id),
            ticket_events::user_id.eq(e.user_id),
            ticket_events::satisfaction.eq(e.satisfaction),
            ticket_events::note.eq(e.note),
            ticket_events::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Checks the links of a new ticket: each must be a record the caller sees (else 404).
fn check_links(conn: &mut DbConn, caller: &Caller, vis: &Visibility, cmd: &NewTicket) -> StoreResult<()> {
    if let Some(e) = &cmd.enterprise_id {
        crate::enterprises::get(conn, vis, e)?;
    }
    if let Some(p) = &cmd.project_id {
        crate::projects::get(conn, vis, p)?;
    }
    if let Some(v) = &cmd.visit_id {
        crate::visits::get(conn, caller, vis, v)?;
    }
    Ok(())
}

/// Creates a ticket owned by the caller's organization or a subordinate it may act for, due
/// by the owner's deadline for its priority on the working calendar. Records a `created` event.
pub fn create(conn: &mut DbConn, caller: &Caller, vis: &Visibility, cmd: NewTicket) -> StoreResult<Ticket> {
    crate::orgs::get(conn, vis, &cmd.owner_organization_id)?;
    check_write(conn, caller, &cmd.owner_organization_id, Scope::TicketsWrite)?;
    let t = now();
    let reported = match cmd.reported_at {
        Some(r) => r.trunc_subsecs(6),
        None => utc(t),
    };
    if reported.naive_utc() > t {
        return Err(DomainError::invalid("/reported_at", "future", "the report time cannot lie in the future").into());
    }
    check_links(conn, caller, vis, &cmd)?;
    let id = cmd.id.clone().unwrap_or_else(new_id);
    let taken: i64 = tickets::table.filter(tickets::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("ticket {id} already exists")).into());
    }
    let (due_at, due_provisional) = deadline(conn, &cmd.owner_organization_id, cmd.priority, reported)?;
    let row = TicketRow {
        id: id.clone(),
        owner_organization_id: cmd.owner_organization_id,
        title: cmd.title,
        description: cmd.description,
        category: cmd.category.as_str().to_owned(),
        priority: cmd.priority.as_str().to_owned(),
        source: cmd.source.as_str().to_owned(),
        enterprise_id: cmd.enterprise_id,
        project_id: cmd.project_id,
        visit_id: cmd.visit_id,
        reporter_name: cmd.reporter_name,
        reporter_phone: cmd.reporter_phone,
        reporter_email: cmd.reporter_email,
        status: TicketStatus::Open.as_str().to_owned(),
        assignee_organization_id: None,
        assignee_user_id: None,
        claimed_by_user_id: None,
        escalation_level: 0,
        escalated_to_organization_id: None,
        due_at,
        due_provisional,
        resolution: None,
        resolved_at: None,
        confirmed_at: None,
        satisfaction: None,
        reopen_count: 0,
        version: 1,
        created_by: caller.principal_id.clone(),
        created_at: reported.naive_utc(),
        updated_at: t,
        deleted_at: None,
    };
    diesel::insert_into(tickets::table).values(&row).execute(conn)?;
    record_event(
        conn,
        &id,
        &caller.principal_id,
        t,
        EventRecord {
            kind: TicketEventKind::Created,
            from: None,
            to: TicketStatus::Open,
            organization_id: None,
            user_id: None,
            satisfaction: None,
            note: "",
        },
    )?;
    get(conn, vis, &id)
}

/// Changes title, description, category or priority (the owner's writers only). A new
/// priority recomputes the deadline from the report time.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    patch: TicketPatch,
    if_match: Option<i64>,
) -> StoreResult<Ticket> {
    lock_for_write(conn, id)?;
    let current = load_row(conn, vis, id)?;
    check_write(conn, caller, &current.owner_organization_id, Scope::TicketsWrite)?;
    check_version(if_match, current.version)?;
    let priority = patch.priority.unwrap_or(current.priority());
    let (due_at, due_provisional) = if priority != current.priority() {
        deadline(conn, &current.owner_organization_id, priority, utc(current.created_at))?
    } else {
        (current.due_at, current.due_provisional)
    };
    diesel::update(tickets::table.filter(tickets::id.eq(id)))
        .set((
            tickets::title.eq(patch.title.unwrap_or(current.title)),
            tickets::description.eq(patch.description.unwrap_or(current.description)),
            tickets::category.eq(patch.category.map(|c| c.as_str().to_owned()).unwrap_or(current.category)),
            tickets::priority.eq(priority.as_str()),
            tickets::due_at.eq(due_at),
            tickets::due_provisional.eq(due_provisional),
            tickets::version.eq(current.version + 1),
            tickets::updated_at.eq(now()),
        ))
        .execute(conn)?;
    get(conn, vis, id)
}

/// Soft delete (the owner's writers only): the ticket then answers 404 and leaves a tombstone.
pub fn delete(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    if_match: Option<i64>,
) -> StoreResult<()> {
    lock_for_write(conn, id)?;
    let current = load_row(conn, vis, id)?;
    check_write(conn, caller, &current.owner_organization_id, Scope::TicketsWrite)?;
    check_version(if_match, current.version)?;
    let t = now();
    diesel::update(tickets::table.filter(tickets::id.eq(id)))
        .set((tickets::deleted_at.eq(Some(t)), tickets::version.eq(current.version + 1), tickets::updated_at.eq(t)))
        .execute(conn)?;
    Ok(())
}

/// The organization a ticket at `level` escalates to: the owner's ancestor `level + 1` steps
/// up (its parent first), if there is one.
fn escalation_target(conn: &mut DbConn, owner: &str, level: i32) -> StoreResult<Option<String>> {
    Ok(org_closure::table
        .filter(org_closure::descendant_id.eq(owner))
        .filter(org_closure::depth.eq(level + 1))
        .select(org_closure::ancestor_id)
        .first(conn)
        .optional()?)
}

/// What the caller may do with the ticket (see [`Rights`]).
fn rights(conn: &mut DbConn, caller: &Caller, row: &TicketRow) -> StoreResult<Rights> {
    let leader = is_leader(caller);
    let owner_rel = relation(conn, caller, &row.owner_organization_id)?;
    let (assignee_worker, assignee_leader) = match &row.assignee_organization_id {
        Some(a) => {
            let rel = relation(conn, caller, a)?;
            (
                may_edit_records(caller, rel, Scope::TicketsWrite),
                leader && (caller.is_sysadmin() || rel != Relation::Other),
            )
        }
        None => (false, false),
    };
    Ok(Rights {
        owner_writer: may_edit_records(caller, owner_rel, Scope::TicketsWrite),
        owner_leader: leader && (caller.is_sysadmin() || owner_rel != Relation::Other),
        assignee_worker,
        assignee_leader,
        claimer: caller.kind == PrincipalKind::User && row.claimed_by_user_id.as_deref() == Some(&caller.principal_id),
        commenter: caller.kind == PrincipalKind::User || caller.scopes.contains(&Scope::TicketsWrite),
    })
}

/// Whether `target` may receive a ticket of `owner`: an organization of the owner's subtree,
/// or an active member of an alliance in which the owner (or one of its ancestors) is an
/// active member. An invited partner that has not accepted receives nothing.
fn assignable(conn: &mut DbConn, owner: &str, target: &str) -> StoreResult<bool> {
    if crate::orgs::in_subtree(conn, owner, target)? {
        return Ok(true);
    }
    let owners_alliances: Vec<String> = alliance_members::table
        .filter(alliance_members::state.eq("active"))
        .filter(alliance_members::organization_id.eq_any(ancestor_ids!(owner.to_owned())))
        .select(alliance_members::alliance_id)
        .load(conn)?;
    let n: i64 = alliance_members::table
        .filter(alliance_members::state.eq("active"))
        .filter(alliance_members::organization_id.eq(target))
        .filter(alliance_members::alliance_id.eq_any(owners_alliances))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The latest instant a resolution may not precede: the report, or the last reopening.
fn worked_since(conn: &mut DbConn, row: &TicketRow) -> StoreResult<NaiveDateTime> {
    let reopened: Option<NaiveDateTime> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(&row.id))
        .filter(ticket_events::kind.eq(TicketEventKind::Reopen.as_str()))
        .select(diesel::dsl::max(ticket_events::created_at))
        .first(conn)?;
    Ok(reopened.map_or(row.created_at, |r| r.max(row.created_at)))
}

/// Makes one workflow move: checks it against the rules (409 listing the allowed moves, 403,
/// 422), changes the ticket and records the event, in the caller's transaction.
pub fn act(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    cmd: MoveCommand,
    if_match: Option<i64>,
) -> StoreResult<Ticket> {
    lock_for_write(conn, id)?;
    let row = load_row(conn, vis, id)?;
    check_version(if_match, row.version)?;
    let from = row.status();
    let target = escalation_target(conn, &row.owner_organization_id, row.escalation_level)?;
    let state = WorkflowState {
        status: from,
        assigned: row.assignee_organization_id.is_some(),
        claimed: row.claimed_by_user_id.is_some(),
        can_escalate: target.is_some(),
    };
    let rights = rights(conn, caller, &row)?;
    let mv = match &cmd {
        MoveCommand::Assign { .. } => Move::Assign,
        MoveCommand::Accept { .. } => Move::Accept,
        MoveCommand::Resolve { resolution, .. } => Move::Resolve { resolution },
        MoveCommand::Confirm { satisfaction, .. } => Move::Confirm { satisfaction: *satisfaction },
        MoveCommand::Reopen { reason } => Move::Reopen { reason },
        MoveCommand::Escalate { reason } => Move::Escalate { reason },
        MoveCommand::Claim { .. } => Move::Claim,
        MoveCommand::Comment { note } => Move::Comment { note },
    };
    let to = plan_move(state, rights, mv)?;
    let t = now();
    let bump = (tickets::status.eq(to.as_str()), tickets::version.eq(row.version + 1), tickets::updated_at.eq(t));
    let one = tickets::table.filter(tickets::id.eq(id));
    let mut event = EventRecord {
        kind: mv.kind(),
        from: Some(from),
        to,
        organization_id: None,
        user_id: None,
        satisfaction: None,
        note: "",
    };
    match &cmd {
        MoveCommand::Assign { organization_id, user_id, note } => {
            if !assignable(conn, &row.owner_organization_id, organization_id)? {
                return Err(DomainError::invalid(
                    "/organization_id",
                    "not_assignable",
                    "a ticket is assigned within the owner organization's subtree or to an active alliance partner",
                )
                .into());
            }
            if let Some(u) = user_id {
                let n: i64 = users::table
                    .filter(users::id.eq(u))
                    .filter(users::organization_id.eq(organization_id))
                    .filter(users::disabled.eq(false))
                    .count()
                    .get_result(conn)?;
                if n == 0 {
                    return Err(DomainError::invalid(
                        "/user_id",
                        "not_in_organization",
                        "the user must be an active user of the organization assigned",
                    )
                    .into());
                }
            }
            diesel::update(one)
                .set((
                    bump,
                    tickets::assignee_organization_id.eq(organization_id),
                    tickets::assignee_user_id.eq(user_id),
                ))
                .execute(conn)?;
            event.organization_id = Some(organization_id);
            event.user_id = user_id.as_deref();
            event.note = note;
        }
        MoveCommand::Accept { note } | MoveCommand::Claim { note } | MoveCommand::Comment { note } => {
            if matches!(cmd, MoveCommand::Claim { .. }) {
                diesel::update(one).set((bump, tickets::claimed_by_user_id.eq(&caller.principal_id))).execute(conn)?;
                event.user_id = Some(&caller.principal_id);
            } else {
                diesel::update(one).set(bump).execute(conn)?;
            }
            event.note = note;
        }
        MoveCommand::Resolve { resolution, resolved_at } => {
            let at = resolved_at.map_or(t, |r| r.trunc_subsecs(6).naive_utc());
            if at > t {
                return Err(DomainError::invalid(
                    "/resolved_at",
                    "future",
                    "the resolution time cannot lie in the future",
                )
                .into());
            }
            if at < worked_since(conn, &row)? {
                return Err(DomainError::invalid(
                    "/resolved_at",
                    "before_report",
                    "the resolution time cannot precede the report or the last reopening",
                )
                .into());
            }
            diesel::update(one)
                .set((bump, tickets::resolution.eq(resolution), tickets::resolved_at.eq(Some(at))))
                .execute(conn)?;
            event.note = resolution;
        }
        MoveCommand::Confirm { satisfaction, note } => {
            diesel::update(one)
                .set((bump, tickets::satisfaction.eq(Some(*satisfaction)), tickets::confirmed_at.eq(Some(t))))
                .execute(conn)?;
            event.satisfaction = Some(*satisfaction);
            event.note = note;
        }
        MoveCommand::Reopen { reason } => {
            diesel::update(one)
                .set((
                    bump,
                    tickets::reopen_count.eq(row.reopen_count + 1),
                    tickets::resolution.eq(None::<String>),
                    tickets::resolved_at.eq(None::<NaiveDateTime>),
                    tickets::confirmed_at.eq(None::<NaiveDateTime>),
                    tickets::satisfaction.eq(None::<i32>),
                ))
                .execute(conn)?;
            event.note = reason;
        }
        MoveCommand::Escalate { reason } => {
            diesel::update(one)
                .set((
                    bump,
                    tickets::escalation_level.eq(row.escalation_level + 1),
                    tickets::escalated_to_organization_id.eq(&target),
                ))
                .execute(conn)?;
            event.organization_id = target.as_deref();
            event.note = reason;
        }
    }
    record_event(conn, id, &caller.principal_id, t, event)?;
    get(conn, vis, id)
}

// ---------------------------------------------------------------------------------------------
// Escalation

/// Escalates, one level, every unresolved ticket whose `due_at + grace × (level + 1)` lies
/// before `now`, to the owner's ancestor one step above its current level (tickets with no
/// organization above stay), recording an `escalate` event by [`SYSTEM_ACTOR`]. Returns how
/// many were escalated.
///
/// Safe with several instances running it at once: each ticket is escalated by a conditional
/// `UPDATE … WHERE id = ? AND escalation_level = <the level read>` in its own transaction, so
/// of two concurrent runs that read the same level only one changes the row (PostgreSQL
/// re-checks the condition after the other's commit; SQLite serializes writers) and only the
/// run that changed it records the event.
pub fn escalate_overdue(conn: &mut DbConn, now: DateTime<Utc>, grace: chrono::Duration) -> StoreResult<usize> {
    let at = now.naive_utc().trunc_subsecs(6);
    let candidates: Vec<(String, String, i32, NaiveDateTime)> = tickets::table
        .filter(tickets::deleted_at.is_null())
        .filter(tickets::status.eq_any(UNRESOLVED))
        .filter(tickets::due_at.lt(at - grace))
        .order(tickets::id.asc())
        .select((tickets::id, tickets::owner_organization_id, tickets::escalation_level, tickets::due_at))
        .load(conn)?;
    let mut escalated = 0;
    for (id, owner, level, due_at) in candidates {
        let threshold = grace.checked_mul(level.saturating_add(1)).map(|g| due_at + g);
        if threshold.is_none_or(|th| th >= at) {
            continue;
        }
        let Some(target) = escalation_target(conn, &owner, level)? else { continue };
        let changed = crate::db::write_tx(conn, |c| -> StoreResult<usize> {
            let t = crate::now();
            let n = diesel::update(
                tickets::table
                    .filter(tickets::id.eq(&id))
                    .filter(tickets::escalation_level.eq(level))
                    .filter(tickets::status.eq_any(UNRESOLVED))
                    .filter(tickets::deleted_at.is_null()),
            )
            .set((
                tickets::escalation_level.eq(level + 1),
                tickets::escalated_to_organization_id.eq(&target),
                tickets::version.eq(tickets::version + 1),
                tickets::updated_at.eq(t),
            ))
            .execute(c)?;
            if n == 1 {
                let status: String = tickets::table.filter(tickets::id.eq(&id)).select(tickets::status).first(c)?;
                let status = TicketStatus::parse(&status).unwrap_or(TicketStatus::Open);
                let note = format!(
                    "overdue since {} UTC: escalated automatically to level {}",
                    due_at.format("%Y-%m-%d %H:%M"),
                    level + 1
                );
                record_event(
                    c,
                    &id,
                    SYSTEM_ACTOR,
                    t,
                    EventRecord {
                        kind: TicketEventKind::Escalate,
                        from: Some(status),
                        to: status,
                        organization_id: Some(&target),
                        user_id: None,
                        satisfaction: None,
                        note: &note,
                    },
                )?;
            }
            Ok(n)
        })?;
        escalated += changed;
    }
    Ok(escalated)
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// The metrics of the tickets owned by `org_id` and its descendants reported in `[from, to)`
/// (dates in the organization's time zone). The caller must see the organization and have it
/// in its own subtree (or be a sysadmin).
///
/// The rows are selected in SQL (visibility and the period in the WHERE clause) and the
/// figures computed in Rust: a period holds at most some thousands of tickets per
/// organization, and the median and the working-hours count are simpler and identical on both
/// backends that way.
pub fn metrics(
    conn: &mut DbConn,
    vis: &Visibility,
    org_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<TicketMetrics> {
    let org = crate::orgs::get(conn, vis, org_id)?;
    if !vis.all && !crate::orgs::in_subtree(conn, &vis.organization_id, org_id)? {
        return Err(DomainError::forbidden("ticket metrics cover your organization and its descendants").into());
    }
    let offset = chrono::Duration::hours(utc_offset_hours(&org.time_zone));
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default() - offset;
    let end = to.and_hms_opt(0, 0, 0).unwrap_or_default() - offset;
    type Row = (String, String, String, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>, Option<i32>, i32);
    let rows: Vec<Row> = visible(vis)
        .filter(tickets::deleted_at.is_null())
        .filter(tickets::owner_organization_id.eq_any(subtree_ids!(org_id.to_owned())))
        .filter(tickets::created_at.ge(start))
        .filter(tickets::created_at.lt(end))
        .select((
            tickets::owner_organization_id,
            tickets::status,
            tickets::category,
            tickets::created_at,
            tickets::due_at,
            tickets::resolved_at,
            tickets::satisfaction,
            tickets::reopen_count,
        ))
        .load(conn)?;
    let owners: Vec<String> = rows.iter().map(|r| r.0.clone()).collect::<HashSet<_>>().into_iter().collect();
    let zones: HashMap<String, String> = organizations::table
        .filter(organizations::id.eq_any(owners))
        .select((organizations::id, organizations::time_zone))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let input: Vec<MetricsRow> = rows
        .into_iter()
        .map(|(owner, status, category, created_at, due_at, resolved_at, satisfaction, reopen_count)| MetricsRow {
            status: TicketStatus::parse(&status).unwrap_or(TicketStatus::Open),
            category: TicketCategory::parse(&category).unwrap_or(TicketCategory::Other),
            created_at: utc(created_at),
            due_at: utc(due_at),
            resolved_at: resolved_at.map(utc),
            satisfaction,
            reopen_count,
            time_zone: zones.get(&owner).cloned().unwrap_or_else(|| org.time_zone.clone()),
        })
        .collect();
    let calendar = crate::calendar::load(conn)?;
    Ok(compute_metrics(&input, &calendar))
}
