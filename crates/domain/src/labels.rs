//! Enums of the API with stable English codes and their zh-CN and en labels
//! (served by `GET /v1/meta/enums` for apps to display).

/// One value of a labelled enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

/// An enum of the API, named as in the OpenAPI document.
#[derive(Debug, Clone, Copy)]
pub struct EnumLabels {
    pub name: &'static str,
    pub values: &'static [Label],
}

/// Declares an enum whose values have a stable code and zh/en labels. The code is the serde
/// name and the database value.
#[macro_export]
macro_rules! labeled_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = ($code:literal, $zh:literal, $en:literal),)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const LABELS: $crate::labels::EnumLabels = $crate::labels::EnumLabels {
                name: stringify!($name),
                values: &[$($crate::labels::Label { code: $code, zh: $zh, en: $en }),+],
            };

            /// The stable code (wire and database value).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a stable code.
            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        // The schema lists the wire codes (not the Rust variant names) and their labels.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .description(Some(concat!($("`", $code, "`: ", $zh, " (", $en, "). "),+).trim_end()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Every labelled enum of the API.
pub fn all() -> Vec<EnumLabels> {
    vec![
        crate::org::OrgLevel::LABELS,
        crate::auth::Role::LABELS,
        crate::auth::Scope::LABELS,
        crate::alliance::MembershipState::LABELS,
        crate::enterprise::Ownership::LABELS,
        crate::enterprise::IndustrySection::LABELS,
        crate::project::Stage::LABELS,
        crate::project::DropReason::LABELS,
        crate::project::ProjectCategory::LABELS,
        crate::project::InvestmentType::LABELS,
        crate::calendar::DayKind::LABELS,
        crate::ticket::Priority::LABELS,
        crate::ticket::TicketCategory::LABELS,
        crate::ticket::TicketSource::LABELS,
        crate::ticket::TicketStatus::LABELS,
        crate::ticket::TicketEventKind::LABELS,
        crate::visit::VisitDirection::LABELS,
        crate::visit::VisitPurpose::LABELS,
        crate::party::ActivityType::LABELS,
        crate::party::ActivityStatus::LABELS,
        crate::party::AttachmentKind::LABELS,
        crate::party::AttendanceStatus::LABELS,
        crate::party::PartyRole::LABELS,
        crate::party::PointKind::LABELS,
        crate::party::RulePeriod::LABELS,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_has_both_labels_and_unique_codes() {
        for e in all() {
            let mut codes: Vec<_> = e.values.iter().map(|l| l.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), e.values.len(), "duplicate code in {}", e.name);
            for l in e.values {
                assert!(!l.zh.is_empty() && !l.en.is_empty(), "{}.{} lacks a label", e.name, l.code);
            }
        }
    }
}
