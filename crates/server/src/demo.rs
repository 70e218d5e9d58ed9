//! Demo data from the seed articles: the Yunnan → Dehong → Ruili → Ruili border park chain in
//! the Ruili border park party-building alliance, Chongqing Liangjiang investment group,
//! Jiangjin district, and Mianyang with its stationed teams. One demo user per role.

use zs_domain::alliance::MembershipAction;
use zs_domain::auth::{Caller, PrincipalKind, Role};
use zs_domain::org::{OrgLevel, RegionCode};
use zs_persistence::{alliances, db, orgs, settings, users, DbConn, StoreError};

/// The password of every demo user (printed at start and in the README).
pub const DEMO_PASSWORD: &str = "Zhaoshang-2026";

/// Demo logins: user name, role, organization.
pub const DEMO_USERS: &[(&str, Role, &str)] = &[
    ("admin", Role::Sysadmin, "YN-IPB"),
    ("ruili.admin", Role::OrgAdmin, "YN-DH-RL"),
    ("ruili.leader", Role::Leader, "YN-DH-RL"),
    ("ruili.officer", Role::Officer, "YN-DH-RL"),
    ("ruili.secretary", Role::PartySecretary, "YN-DH-RL"),
    ("ruili.member", Role::Member, "YN-DH-RL"),
    ("ruili.viewer", Role::Viewer, "YN-DH-RL"),
    ("yunnan.admin", Role::OrgAdmin, "YN-IPB"),
    ("park.officer", Role::Officer, "YN-DH-RL-PARK"),
    ("liangjiang.admin", Role::OrgAdmin, "CQ-LJ"),
    ("jiangjin.admin", Role::OrgAdmin, "CQ-JJ"),
    ("mianyang.admin", Role::OrgAdmin, "SC-MY"),
    ("mianyang.gba.officer", Role::Officer, "SC-MY-GBA"),
];

const MARKER: &str = "demo_seeded_at";

/// (short code, parent short code, level, name, region code)
const ORGS: &[(&str, Option<&str>, OrgLevel, &str, &str)] = &[
    ("YN-IPB", None, OrgLevel::Province, "云南省投资促进局", "530000"),
    ("YN-DH", Some("YN-IPB"), OrgLevel::Prefecture, "德宏州投资促进局", "533100"),
    ("YN-DH-RL", Some("YN-DH"), OrgLevel::County, "瑞丽市投资促进局", "533102"),
    ("YN-DH-RL-PARK", Some("YN-DH-RL"), OrgLevel::Park, "瑞丽沿边产业园区", "533102"),
    ("CQ-LJ", None, OrgLevel::Park, "重庆两江新区招商集团", "500112"),
    ("CQ-JJ", None, OrgLevel::County, "重庆市江津区招商投资局", "500116"),
    ("SC-MY", None, OrgLevel::Prefecture, "绵阳市经济合作局", "510700"),
    ("SC-MY-YRD", Some("SC-MY"), OrgLevel::Team, "绵阳驻长三角双招双引小分队", "510700"),
    ("SC-MY-GBA", Some("SC-MY"), OrgLevel::Team, "绵阳驻粤港澳大湾区双招双引小分队", "510700"),
];

fn seeder() -> Caller {
    Caller {
        principal_id: "demo-seed".to_owned(),
        kind: PrincipalKind::User,
        organization_id: String::new(),
        roles: vec![Role::Sysadmin],
        scopes: vec![],
    }
}

/// Whether the demo data is already in the database.
pub fn is_seeded(conn: &mut DbConn) -> Result<bool, StoreError> {
    Ok(settings::get(conn, MARKER)?.is_some())
}

/// Loads the demo data in one transaction; returns false when it was already there.
/// `hash` turns the demo password into a stored hash.
pub fn seed(conn: &mut DbConn, password_hash: &str) -> Result<bool, StoreError> {
    db::write_tx(conn, |c| {
        if is_seeded(c)? {
            return Ok(false);
        }
        let caller = seeder();
        let mut ids = std::collections::HashMap::new();
        for (code, parent, level, name, region) in ORGS {
            let org = orgs::create(
                c,
                &caller,
                orgs::NewOrganization {
                    id: None,
                    parent_id: parent.and_then(|p| ids.get(p).cloned()),
                    level: *level,
                    name: (*name).to_owned(),
                    short_code: (*code).to_owned(),
                    region_code: RegionCode::parse("/region_code", region)?,
                    time_zone: "Asia/Shanghai".to_owned(),
                },
            )?;
            ids.insert(*code, org.id);
        }
        let id = |code: &str| ids.get(code).cloned().unwrap_or_default();
        for (username, role, org) in DEMO_USERS {
            users::create(
                c,
                None,
                users::NewUser {
                    id: None,
                    organization_id: id(org),
                    username: (*username).to_owned(),
                    display_name: format!("演示用户 {username}"),
                    phone: None,
                    email: None,
                    password_hash: password_hash.to_owned(),
                    roles: vec![*role],
                },
            )?;
        }
        let alliance = alliances::create(
            c,
            &caller,
            alliances::NewAlliance {
                id: None,
                name: "瑞丽沿边产业园区党建联盟".to_owned(),
                description: "省、州、市投资促进部门和瑞丽沿边产业园区四级联动，共商共议园区招商难题".to_owned(),
                founder_organization_id: id("YN-IPB"),
            },
        )?;
        for member in ["YN-DH", "YN-DH-RL", "YN-DH-RL-PARK"] {
            alliances::change_membership(c, &caller, &alliance.id, &id(member), MembershipAction::Invite)?;
            alliances::change_membership(c, &caller, &alliance.id, &id(member), MembershipAction::Accept)?;
        }
        settings::get_or_create(c, MARKER, || zs_persistence::now().to_string())?;
        Ok(true)
    })
}

/// The demo logins as printable lines.
pub fn logins() -> String {
    let mut out = format!("Demo logins (password for all: {DEMO_PASSWORD}):\n");
    for (u, r, o) in DEMO_USERS {
        out.push_str(&format!("  {u:<22} {:<16} {o}\n", r.as_str()));
    }
    out
}
