//! Middleware applied to every response.

pub mod headers;
