//! The API's conventions: one error shape, JSON bodies, and the signed-in user.

pub mod common_responses;
pub mod error;
pub mod json;
pub mod plain_errors;
pub mod range;

pub use error::ApiError;
pub use json::ApiJson;
