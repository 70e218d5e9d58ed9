//! Who is calling and what the role table of DESIGN.md §2 lets them do.

use crate::labeled_enum;

labeled_enum! {
    /// A role of a user within its organization (DESIGN.md §2).
    pub enum Role {
        Sysadmin = ("sysadmin", "平台管理员", "Platform administrator"),
        OrgAdmin = ("org_admin", "单位管理员", "Organization administrator"),
        Leader = ("leader", "领导", "Leader"),
        Officer = ("officer", "招商专员", "Investment officer"),
        PartySecretary = ("party_secretary", "支部书记", "Party branch secretary"),
        Member = ("member", "党员", "Party member"),
        Viewer = ("viewer", "只读", "Viewer"),
    }
}

labeled_enum! {
    /// A permission granted to a service account (partner system).
    pub enum Scope {
        OrganizationsRead = ("organizations:read", "读取单位与联盟", "Read organizations and alliances"),
        EnterprisesRead = ("enterprises:read", "读取企业", "Read enterprises"),
        EnterprisesWrite = ("enterprises:write", "写入企业", "Write enterprises"),
        ProjectsRead = ("projects:read", "读取项目", "Read projects"),
        ProjectsWrite = ("projects:write", "写入项目", "Write projects"),
        VisitsRead = ("visits:read", "读取走访", "Read visits"),
        VisitsWrite = ("visits:write", "写入走访", "Write visits"),
        TicketsRead = ("tickets:read", "读取工单", "Read tickets"),
        TicketsWrite = ("tickets:write", "处理工单", "Write tickets"),
        PartyRead = ("party:read", "读取党建", "Read party branches and activities"),
        PartyWrite = ("party:write", "写入党建", "Write party branches and activities"),
    }
}

/// A user (person) or a service account (partner system).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Service,
}

/// The authenticated caller of one request, loaded fresh from the database each request so a
/// disabled account or a changed role takes effect at once.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal_id: String,
    pub kind: PrincipalKind,
    pub organization_id: String,
    pub roles: Vec<Role>,
    pub scopes: Vec<Scope>,
}

impl Caller {
    pub fn is_sysadmin(&self) -> bool {
        self.kind == PrincipalKind::User && self.roles.contains(&Role::Sysadmin)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.kind == PrincipalKind::User && self.roles.contains(&role)
    }

    /// May administer organizations, users, service accounts and alliances of its subtree.
    /// Service accounts never administer.
    pub fn is_admin(&self) -> bool {
        self.is_sysadmin() || self.has_role(Role::OrgAdmin)
    }

    /// May read records of the given area: every user may read; a service account needs the scope.
    pub fn may_read(&self, scope: Scope) -> bool {
        match self.kind {
            PrincipalKind::User => true,
            PrincipalKind::Service => self.scopes.contains(&scope),
        }
    }
}

/// How the caller's organization relates to a record's owner organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The owner is the caller's own organization.
    Own,
    /// The owner is a descendant of the caller's organization.
    Superior,
    /// Anything else (alliance partner, ancestor, stranger).
    Other,
}

/// Whether the caller may create or change investment records (enterprises, projects, fund
/// arrivals, signing events, visits, tickets) owned by an organization in `relation` to it
/// (DESIGN.md §2): officers, leaders and org admins of the owner; leaders and org admins of a
/// superior; sysadmins; a service account with `write_scope` for its own organization.
pub fn may_edit_records(caller: &Caller, relation: Relation, write_scope: Scope) -> bool {
    if caller.is_sysadmin() {
        return true;
    }
    match (caller.kind, relation) {
        (PrincipalKind::Service, Relation::Own) => caller.scopes.contains(&write_scope),
        (PrincipalKind::Service, _) => false,
        (PrincipalKind::User, Relation::Own) => {
            caller.roles.iter().any(|r| matches!(r, Role::Officer | Role::Leader | Role::OrgAdmin))
        }
        (PrincipalKind::User, Relation::Superior) => {
            caller.roles.iter().any(|r| matches!(r, Role::Leader | Role::OrgAdmin))
        }
        (PrincipalKind::User, Relation::Other) => false,
    }
}

/// Leaders (and sysadmins) move project stages backward and reopen dropped projects.
pub fn is_leader(caller: &Caller) -> bool {
    caller.is_sysadmin() || caller.has_role(Role::Leader)
}

/// Roles a caller may grant to a user: a sysadmin grants any, an org admin any but sysadmin.
pub fn may_grant(caller: &Caller, role: Role) -> bool {
    caller.is_sysadmin() || (caller.has_role(Role::OrgAdmin) && role != Role::Sysadmin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(kind: PrincipalKind, roles: Vec<Role>, scopes: Vec<Scope>) -> Caller {
        Caller { principal_id: "p".into(), kind, organization_id: "o".into(), roles, scopes }
    }

    #[test]
    fn service_accounts_never_administer_even_with_roles() {
        let svc = caller(PrincipalKind::Service, vec![Role::Sysadmin, Role::OrgAdmin], vec![]);
        assert!(!svc.is_admin());
        assert!(!svc.is_sysadmin());
        assert!(!svc.may_read(Scope::OrganizationsRead));
        let svc = caller(PrincipalKind::Service, vec![], vec![Scope::OrganizationsRead]);
        assert!(svc.may_read(Scope::OrganizationsRead));
    }

    #[test]
    fn grant_table() {
        let admin = caller(PrincipalKind::User, vec![Role::OrgAdmin], vec![]);
        assert!(may_grant(&admin, Role::Leader));
        assert!(may_grant(&admin, Role::OrgAdmin));
        assert!(!may_grant(&admin, Role::Sysadmin));
        let officer = caller(PrincipalKind::User, vec![Role::Officer], vec![]);
        assert!(!may_grant(&officer, Role::Viewer));
        let sys = caller(PrincipalKind::User, vec![Role::Sysadmin], vec![]);
        assert!(may_grant(&sys, Role::Sysadmin));
    }

    #[test]
    fn record_editing_table() {
        let user = |roles: Vec<Role>| caller(PrincipalKind::User, roles, vec![]);
        let w = Scope::ProjectsWrite;
        assert!(may_edit_records(&user(vec![Role::Officer]), Relation::Own, w));
        assert!(!may_edit_records(&user(vec![Role::Officer]), Relation::Superior, w));
        assert!(may_edit_records(&user(vec![Role::Leader]), Relation::Superior, w));
        assert!(may_edit_records(&user(vec![Role::OrgAdmin]), Relation::Superior, w));
        assert!(!may_edit_records(&user(vec![Role::Viewer, Role::Member, Role::PartySecretary]), Relation::Own, w));
        assert!(!may_edit_records(&user(vec![Role::Leader, Role::OrgAdmin]), Relation::Other, w));
        assert!(may_edit_records(&user(vec![Role::Sysadmin]), Relation::Other, w));
        let svc = caller(PrincipalKind::Service, vec![], vec![Scope::ProjectsWrite]);
        assert!(may_edit_records(&svc, Relation::Own, w));
        assert!(!may_edit_records(&svc, Relation::Superior, w));
        assert!(!may_edit_records(&svc, Relation::Own, Scope::EnterprisesWrite));
    }

    #[test]
    fn scope_codes_round_trip() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(*s));
        }
    }
}
