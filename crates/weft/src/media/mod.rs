//! Video and sound files: probing with ffprobe, thumbnails and audio with ffmpeg. Child processes run
//! with a time limit and are killed if the caller goes away.

pub mod probe;
pub mod reel;
pub mod thumbnail;

use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

/// Why running ffmpeg or ffprobe failed.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{0} is not installed (Debian/Ubuntu: apt-get install ffmpeg)")]
    Missing(&'static str),
    #[error("{tool} did not finish within {} s", .limit.as_secs())]
    Timeout { tool: &'static str, limit: Duration },
    #[error("{tool} failed: {message}")]
    Failed { tool: &'static str, message: String },
}

/// Runs a tool to completion within `limit`; on timeout the process is killed.
pub(crate) async fn run_tool(
    tool: &'static str,
    mut command: Command,
    limit: Duration,
) -> Result<Output, ToolError> {
    command
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null());
    let child = command.output();
    match tokio::time::timeout(limit, child).await {
        Err(_) => Err(ToolError::Timeout { tool, limit }),
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(ToolError::Missing(tool))
        }
        Ok(Err(error)) => Err(ToolError::Failed {
            tool,
            message: error.to_string(),
        }),
        Ok(Ok(output)) => Ok(output),
    }
}

/// Copies the streams of `input` into a new container file `output` in ffmpeg's `muxer`
/// format, without re-encoding: the container gets a duration and a seek index, which
/// recordings streamed by browsers lack.
pub async fn remux(
    input: &std::path::Path,
    output: &std::path::Path,
    muxer: &str,
    limit: Duration,
) -> Result<(), ToolError> {
    let mut command = Command::new("ffmpeg");
    command
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(input)
        .args(["-map", "0", "-c", "copy", "-f", muxer])
        .arg(output);
    let result = run_tool("ffmpeg", command, limit).await?;
    if result.status.success() {
        Ok(())
    } else {
        let message = last_line(&result.stderr).replace(&input.display().to_string(), "the file");
        Err(ToolError::Failed {
            tool: "ffmpeg",
            message,
        })
    }
}

/// The last non-empty line a tool wrote to stderr (its error, usually).
pub(crate) fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_string()
}
