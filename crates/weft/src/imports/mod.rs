//! Bringing entries in from other journal apps.

pub mod dayone;
pub mod importer;
pub mod runs;
