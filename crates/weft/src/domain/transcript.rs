//! A transcript's timestamped segments, as engines produce them and the API carries them.

use serde::{Deserialize, Serialize};

/// One timestamped piece of a transcript; times are seconds within the video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// 0..1, when the engine reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}
