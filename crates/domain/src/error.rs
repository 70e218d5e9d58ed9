//! The errors a use case answers with. The http crate maps each to one problem+json status.

use serde::Serialize;

/// One failing field of a request, addressed by a JSON pointer into the request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldViolation {
    pub pointer: String,
    pub code: String,
    pub detail: String,
}

impl FieldViolation {
    pub fn new(pointer: impl Into<String>, code: &str, detail: impl Into<String>) -> Self {
        Self { pointer: pointer.into(), code: code.to_owned(), detail: detail.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input that breaks a rule; every failing field at once.
    #[error("validation failed")]
    Validation(Vec<FieldViolation>),
    /// The record does not exist, or the caller may not see it (the two are indistinguishable).
    #[error("not found")]
    NotFound,
    /// The caller sees the record but its roles do not allow the action.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The action conflicts with the current state (duplicate, illegal transition …).
    #[error("{code}: {detail}")]
    Conflict { code: &'static str, detail: String },
    /// `If-Match` named a version that is no longer current.
    #[error("precondition failed: current version is {current}")]
    PreconditionFailed { current: i64 },
    /// Credentials or token refused.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Too many failed attempts; try again after the given number of seconds.
    #[error("locked for {retry_after_secs}s")]
    Locked { retry_after_secs: i64 },
}

impl DomainError {
    pub fn invalid(pointer: &str, code: &str, detail: impl Into<String>) -> Self {
        DomainError::Validation(vec![FieldViolation::new(pointer, code, detail)])
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        DomainError::Conflict { code, detail: detail.into() }
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        DomainError::Forbidden(detail.into())
    }
}

/// Collects violations while a command is parsed, so a client learns of every bad field at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, v: FieldViolation) {
        self.0.push(v);
    }

    /// Keeps the value when parsing succeeded, records the violations otherwise.
    pub fn take<T>(&mut self, r: Result<T, DomainError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(DomainError::Validation(mut vs)) => {
                self.0.append(&mut vs);
                None
            }
            Err(other) => {
                self.0.push(FieldViolation::new("", "invalid", other.to_string()));
                None
            }
        }
    }

    pub fn into_result(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.0))
        }
    }
}
