//! Users: login names and passwords.

use crate::DomainError;

/// A login name: 3–64 characters of a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit.
pub fn parse_username(pointer: &str, raw: &str) -> Result<String, DomainError> {
    let ok = (3..=64).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && raw.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(
            pointer,
            "username",
            "must be 3-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
        ))
    }
}

/// A password: 10–128 characters, not only letters or only digits.
pub fn check_password(pointer: &str, raw: &str) -> Result<(), DomainError> {
    let n = raw.chars().count();
    if !(10..=128).contains(&n) {
        return Err(DomainError::invalid(pointer, "password", "must be 10-128 characters"));
    }
    let letters = raw.chars().any(char::is_alphabetic);
    let others = raw.chars().any(|c| !c.is_alphabetic());
    if !(letters && others) {
        return Err(DomainError::invalid(pointer, "password", "must mix letters with digits or symbols"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(parse_username("/u", "ruili.admin").is_ok());
        assert!(parse_username("/u", "Ruili").is_err());
        assert!(parse_username("/u", "_x1").is_err());
        assert!(parse_username("/u", "ab").is_err());
    }

    #[test]
    fn passwords() {
        assert!(check_password("/p", "Zhaoshang-2026").is_ok());
        assert!(check_password("/p", "short1").is_err());
        assert!(check_password("/p", "onlyletterslong").is_err());
        assert!(check_password("/p", "12345678901").is_err());
    }
}

/// A user as the API shows it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub organization_id: String,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<crate::auth::Role>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A service account (partner system) as the API shows it (never its secret hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub client_id: String,
    pub scopes: Vec<crate::auth::Scope>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A mobile phone number (11 digits starting with 1) or a fixed line with area code.
pub fn parse_phone(pointer: &str, raw: &str) -> Result<String, DomainError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let body = digits.strip_prefix("+86").unwrap_or(&digits);
    let ok = body.bytes().all(|b| b.is_ascii_digit())
        && ((body.len() == 11 && body.starts_with('1')) || ((10..=12).contains(&body.len()) && body.starts_with('0')));
    if raw.contains('*') {
        return Err(DomainError::invalid(
            pointer,
            "masked_value",
            "a masked value cannot be saved; send the full number",
        ));
    }
    if ok {
        Ok(body.to_owned())
    } else {
        Err(DomainError::invalid(pointer, "phone", "must be an 11-digit mobile number or a fixed line with area code"))
    }
}

/// An e-mail address (one `@`, a dotted domain, no spaces).
pub fn parse_email(pointer: &str, raw: &str) -> Result<String, DomainError> {
    if raw.contains('*') {
        return Err(DomainError::invalid(
            pointer,
            "masked_value",
            "a masked value cannot be saved; send the full address",
        ));
    }
    let ok = raw.len() <= 254
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(raw.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !d.contains('@'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(pointer, "email", "must be an e-mail address"))
    }
}

#[cfg(test)]
mod contact_tests {
    use super::*;

    #[test]
    fn phones_and_emails() {
        assert_eq!(parse_phone("/p", "138 0013 8000").ok().as_deref(), Some("13800138000"));
        assert_eq!(parse_phone("/p", "+86 13800138000").ok().as_deref(), Some("13800138000"));
        assert!(parse_phone("/p", "0692-4141234").is_ok());
        assert!(parse_phone("/p", "138****8000").is_err());
        assert!(parse_phone("/p", "12345").is_err());
        assert!(parse_email("/e", "zs@ruili.gov.cn").is_ok());
        assert!(parse_email("/e", "z***@ruili.gov.cn").is_err());
        assert!(parse_email("/e", "no-at.example").is_err());
    }
}
