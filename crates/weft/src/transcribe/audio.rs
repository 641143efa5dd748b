//! The audio track of a video as 16 kHz mono 16-bit WAV: what speech engines take.

use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use crate::media::{last_line, run_tool, ToolError};

/// Extracts the audio of `video` into `wav`. A video without sound gives a short silent
/// file rather than an error, so it transcribes to nothing.
pub async fn extract(video: &Path, wav: &Path, limit: Duration) -> Result<(), ToolError> {
    let mut command = Command::new("ffmpeg");
    command
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(video)
        .args([
            "-vn",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-c:a",
            "pcm_s16le",
            "-f",
            "wav",
        ])
        .arg(wav);
    let output = run_tool("ffmpeg", command, limit).await?;
    if output.status.success() {
        return Ok(());
    }
    let message = last_line(&output.stderr);
    if message.contains("does not contain any stream")
        || message.contains("Output file does not contain")
    {
        let mut silent = Command::new("ffmpeg");
        silent
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "anullsrc=r=16000:cl=mono",
            ])
            .args(["-t", "0.5", "-c:a", "pcm_s16le", "-f", "wav"])
            .arg(wav);
        let output = run_tool("ffmpeg", silent, limit).await?;
        if output.status.success() {
            return Ok(());
        }
    }
    Err(ToolError::Failed {
        tool: "ffmpeg",
        message: format!("audio extraction: {message}"),
    })
}

/// Compresses a WAV of speech into Ogg Opus (32 kb/s, tuned for voice): a tenth of the
/// WAV's size, so that an hour of speech is about 14 MB and fits under the 25 MB upload
/// limit of hosted transcription APIs (WAV passes it after 13 minutes).
pub async fn to_opus(wav: &Path, ogg: &Path, limit: Duration) -> Result<(), ToolError> {
    let mut command = Command::new("ffmpeg");
    command
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(wav)
        .args([
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            "-application",
            "voip",
            "-f",
            "ogg",
        ])
        .arg(ogg);
    let output = run_tool("ffmpeg", command, limit).await?;
    if output.status.success() {
        Ok(())
    } else {
        Err(ToolError::Failed {
            tool: "ffmpeg",
            message: format!("audio compression: {}", last_line(&output.stderr)),
        })
    }
}

/// Reads 16-bit PCM samples of a WAV file as f32 in -1..1 (what Whisper takes).
pub fn read_wav_f32(bytes: &[u8]) -> Result<Vec<f32>, String> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a WAV file".into());
    }
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
            as usize;
        let body = at + 8;
        if id == b"data" {
            let end = (body + size).min(bytes.len());
            return Ok(bytes[body..end]
                .chunks_exact(2)
                .map(|pair| i16::from_le_bytes([pair[0], pair[1]]) as f32 / 32768.0)
                .collect());
        }
        at = body + size + (size & 1);
    }
    Err("the WAV file has no data chunk".into())
}

#[cfg(test)]
mod tests {
    use super::read_wav_f32;

    #[test]
    fn wav_samples_are_read_as_floats() {
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF\0\0\0\0WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&[1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0]);
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&4u32.to_le_bytes());
        wav.extend_from_slice(&i16::MAX.to_le_bytes());
        wav.extend_from_slice(&i16::MIN.to_le_bytes());
        let samples = read_wav_f32(&wav).unwrap();
        assert_eq!(samples.len(), 2);
        assert!((samples[0] - 1.0).abs() < 0.001 && (samples[1] + 1.0).abs() < 0.001);
        assert!(read_wav_f32(b"not a wav").is_err());
    }
}
