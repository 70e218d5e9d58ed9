//! Money: exact integers in minor units with an ISO 4217 currency; a foreign amount carries
//! the CNY equivalent the bureau reports (there is no exchange-rate service).

use crate::error::Violations;
use crate::{DomainError, FieldViolation};

/// Currencies accepted (ISO 4217), with their minor-unit exponent.
const CURRENCIES: &[(&str, u32)] = &[
    ("CNY", 2),
    ("USD", 2),
    ("EUR", 2),
    ("HKD", 2),
    ("MOP", 2),
    ("TWD", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("GBP", 2),
    ("SGD", 2),
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("THB", 2),
    ("MYR", 2),
    ("VND", 0),
    ("LAK", 2),
    ("MMK", 2),
    ("INR", 2),
    ("AED", 2),
    ("SAR", 2),
    ("RUB", 2),
];

/// An ISO 4217 currency code of the accepted list.
pub fn parse_currency(pointer: &str, raw: &str) -> Result<String, DomainError> {
    if CURRENCIES.iter().any(|(c, _)| *c == raw) {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(pointer, "currency", "must be an ISO 4217 currency code such as CNY, USD, EUR, HKD"))
    }
}

/// Largest amount accepted, in minor units (10^15 fen = 10 trillion yuan): beyond any project,
/// and far from i64 overflow when summed.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// An amount with its currency and the CNY equivalent (equal to the amount for CNY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: [u8; 3],
    pub cny_minor: i64,
}

impl Money {
    /// Rebuilds a stored amount (already validated when it was written).
    pub fn from_stored(amount_minor: i64, currency: &str, cny_minor: i64) -> Money {
        let mut code = *b"CNY";
        if currency.len() == 3 && currency.is_ascii() {
            code.copy_from_slice(currency.as_bytes());
        }
        Money { amount_minor, currency: code, cny_minor }
    }

    pub fn currency_str(&self) -> &str {
        std::str::from_utf8(&self.currency).unwrap_or("CNY")
    }

    /// Parses an amount at `prefix` (`{prefix}_minor`, `{prefix}_currency`, `{prefix}_cny_minor`
    /// pointers). A CNY amount needs no equivalent (one given must be equal); a foreign amount
    /// needs one.
    pub fn parse(
        prefix: &str,
        amount_minor: i64,
        currency: &str,
        cny_minor: Option<i64>,
    ) -> Result<Money, DomainError> {
        let mut v = Violations::new();
        let cur = v.take(parse_currency(&format!("{prefix}/currency"), currency));
        let range = |p: String, x: i64| {
            if (0..=MAX_MINOR).contains(&x) {
                Ok(x)
            } else {
                Err(DomainError::invalid(&p, "range", format!("must be between 0 and {MAX_MINOR} minor units")))
            }
        };
        v.take(range(format!("{prefix}/amount_minor"), amount_minor));
        if let Some(c) = cny_minor {
            v.take(range(format!("{prefix}/cny_minor"), c));
        }
        let cny = match (cur.as_deref(), cny_minor) {
            (Some("CNY"), None) => amount_minor,
            (Some("CNY"), Some(c)) if c == amount_minor => c,
            (Some("CNY"), Some(_)) => {
                v.push(FieldViolation::new(
                    format!("{prefix}/cny_minor"),
                    "mismatch",
                    "a CNY amount is its own CNY equivalent",
                ));
                0
            }
            (Some(_), Some(c)) => c,
            (Some(_), None) => {
                v.push(FieldViolation::new(
                    format!("{prefix}/cny_minor"),
                    "required",
                    "a foreign-currency amount needs the CNY equivalent the bureau reports",
                ));
                0
            }
            (None, _) => 0,
        };
        v.into_result()?;
        let mut code = [0u8; 3];
        code.copy_from_slice(cur.unwrap_or_default().as_bytes());
        Ok(Money { amount_minor, currency: code, cny_minor: cny })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cny_is_its_own_equivalent() {
        let m = Money::parse("/amount", 9_250_000_000_000, "CNY", None).unwrap();
        assert_eq!(m.cny_minor, 9_250_000_000_000);
        assert_eq!(m.currency_str(), "CNY");
        assert!(Money::parse("/amount", 100, "CNY", Some(99)).is_err());
    }

    #[test]
    fn foreign_needs_equivalent_and_bounds_hold() {
        assert!(Money::parse("/amount", 100, "USD", None).is_err());
        let m = Money::parse("/amount", 100, "USD", Some(720)).unwrap();
        assert_eq!(m.cny_minor, 720);
        assert!(Money::parse("/amount", -1, "CNY", None).is_err());
        assert!(Money::parse("/amount", MAX_MINOR + 1, "CNY", None).is_err());
        assert!(Money::parse("/amount", 1, "XXX", None).is_err());
        assert!(Money::parse("/amount", 1, "usd", Some(7)).is_err());
    }
}
