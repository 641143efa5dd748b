//! Cutting a journal into the passages that are embedded: its title, its notes, and what was
//! said in windows of a few transcript segments.
//!
//! A window gathers segments until it holds about [`TARGET_S`] seconds of speech, never
//! more than [`MAX_S`] unless one segment alone is longer; the next window starts with the
//! last segment of the one before, so that a thought cut at a window's edge is whole in one
//! of the two. A window also stops at [`MAX_WORDS`] words: the model reads 256 word pieces
//! and ignores the rest. A transcript without times (typed by hand before segments existed)
//! is cut by words alone.

use crate::domain::Segment;

/// Seconds of speech a window aims for.
pub const TARGET_S: f64 = 30.0;
/// A window does not grow past this (one long segment excepted).
pub const MAX_S: f64 = 40.0;
/// Words a window holds at most (about 200 word pieces).
pub const MAX_WORDS: usize = 150;
/// A last window shorter than this joins the one before, when both fit in [`MAX_S`].
const SHORT_TAIL_S: f64 = 10.0;

/// What a passage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Title,
    Notes,
    Said,
}

impl Kind {
    /// The stored spelling (`passages.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Title => "title",
            Kind::Notes => "notes",
            Kind::Said => "said",
        }
    }
}

/// One passage to embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub kind: Kind,
    /// Seconds within the video, for what was said with times.
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub text: String,
}

/// The passages of a journal: its title, its notes (when any), and its current transcript's
/// segments (or, without segments, its text).
pub fn passages(
    title: &str,
    notes: Option<&str>,
    segments: &[Segment],
    text: Option<&str>,
) -> Vec<Passage> {
    let mut out = Vec::new();
    let mut plain = |kind, text: &str| {
        let text = text.trim();
        if !text.is_empty() {
            out.push(Passage {
                kind,
                start: None,
                end: None,
                text: text.to_string(),
            });
        }
    };
    plain(Kind::Title, title);
    if let Some(notes) = notes {
        for chunk in by_words(notes) {
            plain(Kind::Notes, &chunk);
        }
    }
    if segments
        .iter()
        .any(|segment| !segment.text.trim().is_empty())
    {
        out.extend(windows(segments));
    } else if let Some(text) = text {
        for chunk in by_words(text) {
            plain(Kind::Said, &chunk);
        }
    }
    out
}

/// What was said, in overlapping windows of segments.
fn windows(segments: &[Segment]) -> Vec<Passage> {
    let segments: Vec<&Segment> = segments
        .iter()
        .filter(|segment| !segment.text.trim().is_empty())
        .collect();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut first = 0;
    while first < segments.len() {
        let mut last = first;
        let mut words = word_count(&segments[first].text);
        while last + 1 < segments.len() {
            let next = segments[last + 1];
            let length = next.end - segments[first].start;
            let next_words = word_count(&next.text);
            if segments[last].end - segments[first].start >= TARGET_S
                || length > MAX_S
                || words + next_words > MAX_WORDS
            {
                break;
            }
            last += 1;
            words += next_words;
        }
        spans.push((first, last));
        if last + 1 >= segments.len() {
            break;
        }
        // Overlap by one segment, unless the window is that one segment.
        first = if last > first { last } else { last + 1 };
    }
    if let [.., (a_first, a_last), (_, b_last)] = spans[..] {
        // What the last window adds beyond the one before.
        let tail = segments[b_last].end - segments[a_last].end;
        let joined = segments[b_last].end - segments[a_first].start;
        let words: usize = segments[a_first..=b_last]
            .iter()
            .map(|segment| word_count(&segment.text))
            .sum();
        if tail < SHORT_TAIL_S && joined <= MAX_S && words <= MAX_WORDS {
            spans.pop();
            if let Some(span) = spans.last_mut() {
                span.1 = b_last;
            }
        }
    }
    spans
        .into_iter()
        .map(|(first, last)| Passage {
            kind: Kind::Said,
            start: Some(segments[first].start.max(0.0)),
            end: Some(segments[last].end.max(segments[first].start.max(0.0))),
            text: segments[first..=last]
                .iter()
                .map(|segment| segment.text.trim())
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect()
}

/// A text without times in chunks of at most [`MAX_WORDS`] words.
fn by_words(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .chunks(MAX_WORDS)
        .map(|chunk| chunk.join(" "))
        .collect()
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start: f64, end: f64, text: &str) -> Segment {
        Segment {
            start,
            end,
            text: text.to_string(),
            ..Segment::default()
        }
    }

    fn said(passages: &[Passage]) -> Vec<(f64, f64)> {
        passages
            .iter()
            .filter(|p| p.kind == Kind::Said)
            .map(|p| (p.start.unwrap(), p.end.unwrap()))
            .collect()
    }

    #[test]
    fn title_and_notes_come_first_and_empty_ones_are_left_out() {
        let out = passages("  A walk  ", Some(""), &[], None);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].kind, out[0].text.as_str()), (Kind::Title, "A walk"));
        let out = passages("", Some("by the river"), &[], Some("we walked"));
        let kinds: Vec<Kind> = out.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [Kind::Notes, Kind::Said]);
    }

    #[test]
    fn segments_gather_into_overlapping_windows_of_about_thirty_seconds() {
        // Twenty segments of 5 s: 0-5, 5-10, ... 95-100.
        let segments: Vec<Segment> = (0..20)
            .map(|i| segment(i as f64 * 5.0, i as f64 * 5.0 + 5.0, "some words here"))
            .collect();
        let out = said(&passages("t", None, &segments, None));
        assert_eq!(out[0], (0.0, 30.0));
        // Each window starts with the last segment of the one before.
        for pair in out.windows(2) {
            assert_eq!(pair[1].0, pair[0].1 - 5.0, "{out:?}");
        }
        assert_eq!(out.last().unwrap().1, 100.0, "the end is covered: {out:?}");
        for (start, end) in &out {
            assert!(end - start <= MAX_S, "{out:?}");
        }
    }

    #[test]
    fn a_short_last_window_joins_the_one_before() {
        let segments = vec![
            segment(0.0, 15.0, "one"),
            segment(15.0, 31.0, "two"),
            segment(31.0, 35.0, "three"),
        ];
        assert_eq!(said(&passages("t", None, &segments, None)), [(0.0, 35.0)]);
    }

    #[test]
    fn a_long_segment_is_a_window_alone_and_words_are_capped() {
        let long = segment(0.0, 90.0, "a long monologue");
        let wordy = segment(90.0, 95.0, &"word ".repeat(MAX_WORDS - 1));
        let more = segment(95.0, 100.0, "and then some more");
        let out = passages("t", None, &[long, wordy, more], None);
        assert_eq!(said(&out), [(0.0, 90.0), (90.0, 95.0), (95.0, 100.0)]);
        assert!(out.iter().all(|p| word_count(&p.text) <= MAX_WORDS));
    }

    #[test]
    fn a_transcript_without_times_is_cut_by_words() {
        let text = "word ".repeat(MAX_WORDS * 2 + 5);
        let out = passages("t", None, &[], Some(&text));
        let said: Vec<&Passage> = out.iter().filter(|p| p.kind == Kind::Said).collect();
        assert_eq!(said.len(), 3);
        assert!(said.iter().all(|p| p.start.is_none()));
    }

    #[test]
    fn blank_segments_are_skipped() {
        let segments = vec![segment(0.0, 2.0, "  "), segment(2.0, 4.0, "hello")];
        let out = passages("t", None, &segments, Some("hello"));
        assert_eq!(said(&out), [(2.0, 4.0)]);
    }
}
