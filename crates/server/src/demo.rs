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
    ("mianyang.gba.secretary", Role::PartySecretary, "SC-MY-GBA"),
    ("optics.secretary", Role::PartySecretary, "SZ-OPTICS"),
    ("yunnan.secretary", Role::PartySecretary, "YN-IPB"),
    ("liangjiang.secretary", Role::PartySecretary, "CQ-LJ"),
    ("liangjiang.member", Role::Member, "CQ-LJ"),
    ("zhenjiang.secretary", Role::PartySecretary, "JS-ZJ-EDZ"),
    ("zhenjiang.member", Role::Member, "JS-ZJ-EDZ"),
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
    ("JS-ZJ-EDZ", None, OrgLevel::Park, "镇江经济技术开发区", "321100"),
    ("SZ-OPTICS", None, OrgLevel::Department, "深圳市光学光电子行业协会", "440300"),
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
        let mut people = std::collections::HashMap::new();
        for (username, role, org) in DEMO_USERS {
            let user = users::create(
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
            people.insert(*username, user.id);
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
        let optics_lead = projects::seed(c, &caller, &ids)?;
        party::seed(c, &caller, &ids, &people, &optics_lead)?;
        settings::get_or_create(c, MARKER, || zs_persistence::now().to_string())?;
        Ok(true)
    })
}

/// Demo projects drawn from the seed articles, across their stages, with fund arrivals and
/// signing events whose counts and totals are the articles' figures.
mod projects {
    use std::collections::HashMap;

    use chrono::NaiveDate;
    use zs_domain::auth::Caller;
    use zs_domain::money::Money;
    use zs_domain::project::{InvestmentType, ProjectCategory, Stage, TransitionRequest};
    use zs_persistence::projects::{self, NewProject, ProjectFields};
    use zs_persistence::scope::Visibility;
    use zs_persistence::{funds, signing, DbConn, StoreError};

    const YI: i64 = 100_000_000 * 100; // one 亿 yuan, in fen

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    fn cny(fen: i64) -> Money {
        Money { amount_minor: fen, currency: *b"CNY", cny_minor: fen }
    }

    fn fields(
        name: &str,
        category: ProjectCategory,
        amount_fen: i64,
        description: &str,
        tags: &[&str],
    ) -> ProjectFields {
        ProjectFields {
            name: name.to_owned(),
            enterprise_id: None,
            category,
            industry: Some(zs_domain::enterprise::IndustrySection::C),
            chain_tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            investment_type: InvestmentType::New,
            contract_amount: cny(amount_fen),
            fixed_asset_cny_minor: None,
            expected_jobs: None,
            origin_country: "CN".to_owned(),
            origin_region_code: None,
            foreign_investment: false,
            leader_user_id: None,
            team: vec![],
            plan: String::new(),
            milestones: vec![],
            expected_signing_on: None,
            expected_start_on: None,
            expected_production_on: None,
            description: description.to_owned(),
        }
    }

    struct Seeder<'a> {
        conn: &'a mut DbConn,
        caller: &'a Caller,
        vis: Visibility,
    }

    impl Seeder<'_> {
        /// A ticket of `owner`, worked by the owner itself, resolved and confirmed.
        #[allow(clippy::too_many_arguments)]
        fn ticket(
            &mut self,
            owner: &str,
            title: &str,
            category: zs_domain::ticket::TicketCategory,
            source: zs_domain::ticket::TicketSource,
            enterprise: Option<&String>,
            visit: Option<&String>,
            reported: &str,
            resolved: &str,
            satisfaction: i32,
        ) -> Result<(), StoreError> {
            use zs_persistence::tickets::{self, MoveCommand, NewTicket};
            let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&chrono::Utc)).ok();
            let t = tickets::create(
                self.conn,
                self.caller,
                &self.vis,
                NewTicket {
                    id: None,
                    owner_organization_id: owner.to_owned(),
                    reported_at: at(reported),
                    title: title.to_owned(),
                    description: String::new(),
                    category,
                    priority: zs_domain::ticket::Priority::Normal,
                    source,
                    enterprise_id: enterprise.cloned(),
                    project_id: None,
                    visit_id: visit.cloned(),
                    reporter_name: None,
                    reporter_phone: None,
                    reporter_email: None,
                },
            )?;
            let steps = [
                MoveCommand::Assign { organization_id: owner.to_owned(), user_id: None, note: String::new() },
                MoveCommand::Accept { note: String::new() },
                MoveCommand::Resolve { resolution: "已办结".to_owned(), resolved_at: at(resolved) },
                MoveCommand::Confirm { satisfaction, note: "企业确认已解决".to_owned() },
            ];
            for step in steps {
                tickets::act(self.conn, self.caller, &self.vis, &t.id, step, None)?;
            }
            Ok(())
        }

        /// An outbound visit of `owner` to an enterprise.
        fn visit(
            &mut self,
            owner: &str,
            enterprise: &str,
            purpose: zs_domain::visit::VisitPurpose,
            at: &str,
            summary: &str,
        ) -> Result<String, StoreError> {
            let visited_at =
                chrono::DateTime::parse_from_rfc3339(at).map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default();
            let v = zs_persistence::visits::create(
                self.conn,
                self.caller,
                &self.vis,
                zs_persistence::visits::NewVisit {
                    late_entry_after: zs_domain::visit::late_entry_threshold(),
                    id: None,
                    owner_organization_id: owner.to_owned(),
                    fields: zs_persistence::visits::VisitFields {
                        direction: purpose.direction(),
                        purpose,
                        enterprise_id: enterprise.to_owned(),
                        project_id: None,
                        visited_at,
                        recorded_at: Some(visited_at),
                        location: zs_domain::visit::Location::default(),
                        participants: vec![],
                        external_attendees: String::new(),
                        summary: summary.to_owned(),
                        findings: String::new(),
                        next_steps: String::new(),
                        policy_tags: vec![],
                    },
                },
            )?;
            Ok(v.id)
        }

        /// An investor enterprise of `owner`.
        fn enterprise(
            &mut self,
            owner: &str,
            name: &str,
            country: &str,
            ownership: zs_domain::enterprise::Ownership,
            fortune_global_500: bool,
            listing: Option<(&str, &str)>,
        ) -> Result<String, StoreError> {
            let (e, _) = zs_persistence::enterprises::create(
                self.conn,
                self.caller,
                &self.vis,
                zs_persistence::enterprises::NewEnterprise {
                    id: None,
                    owner_organization_id: owner.to_owned(),
                    fields: zs_persistence::enterprises::EnterpriseFields {
                        name: name.to_owned(),
                        uscc: None,
                        country: country.to_owned(),
                        region_code: None,
                        industry: Some(zs_domain::enterprise::IndustrySection::C),
                        ownership,
                        fortune_global_500,
                        china_500: false,
                        china_private_500: false,
                        listed: listing.is_some(),
                        exchange: listing.map(|(x, _)| x.to_owned()),
                        ticker: listing.map(|(_, t)| t.to_owned()),
                        website: None,
                        notes: String::new(),
                    },
                },
            )?;
            Ok(e.id)
        }

        /// Creates a project as a lead on `lead_on` and walks it through `(stage, date)` steps.
        fn project(
            &mut self,
            owner: &str,
            lead_on: &str,
            f: ProjectFields,
            steps: &[(Stage, &str)],
        ) -> Result<String, StoreError> {
            let p = projects::create(
                self.conn,
                self.caller,
                &self.vis,
                NewProject {
                    id: None,
                    owner_organization_id: owner.to_owned(),
                    lead_on: Some(day(lead_on)),
                    fields: f,
                },
            )?;
            for (stage, on) in steps {
                let req = TransitionRequest { target: *stage, effective_on: day(on), reason: None, drop_reason: None };
                projects::transition(self.conn, self.caller, &self.vis, &p.id, req, String::new(), None)?;
            }
            Ok(p.id)
        }
    }

    /// Seeds the projects; returns the id of Mianyang's optics lead (linked to a party activity).
    pub fn seed(conn: &mut DbConn, caller: &Caller, orgs: &HashMap<&str, String>) -> Result<String, StoreError> {
        let org = |code: &str| orgs.get(code).cloned().unwrap_or_default();
        let vis = Visibility { organization_id: String::new(), all: true, alliance_ids: vec![] };
        let mut s = Seeder { conn, caller, vis };
        use ProjectCategory::*;
        use Stage::*;

        // Liangjiang: the 西洽会 signings of 2021-05-21 (over 3.3 billion yuan) …
        let lj = org("CQ-LJ");
        use zs_domain::enterprise::Ownership;
        use zs_domain::ticket::{TicketCategory, TicketSource};
        use zs_domain::visit::VisitPurpose;
        let magna = s.enterprise(
            &lj,
            "麦格纳国际（Magna International）",
            "CA",
            Ownership::Foreign,
            true,
            Some(("NYSE", "MGA")),
        )?;
        let kaigao = s.enterprise(&lj, "香港凯高集团", "HK", Ownership::Foreign, false, None)?;
        let miaomiaoce = s.enterprise(&lj, "秒秒测科技", "CN", Ownership::Private, false, None)?;
        let mut xiqia = vec![];
        for (name, yi_tenths, investor, foreign) in [
            ("麦格纳座椅（中国）研发中心项目", 150, &magna, true),
            ("香港凯高集团研发运营基地项目", 100, &kaigao, true),
            ("秒秒测智能终端总部基地项目", 85, &miaomiaoce, false),
        ] {
            let mut f =
                fields(name, ScienceTechnology, yi_tenths * YI / 10, "西洽会期间签约落户两江新区", &["科技创新"]);
            f.enterprise_id = Some(investor.clone());
            f.foreign_investment = foreign;
            xiqia.push(s.project(&lj, "2021-03-01", f, &[(Signed, "2021-05-21")])?);
        }
        let event = signing::create(
            s.conn,
            s.caller,
            &s.vis,
            None,
            &lj,
            signing::EventFields {
                name: "西洽会两江新区项目签约".to_owned(),
                held_on: day("2021-05-21"),
                place: "重庆".to_owned(),
            },
        )?;
        for p in &xiqia {
            signing::attach(s.conn, s.caller, &s.vis, &event.id, p, None)?;
        }
        // … and the 2021-06-16 ceremony: 31 projects, about 92.5 billion yuan.
        let ceremony = signing::create(
            s.conn,
            s.caller,
            &s.vis,
            None,
            &lj,
            signing::EventFields {
                name: "两江新区重点科创项目集中签约活动".to_owned(),
                held_on: day("2021-06-16"),
                place: "重庆两江新区".to_owned(),
            },
        )?;
        for n in 1..=31 {
            // 30 × 29.8 亿 + 1 × 31 亿 = 925 亿
            let fen = if n == 31 { 31 * YI } else { 298 * YI / 10 };
            let f = fields(
                &format!("两江新区重点科创项目（第{n:02}号）"),
                ScienceTechnology,
                fen,
                "集中签约活动签约项目",
                &["科技创新"],
            );
            let p = s.project(&lj, "2021-04-01", f, &[(Signed, "2021-06-16")])?;
            signing::attach(s.conn, s.caller, &s.vis, &ceremony.id, &p, None)?;
        }

        // Zhenjiang development zone: landed key projects.
        let zj = org("JS-ZJ-EDZ");
        let haibin_group = s.enterprise(&zj, "海滨集团", "CN", Ownership::Private, false, None)?;
        let mut haibin_fields = fields("海滨集团热电联产项目", Industrial, 60 * YI, "投资60亿元，已落地", &["能源"]);
        haibin_fields.enterprise_id = Some(haibin_group);
        let haibin = s.project(
            &zj,
            "2019-03-01",
            haibin_fields,
            &[(Signed, "2019-06-18"), (Landed, "2019-09-01"), (UnderConstruction, "2019-11-15")],
        )?;
        funds::add(
            s.conn,
            s.caller,
            &s.vis,
            &haibin,
            funds::NewFundArrival {
                id: None,
                arrived_on: day("2019-12-31"),
                amount: cny(12 * YI),
                note: "首期到位".to_owned(),
            },
        )?;
        funds::add(
            s.conn,
            s.caller,
            &s.vis,
            &haibin,
            funds::NewFundArrival {
                id: None,
                arrived_on: day("2020-06-30"),
                amount: cny(18 * YI),
                note: "二期到位".to_owned(),
            },
        )?;
        let mengshi = s.enterprise(&zj, "猛狮新能源科技", "CN", Ownership::Private, false, Some(("SZSE", "002684")))?;
        let mut mengshi_fields = fields("猛狮集团储能电站项目", Industrial, 20 * YI, "投资20亿元，已落地", &["新能源"]);
        mengshi_fields.enterprise_id = Some(mengshi);
        s.project(&zj, "2019-04-01", mengshi_fields, &[(Signed, "2019-07-10"), (Landed, "2019-10-08")])?;
        s.project(
            &zj,
            "2019-05-01",
            fields("上海电驱动通用底盘项目", Industrial, 10 * YI, "投资10亿元，已落地", &["汽车"]),
            &[(Signed, "2019-08-20"), (Landed, "2019-11-01")],
        )?;

        // Ruili border park: textile projects brought in by the four-level alliance, and
        // Xingwang, from signing to production in 57 days.
        let park = org("YN-DH-RL-PARK");
        let xingwang_co = s.enterprise(&park, "兴旺精密制造（东莞）有限公司", "CN", Ownership::Private, false, None)?;
        let mut xingwang_fields = fields(
            "兴旺精密制造（东莞）公司瑞丽项目",
            Industrial,
            3 * YI,
            "原计划外迁东南亚，57天实现签约、建设、投产",
            &["纺织服装", "精密制造"],
        );
        xingwang_fields.enterprise_id = Some(xingwang_co);
        xingwang_fields.origin_region_code = Some("441900".to_owned());
        let xingwang = s.project(
            &park,
            "2023-01-10",
            xingwang_fields,
            &[
                (Signed, "2023-03-01"),
                (Landed, "2023-03-05"),
                (UnderConstruction, "2023-03-10"),
                (InProduction, "2023-04-27"),
            ],
        )?;
        funds::add(
            s.conn,
            s.caller,
            &s.vis,
            &xingwang,
            funds::NewFundArrival {
                id: None,
                arrived_on: day("2023-04-20"),
                amount: cny(YI),
                note: "设备投资到位".to_owned(),
            },
        )?;
        s.project(
            &park,
            "2023-02-01",
            fields("纽维服饰成衣制造项目", Industrial, 2 * YI, "纺织服装龙头项目", &["纺织服装"]),
            &[(Signed, "2023-05-12"), (Landed, "2023-06-01")],
        )?;
        s.project(
            &park,
            "2023-02-15",
            fields("永兴旺数据连接设备生产项目", Industrial, 15 * YI / 10, "链主带动项目", &["电子信息"]),
            &[(Negotiating, "2023-04-01"), (Signed, "2023-08-08")],
        )?;

        // Liangjiang field work: the policy briefing with the municipal drug administration at the
        // Dadi enterprise park, and leadership visits to Tencent, Changan, CSSC and Dadi.
        let dadi = s.enterprise(&lj, "大地企业园入驻企业（医药）", "CN", Ownership::Private, false, None)?;
        let tencent = s.enterprise(&lj, "腾讯科技", "CN", Ownership::Private, false, Some(("HKEX", "0700")))?;
        let changan =
            s.enterprise(&lj, "重庆长安汽车", "CN", Ownership::CentralSoe, false, Some(("SZSE", "000625")))?;
        let cssc = s.enterprise(&lj, "中国船舶集团", "CN", Ownership::CentralSoe, true, None)?;
        let mut lj_visits = vec![];
        for (enterprise, purpose, at, summary) in [
            (
                &dadi,
                VisitPurpose::PolicyBriefing,
                "2021-05-12T02:00:00Z",
                "联合市药监局在大地企业园开展政策宣讲，讲解药品医疗器械审评审批政策",
            ),
            (&tencent, VisitPurpose::Visit, "2021-04-08T06:00:00Z", "新区领导走访腾讯，对接项目选址需求"),
            (&changan, VisitPurpose::Visit, "2021-04-15T03:00:00Z", "新区领导走访长安汽车，了解新品认证进度"),
            (&cssc, VisitPurpose::Visit, "2021-04-22T03:00:00Z", "新区领导走访中国船舶，协调项目用地"),
            (&dadi, VisitPurpose::FollowUp, "2021-06-02T07:00:00Z", "回访大地企业园企业，产品认证问题已解决"),
        ] {
            lj_visits.push(s.visit(&lj, enterprise, purpose, at, summary)?);
        }
        // Problems raised on those visits, solved and confirmed within days.
        for (visit, enterprise, title, category, reported, resolved, satisfaction) in [
            (
                1,
                &tencent,
                "腾讯项目选址需求对接",
                TicketCategory::SiteSelection,
                "2021-04-08T06:30:00Z",
                "2021-04-09T09:00:00Z",
                5,
            ),
            (
                2,
                &changan,
                "长安汽车新产品认证加快办理",
                TicketCategory::Permits,
                "2021-04-15T03:30:00Z",
                "2021-04-16T08:00:00Z",
                5,
            ),
            (
                3,
                &cssc,
                "中国船舶项目用地协调",
                TicketCategory::LandUtilities,
                "2021-04-22T03:30:00Z",
                "2021-04-26T07:00:00Z",
                4,
            ),
            (
                0,
                &dadi,
                "医疗器械产品注册认证辅导",
                TicketCategory::Permits,
                "2021-05-12T03:00:00Z",
                "2021-05-13T06:00:00Z",
                5,
            ),
        ] {
            s.ticket(
                &lj,
                title,
                category,
                TicketSource::Visit,
                Some(enterprise),
                Some(&lj_visits[visit]),
                reported,
                resolved,
                satisfaction,
            )?;
        }
        // Ruili border park: problems solved on site.
        for (title, category, reported, resolved) in [
            ("兴旺精密制造用工招聘对接", TicketCategory::Talent, "2023-03-02T02:00:00Z", "2023-03-02T09:00:00Z"),
            ("纺织企业标准厂房供给", TicketCategory::LandUtilities, "2023-05-15T02:00:00Z", "2023-05-15T10:00:00Z"),
            ("成衣出口报关物流通道", TicketCategory::Logistics, "2023-06-05T01:00:00Z", "2023-06-05T08:30:00Z"),
        ] {
            s.ticket(&park, title, category, TicketSource::Visit, None, None, reported, resolved, 5)?;
        }
        // Zhenjiang development zone: open-door consultation (开门问计) answered in under two days.
        for (title, category, reported, resolved) in [
            ("外资企业再投资政策咨询", TicketCategory::Policy, "2026-03-02T02:00:00Z", "2026-03-03T06:00:00Z"),
            ("储能电站并网手续咨询", TicketCategory::Permits, "2026-03-04T02:00:00Z", "2026-03-05T03:00:00Z"),
            ("中小企业融资对接", TicketCategory::Financing, "2026-03-09T01:00:00Z", "2026-03-10T02:00:00Z"),
        ] {
            s.ticket(&zj, title, category, TicketSource::OpenDoor, None, None, reported, resolved, 5)?;
        }

        // Jiangjin: a project being tracked.
        s.project(
            &org("CQ-JJ"),
            "2024-09-01",
            fields("中瑞双语学校项目", ModernServices, 5 * YI, "跟踪洽谈中", &["教育"]),
            &[(Negotiating, "2024-10-15")],
        )?;
        // Mianyang's Greater Bay Area team: a lead from Shenzhen's optics industry, found in the
        // joint party activity of 2025-12-07 (the party module links the two).
        s.project(
            &org("SC-MY-GBA"),
            "2025-12-08",
            fields("深圳光电子产业链招引线索", Industrial, 0, "与深圳市光学光电子行业协会党支部联建中获得", &["光电"]),
            &[],
        )
    }
}

/// The demo logins as printable lines.
pub fn logins() -> String {
    let mut out = format!("Demo logins (password for all: {DEMO_PASSWORD}):\n");
    for (u, r, o) in DEMO_USERS {
        out.push_str(&format!("  {u:<22} {:<16} {o}\n", r.as_str()));
    }
    out
}

/// Party building from the seed articles: Liangjiang's "party history reader" weekly readings
/// and "party history of my hometown" series and its memorial-hall visit; the joint activity of
/// Mianyang's branch stationed in Shenzhen with the Shenzhen optics industry association's
/// branch; the Ruili alliance's two investment trainings and one industry-transfer training;
/// Zhenjiang's points management; and this year's meetings of the Ruili branch, some missed,
/// so compliance has something to say. One Ruili theme day starts ten minutes after seeding,
/// so `ruili.member` can try signing in.
mod party {
    use std::collections::HashMap;

    use chrono::{DateTime, Duration, NaiveDate, Utc};
    use zs_domain::activity::{ActivityFields, Attachment};
    use zs_domain::auth::Caller;
    use zs_domain::branch::{BranchFields, BranchGroup, BranchMember};
    use zs_domain::party::{ActivityType, AttachmentKind, AttendanceStatus, PartyRole, PointKind};
    use zs_domain::points::AttendanceMark;
    use zs_persistence::activities::{self, NewActivity};
    use zs_persistence::branches::{self, NewBranch};
    use zs_persistence::points::{self, NewPointEntry};
    use zs_persistence::scope::Visibility;
    use zs_persistence::{alliances, attendance, DbConn, StoreError};

    struct Party<'a> {
        conn: &'a mut DbConn,
        caller: &'a Caller,
        vis: Visibility,
        people: &'a HashMap<&'static str, String>,
    }

    /// A UTC instant from a Beijing-time "YYYY-MM-DD HH:MM".
    fn beijing(s: &str) -> DateTime<Utc> {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .map(|t| t.and_utc() - Duration::hours(8))
            .unwrap_or_default()
    }

    /// A well-formed checksum for an attachment's metadata (the files live in the bureau's own
    /// document system).
    fn checksum(name: &str) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("sha256:{h:016x}{:016x}{:016x}{:016x}", h.rotate_left(16), h.rotate_left(32), h.rotate_left(48))
    }

    fn attachment(kind: AttachmentKind, name: &str, size_bytes: i64) -> Attachment {
        Attachment { kind, name: name.to_owned(), size_bytes, checksum: checksum(name) }
    }

    /// One planned activity: what the seeding fills in for each.
    struct Plan<'p> {
        host: &'p str,
        activity_type: ActivityType,
        title: &'p str,
        start: &'p str,
        hours: i64,
        place: &'p str,
        speaker: Option<&'p str>,
        cohosts: &'p [&'p str],
        projects: &'p [&'p str],
        attachments: Vec<Attachment>,
    }

    impl Party<'_> {
        fn user(&self, username: &str) -> String {
            self.people.get(username).cloned().unwrap_or_default()
        }

        #[allow(clippy::too_many_arguments)]
        fn branch(
            &mut self,
            org: &str,
            name: &str,
            secretary: &str,
            stationed_in: Option<&str>,
            groups: &[&str],
            members: &[(&str, PartyRole, &str, Option<&str>)],
        ) -> Result<String, StoreError> {
            let fields = BranchFields {
                name: name.to_owned(),
                secretary_id: Some(self.user(secretary)),
                deputy_id: None,
                stationed: stationed_in.is_some(),
                stationed_in: stationed_in.map(str::to_owned),
                groups: groups.iter().map(|g| BranchGroup { name: (*g).to_owned(), leader_id: None }).collect(),
                members: members
                    .iter()
                    .map(|(u, role, joined, group)| BranchMember {
                        user_id: self.user(u),
                        party_role: *role,
                        joined_on: NaiveDate::parse_from_str(joined, "%Y-%m-%d").unwrap_or_default(),
                        group: group.map(str::to_owned),
                    })
                    .collect(),
            };
            let cmd = NewBranch { id: None, organization_id: org.to_owned(), fields };
            Ok(branches::create(self.conn, self.caller, &self.vis, cmd)?.id)
        }

        fn plan(&mut self, p: Plan<'_>) -> Result<String, StoreError> {
            let start = beijing(p.start);
            let fields = ActivityFields {
                title: p.title.to_owned(),
                activity_type: p.activity_type,
                planned_start: start,
                planned_end: start + Duration::hours(p.hours),
                place: Some(p.place.to_owned()),
                online_link: None,
                speaker: p.speaker.map(str::to_owned),
                agenda: String::new(),
                cohost_branch_ids: p.cohosts.iter().map(|c| (*c).to_owned()).collect(),
                attachments: p.attachments,
                project_ids: p.projects.iter().map(|c| (*c).to_owned()).collect(),
            };
            let cmd = NewActivity { id: None, host_branch_id: p.host.to_owned(), fields };
            Ok(activities::create(self.conn, self.caller, &self.vis, cmd)?.id)
        }

        /// Holds a planned activity at its start, with minutes when given, and records who came.
        fn hold(
            &mut self,
            id: &str,
            start: &str,
            minutes: Option<&str>,
            present: &[&str],
            leave: &[(&str, &str)],
        ) -> Result<(), StoreError> {
            let minutes = minutes.map(str::to_owned);
            activities::hold(self.conn, self.caller, &self.vis, id, beijing(start), minutes, None)?;
            for u in present {
                let mark = AttendanceMark { status: AttendanceStatus::Present, reason: None };
                attendance::record(self.conn, self.caller, &self.vis, id, &self.user(u), mark)?;
            }
            for (u, reason) in leave {
                let mark = AttendanceMark { status: AttendanceStatus::Leave, reason: Some((*reason).to_owned()) };
                attendance::record(self.conn, self.caller, &self.vis, id, &self.user(u), mark)?;
            }
            Ok(())
        }

        #[allow(clippy::too_many_arguments)]
        fn held(
            &mut self,
            host: &str,
            activity_type: ActivityType,
            title: &str,
            start: &str,
            minutes: Option<&str>,
            present: &[&str],
            attachments: Vec<Attachment>,
        ) -> Result<String, StoreError> {
            let plan = Plan {
                host,
                activity_type,
                title,
                start,
                hours: 2,
                place: "党员活动室",
                speaker: None,
                cohosts: &[],
                projects: &[],
                attachments,
            };
            let id = self.plan(plan)?;
            self.hold(&id, start, minutes, present, &[])?;
            Ok(id)
        }

        fn points(
            &mut self,
            branch: &str,
            user: &str,
            kind: PointKind,
            points: i64,
            reason: &str,
            on: &str,
        ) -> Result<(), StoreError> {
            let cmd = NewPointEntry {
                id: None,
                branch_id: branch.to_owned(),
                user_id: self.user(user),
                kind,
                points,
                reason: reason.to_owned(),
                occurred_on: NaiveDate::parse_from_str(on, "%Y-%m-%d").ok(),
            };
            points::create_entry(self.conn, self.caller, &self.vis, cmd)?;
            Ok(())
        }
    }

    pub fn seed(
        conn: &mut DbConn,
        caller: &Caller,
        orgs: &HashMap<&str, String>,
        people: &HashMap<&'static str, String>,
        optics_lead: &str,
    ) -> Result<(), StoreError> {
        use ActivityType::*;
        use PartyRole::*;
        let org = |code: &str| orgs.get(code).cloned().unwrap_or_default();
        let vis = Visibility { organization_id: String::new(), all: true, alliance_ids: vec![] };
        let mut p = Party { conn, caller, vis, people };

        // Liangjiang investment group: most staff are "空中飞人", so the party history is read
        // aloud once a week and sent round as audio (党史朗读者, 一周一读).
        let lj = p.branch(
            &org("CQ-LJ"),
            "两江新区招商集团第一党支部",
            "liangjiang.secretary",
            None,
            &[],
            &[
                ("liangjiang.secretary", CommitteeMember, "2012-07-01", None),
                ("liangjiang.admin", Member, "2015-06-30", None),
                ("liangjiang.member", Member, "2019-07-01", None),
            ],
        )?;
        let readings = [
            ("2021-04-12 12:30", "焦裕禄的故事"),
            ("2021-04-19 12:30", "红船精神"),
            ("2021-04-26 12:30", "遵义会议"),
            ("2021-05-03 12:30", "延安精神"),
            ("2021-05-10 12:30", "红岩精神"),
            ("2021-05-17 12:30", "两弹一星精神"),
            ("2021-05-24 12:30", "改革开放的故事"),
            ("2021-05-31 12:30", "脱贫攻坚精神"),
        ];
        for (i, (start, story)) in readings.iter().enumerate() {
            let title = format!("党史朗读者·一周一读 第{}期：{story}", i + 1);
            let audio = attachment(AttachmentKind::Audio, &format!("党史朗读者第{}期-{story}.mp3", i + 1), 4_200_000);
            let id = p.plan(Plan {
                host: &lj,
                activity_type: Study,
                title: &title,
                start,
                hours: 1,
                place: "线上（学习音频）",
                speaker: Some(if i == 0 { "张辉" } else { "优秀党员代表" }),
                cohosts: &[],
                projects: &[],
                attachments: vec![audio],
            })?;
            p.hold(
                &id,
                start,
                Some("朗读音频已发放全体干部职工"),
                &["liangjiang.secretary", "liangjiang.member"],
                &[("liangjiang.admin", "在外招商")],
            )?;
        }
        for (start, title) in [
            ("2021-06-07 19:00", "我家乡里的党史故事：四川广安"),
            ("2021-06-14 19:00", "我家乡里的党史故事：江西瑞金"),
            ("2021-06-21 19:00", "我家乡里的党史故事：贵州遵义"),
        ] {
            p.held(
                &lj,
                Study,
                title,
                start,
                Some("党员讲述家乡的党史故事"),
                &["liangjiang.secretary", "liangjiang.member", "liangjiang.admin"],
                vec![],
            )?;
        }
        p.held(
            &lj,
            SiteVisit,
            "参观北碚卢作孚纪念馆",
            "2021-06-26 09:30",
            Some("回顾卢作孚先生实业救国、宜昌大撤退的事迹"),
            &["liangjiang.secretary", "liangjiang.member", "liangjiang.admin"],
            vec![attachment(AttachmentKind::Photo, "卢作孚纪念馆合影.jpg", 2_800_000)],
        )?;

        // Mianyang's branch stationed in Shenzhen and the Shenzhen optics industry association's
        // branch: a joint activity (联建) in one alliance, linked to the lead it produced.
        let alliance = alliances::create(
            p.conn,
            caller,
            alliances::NewAlliance {
                id: None,
                name: "绵阳—深圳光电子产业党建联建".to_owned(),
                description: "驻外党支部与行业协会党支部联建，在项目、人才招引等方面合作".to_owned(),
                founder_organization_id: org("SC-MY-GBA"),
            },
        )?;
        for action in [zs_domain::alliance::MembershipAction::Invite, zs_domain::alliance::MembershipAction::Accept] {
            alliances::change_membership(p.conn, caller, &alliance.id, &org("SZ-OPTICS"), action)?;
        }
        let gba = p.branch(
            &org("SC-MY-GBA"),
            "绵阳驻深圳双招双引党支部",
            "mianyang.gba.secretary",
            Some("广东省深圳市"),
            &[],
            &[
                ("mianyang.gba.secretary", CommitteeMember, "2014-07-01", None),
                ("mianyang.gba.officer", ProbationaryMember, "2025-07-01", None),
            ],
        )?;
        let optics = p.branch(
            &org("SZ-OPTICS"),
            "深圳市光学光电子行业协会党支部",
            "optics.secretary",
            None,
            &[],
            &[("optics.secretary", CommitteeMember, "2010-07-01", None)],
        )?;
        let joint = p.plan(Plan {
            host: &gba,
            activity_type: JointActivity,
            title: "绵阳驻深圳双招双引党支部与深圳市光学光电子行业协会党支部联合党建活动",
            start: "2025-12-07 14:30",
            hours: 3,
            place: "深圳市光学光电子行业协会",
            speaker: None,
            cohosts: &[optics.as_str()],
            projects: &[optics_lead],
            attachments: vec![attachment(AttachmentKind::SignInSheet, "联建活动签到表.pdf", 310_000)],
        })?;
        p.hold(
            &joint,
            "2025-12-07 14:30",
            Some("交流光电子产业链招引方向，对接项目与人才"),
            &["mianyang.gba.secretary", "mianyang.gba.officer", "optics.secretary"],
            &[],
        )?;

        // The Ruili border park alliance: the province's branch hosts trainings with Ruili's.
        let yn = p.branch(
            &org("YN-IPB"),
            "云南省投资促进局机关党支部",
            "yunnan.secretary",
            None,
            &[],
            &[("yunnan.secretary", CommitteeMember, "2008-07-01", None), ("yunnan.admin", Member, "2011-07-01", None)],
        )?;
        let ruili = p.branch(
            &org("YN-DH-RL"),
            "瑞丽市投资促进局党支部",
            "ruili.secretary",
            None,
            &["招商一组", "招商二组"],
            &[
                ("ruili.secretary", CommitteeMember, "2009-07-01", Some("招商一组")),
                ("ruili.leader", CommitteeMember, "2006-07-01", Some("招商一组")),
                ("ruili.officer", Member, "2016-07-01", Some("招商二组")),
                ("ruili.member", Member, "2018-07-01", Some("招商二组")),
            ],
        )?;
        for (start, title) in [
            ("2025-04-16 09:00", "党建联盟招商引资业务培训班（第一期）"),
            ("2025-09-17 09:00", "党建联盟招商引资业务培训班（第二期）"),
            ("2025-11-12 09:00", "党建联盟产业转移知识培训班"),
        ] {
            let id = p.plan(Plan {
                host: &yn,
                activity_type: Training,
                title,
                start,
                hours: 6,
                place: "线上线下结合（瑞丽沿边产业园区）",
                speaker: None,
                cohosts: &[ruili.as_str()],
                projects: &[],
                attachments: vec![],
            })?;
            p.hold(
                &id,
                start,
                Some("围绕园区招商问题共商共议"),
                &["yunnan.secretary", "ruili.secretary", "ruili.officer", "ruili.member"],
                &[],
            )?;
        }
        // The Ruili branch's 2026: general meetings in Q1 and Q3 only, party lessons in Q1 and Q2
        // (the second without minutes: incomplete), theme days in January to March and May.
        let everyone = ["ruili.secretary", "ruili.leader", "ruili.officer", "ruili.member"];
        for (t, title, start, minutes) in [
            (GeneralMeeting, "2026年第一季度支部党员大会", "2026-03-10 15:00", true),
            (GeneralMeeting, "2026年第三季度支部党员大会", "2026-08-12 15:00", true),
            (PartyLesson, "书记讲党课：以党建引领招商引资", "2026-02-26 15:00", true),
            (PartyLesson, "专题党课：沿边开放与产业转移", "2026-05-20 15:00", false),
            (ThemeDay, "一月主题党日：重温入党誓词", "2026-01-15 09:00", true),
            (ThemeDay, "二月主题党日：走访园区企业", "2026-02-12 09:00", true),
            (ThemeDay, "三月主题党日：学雷锋志愿服务", "2026-03-05 09:00", true),
            (ThemeDay, "五月主题党日：我为企业办实事", "2026-05-14 09:00", true),
        ] {
            p.held(&ruili, t, title, start, minutes.then_some("会议记录已归档"), &everyone, vec![])?;
        }
        // Committee meetings every month from January to October but September.
        for month in [1, 2, 3, 4, 5, 6, 7, 8, 10] {
            let start = format!("2026-{month:02}-06 16:00");
            let title = format!("2026年{month}月支委会");
            p.held(
                &ruili,
                CommitteeMeeting,
                &title,
                &start,
                Some("研究支部工作"),
                &["ruili.secretary", "ruili.leader"],
                vec![],
            )?;
        }
        let soon = (Utc::now() + Duration::minutes(10) + Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string();
        p.plan(Plan {
            host: &ruili,
            activity_type: ThemeDay,
            title: "主题党日：党建联盟项目推进（演示：开始前后可签到）",
            start: &soon,
            hours: 2,
            place: "瑞丽市投资促进局党员活动室",
            speaker: None,
            cohosts: &[],
            projects: &[],
            attachments: vec![],
        })?;

        // Zhenjiang development zone: points management (党员积分制管理) with its own rules.
        let zj_org = org("JS-ZJ-EDZ");
        points::replace_rules(
            p.conn,
            caller,
            &p.vis,
            &zj_org,
            &[(ThemeDay, 3), (PartyLesson, 3), (Service, 5), (GeneralMeeting, 2)],
        )?;
        let zj = p.branch(
            &zj_org,
            "镇江经开区招商局党支部",
            "zhenjiang.secretary",
            None,
            &[],
            &[
                ("zhenjiang.secretary", CommitteeMember, "2007-07-01", None),
                ("zhenjiang.member", Member, "2017-07-01", None),
            ],
        )?;
        p.held(
            &zj,
            ThemeDay,
            "“五事联动”主题党日",
            "2026-03-18 09:00",
            Some("会议记录已归档"),
            &["zhenjiang.secretary", "zhenjiang.member"],
            vec![],
        )?;
        p.held(
            &zj,
            Service,
            "“暖企惠民大走访”：上门服务企业",
            "2026-04-09 09:00",
            Some("走访企业12家，收集问题5件"),
            &["zhenjiang.secretary", "zhenjiang.member"],
            vec![],
        )?;
        p.points(&zj, "zhenjiang.member", PointKind::Award, 5, "“先锋岗展风采”评为党员先锋岗", "2026-04-30")?;
        p.points(&zj, "zhenjiang.secretary", PointKind::Award, 4, "“书记项目”获评镇江市优质书记项目", "2026-01-20")?;
        p.points(&zj, "zhenjiang.member", PointKind::Deduction, 2, "未请假缺席党小组会", "2026-05-08")?;
        Ok(())
    }
}
