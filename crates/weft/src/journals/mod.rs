//! The journals service: what a user's journals are read and changed through, beyond the
//! single queries of `db::journals`.

pub mod page_cache;
