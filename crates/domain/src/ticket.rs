//! Problem tickets (问题 / 诉求工单): what an enterprise needs solved, tracked until the
//! enterprise confirms it solved.

use crate::labeled_enum;

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
