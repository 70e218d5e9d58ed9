//! Party activities (党建活动): the fields of an activity parsed at once (title, type, planned
//! period, place or online link, co-host branches, attachments as metadata, linked projects),
//! and the life cycle planned → held (minutes may follow) or planned → cancelled (with a reason).

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::error::Violations;
use crate::party::{ActivityStatus, ActivityType, AttachmentKind};
use crate::{text, DomainError, FieldViolation};

/// At most this many attachments per activity.
pub const MAX_ATTACHMENTS: usize = 50;
/// At most this many co-host branches per activity.
pub const MAX_COHOSTS: usize = 100;
/// At most this many linked projects per activity.
pub const MAX_PROJECTS: usize = 100;
/// Largest attachment size accepted: 2 GiB.
pub const MAX_ATTACHMENT_BYTES: i64 = 2 * 1024 * 1024 * 1024;
/// Longest title, place, speaker, online link, agenda, minutes and cancellation reason.
pub const MAX_TITLE: usize = 200;
pub const MAX_PLACE: usize = 500;
pub const MAX_SPEAKER: usize = 200;
pub const MAX_ONLINE_LINK: usize = 2_000;
pub const MAX_AGENDA: usize = 20_000;
pub const MAX_MINUTES: usize = 100_000;
pub const MAX_REASON: usize = 2_000;
pub const MAX_ATTACHMENT_NAME: usize = 255;

/// How far in the future (the phone's clock running ahead) a `held_at` may lie.
pub fn held_at_skew() -> Duration {
    Duration::minutes(5)
}

/// An attachment's metadata (the file itself lives elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub kind: AttachmentKind,
    /// File name, 1-255 characters.
    pub name: String,
    /// Size in bytes, 0 to 2 GiB.
    pub size_bytes: i64,
    /// `sha256:` and 64 lower-case hex digits.
    pub checksum: String,
}

impl Attachment {
    /// Checks one attachment; every failing field at once, with pointers under `prefix`
    /// (`/attachments/3`).
    pub fn parse(
        prefix: &str,
        kind: AttachmentKind,
        name: &str,
        size_bytes: i64,
        checksum: &str,
    ) -> Result<Attachment, DomainError> {
        let mut v = Violations::new();
        let name = v.take(text::name(&format!("{prefix}/name"), name, MAX_ATTACHMENT_NAME));
        if !(0..=MAX_ATTACHMENT_BYTES).contains(&size_bytes) {
            v.push(FieldViolation::new(
                format!("{prefix}/size_bytes"),
                "range",
                format!("must be between 0 and {MAX_ATTACHMENT_BYTES} bytes (2 GiB)"),
            ));
        }
        let checksum = v.take(parse_checksum(&format!("{prefix}/checksum"), checksum));
        v.into_result()?;
        match (name, checksum) {
            (Some(name), Some(checksum)) => Ok(Attachment { kind, name, size_bytes, checksum }),
            _ => Err(DomainError::invalid(prefix, "invalid", "the attachment is invalid")),
        }
    }
}

/// A checksum: `sha256:` followed by the 64 hex digits of the SHA-256 digest. The prefix and the
/// digits are accepted in either case and stored in lower case; no other algorithm is accepted.
pub fn parse_checksum(pointer: &str, raw: &str) -> Result<String, DomainError> {
    let lower = raw.trim().to_ascii_lowercase();
    match lower.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(lower),
        _ => Err(DomainError::invalid(pointer, "checksum", "must be \"sha256:\" followed by 64 hex digits")),
    }
}

/// An online meeting link: an absolute `http` or `https` URL with a host, at most 2,000
/// characters, without spaces or control characters.
pub fn parse_online_link(pointer: &str, raw: &str) -> Result<String, DomainError> {
    let t = raw.trim();
    let bad = || DomainError::invalid(pointer, "url", "must be an absolute http or https URL");
    if t.chars().count() > MAX_ONLINE_LINK {
        return Err(DomainError::invalid(pointer, "length", format!("must be at most {MAX_ONLINE_LINK} characters")));
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let lower = t.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).ok_or_else(bad)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    if host.is_empty() {
        return Err(bad());
    }
    Ok(t.to_owned())
}

/// The planned period: the end may not lie before the start (422 at `/planned_end`).
pub fn check_period(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(), DomainError> {
    if end < start {
        return Err(DomainError::invalid("/planned_end", "before_start", "must not be before planned_start"));
    }
    Ok(())
}

/// Minutes (会议记录): multi-line text up to 100,000 characters; blank means none.
pub fn parse_minutes(pointer: &str, raw: &str) -> Result<Option<String>, DomainError> {
    let m = text::body(pointer, raw, MAX_MINUTES)?;
    Ok(if m.trim().is_empty() { None } else { Some(m) })
}

/// Why an activity is cancelled: required, non-blank, up to 2,000 characters.
pub fn parse_cancel_reason(pointer: &str, raw: &str) -> Result<String, DomainError> {
    if raw.trim().is_empty() {
        return Err(DomainError::invalid(pointer, "required", "a cancellation needs a reason"));
    }
    Ok(text::body(pointer, raw, MAX_REASON)?.trim().to_owned())
}

/// When it was held: not later than `now` plus a small clock skew (422 at `/held_at`).
pub fn check_held_at(held_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), DomainError> {
    if held_at > now + held_at_skew() {
        return Err(DomainError::invalid("/held_at", "future", "an activity cannot be recorded as held in the future"));
    }
    Ok(())
}

/// The business date of an instant in an organization's time zone.
pub fn date_in(time_zone: &str, at: DateTime<Utc>) -> NaiveDate {
    crate::org::today_in(time_zone, at)
}

fn illegal(action: &str, status: ActivityStatus) -> DomainError {
    DomainError::conflict(
        "ILLEGAL_TRANSITION",
        format!("cannot {action} an activity that is {status}; only a planned activity can be held or cancelled"),
    )
}

/// Holding: only a planned activity is held (409 `ILLEGAL_TRANSITION` otherwise).
pub fn plan_hold(status: ActivityStatus) -> Result<ActivityStatus, DomainError> {
    match status {
        ActivityStatus::Planned => Ok(ActivityStatus::Held),
        other => Err(illegal("hold", other)),
    }
}

/// Cancelling: only a planned activity is cancelled (409 `ILLEGAL_TRANSITION` otherwise).
pub fn plan_cancel(status: ActivityStatus) -> Result<ActivityStatus, DomainError> {
    match status {
        ActivityStatus::Planned => Ok(ActivityStatus::Cancelled),
        other => Err(illegal("cancel", other)),
    }
}

/// Minutes are written once the activity is held (409 `ACTIVITY_NOT_HELD` before).
pub fn check_minutes_allowed(status: ActivityStatus) -> Result<(), DomainError> {
    if status == ActivityStatus::Held {
        Ok(())
    } else {
        Err(DomainError::conflict(
            "ACTIVITY_NOT_HELD",
            format!("minutes are recorded once the activity is held (it is {status}); hold it first"),
        ))
    }
}

/// An attachment as sent, before checking.
#[derive(Debug, Clone)]
pub struct AttachmentInput {
    pub kind: AttachmentKind,
    pub name: String,
    pub size_bytes: i64,
    pub checksum: String,
}

/// Every editable field of an activity with its value, before checking.
#[derive(Debug, Clone)]
pub struct ActivityInput {
    pub title: String,
    pub activity_type: ActivityType,
    pub planned_start: DateTime<Utc>,
    pub planned_end: DateTime<Utc>,
    pub place: Option<String>,
    pub online_link: Option<String>,
    pub speaker: Option<String>,
    pub agenda: String,
    pub cohost_branch_ids: Vec<String>,
    pub attachments: Vec<AttachmentInput>,
    pub project_ids: Vec<String>,
}

/// The editable fields of an activity, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFields {
    pub title: String,
    pub activity_type: ActivityType,
    pub planned_start: DateTime<Utc>,
    pub planned_end: DateTime<Utc>,
    pub place: Option<String>,
    pub online_link: Option<String>,
    pub speaker: Option<String>,
    pub agenda: String,
    /// Distinct, never the host.
    pub cohost_branch_ids: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Distinct.
    pub project_ids: Vec<String>,
}

/// Reports entries that appear twice in a list at `/field/N`.
fn duplicates(v: &mut Violations, field: &str, ids: &[String], what: &str) {
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        if !seen.insert(id.as_str()) {
            v.push(FieldViolation::new(format!("/{field}/{i}"), "duplicate", format!("{what} appears twice")));
        }
    }
}

impl ActivityInput {
    /// Checks every field of an activity hosted by `host_branch_id`; every failing field at once.
    pub fn parse(self, host_branch_id: &str) -> Result<ActivityFields, DomainError> {
        let mut v = Violations::new();
        let title = v.take(text::name("/title", &self.title, MAX_TITLE));
        v.take(check_period(self.planned_start, self.planned_end));
        let place = self.place.as_deref().and_then(|p| v.take(text::name("/place", p, MAX_PLACE)));
        let online_link = self.online_link.as_deref().and_then(|l| v.take(parse_online_link("/online_link", l)));
        let speaker = self.speaker.as_deref().and_then(|s| v.take(text::name("/speaker", s, MAX_SPEAKER)));
        let agenda = v.take(text::body("/agenda", &self.agenda, MAX_AGENDA));
        if self.cohost_branch_ids.len() > MAX_COHOSTS {
            v.push(FieldViolation::new("/cohost_branch_ids", "length", format!("at most {MAX_COHOSTS} co-hosts")));
        }
        for (i, b) in self.cohost_branch_ids.iter().enumerate() {
            if b == host_branch_id {
                v.push(FieldViolation::new(
                    format!("/cohost_branch_ids/{i}"),
                    "host_as_cohost",
                    "the host branch is not also a co-host",
                ));
            }
        }
        duplicates(&mut v, "cohost_branch_ids", &self.cohost_branch_ids, "a branch");
        if self.attachments.len() > MAX_ATTACHMENTS {
            v.push(FieldViolation::new("/attachments", "length", format!("at most {MAX_ATTACHMENTS} attachments")));
        }
        let attachments: Vec<Attachment> = self
            .attachments
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                v.take(Attachment::parse(&format!("/attachments/{i}"), a.kind, &a.name, a.size_bytes, &a.checksum))
            })
            .collect();
        if self.project_ids.len() > MAX_PROJECTS {
            v.push(FieldViolation::new("/project_ids", "length", format!("at most {MAX_PROJECTS} projects")));
        }
        duplicates(&mut v, "project_ids", &self.project_ids, "a project");
        v.into_result()?;
        match (title, agenda) {
            (Some(title), Some(agenda)) => Ok(ActivityFields {
                title,
                activity_type: self.activity_type,
                planned_start: self.planned_start,
                planned_end: self.planned_end,
                place,
                online_link,
                speaker,
                agenda,
                cohost_branch_ids: self.cohost_branch_ids,
                attachments,
                project_ids: self.project_ids,
            }),
            // Every None above pushed a violation, so into_result() returned early.
            _ => Err(DomainError::invalid("", "invalid", "the activity is invalid")),
        }
    }
}

/// An activity as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: String,
    /// The host branch's organization.
    pub owner_organization_id: String,
    pub host_branch_id: String,
    /// Sorted by id.
    pub cohost_branch_ids: Vec<String>,
    pub title: String,
    pub activity_type: ActivityType,
    pub status: ActivityStatus,
    pub planned_start: DateTime<Utc>,
    pub planned_end: DateTime<Utc>,
    pub place: Option<String>,
    pub online_link: Option<String>,
    pub speaker: Option<String>,
    pub agenda: String,
    pub minutes: Option<String>,
    /// In the order sent.
    pub attachments: Vec<Attachment>,
    /// Sorted by id.
    pub project_ids: Vec<String>,
    pub held_at: Option<DateTime<Utc>>,
    /// The date it was held on, in the owner's time zone.
    pub held_on: Option<NaiveDate>,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn pointers(e: DomainError) -> Vec<(String, String)> {
        match e {
            DomainError::Validation(v) => v.into_iter().map(|f| (f.pointer, f.code)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn p(pointer: &str, code: &str) -> (String, String) {
        (pointer.to_owned(), code.to_owned())
    }

    const HEX: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn input() -> ActivityInput {
        ActivityInput {
            title: " 主题党日：重温入党誓词 ".into(),
            activity_type: ActivityType::ThemeDay,
            planned_start: at("2026-07-01T09:00:00+08:00"),
            planned_end: at("2026-07-01T11:00:00+08:00"),
            place: Some("党员活动室".into()),
            online_link: None,
            speaker: None,
            agenda: String::new(),
            cohost_branch_ids: vec![],
            attachments: vec![],
            project_ids: vec![],
        }
    }

    #[test]
    fn only_a_planned_activity_is_held_or_cancelled() {
        use ActivityStatus::*;
        assert_eq!(plan_hold(Planned).unwrap(), Held);
        assert_eq!(plan_cancel(Planned).unwrap(), Cancelled);
        for s in [Held, Cancelled] {
            for r in [plan_hold(s), plan_cancel(s)] {
                match r {
                    Err(DomainError::Conflict { code, detail }) => {
                        assert_eq!(code, "ILLEGAL_TRANSITION");
                        assert!(detail.contains(s.as_str()), "{detail}");
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
    }

    #[test]
    fn minutes_only_once_held() {
        assert!(check_minutes_allowed(ActivityStatus::Held).is_ok());
        for s in [ActivityStatus::Planned, ActivityStatus::Cancelled] {
            assert!(matches!(check_minutes_allowed(s), Err(DomainError::Conflict { code: "ACTIVITY_NOT_HELD", .. })));
        }
        assert_eq!(parse_minutes("/minutes", "  \n ").unwrap(), None);
        assert_eq!(parse_minutes("/minutes", "一、学习\n二、讨论").unwrap().as_deref(), Some("一、学习\n二、讨论"));
        assert!(parse_minutes("/minutes", &"字".repeat(MAX_MINUTES + 1)).is_err());
    }

    #[test]
    fn checksums_are_sha256_with_64_hex_digits() {
        assert_eq!(parse_checksum("/c", &format!("sha256:{HEX}")).unwrap(), format!("sha256:{HEX}"));
        assert_eq!(parse_checksum("/c", &format!("SHA256:{}", HEX.to_uppercase())).unwrap(), format!("sha256:{HEX}"));
        for bad in [
            HEX.to_owned(),
            format!("sha256:{}", &HEX[1..]),
            format!("sha256:{HEX}0"),
            format!("sha256:{}g", &HEX[1..]),
            format!("md5:{}", &HEX[..32]),
            format!("sha1:{HEX}"),
            String::new(),
        ] {
            assert_eq!(pointers(parse_checksum("/c", &bad).unwrap_err()), vec![p("/c", "checksum")], "{bad}");
        }
    }

    #[test]
    fn the_end_may_equal_but_not_precede_the_start() {
        let s = at("2026-07-01T09:00:00Z");
        assert!(check_period(s, s).is_ok());
        assert!(check_period(s, s + Duration::hours(2)).is_ok());
        assert_eq!(
            pointers(check_period(s, s - Duration::seconds(1)).unwrap_err()),
            vec![p("/planned_end", "before_start")]
        );
    }

    #[test]
    fn online_links_are_http_urls_with_a_host() {
        for ok in ["https://meeting.tencent.com/dm/abc", "http://10.0.0.1:8080/x?y=1#z", "HTTPS://Example.com"] {
            assert_eq!(parse_online_link("/l", ok).unwrap(), ok);
        }
        for bad in ["ftp://x.cn", "meeting.tencent.com", "https://", "https:///path", "https://a b.cn", "javascript:x"]
        {
            assert_eq!(pointers(parse_online_link("/l", bad).unwrap_err()), vec![p("/l", "url")], "{bad}");
        }
        let long = format!("https://x.cn/{}", "a".repeat(MAX_ONLINE_LINK));
        assert_eq!(pointers(parse_online_link("/l", &long).unwrap_err()), vec![p("/l", "length")]);
    }

    #[test]
    fn held_at_may_not_lie_in_the_future_beyond_the_skew() {
        let now = at("2026-07-01T10:00:00Z");
        assert!(check_held_at(now - Duration::days(30), now).is_ok());
        assert!(check_held_at(now + held_at_skew(), now).is_ok());
        assert_eq!(
            pointers(check_held_at(now + held_at_skew() + Duration::seconds(1), now).unwrap_err()),
            vec![p("/held_at", "future")]
        );
    }

    #[test]
    fn held_on_is_the_date_in_the_owner_time_zone() {
        // 17:30 UTC is 01:30 the next day in Beijing, still 23:30 the same day in Urumqi.
        let t = at("2026-03-31T17:30:00Z");
        assert_eq!(date_in("Asia/Shanghai", t), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert_eq!(date_in("Asia/Urumqi", t), NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    }

    #[test]
    fn a_cancellation_needs_a_reason() {
        assert_eq!(pointers(parse_cancel_reason("/reason", " \n").unwrap_err()), vec![p("/reason", "required")]);
        assert_eq!(parse_cancel_reason("/reason", " 台风停课 ").unwrap(), "台风停课");
        assert!(parse_cancel_reason("/reason", &"因".repeat(MAX_REASON + 1)).is_err());
    }

    #[test]
    fn a_valid_activity_is_trimmed_and_kept() {
        let mut i = input();
        i.cohost_branch_ids = vec!["b2".into(), "b3".into()];
        i.attachments = vec![AttachmentInput {
            kind: AttachmentKind::SignInSheet,
            name: "签到表.pdf".into(),
            size_bytes: MAX_ATTACHMENT_BYTES,
            checksum: format!("sha256:{HEX}"),
        }];
        let f = i.parse("b1").unwrap();
        assert_eq!(f.title, "主题党日：重温入党誓词");
        assert_eq!(f.cohost_branch_ids, vec!["b2".to_owned(), "b3".to_owned()]);
        assert_eq!(f.attachments[0].size_bytes, MAX_ATTACHMENT_BYTES);
    }

    #[test]
    fn every_failing_field_is_reported_at_once() {
        let mut i = input();
        i.title = "  ".into();
        i.planned_end = i.planned_start - Duration::minutes(1);
        i.place = Some(String::new());
        i.online_link = Some("meeting".into());
        i.speaker = Some("讲".repeat(MAX_SPEAKER + 1));
        i.agenda = "bell\u{7}".into();
        i.cohost_branch_ids = vec!["b1".into(), "b2".into(), "b2".into()];
        i.attachments = vec![
            AttachmentInput {
                kind: AttachmentKind::Photo,
                name: "ok.jpg".into(),
                size_bytes: 1,
                checksum: format!("sha256:{HEX}"),
            },
            AttachmentInput {
                kind: AttachmentKind::Photo,
                name: " ".into(),
                size_bytes: MAX_ATTACHMENT_BYTES + 1,
                checksum: "abc".into(),
            },
            AttachmentInput { kind: AttachmentKind::Audio, name: "a.m4a".into(), size_bytes: -1, checksum: HEX.into() },
        ];
        i.project_ids = vec!["p1".into(), "p1".into()];
        let mut got = pointers(i.parse("b1").unwrap_err());
        got.sort();
        let mut want = vec![
            p("/title", "required"),
            p("/planned_end", "before_start"),
            p("/place", "required"),
            p("/online_link", "url"),
            p("/speaker", "length"),
            p("/agenda", "control_characters"),
            p("/cohost_branch_ids/0", "host_as_cohost"),
            p("/cohost_branch_ids/2", "duplicate"),
            p("/attachments/1/name", "required"),
            p("/attachments/1/size_bytes", "range"),
            p("/attachments/1/checksum", "checksum"),
            p("/attachments/2/size_bytes", "range"),
            p("/attachments/2/checksum", "checksum"),
            p("/project_ids/1", "duplicate"),
        ];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn list_sizes_are_bounded() {
        let mut i = input();
        i.cohost_branch_ids = (0..=MAX_COHOSTS).map(|n| format!("b{n}x")).collect();
        i.project_ids = (0..=MAX_PROJECTS).map(|n| format!("p{n}")).collect();
        i.attachments = (0..=MAX_ATTACHMENTS)
            .map(|n| AttachmentInput {
                kind: AttachmentKind::Photo,
                name: format!("{n}.jpg"),
                size_bytes: 0,
                checksum: format!("sha256:{HEX}"),
            })
            .collect();
        let got = pointers(i.parse("b1").unwrap_err());
        assert_eq!(
            got,
            vec![p("/cohost_branch_ids", "length"), p("/attachments", "length"), p("/project_ids", "length")]
        );
        let mut i = input();
        i.cohost_branch_ids = (0..MAX_COHOSTS).map(|n| format!("b{n}x")).collect();
        i.project_ids = (0..MAX_PROJECTS).map(|n| format!("p{n}")).collect();
        assert!(i.parse("b1").is_ok());
    }
}
