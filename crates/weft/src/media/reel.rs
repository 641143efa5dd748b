//! The pieces of a reel video and their joining: a part of a recording, or a title card
//! (a date and a title over black), each encoded alike (H.264 and AAC, one picture size,
//! 30 frames a second, 48 kHz stereo), then joined without encoding again.
//!
//! Every piece is encoded, none is stream-copied: a copy can only start at a keyframe
//! (seconds before the words, in phone videos), and recordings differ in size, codec and
//! frame rate, which one MP4 cannot mix. Encoding each piece apart keeps ffmpeg's memory
//! flat whatever the number of moments, and the join is then a plain copy.
//!
//! ffmpeg runs in the folder of the pieces and names its files there by their plain
//! names, so that no path is ever escaped into a filter graph; the titles reach the
//! picture through text files, never through the command line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;

use super::{last_line, run_tool, ToolError};

/// The font of the title cards (Debian's `fonts-dejavu-core`).
pub const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Frames a second of the video.
const FPS: u32 = 30;

/// The picture size of a reel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
}

impl Default for Frame {
    /// 1280 × 720: phones record larger, but a reel is for watching back, and each step
    /// up costs encoding time per minute of video.
    fn default() -> Self {
        Frame {
            width: 1280,
            height: 720,
        }
    }
}

/// Why a piece could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReelError {
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(
        "the title cards' font {0} is missing (Debian/Ubuntu: apt-get install fonts-dejavu-core, \
         or run scripts/install-deps)"
    )]
    NoFont(PathBuf),
    #[error("could not write the reel's scratch files: {0}")]
    Scratch(#[from] std::io::Error),
}

/// A part of a recording to cut.
#[derive(Debug, Clone)]
pub struct Cut<'a> {
    /// The recording (any path; it is read, never written).
    pub input: &'a Path,
    /// Where the part starts, in seconds, and how long it is.
    pub from: f64,
    pub seconds: f64,
    /// Whether the recording has a picture (else the piece is black) and sound (else it is
    /// silent).
    pub has_video: bool,
    pub has_audio: bool,
}

/// The encoding of every piece, so that the join can copy them.
fn encoding() -> Vec<String> {
    [
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a",
        "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
    ]
    .map(String::from)
    .to_vec()
}

/// The picture of a recording fitted into the frame (black bars where the shapes differ),
/// held on its last image if it ends early.
fn fit(frame: Frame, seconds: f64) -> String {
    let Frame { width, height } = frame;
    format!(
        "scale={width}:{height}:force_original_aspect_ratio=decrease,\
         pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps={FPS},\
         tpad=stop_mode=clone:stop_duration={seconds:.3},format=yuv420p"
    )
}

/// Sound made alike, padded with silence if it ends early.
const SOUND: &str = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad";

fn black(frame: Frame) -> String {
    format!("color=c=black:s={}x{}:r={FPS}", frame.width, frame.height)
}

const SILENCE: &str = "anullsrc=r=48000:cl=stereo";

/// ffmpeg's arguments for a cut written to `out` (a plain name in the working folder).
fn cut_args(cut: &Cut, frame: Frame, out: &str) -> Vec<String> {
    let mut args: Vec<String> = ["-hide_banner", "-loglevel", "error", "-y"]
        .map(String::from)
        .to_vec();
    // Seeking before the input: ffmpeg decodes from the keyframe before `from` and drops
    // what comes before it, so the piece starts exactly there.
    args.extend([
        "-ss".into(),
        format!("{:.3}", cut.from),
        "-t".into(),
        format!("{:.3}", cut.seconds),
        "-i".into(),
        cut.input.display().to_string(),
    ]);
    let mut next = 1;
    let video = if cut.has_video {
        "[0:v:0]".to_string()
    } else {
        args.extend(["-f".into(), "lavfi".into(), "-i".into(), black(frame)]);
        next += 1;
        format!("[{}:v]", next - 1)
    };
    let audio = if cut.has_audio {
        "[0:a:0]".to_string()
    } else {
        args.extend(["-f".into(), "lavfi".into(), "-i".into(), SILENCE.into()]);
        format!("[{next}:a]")
    };
    let graph = format!("{video}{}[v];{audio}{SOUND}[a]", fit(frame, cut.seconds));
    args.extend(["-filter_complex".into(), graph]);
    args.extend(["-map", "[v]", "-map", "[a]"].map(String::from));
    args.extend(encoding());
    args.extend([
        "-t".into(),
        format!("{:.3}", cut.seconds),
        "-f".into(),
        "mp4".into(),
        out.into(),
    ]);
    args
}

/// ffmpeg's arguments for a title card of `seconds`, its lines read from the files
/// `date_file` and `title_file` (plain names in the working folder).
fn card_args(
    frame: Frame,
    seconds: f64,
    date_file: &str,
    title_file: &str,
    out: &str,
) -> Vec<String> {
    let big = (frame.height / 12).max(8);
    let small = (frame.height / 18).max(6);
    let gap = (frame.height / 40).max(2);
    let line = |file: &str, size: u32, y: String| {
        format!(
            "drawtext=fontfile={FONT}:textfile={file}:expansion=none:fontcolor=white:\
             fontsize={size}:x=(w-text_w)/2:y={y}"
        )
    };
    let graph = format!(
        "[0:v]{},{},format=yuv420p[v]",
        line(date_file, big, format!("h/2-text_h-{gap}")),
        line(title_file, small, format!("h/2+{gap}")),
    );
    let mut args: Vec<String> = ["-hide_banner", "-loglevel", "error", "-y"]
        .map(String::from)
        .to_vec();
    args.extend(["-f".into(), "lavfi".into(), "-i".into(), black(frame)]);
    args.extend(["-f".into(), "lavfi".into(), "-i".into(), SILENCE.into()]);
    args.extend(["-filter_complex".into(), graph]);
    args.extend(["-map", "[v]", "-map", "1:a"].map(String::from));
    args.extend(encoding());
    args.extend([
        "-t".into(),
        format!("{seconds:.3}"),
        "-f".into(),
        "mp4".into(),
        out.into(),
    ]);
    args
}

/// Runs ffmpeg with `args` in `dir`; the file `dir/out` must come out of it.
async fn ffmpeg_in(
    dir: &Path,
    args: Vec<String>,
    out: &str,
    limit: Duration,
) -> Result<(), ToolError> {
    let mut command = Command::new("ffmpeg");
    command.current_dir(dir).args(&args);
    let output = run_tool("ffmpeg", command, limit).await?;
    let made = dir
        .join(out)
        .metadata()
        .map(|m| m.len() > 0)
        .unwrap_or(false);
    if output.status.success() && made {
        Ok(())
    } else {
        Err(ToolError::Failed {
            tool: "ffmpeg",
            message: last_line(&output.stderr),
        })
    }
}

/// Cuts `cut` into `dir/out`.
pub async fn cut(
    cut: &Cut<'_>,
    frame: Frame,
    dir: &Path,
    out: &str,
    limit: Duration,
) -> Result<(), ReelError> {
    ffmpeg_in(dir, cut_args(cut, frame, out), out, limit).await?;
    Ok(())
}

/// Makes a title card of `seconds` into `dir/out`: `date` large, `title` below it.
pub async fn card(
    date: &str,
    title: &str,
    seconds: f64,
    frame: Frame,
    dir: &Path,
    out: &str,
    limit: Duration,
) -> Result<(), ReelError> {
    if !Path::new(FONT).is_file() {
        return Err(ReelError::NoFont(FONT.into()));
    }
    let date_file = format!("{out}.date.txt");
    let title_file = format!("{out}.title.txt");
    tokio::fs::write(dir.join(&date_file), date).await?;
    tokio::fs::write(dir.join(&title_file), title).await?;
    let args = card_args(frame, seconds, &date_file, &title_file, out);
    ffmpeg_in(dir, args, out, limit).await?;
    Ok(())
}

/// Joins the pieces (plain names in `dir`, made by [`cut`] and [`card`]) in order into
/// `dir/out`, an MP4 whose index comes first (so that playing starts before it is all
/// downloaded). The streams are copied.
pub async fn join(
    pieces: &[String],
    dir: &Path,
    out: &str,
    limit: Duration,
) -> Result<(), ReelError> {
    let list: String = pieces
        .iter()
        .map(|piece| format!("file '{piece}'\n"))
        .collect();
    let list_file = format!("{out}.list.txt");
    tokio::fs::write(dir.join(&list_file), list).await?;
    let args = [
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        &list_file,
        "-map",
        "0",
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        out,
    ]
    .map(String::from)
    .to_vec();
    ffmpeg_in(dir, args, out, limit).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(args: &[String]) -> String {
        args.join(" ")
    }

    #[test]
    fn a_cut_of_a_video_seeks_before_its_input_and_fits_the_frame() {
        let input = Path::new("/media/videos/u/j.mp4");
        let cut = Cut {
            input,
            from: 18.5,
            seconds: 11.5,
            has_video: true,
            has_audio: true,
        };
        let args = joined(&cut_args(&cut, Frame::default(), "piece-1.mp4"));
        assert!(
            args.contains("-ss 18.500 -t 11.500 -i /media/videos/u/j.mp4"),
            "{args}"
        );
        assert!(args.contains("[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease"));
        assert!(args.contains("[0:a:0]aresample=48000"));
        assert!(!args.contains("lavfi"), "nothing made up: {args}");
        assert!(args.ends_with("-t 11.500 -f mp4 piece-1.mp4"), "{args}");
    }

    #[test]
    fn a_sound_recording_gets_a_black_picture_and_a_silent_video_gets_silence() {
        let input = Path::new("a.m4a");
        let sound = Cut {
            input,
            from: 0.0,
            seconds: 3.0,
            has_video: false,
            has_audio: true,
        };
        let args = joined(&cut_args(&sound, Frame::default(), "p.mp4"));
        assert!(
            args.contains("-f lavfi -i color=c=black:s=1280x720:r=30"),
            "{args}"
        );
        assert!(
            args.contains("[1:v]scale=") && args.contains("[0:a:0]"),
            "{args}"
        );

        let silent = Cut {
            has_video: true,
            has_audio: false,
            ..sound.clone()
        };
        let args = joined(&cut_args(&silent, Frame::default(), "p.mp4"));
        assert!(args.contains("-f lavfi -i anullsrc"), "{args}");
        assert!(
            args.contains("[0:v:0]scale=") && args.contains("[1:a]aresample"),
            "{args}"
        );

        let neither = Cut {
            has_video: false,
            has_audio: false,
            ..sound
        };
        let args = joined(&cut_args(&neither, Frame::default(), "p.mp4"));
        assert!(
            args.contains("[1:v]scale=") && args.contains("[2:a]aresample"),
            "{args}"
        );
    }

    #[test]
    fn a_card_reads_its_lines_from_files_and_expands_nothing() {
        let args = joined(&card_args(
            Frame::default(),
            2.0,
            "c.date.txt",
            "c.title.txt",
            "c.mp4",
        ));
        assert!(
            args.contains("textfile=c.date.txt:expansion=none"),
            "{args}"
        );
        assert!(
            args.contains("textfile=c.title.txt:expansion=none"),
            "{args}"
        );
        assert!(args.contains(FONT));
        assert!(args.ends_with("-t 2.000 -f mp4 c.mp4"), "{args}");
    }
}
