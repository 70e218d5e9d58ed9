//! Zhaoshang domain: value types that can only be built valid, the entities of the
//! foundation (organizations, users, alliances), the role table of DESIGN.md §2 and the
//! errors every use case speaks. Pure Rust: no I/O, no diesel, no actix.

pub mod activity;
pub mod alliance;
pub mod auth;
pub mod branch;
pub mod calendar;
pub mod enterprise;
pub mod error;
pub mod labels;
pub mod money;
pub mod org;
pub mod party;
pub mod points;
pub mod project;
pub mod text;
pub mod ticket;
pub mod user;
pub mod visit;

pub use error::{DomainError, FieldViolation};
