//! Plain text fields: trimmed, bounded, free of control characters.

use crate::DomainError;

/// A non-empty single-line text of at most `max` characters, trimmed.
pub fn name(pointer: &str, raw: &str, max: usize) -> Result<String, DomainError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(DomainError::invalid(pointer, "required", "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(DomainError::invalid(pointer, "length", format!("must be at most {max} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(DomainError::invalid(pointer, "control_characters", "must not contain control characters"));
    }
    Ok(t.to_owned())
}

/// A possibly empty multi-line text of at most `max` characters (tabs and newlines allowed).
pub fn body(pointer: &str, raw: &str, max: usize) -> Result<String, DomainError> {
    if raw.chars().count() > max {
        return Err(DomainError::invalid(pointer, "length", format!("must be at most {max} characters")));
    }
    if raw.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(DomainError::invalid(pointer, "control_characters", "must not contain control characters"));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_trims_and_bounds() {
        assert_eq!(name("/n", "  瑞丽  ", 5).ok(), Some("瑞丽".to_owned()));
        assert!(name("/n", "   ", 5).is_err());
        assert!(name("/n", "一二三四五六", 5).is_err());
        assert!(name("/n", "a\u{0}b", 5).is_err());
    }

    #[test]
    fn body_keeps_newlines_but_not_other_controls() {
        assert!(body("/b", "line1\nline2\t", 100).is_ok());
        assert!(body("/b", "bell\u{7}", 100).is_err());
    }
}
