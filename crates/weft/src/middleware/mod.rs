//! Middleware applied to every request and response.

pub mod headers;
pub mod metrics;
