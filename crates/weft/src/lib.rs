//! Weft: a self-hosted video journal.

pub mod cli;
pub mod config;
pub mod db;
pub mod routes;
pub mod server;
pub mod util;
