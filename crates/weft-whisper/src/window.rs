//! What one decoded 30-second window means: its segments, and where the next window starts.
//! Pure functions over token ids, so the rules are tested without a model.

use std::io::Write;

/// Seconds per timestamp step (`<|0.00|>`, `<|0.02|>`, ...).
pub const TIME_PRECISION: f64 = 0.02;
/// Mel frames per timestamp step (the encoder halves the 100 frames a second).
pub const FRAMES_PER_STEP: usize = 2;
/// Seconds per mel frame.
pub const SECONDS_PER_FRAME: f64 = 0.01;

/// One segment of a window, times in seconds relative to the window's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// Where the segment starts in the window.
    pub start: f64,
    /// Where the segment ends in the window.
    pub end: f64,
    /// Its tokens, the bounding timestamps included (they are kept for the next prompt).
    pub tokens: Vec<usize>,
}

/// Splits a window's output at timestamp pairs and says how many frames to advance.
///
/// The model writes `<|t0|> text <|t1|><|t1|> text <|t2|>...`. A pair of consecutive
/// timestamps closes a segment. When the output ends with a single timestamp, everything
/// before it is finished and the whole window is consumed; otherwise the last segment may be
/// cut by the window's end, so it is dropped and the next window starts at the last complete
/// timestamp, where that speech is decoded again in full.
pub fn split(
    tokens: &[usize],
    timestamp_begin: usize,
    window_frames: usize,
) -> (Vec<Piece>, usize) {
    let is_ts = |t: usize| t >= timestamp_begin;
    let seconds = |t: usize| (t - timestamp_begin) as f64 * TIME_PRECISION;
    let window_seconds = window_frames as f64 * SECONDS_PER_FRAME;

    let single_timestamp_ending =
        tokens.len() >= 2 && !is_ts(tokens[tokens.len() - 2]) && is_ts(tokens[tokens.len() - 1]);
    let mut cuts: Vec<usize> = (1..tokens.len())
        .filter(|&i| is_ts(tokens[i]) && is_ts(tokens[i - 1]))
        .collect();

    if cuts.is_empty() {
        // No complete pair: the window is one segment, ending at its last timestamp if any.
        let end = match tokens.iter().rev().find(|&&t| is_ts(t)) {
            Some(&t) if t != timestamp_begin => seconds(t),
            _ => window_seconds,
        };
        let piece = Piece {
            start: 0.0,
            end,
            tokens: tokens.to_vec(),
        };
        return (vec![piece], window_frames);
    }

    if single_timestamp_ending {
        cuts.push(tokens.len());
    }
    let mut pieces = Vec::with_capacity(cuts.len());
    let mut from = 0;
    for &to in &cuts {
        let slice = &tokens[from..to];
        pieces.push(Piece {
            start: seconds(slice[0]).min(window_seconds),
            end: seconds(slice[slice.len() - 1]).min(window_seconds),
            tokens: slice.to_vec(),
        });
        from = to;
    }
    let advance = if single_timestamp_ending {
        window_frames
    } else {
        (tokens[from - 1] - timestamp_begin) * FRAMES_PER_STEP
    };
    // A window that yields no progress (`<|0.00|><|0.00|>`) must still move on.
    let advance = if advance == 0 {
        window_frames
    } else {
        advance.min(window_frames)
    };
    (pieces, advance)
}

/// How well the text compresses with zlib: very repetitive output (a decoding loop) scores
/// high. The same measure and level as Whisper's `get_compression_ratio`.
pub fn compression_ratio(text: &str) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    let compressed = encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
        .map(|c| c.len())
        .unwrap_or(text.len());
    text.len() as f64 / compressed.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: usize = 1000;

    fn ts(seconds: f64) -> usize {
        TS + (seconds / TIME_PRECISION).round() as usize
    }

    #[test]
    fn timestamp_pairs_cut_segments_and_a_single_ending_consumes_the_window() {
        let tokens = [ts(0.0), 1, 2, ts(2.5), ts(2.5), 3, ts(4.0)];
        let (pieces, advance) = split(&tokens, TS, 3000);
        assert_eq!(pieces.len(), 2);
        assert_eq!((pieces[0].start, pieces[0].end), (0.0, 2.5));
        assert_eq!(pieces[0].tokens, [ts(0.0), 1, 2, ts(2.5)]);
        assert_eq!((pieces[1].start, pieces[1].end), (2.5, 4.0));
        assert_eq!(advance, 3000);
    }

    #[test]
    fn an_unfinished_last_segment_is_dropped_and_the_next_window_starts_at_its_timestamp() {
        // Speech runs past the window's end: "3 4" has no closing timestamp.
        let tokens = [ts(0.0), 1, 2, ts(25.0), ts(25.0), 3, 4];
        let (pieces, advance) = split(&tokens, TS, 3000);
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].end, 25.0);
        assert_eq!(advance, 2500);
    }

    #[test]
    fn a_window_without_a_pair_is_one_segment_up_to_its_last_timestamp() {
        let (pieces, advance) = split(&[ts(0.0), 1, 2, ts(3.0)][..2], TS, 1200);
        assert_eq!(pieces.len(), 1);
        assert_eq!((pieces[0].start, pieces[0].end), (0.0, 12.0));
        assert_eq!(advance, 1200);

        let (pieces, _) = split(&[ts(0.0), 1, 2, ts(3.0)], TS, 3000);
        assert_eq!((pieces[0].start, pieces[0].end), (0.0, 3.0));
    }

    #[test]
    fn a_window_stuck_at_zero_still_advances() {
        let (_, advance) = split(&[ts(0.0), ts(0.0), 1], TS, 3000);
        assert_eq!(advance, 3000);
    }

    #[test]
    fn repetitive_text_compresses_far_better_than_speech() {
        let speech = "The quick brown fox jumps over the lazy dog near the river bank.";
        let loop_ = "thank you ".repeat(40);
        assert!(compression_ratio(speech) < 2.4);
        assert!(compression_ratio(&loop_) > 2.4);
        assert_eq!(compression_ratio(""), 0.0);
    }
}
