//! Weft: a self-hosted video journal.

pub mod accounts;
pub mod api;
pub mod cli;
pub mod config;
pub mod connections;
pub mod db;
pub mod domain;
pub mod export;
pub mod imports;
pub mod ingest;
pub mod jobs;
pub mod journals;
pub mod media;
pub mod metrics;
pub mod middleware;
pub mod routes;
pub mod scratch;
pub mod search;
pub mod server;
pub mod storage;
pub mod studio;
pub mod sweep;
pub mod transcribe;
pub mod uploads;
pub mod util;
pub mod web;
