//! A thumbnail: one frame from early in the video, as a JPEG.

use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use super::{last_line, run_tool, ToolError};

/// Writes a JPEG (at most 640 pixels wide) of the frame at one second, or at the middle of a
/// shorter video, to `out`.
pub async fn make(
    video: &Path,
    duration: f64,
    out: &Path,
    limit: Duration,
) -> Result<(), ToolError> {
    let at = if duration > 2.0 { 1.0 } else { duration / 2.0 };
    let mut command = Command::new("ffmpeg");
    command
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-ss",
            &format!("{at:.3}"),
            "-i",
        ])
        .arg(video)
        .args([
            "-frames:v",
            "1",
            "-vf",
            "scale='min(640,iw)':-2",
            "-q:v",
            "4",
            "-f",
            "image2",
        ])
        .arg(out);
    let output = run_tool("ffmpeg", command, limit).await?;
    if output.status.success() && out.metadata().map(|m| m.len() > 0).unwrap_or(false) {
        Ok(())
    } else {
        Err(ToolError::Failed {
            tool: "ffmpeg",
            message: format!("no thumbnail: {}", last_line(&output.stderr)),
        })
    }
}
