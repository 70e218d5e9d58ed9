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
    ("JS-ZJ-EDZ", None, OrgLevel::Park, "镇江经济技术开发区", "321100"),
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
        projects::seed(c, &caller, &ids)?;
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

    pub fn seed(conn: &mut DbConn, caller: &Caller, orgs: &HashMap<&str, String>) -> Result<(), StoreError> {
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
        // Mianyang's Greater Bay Area team: a lead from Shenzhen's optics industry.
        s.project(
            &org("SC-MY-GBA"),
            "2026-09-01",
            fields("深圳光电子产业链招引线索", Industrial, 0, "与深圳市光电子行业协会党支部联建中获得", &["光电"]),
            &[],
        )?;
        Ok(())
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
