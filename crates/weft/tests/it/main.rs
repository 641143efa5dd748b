//! Weft's integration tests, one binary: each module is the suite of one part (named as its
//! test binary was before they were merged), all sharing the fixtures of `common`. Each test
//! drives the real router, the built `weft` binary or real child processes against a real
//! PostgreSQL; under cargo-nextest every test runs in a process of its own.
//!
//! One suite stays a binary of its own: `tests/embedded_supervision.rs` makes its process a
//! child subreaper and reaps every child it has, which would steal the children of tests
//! sharing its process under `cargo test`.

// Tests may unwrap: a panic there is a failed test with a clear location.
#![allow(clippy::unwrap_used)]

mod common;

mod accounts;
mod api;
mod api_tokens;
mod backup;
// The browser and the Whisper tests need the engine compiled in (the default build has it).
#[cfg(feature = "whisper")]
mod browser;
#[cfg(feature = "whisper")]
mod browser_days;
#[cfg(feature = "whisper")]
mod browser_entry;
#[cfg(feature = "whisper")]
mod browser_export;
#[cfg(feature = "whisper")]
mod browser_import;
mod browser_media_kinds;
#[cfg(feature = "whisper")]
mod browser_oidc;
#[cfg(feature = "whisper")]
mod browser_pages;
#[cfg(feature = "whisper")]
mod browser_reels;
#[cfg(feature = "whisper")]
mod browser_search;
#[cfg(feature = "whisper")]
mod browser_tags;
#[cfg(feature = "whisper")]
mod browser_totp;
#[cfg(feature = "whisper")]
mod browser_uploads;
mod chaos;
mod days;
mod embedded;
mod export;
mod faults_kill;
mod faults_postgres;
mod faults_scale;
mod hardening;
mod health;
mod hostile_input;
mod import;
mod import_dayone;
mod instance_backup;
mod jobs;
mod jobs_cli;
mod journals;
mod languages;
mod media_kinds;
mod metrics;
mod migrations;
mod oidc;
mod openai_engine;
mod openapi_validates;
mod queries;
mod reels;
mod refused_text;
mod reset_link;
mod rls;
mod schema;
mod schemathesis;
mod search;
mod search_kept;
mod seed;
mod semantic;
mod session_cache;
mod studio;
mod test_databases;
mod totp;
#[cfg(feature = "whisper")]
mod transcribe_cli;
#[cfg(feature = "whisper")]
mod transcription;
mod upload_fuzz;
mod uploads_tus;
mod user_cli;
mod web_days;
mod web_entry;
mod web_pages;
mod web_pwa;
mod web_reels;
mod web_tags;
