//! Enterprise visits (走访 / 考察): a dated contact with an enterprise, outbound (we visit
//! them) or inbound (their delegation inspects us), with the phone's check-in location and the
//! late-entry rule.

use chrono::{DateTime, Duration, Utc};

use crate::error::Violations;
use crate::{labeled_enum, DomainError, FieldViolation};

labeled_enum! {
    /// Who travels: we go to the enterprise, or its delegation comes to us.
    pub enum VisitDirection {
        Outbound = ("outbound", "走访（我方上门）", "Outbound (we visit the enterprise)"),
        Inbound = ("inbound", "来考察", "Inbound (the enterprise's delegation inspects us)"),
    }
}

labeled_enum! {
    /// What the visit was for. `visit`, `on_site_matching`, `policy_briefing` and `follow_up`
    /// are outbound; `inspection` is inbound.
    pub enum VisitPurpose {
        Visit = ("visit", "走访", "Visit"),
        OnSiteMatching = ("on_site_matching", "上门对接", "On-site matchmaking"),
        PolicyBriefing = ("policy_briefing", "政策宣讲", "Policy briefing"),
        FollowUp = ("follow_up", "回访", "Follow-up visit"),
        Inspection = ("inspection", "来考察", "Inspection by the enterprise's delegation"),
    }
}

impl VisitPurpose {
    /// The direction a visit with this purpose has.
    pub fn direction(self) -> VisitDirection {
        match self {
            VisitPurpose::Visit
            | VisitPurpose::OnSiteMatching
            | VisitPurpose::PolicyBriefing
            | VisitPurpose::FollowUp => VisitDirection::Outbound,
            VisitPurpose::Inspection => VisitDirection::Inbound,
        }
    }
}

impl VisitDirection {
    /// The purposes a visit in this direction may have.
    pub fn purposes(self) -> Vec<VisitPurpose> {
        VisitPurpose::ALL.iter().copied().filter(|p| p.direction() == self).collect()
    }
}

/// Checks that the purpose belongs to the direction (422 at `/purpose` otherwise).
pub fn check_purpose(direction: VisitDirection, purpose: VisitPurpose) -> Result<(), DomainError> {
    if purpose.direction() == direction {
        return Ok(());
    }
    let allowed: Vec<&str> = direction.purposes().iter().map(|p| p.as_str()).collect();
    Err(DomainError::invalid(
        "/purpose",
        "purpose_direction",
        format!("{purpose} is not a purpose of an {direction} visit; allowed: {}", allowed.join(", ")),
    ))
}

/// How much later than the phone's `recorded_at` a `visited_at` may lie before the visit is
/// flagged `late_entry`, by default (the service setting `ZS_LATE_ENTRY_HOURS`).
pub const LATE_ENTRY_THRESHOLD_HOURS: i64 = 24;

/// The default late-entry threshold as a duration.
pub fn late_entry_threshold() -> Duration {
    Duration::hours(LATE_ENTRY_THRESHOLD_HOURS)
}

/// The late-entry rule: a visit whose `visited_at` lies more than the threshold after the
/// phone's `recorded_at` is flagged. It is never refused, and neither time is changed; without
/// `recorded_at` nothing is flagged.
pub fn is_late_entry(visited_at: DateTime<Utc>, recorded_at: Option<DateTime<Utc>>, threshold: Duration) -> bool {
    recorded_at.is_some_and(|r| visited_at - r > threshold)
}

/// Largest accepted accuracy radius, in metres.
pub const MAX_ACCURACY_M: f64 = 100_000.0;

/// The check-in location from the phone, checked: coordinates in WGS 84 degrees (both or
/// neither), the accuracy radius in metres (only with coordinates), and the address text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub address: Option<String>,
}

impl Location {
    /// Whether nothing is known of the location.
    pub fn is_empty(&self) -> bool {
        self.latitude.is_none() && self.longitude.is_none() && self.accuracy_m.is_none() && self.address.is_none()
    }

    /// Checks a location; every failing field at once, with pointers under `prefix`
    /// (`/location`).
    pub fn parse(
        prefix: &str,
        latitude: Option<f64>,
        longitude: Option<f64>,
        accuracy_m: Option<f64>,
        address: Option<&str>,
    ) -> Result<Location, DomainError> {
        let mut v = Violations::new();
        let mut range = |field: &str, value: Option<f64>, min: f64, max: f64, unit: &str| {
            if let Some(x) = value {
                if !(min..=max).contains(&x) {
                    v.push(FieldViolation::new(
                        format!("{prefix}/{field}"),
                        "range",
                        format!("{x} is out of range ({min}..={max} {unit})"),
                    ));
                }
            }
        };
        range("latitude", latitude, -90.0, 90.0, "degrees");
        range("longitude", longitude, -180.0, 180.0, "degrees");
        range("accuracy_m", accuracy_m, 0.0, MAX_ACCURACY_M, "metres");
        match (latitude, longitude) {
            (Some(_), None) => {
                v.push(FieldViolation::new(format!("{prefix}/longitude"), "required", "a latitude needs its longitude"))
            }
            (None, Some(_)) => {
                v.push(FieldViolation::new(format!("{prefix}/latitude"), "required", "a longitude needs its latitude"))
            }
            (None, None) if accuracy_m.is_some() => v.push(FieldViolation::new(
                format!("{prefix}/accuracy_m"),
                "requires_coordinates",
                "an accuracy applies only to coordinates",
            )),
            _ => {}
        }
        let address = address.and_then(|a| v.take(crate::text::name(&format!("{prefix}/address"), a, 500)));
        v.into_result()?;
        Ok(Location { latitude, longitude, accuracy_m, address })
    }
}

/// A visit as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub id: String,
    pub owner_organization_id: String,
    pub direction: VisitDirection,
    pub purpose: VisitPurpose,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub visited_at: DateTime<Utc>,
    /// The phone's clock when the visit was recorded.
    pub recorded_at: Option<DateTime<Utc>>,
    /// Flagged by [`is_late_entry`].
    pub late_entry: bool,
    pub location: Location,
    /// Users who took part, sorted by id.
    pub participants: Vec<String>,
    pub external_attendees: String,
    pub summary: String,
    pub findings: String,
    pub next_steps: String,
    /// Policy feedback tags, sorted.
    pub policy_tags: Vec<String>,
    pub created_by: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A policy feedback tag (政策诉求标签) such as "人才公寓" or "用地指标": 1-40 characters, no
/// control characters.
pub fn parse_policy_tag(pointer: &str, raw: &str) -> Result<String, DomainError> {
    crate::text::name(pointer, raw, 40)
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

    #[test]
    fn outbound_purposes_are_the_first_four_and_inbound_only_inspection() {
        use VisitPurpose::*;
        assert_eq!(VisitDirection::Outbound.purposes(), vec![Visit, OnSiteMatching, PolicyBriefing, FollowUp]);
        assert_eq!(VisitDirection::Inbound.purposes(), vec![Inspection]);
        for p in VisitPurpose::ALL {
            for d in VisitDirection::ALL {
                assert_eq!(check_purpose(*d, *p).is_ok(), p.direction() == *d, "{d} {p}");
            }
        }
    }

    #[test]
    fn a_mismatch_names_the_purpose_and_the_allowed_ones() {
        let e = check_purpose(VisitDirection::Inbound, VisitPurpose::PolicyBriefing).unwrap_err();
        match e {
            DomainError::Validation(v) => {
                assert_eq!((v[0].pointer.as_str(), v[0].code.as_str()), ("/purpose", "purpose_direction"));
                assert!(v[0].detail.ends_with("allowed: inspection"), "{}", v[0].detail);
            }
            other => panic!("{other:?}"),
        }
        let e = check_purpose(VisitDirection::Outbound, VisitPurpose::Inspection).unwrap_err();
        assert_eq!(pointers(e), vec![("/purpose".to_owned(), "purpose_direction".to_owned())]);
    }

    #[test]
    fn late_entry_is_visited_more_than_24_hours_after_recorded() {
        let visited = at("2026-03-05T10:00:00+08:00");
        assert!(!is_late_entry(visited, None, late_entry_threshold()));
        // Exactly the threshold is not late; one second more is.
        assert!(!is_late_entry(visited, Some(at("2026-03-04T10:00:00+08:00")), late_entry_threshold()));
        assert!(is_late_entry(visited, Some(at("2026-03-04T09:59:59+08:00")), late_entry_threshold()));
        assert!(is_late_entry(visited, Some(at("2026-02-20T10:00:00+08:00")), late_entry_threshold()));
        // Recorded after the visit (the usual case) or shortly before: not late.
        assert!(!is_late_entry(visited, Some(at("2026-03-05T10:00:00+08:00")), late_entry_threshold()));
        assert!(!is_late_entry(visited, Some(at("2026-03-09T18:00:00+08:00")), late_entry_threshold()));
        assert!(!is_late_entry(visited, Some(at("2026-03-05T02:00:00+08:00")), late_entry_threshold()));
        assert_eq!(late_entry_threshold(), Duration::hours(24));
    }

    #[test]
    fn coordinates_within_range_pass_including_the_edges() {
        for (lat, lon) in [(24.0, 97.85), (-90.0, -180.0), (90.0, 180.0), (0.0, 0.0)] {
            let l = Location::parse("/location", Some(lat), Some(lon), Some(0.0), None).unwrap();
            assert_eq!((l.latitude, l.longitude), (Some(lat), Some(lon)));
        }
        let l = Location::parse("/location", Some(24.0), Some(97.8), Some(MAX_ACCURACY_M), Some(" 瑞丽 ")).unwrap();
        assert_eq!(l.address.as_deref(), Some("瑞丽"));
        assert!(Location::parse("/location", None, None, None, None).unwrap().is_empty());
        assert!(!Location::parse("/location", None, None, None, Some("两江新区")).unwrap().is_empty());
    }

    #[test]
    fn every_out_of_range_field_is_reported_at_once() {
        let e = Location::parse("/location", Some(90.5), Some(-180.01), Some(-1.0), None).unwrap_err();
        assert_eq!(
            pointers(e),
            vec![
                ("/location/latitude".to_owned(), "range".to_owned()),
                ("/location/longitude".to_owned(), "range".to_owned()),
                ("/location/accuracy_m".to_owned(), "range".to_owned()),
            ]
        );
        let e = Location::parse("/location", Some(-91.0), Some(181.0), Some(100_000.5), Some("")).unwrap_err();
        assert_eq!(pointers(e).len(), 4);
        assert!(Location::parse("/location", Some(f64::NAN), Some(0.0), None, None).is_err());
    }

    #[test]
    fn coordinates_come_in_pairs_and_accuracy_needs_them() {
        let e = Location::parse("/location", Some(24.0), None, None, None).unwrap_err();
        assert_eq!(pointers(e), vec![("/location/longitude".to_owned(), "required".to_owned())]);
        let e = Location::parse("/location", None, Some(97.8), None, None).unwrap_err();
        assert_eq!(pointers(e), vec![("/location/latitude".to_owned(), "required".to_owned())]);
        let e = Location::parse("/location", None, None, Some(10.0), None).unwrap_err();
        assert_eq!(pointers(e), vec![("/location/accuracy_m".to_owned(), "requires_coordinates".to_owned())]);
    }

    #[test]
    fn policy_tags_are_short_single_lines() {
        assert_eq!(parse_policy_tag("/t/0", " 人才公寓 ").unwrap(), "人才公寓");
        assert!(parse_policy_tag("/t/0", "").is_err());
        assert!(parse_policy_tag("/t/0", &"长".repeat(41)).is_err());
    }
}
