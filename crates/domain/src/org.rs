//! Organizations: bureaus, parks, departments and stationed teams in a tree.

use crate::{labeled_enum, DomainError};

labeled_enum! {
    /// Level of an organization in the administrative tree.
    pub enum OrgLevel {
        Province = ("province", "省级", "Province"),
        Prefecture = ("prefecture", "市（州）级", "Prefecture / city"),
        County = ("county", "县（区）级", "County / district"),
        Park = ("park", "园区", "Industrial park"),
        Department = ("department", "部门", "Department"),
        Team = ("team", "小分队", "Stationed team"),
    }
}

/// Province-level prefixes of GB/T 2260 administrative division codes.
const PROVINCE_PREFIXES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// A 6-digit administrative division code (行政区划代码, GB/T 2260), e.g. `533102` (Ruili).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(pointer: &str, raw: &str) -> Result<Self, DomainError> {
        let bad = |detail: &str| DomainError::invalid(pointer, "region_code", detail.to_owned());
        if raw.len() != 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("must be a 6-digit administrative division code"));
        }
        let b = raw.as_bytes();
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !PROVINCE_PREFIXES.contains(&province) {
            return Err(bad("the first two digits name no province-level division"));
        }
        // A county-level code (last two digits) can only exist under a prefecture-level one.
        if &raw[2..4] == "00" && &raw[4..6] != "00" {
            return Err(bad("a county part needs a prefecture part"));
        }
        Ok(RegionCode(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short code of an organization: 2–32 upper-case letters, digits and dashes, unique.
pub fn parse_short_code(pointer: &str, raw: &str) -> Result<String, DomainError> {
    let ok = (2..=32).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(pointer, "short_code", "must be 2-32 characters of A-Z, 0-9 and inner dashes"))
    }
}

/// An IANA time zone name as used for business dates; only zones of China are accepted.
pub fn parse_time_zone(pointer: &str, raw: &str) -> Result<String, DomainError> {
    const ZONES: &[&str] = &["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei"];
    if ZONES.contains(&raw) {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(pointer, "time_zone", format!("must be one of {}", ZONES.join(", "))))
    }
}

/// Which levels may sit directly under a parent of the given level.
pub fn child_level_allowed(parent: OrgLevel, child: OrgLevel) -> bool {
    use OrgLevel::*;
    match parent {
        Province => matches!(child, Prefecture | County | Park | Department | Team),
        Prefecture => matches!(child, County | Park | Department | Team),
        County => matches!(child, Park | Department | Team),
        Park | Department => matches!(child, Department | Team),
        Team => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes() {
        assert!(RegionCode::parse("/r", "533102").is_ok()); // Ruili
        assert!(RegionCode::parse("/r", "530000").is_ok()); // Yunnan
        assert!(RegionCode::parse("/r", "500000").is_ok()); // Chongqing
        assert!(RegionCode::parse("/r", "99").is_err());
        assert!(RegionCode::parse("/r", "5331O2").is_err());
        assert!(RegionCode::parse("/r", "993102").is_err());
        assert!(RegionCode::parse("/r", "530012").is_err());
        assert!(RegionCode::parse("/r", "５３３１０２").is_err());
    }

    #[test]
    fn short_codes() {
        assert!(parse_short_code("/s", "YN-DH-RL").is_ok());
        assert!(parse_short_code("/s", "yn").is_err());
        assert!(parse_short_code("/s", "-YN").is_err());
        assert!(parse_short_code("/s", "A").is_err());
    }

    #[test]
    fn tree_levels() {
        assert!(child_level_allowed(OrgLevel::Province, OrgLevel::Prefecture));
        assert!(child_level_allowed(OrgLevel::County, OrgLevel::Park));
        assert!(!child_level_allowed(OrgLevel::County, OrgLevel::Province));
        assert!(!child_level_allowed(OrgLevel::Team, OrgLevel::Team));
    }
}

/// An organization as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    pub name: String,
    pub short_code: String,
    pub region_code: String,
    pub time_zone: String,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Today's date in one of the accepted time zones (all fixed offsets without daylight saving:
/// China Standard Time, and UTC+6 for Asia/Urumqi).
pub fn today_in(time_zone: &str, now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    let offset_hours = if time_zone == "Asia/Urumqi" { 6 } else { 8 };
    (now + chrono::Duration::hours(offset_hours)).date_naive()
}
