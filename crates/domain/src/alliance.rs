//! Alliances (党建联盟): groups of organizations that share records.

use crate::{labeled_enum, DomainError};

labeled_enum! {
    /// State of an organization's membership in an alliance. Only `active` members share.
    pub enum MembershipState {
        Invited = ("invited", "已邀请", "Invited"),
        Active = ("active", "已加入", "Active"),
        Left = ("left", "已退出", "Left"),
        Removed = ("removed", "已移除", "Removed"),
    }
}

/// What may happen to a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipAction {
    Invite,
    Accept,
    Leave,
    Remove,
}

/// The state a membership moves to, or a conflict naming why it cannot.
/// `current` is `None` when the organization was never invited.
pub fn next_membership_state(
    current: Option<MembershipState>,
    action: MembershipAction,
    is_founder: bool,
) -> Result<MembershipState, DomainError> {
    use MembershipAction as A;
    use MembershipState as S;
    let refuse = |detail: &str| Err(DomainError::conflict("INVALID_MEMBERSHIP_STATE", detail.to_owned()));
    match (current, action) {
        (_, A::Leave | A::Remove) if is_founder => refuse("the founding organization cannot leave or be removed"),
        (None | Some(S::Left | S::Removed), A::Invite) => Ok(S::Invited),
        (Some(S::Invited | S::Active), A::Invite) => refuse("the organization is already invited or a member"),
        (Some(S::Invited), A::Accept) => Ok(S::Active),
        (Some(S::Active), A::Accept) => refuse("the invitation was already accepted"),
        (Some(S::Invited | S::Active), A::Leave) => Ok(S::Left),
        (Some(S::Invited | S::Active), A::Remove) => Ok(S::Removed),
        (None, _) => Err(DomainError::NotFound),
        (Some(S::Left | S::Removed), _) => refuse("the membership has ended; invite the organization again"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MembershipAction as A;
    use MembershipState as S;

    #[test]
    fn membership_machine() {
        assert_eq!(next_membership_state(None, A::Invite, false), Ok(S::Invited));
        assert_eq!(next_membership_state(Some(S::Invited), A::Accept, false), Ok(S::Active));
        assert_eq!(next_membership_state(Some(S::Active), A::Leave, false), Ok(S::Left));
        assert_eq!(next_membership_state(Some(S::Active), A::Remove, false), Ok(S::Removed));
        assert_eq!(next_membership_state(Some(S::Left), A::Invite, false), Ok(S::Invited));
        assert!(next_membership_state(Some(S::Active), A::Invite, false).is_err());
        assert!(next_membership_state(Some(S::Left), A::Accept, false).is_err());
        assert!(next_membership_state(Some(S::Active), A::Leave, true).is_err());
        assert_eq!(next_membership_state(None, A::Accept, false), Err(DomainError::NotFound));
    }
}

/// One organization's membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub organization_id: String,
    pub organization_name: String,
    pub state: MembershipState,
    pub invited_at: chrono::DateTime<chrono::Utc>,
    pub joined_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An alliance with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alliance {
    pub id: String,
    pub name: String,
    pub description: String,
    pub founder_organization_id: String,
    pub members: Vec<Membership>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
