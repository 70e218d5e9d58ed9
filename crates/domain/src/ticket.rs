//! Problem tickets (问题 / 诉求工单): what an enterprise needs solved, tracked until the
//! enterprise confirms it solved.

use chrono::{DateTime, Utc};

use crate::{labeled_enum, DomainError};

labeled_enum! {
    /// What kind of problem.
    pub enum TicketCategory {
        SiteSelection = ("site_selection", "选址", "Site selection"),
        Permits = ("permits", "证照审批", "Permits and licences"),
        LandUtilities = ("land_utilities", "要素保障", "Land and utilities"),
        Financing = ("financing", "融资", "Financing"),
        Policy = ("policy", "政策", "Policy"),
        Talent = ("talent", "人才用工", "Talent and staffing"),
        Logistics = ("logistics", "物流", "Logistics"),
        Other = ("other", "其他", "Other"),
    }
}

labeled_enum! {
    /// How urgent; sets the deadline in working days (organization-configurable).
    pub enum Priority {
        Urgent = ("urgent", "特急", "Urgent"),
        High = ("high", "紧急", "High"),
        Normal = ("normal", "一般", "Normal"),
        Low = ("low", "较低", "Low"),
    }
}

impl Priority {
    /// Default working days to resolve: urgent the same working day, high 1, normal 2, low 5.
    pub fn default_working_days(self) -> u32 {
        match self {
            Priority::Urgent => 0,
            Priority::High => 1,
            Priority::Normal => 2,
            Priority::Low => 5,
        }
    }
}

labeled_enum! {
    /// Where the ticket came from.
    pub enum TicketSource {
        Visit = ("visit", "走访", "Visit"),
        Hotline = ("hotline", "热线", "Hotline"),
        Online = ("online", "网上", "Online"),
        AlliancePartner = ("alliance_partner", "联盟单位", "Alliance partner"),
        OpenDoor = ("open_door", "开门问计", "Open-door consultation"),
    }
}

labeled_enum! {
    /// Status of a ticket. `overdue` and the escalation level are computed, not statuses.
    pub enum TicketStatus {
        Open = ("open", "待分派", "Open"),
        Assigned = ("assigned", "已分派", "Assigned"),
        InProgress = ("in_progress", "办理中", "In progress"),
        Resolved = ("resolved", "已办结", "Resolved"),
        Closed = ("closed", "已确认关闭", "Closed (confirmed)"),
    }
}

labeled_enum! {
    /// A step in a ticket's timeline.
    pub enum TicketEventKind {
        Created = ("created", "创建", "Created"),
        Assign = ("assign", "分派", "Assigned"),
        Accept = ("accept", "受理", "Accepted"),
        Resolve = ("resolve", "办结", "Resolved"),
        Confirm = ("confirm", "确认", "Confirmed by the enterprise"),
        Reopen = ("reopen", "重新打开", "Reopened"),
        Escalate = ("escalate", "升级", "Escalated"),
        Claim = ("claim", "揭榜", "Claimed by a leader"),
        Comment = ("comment", "备注", "Comment"),
    }
}

// ---------------------------------------------------------------------------------------------
// The ticket, its timeline and its metrics

/// A ticket as the caller sees it (reporter contact masked when the caller is neither in the
/// owner's chain nor the assignee organization).
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: String,
    pub owner_organization_id: String,
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
    /// The reporter's phone and e-mail are shown masked to this caller.
    pub reporter_masked: bool,
    pub status: TicketStatus,
    pub assignee_organization_id: Option<String>,
    pub assignee_user_id: Option<String>,
    pub claimed_by_user_id: Option<String>,
    pub escalation_level: i32,
    pub escalated_to_organization_id: Option<String>,
    pub due_at: DateTime<Utc>,
    pub due_provisional: bool,
    /// Not resolved or closed, and past `due_at`.
    pub overdue: bool,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i32>,
    pub reopen_count: i32,
    pub version: i64,
    pub created_by: String,
    /// When the problem was reported (the deadline counts from it).
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One step of a ticket's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub id: String,
    pub ticket_id: String,
    pub kind: TicketEventKind,
    /// The user or service account, or `system` for the escalation task.
    pub actor_id: String,
    /// `None` for `created`.
    pub from_status: Option<TicketStatus>,
    pub to_status: TicketStatus,
    /// The organization assigned to (`assign`) or escalated to (`escalate`).
    pub organization_id: Option<String>,
    /// The user assigned (`assign`) or the leader who claimed (`claim`).
    pub user_id: Option<String>,
    /// The enterprise's satisfaction (`confirm`).
    pub satisfaction: Option<i32>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// Whether a ticket in `status` due at `due_at` is overdue at `now`.
pub fn is_overdue(status: TicketStatus, due_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    !matches!(status, TicketStatus::Resolved | TicketStatus::Closed) && due_at < now
}

// ---------------------------------------------------------------------------------------------
// Workflow

/// The workflow moves (every event kind but `created`), in the order they are listed.
pub const MOVES: [TicketEventKind; 8] = [
    TicketEventKind::Assign,
    TicketEventKind::Accept,
    TicketEventKind::Resolve,
    TicketEventKind::Confirm,
    TicketEventKind::Reopen,
    TicketEventKind::Escalate,
    TicketEventKind::Claim,
    TicketEventKind::Comment,
];

/// What the rules need to know of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkflowState {
    pub status: TicketStatus,
    /// An assignee organization is set.
    pub assigned: bool,
    /// A leader has claimed it (揭榜).
    pub claimed: bool,
    /// An organization exists above the current escalation level (the owner's parent for the
    /// first escalation, its grandparent for the second …).
    pub can_escalate: bool,
}

/// What the caller may do with one ticket, computed from its roles and its organization's
/// place relative to the owner and the assignee organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights {
    /// May change the owner's records: an officer, leader or org admin of the owner, a leader
    /// or org admin of a superior, a service account of the owner with `tickets:write`, a
    /// sysadmin. Assigns and reopens.
    pub owner_writer: bool,
    /// A leader of the owner or of one of its superiors (or a sysadmin): confirms, escalates
    /// and claims.
    pub owner_leader: bool,
    /// Works for the assignee organization (an officer, leader or org admin of it, a leader or
    /// org admin of a superior of it, its service account with `tickets:write`): accepts and
    /// resolves.
    pub assignee_worker: bool,
    /// A leader of the assignee organization (or of a superior of it): claims and escalates.
    pub assignee_leader: bool,
    /// The leader who claimed the ticket: resolves it.
    pub claimer: bool,
    /// Sees the ticket and may write: comments.
    pub commenter: bool,
}

/// A move with its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move<'a> {
    /// Assign to an organization (whether it may receive the ticket is checked against the
    /// organization tree and the alliances, outside these rules).
    Assign,
    Accept,
    Resolve {
        resolution: &'a str,
    },
    Confirm {
        satisfaction: i32,
    },
    Reopen {
        reason: &'a str,
    },
    Escalate {
        reason: &'a str,
    },
    Claim,
    Comment {
        note: &'a str,
    },
}

impl Move<'_> {
    pub fn kind(&self) -> TicketEventKind {
        match self {
            Move::Assign => TicketEventKind::Assign,
            Move::Accept => TicketEventKind::Accept,
            Move::Resolve { .. } => TicketEventKind::Resolve,
            Move::Confirm { .. } => TicketEventKind::Confirm,
            Move::Reopen { .. } => TicketEventKind::Reopen,
            Move::Escalate { .. } => TicketEventKind::Escalate,
            Move::Claim => TicketEventKind::Claim,
            Move::Comment { .. } => TicketEventKind::Comment,
        }
    }
}

/// Whether the ticket's state allows a move (whoever asks).
fn legal(state: WorkflowState, kind: TicketEventKind) -> bool {
    use TicketStatus::*;
    let s = state.status;
    match kind {
        TicketEventKind::Created => false,
        TicketEventKind::Assign => matches!(s, Open | Assigned | InProgress),
        TicketEventKind::Accept => s == Assigned,
        TicketEventKind::Resolve => matches!(s, Assigned | InProgress),
        TicketEventKind::Confirm => s == Resolved,
        TicketEventKind::Reopen => matches!(s, Resolved | Closed),
        TicketEventKind::Escalate => s != Closed && state.can_escalate,
        TicketEventKind::Claim => matches!(s, Open | Assigned | InProgress) && !state.claimed,
        TicketEventKind::Comment => true,
    }
}

/// The moves a ticket's state allows, in [`MOVES`] order.
pub fn allowed_moves(state: WorkflowState) -> Vec<TicketEventKind> {
    MOVES.iter().copied().filter(|k| legal(state, *k)).collect()
}

fn required(pointer: &str, value: &str, what: &str) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        Err(DomainError::invalid(pointer, "required", format!("{what} is required")))
    } else {
        Ok(())
    }
}

/// Decides a move: the status the ticket enters, or why not. An illegal move for the
/// ticket's state is 409 `ILLEGAL_TRANSITION` listing the allowed moves; a legal move the
/// caller may not make is 403; missing input is 422.
pub fn plan_move(state: WorkflowState, rights: Rights, mv: Move<'_>) -> Result<TicketStatus, DomainError> {
    use TicketStatus::*;
    let kind = mv.kind();
    if !legal(state, kind) {
        let allowed = allowed_moves(state);
        let list = allowed.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
        let why = match kind {
            TicketEventKind::Escalate if state.status != Closed => {
                "there is no organization above the current escalation level".to_owned()
            }
            TicketEventKind::Claim if state.claimed => "the ticket is already claimed".to_owned(),
            _ => format!("cannot {kind} a ticket that is {}", state.status),
        };
        return Err(DomainError::conflict(
            "ILLEGAL_TRANSITION",
            format!("{why}; allowed from {}: {}", state.status, if list.is_empty() { "none" } else { &list }),
        ));
    }
    let forbid = |who: &str| Err(DomainError::forbidden(format!("only {who} may {kind} this ticket")));
    let reopened = if state.assigned || state.claimed { InProgress } else { Open };
    match mv {
        Move::Assign if !rights.owner_writer => forbid("the owner organization"),
        Move::Assign => Ok(Assigned),
        Move::Accept if !rights.assignee_worker => forbid("the assignee organization"),
        Move::Accept => Ok(InProgress),
        Move::Resolve { .. } if !(rights.assignee_worker || rights.claimer) => {
            forbid("the assignee organization or the leader who claimed it")
        }
        Move::Resolve { resolution } => required("/resolution", resolution, "the resolution").map(|_| Resolved),
        Move::Confirm { .. } if !rights.owner_leader => forbid("a leader of the owner organization or a superior"),
        Move::Confirm { satisfaction } if !(1..=5).contains(&satisfaction) => {
            Err(DomainError::invalid("/satisfaction", "range", "satisfaction is 1 to 5"))
        }
        Move::Confirm { .. } => Ok(Closed),
        Move::Reopen { .. } if !rights.owner_writer => forbid("the owner organization"),
        Move::Reopen { reason } => required("/reason", reason, "the reason").map(|_| reopened),
        Move::Escalate { .. } if !(rights.owner_leader || rights.assignee_leader) => {
            forbid("a leader of the owner organization, of a superior or of the assignee organization")
        }
        Move::Escalate { reason } => required("/reason", reason, "the reason").map(|_| state.status),
        Move::Claim if !(rights.owner_leader || rights.assignee_leader) => {
            forbid("a leader of the owner organization, of a superior or of the assignee organization")
        }
        Move::Claim => Ok(InProgress),
        Move::Comment { .. } if !rights.commenter => forbid("those who see it"),
        Move::Comment { note } => required("/note", note, "the note").map(|_| state.status),
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// What the metrics read of one ticket.
#[derive(Debug, Clone)]
pub struct MetricsRow {
    pub status: TicketStatus,
    pub category: TicketCategory,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i32>,
    pub reopen_count: i32,
    /// The owner organization's time zone (working days are counted in it).
    pub time_zone: String,
}

/// Figures of a set of tickets. Percentages are 0–100; every figure without data is `None`;
/// values are rounded to two decimals.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketMetrics {
    pub total: i64,
    /// Every status with its count (zeros included), in status order.
    pub by_status: Vec<(TicketStatus, i64)>,
    /// Every category with its count (zeros included), in category order.
    pub by_category: Vec<(TicketCategory, i64)>,
    /// Tickets resolved (status `resolved` or `closed`).
    pub resolved: i64,
    /// Of those, resolved by their deadline (`resolved_at <= due_at`).
    pub resolved_on_time: i64,
    pub resolved_on_time_pct: Option<f64>,
    /// Created → resolved, in hours.
    pub avg_handling_hours: Option<f64>,
    pub median_handling_hours: Option<f64>,
    /// Created → resolved, counting only the hours on working days, divided by 24.
    pub avg_handling_working_days: Option<f64>,
    pub median_handling_working_days: Option<f64>,
    /// Tickets confirmed with a satisfaction.
    pub rated: i64,
    pub avg_satisfaction: Option<f64>,
    /// Tickets reopened at least once.
    pub reopened: i64,
    /// Tickets resolved at least once (resolved now, or reopened since).
    pub ever_resolved: i64,
    /// `reopened / ever_resolved`.
    pub reopen_rate_pct: Option<f64>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn mean(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        None
    } else {
        Some(round2(v.iter().sum::<f64>() / v.len() as f64))
    }
}

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    let m = if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 };
    Some(round2(m))
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    if whole == 0 {
        None
    } else {
        Some(round2(part as f64 * 100.0 / whole as f64))
    }
}

/// Computes the metrics of a set of tickets on the working calendar.
pub fn compute_metrics(rows: &[MetricsRow], calendar: &crate::calendar::Calendar) -> TicketMetrics {
    let count_status = |s: TicketStatus| rows.iter().filter(|r| r.status == s).count() as i64;
    let count_category = |c: TicketCategory| rows.iter().filter(|r| r.category == c).count() as i64;
    let resolved: Vec<(&MetricsRow, DateTime<Utc>)> = rows
        .iter()
        .filter(|r| matches!(r.status, TicketStatus::Resolved | TicketStatus::Closed))
        .filter_map(|r| r.resolved_at.map(|t| (r, t)))
        .collect();
    let hours: Vec<f64> =
        resolved.iter().map(|(r, t)| (*t - r.created_at).num_seconds().max(0) as f64 / 3600.0).collect();
    let working_days: Vec<f64> =
        resolved.iter().map(|(r, t)| calendar.working_hours_between(r.created_at, *t, &r.time_zone) / 24.0).collect();
    let on_time = resolved.iter().filter(|(r, t)| *t <= r.due_at).count() as i64;
    let ratings: Vec<f64> = rows.iter().filter_map(|r| r.satisfaction).map(f64::from).collect();
    let reopened = rows.iter().filter(|r| r.reopen_count > 0).count() as i64;
    let ever_resolved = rows.iter().filter(|r| r.resolved_at.is_some() || r.reopen_count > 0).count() as i64;
    TicketMetrics {
        total: rows.len() as i64,
        by_status: TicketStatus::ALL.iter().map(|s| (*s, count_status(*s))).collect(),
        by_category: TicketCategory::ALL.iter().map(|c| (*c, count_category(*c))).collect(),
        resolved: resolved.len() as i64,
        resolved_on_time: on_time,
        resolved_on_time_pct: pct(on_time, resolved.len() as i64),
        avg_handling_hours: mean(&hours),
        median_handling_hours: median(&hours),
        avg_handling_working_days: mean(&working_days),
        median_handling_working_days: median(&working_days),
        rated: ratings.len() as i64,
        avg_satisfaction: mean(&ratings),
        reopened,
        ever_resolved,
        reopen_rate_pct: pct(reopened, ever_resolved),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Calendar, DayKind};
    use chrono::NaiveDate;
    use TicketEventKind as K;
    use TicketStatus::*;

    fn state(status: TicketStatus, assigned: bool) -> WorkflowState {
        WorkflowState { status, assigned, claimed: false, can_escalate: true }
    }

    fn all_rights() -> Rights {
        Rights {
            owner_writer: true,
            owner_leader: true,
            assignee_worker: true,
            assignee_leader: true,
            claimer: true,
            commenter: true,
        }
    }

    fn sample(kind: TicketEventKind) -> Move<'static> {
        match kind {
            K::Assign | K::Created => Move::Assign,
            K::Accept => Move::Accept,
            K::Resolve => Move::Resolve { resolution: "已协调供电" },
            K::Confirm => Move::Confirm { satisfaction: 5 },
            K::Reopen => Move::Reopen { reason: "企业反映仍未通电" },
            K::Escalate => Move::Escalate { reason: "超期未办" },
            K::Claim => Move::Claim,
            K::Comment => Move::Comment { note: "已电话联系" },
        }
    }

    /// The transition table, written out: (from, move) → status entered (None: illegal).
    fn expected(from: TicketStatus, assigned: bool, kind: TicketEventKind) -> Option<TicketStatus> {
        match (from, kind) {
            (Open | Assigned | InProgress, K::Assign) => Some(Assigned),
            (Assigned, K::Accept) => Some(InProgress),
            (Assigned | InProgress, K::Resolve) => Some(Resolved),
            (Resolved, K::Confirm) => Some(Closed),
            (Resolved | Closed, K::Reopen) => Some(if assigned { InProgress } else { Open }),
            (Open | Assigned | InProgress | Resolved, K::Escalate) => Some(from),
            (Open | Assigned | InProgress, K::Claim) => Some(InProgress),
            (_, K::Comment) => Some(from),
            _ => None,
        }
    }

    #[test]
    fn every_move_from_every_status() {
        for &from in TicketStatus::ALL {
            for assigned in [false, true] {
                let s = state(from, assigned);
                let allowed = allowed_moves(s);
                for kind in MOVES {
                    let got = plan_move(s, all_rights(), sample(kind));
                    match expected(from, assigned, kind) {
                        Some(to) => {
                            assert_eq!(got, Ok(to), "{kind} from {from}");
                            assert!(allowed.contains(&kind), "{kind} should be listed from {from}");
                        }
                        None => {
                            assert!(!allowed.contains(&kind), "{kind} listed from {from}");
                            match got {
                                Err(DomainError::Conflict { code: "ILLEGAL_TRANSITION", detail }) => {
                                    let listed = allowed.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
                                    assert!(detail.ends_with(&listed), "{detail} should list {listed}");
                                }
                                other => panic!("{kind} from {from}: expected 409, got {other:?}"),
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn illegal_moves_list_the_allowed_ones() {
        let err = plan_move(state(Closed, true), all_rights(), Move::Accept).unwrap_err();
        assert_eq!(
            err,
            DomainError::conflict(
                "ILLEGAL_TRANSITION",
                "cannot accept a ticket that is closed; allowed from closed: reopen, comment"
            )
        );
        let err = plan_move(state(Open, false), all_rights(), Move::Resolve { resolution: "x" }).unwrap_err();
        assert!(
            matches!(err, DomainError::Conflict { ref detail, .. }
            if detail.ends_with("allowed from open: assign, escalate, claim, comment")),
            "{err:?}"
        );
    }

    #[test]
    fn escalation_needs_an_organization_above_and_claim_happens_once() {
        let top = WorkflowState { can_escalate: false, ..state(Open, false) };
        assert!(!allowed_moves(top).contains(&K::Escalate));
        assert!(matches!(
            plan_move(top, all_rights(), Move::Escalate { reason: "x" }),
            Err(DomainError::Conflict { code: "ILLEGAL_TRANSITION", .. })
        ));
        let claimed = WorkflowState { claimed: true, ..state(InProgress, false) };
        assert!(matches!(plan_move(claimed, all_rights(), Move::Claim), Err(DomainError::Conflict { .. })));
        // A claimed, unassigned ticket reopens into the claimer's hands.
        let resolved = WorkflowState { claimed: true, ..state(Resolved, false) };
        assert_eq!(plan_move(resolved, all_rights(), Move::Reopen { reason: "x" }), Ok(InProgress));
    }

    #[test]
    fn who_may_make_each_move() {
        let none = Rights::default();
        let only = |f: fn(&mut Rights)| {
            let mut r = Rights::default();
            f(&mut r);
            r
        };
        let forbidden = |s, r, m| matches!(plan_move(s, r, m), Err(DomainError::Forbidden(_)));
        // The owner assigns and reopens; the assignee accepts and resolves; leaders confirm,
        // escalate and claim; whoever sees it comments.
        assert!(forbidden(state(Open, false), none, Move::Assign));
        assert!(plan_move(state(Open, false), only(|r| r.owner_writer = true), Move::Assign).is_ok());
        assert!(forbidden(state(Assigned, true), only(|r| r.owner_writer = true), Move::Accept));
        assert!(plan_move(state(Assigned, true), only(|r| r.assignee_worker = true), Move::Accept).is_ok());
        let resolve = Move::Resolve { resolution: "已解决" };
        assert!(forbidden(state(InProgress, true), only(|r| r.owner_writer = true), resolve));
        assert!(plan_move(state(InProgress, true), only(|r| r.claimer = true), resolve).is_ok());
        assert!(plan_move(state(InProgress, true), only(|r| r.assignee_worker = true), resolve).is_ok());
        let confirm = Move::Confirm { satisfaction: 4 };
        assert!(forbidden(state(Resolved, true), only(|r| r.assignee_worker = true), confirm));
        assert!(forbidden(state(Resolved, true), only(|r| r.assignee_leader = true), confirm));
        assert!(forbidden(state(Resolved, true), only(|r| r.owner_writer = true), confirm));
        assert!(plan_move(state(Resolved, true), only(|r| r.owner_leader = true), confirm).is_ok());
        let reopen = Move::Reopen { reason: "未解决" };
        assert!(forbidden(state(Closed, true), only(|r| r.assignee_worker = true), reopen));
        assert!(plan_move(state(Closed, true), only(|r| r.owner_writer = true), reopen).is_ok());
        let escalate = Move::Escalate { reason: "超期" };
        assert!(forbidden(state(Open, false), only(|r| r.owner_writer = true), escalate));
        assert!(plan_move(state(Open, false), only(|r| r.assignee_leader = true), escalate).is_ok());
        assert!(plan_move(state(Open, false), only(|r| r.owner_leader = true), escalate).is_ok());
        assert!(forbidden(state(Open, false), only(|r| r.owner_writer = true), Move::Claim));
        assert!(plan_move(state(Assigned, true), only(|r| r.assignee_leader = true), Move::Claim).is_ok());
        assert!(forbidden(state(Open, false), none, Move::Comment { note: "x" }));
        assert!(plan_move(state(Closed, true), only(|r| r.commenter = true), Move::Comment { note: "x" }).is_ok());
    }

    #[test]
    fn input_rules() {
        let invalid = |r: Result<TicketStatus, DomainError>, pointer: &str| match r {
            Err(DomainError::Validation(v)) => assert_eq!(v[0].pointer, pointer),
            other => panic!("expected 422 at {pointer}, got {other:?}"),
        };
        invalid(plan_move(state(InProgress, true), all_rights(), Move::Resolve { resolution: "  " }), "/resolution");
        invalid(plan_move(state(Resolved, true), all_rights(), Move::Confirm { satisfaction: 0 }), "/satisfaction");
        invalid(plan_move(state(Resolved, true), all_rights(), Move::Confirm { satisfaction: 6 }), "/satisfaction");
        invalid(plan_move(state(Resolved, true), all_rights(), Move::Reopen { reason: "" }), "/reason");
        invalid(plan_move(state(Open, false), all_rights(), Move::Escalate { reason: " " }), "/reason");
        invalid(plan_move(state(Open, false), all_rights(), Move::Comment { note: "" }), "/note");
        assert_eq!(plan_move(state(Resolved, true), all_rights(), Move::Confirm { satisfaction: 1 }), Ok(Closed));
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn overdue_is_computed() {
        let due = at("2026-01-12T16:00:00Z");
        assert!(is_overdue(InProgress, due, at("2026-01-12T16:00:01Z")));
        assert!(!is_overdue(InProgress, due, at("2026-01-12T16:00:00Z")));
        assert!(!is_overdue(Resolved, due, at("2026-02-01T00:00:00Z")));
        assert!(!is_overdue(Closed, due, at("2026-02-01T00:00:00Z")));
    }

    #[test]
    fn metrics_by_hand() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let cal = Calendar::new([(day("2026-01-01"), DayKind::Holiday)], [2026]);
        let row = |status, created: &str, due: &str, resolved: Option<&str>, sat, reopen| MetricsRow {
            status,
            category: TicketCategory::Permits,
            created_at: at(created),
            due_at: at(due),
            resolved_at: resolved.map(at),
            satisfaction: sat,
            reopen_count: reopen,
            time_zone: "Asia/Shanghai".to_owned(),
        };
        let rows = vec![
            // Friday 2026-01-09 10:00 → Monday 2026-01-12 10:00 Beijing: 72 h, 14 + 10 = 24 working hours.
            row(Closed, "2026-01-09T02:00:00Z", "2026-01-12T16:00:00Z", Some("2026-01-12T02:00:00Z"), Some(5), 0),
            // Wednesday 2025-12-31 → Friday 2026-01-02 (10:00 each): 48 h, 14 + 10 working (New Year off).
            row(Resolved, "2025-12-31T02:00:00Z", "2026-01-01T16:00:00Z", Some("2026-01-02T02:00:00Z"), None, 1),
            row(InProgress, "2026-01-05T02:00:00Z", "2026-01-06T16:00:00Z", None, None, 1),
            row(Open, "2026-01-05T02:00:00Z", "2026-01-06T16:00:00Z", None, None, 0),
        ];
        let m = compute_metrics(&rows, &cal);
        assert_eq!(m.total, 4);
        assert_eq!(m.by_status, vec![(Open, 1), (Assigned, 0), (InProgress, 1), (Resolved, 1), (Closed, 1)]);
        assert_eq!(
            m.by_category.iter().find(|(c, _)| *c == TicketCategory::Permits),
            Some(&(TicketCategory::Permits, 4))
        );
        assert_eq!((m.resolved, m.resolved_on_time, m.resolved_on_time_pct), (2, 1, Some(50.0)));
        assert_eq!((m.avg_handling_hours, m.median_handling_hours), (Some(60.0), Some(60.0)));
        assert_eq!(m.avg_handling_working_days, Some(1.0));
        assert_eq!((m.rated, m.avg_satisfaction), (1, Some(5.0)));
        // Reopened at least once: 2 of the 3 tickets ever resolved.
        assert_eq!((m.reopened, m.ever_resolved, m.reopen_rate_pct), (2, 3, Some(66.67)));
        let empty = compute_metrics(&[], &cal);
        assert_eq!((empty.total, empty.resolved_on_time_pct, empty.avg_handling_hours), (0, None, None));
    }
}
