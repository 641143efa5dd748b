//! Bringing entries in from other journal apps.

pub mod dayone;
