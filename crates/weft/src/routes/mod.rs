//! HTTP routes, one module per resource; each exports `router()`.

pub mod health;
