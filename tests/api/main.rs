//! Black-box tests: each test starts the real application on a fresh database and speaks
//! HTTP to it. Every test runs twice, on SQLite and on PostgreSQL (`TEST_DATABASE_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

mod activities;
mod alliances;
mod auth;
mod branches;
mod calendar;
mod contract;
mod demo;
mod enterprises;
mod migrations;
mod organizations;
mod points;
mod projects;
mod signing_events;
mod tickets;
mod users;
mod visits;
