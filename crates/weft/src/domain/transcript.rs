//! A transcript's timestamped segments, as engines produce them and the API carries them.

use serde::{Deserialize, Serialize};

/// One timestamped piece of a transcript; times are seconds within the video.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// 0..1, when the engine reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// The segment's words with their times, in order and inside the segment, when the
    /// engine times words (Weft's Whisper does). Absent in older transcripts, and for words a
    /// person changed by hand that could not be timed again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
    /// The language this segment was heard in, when it differs from the transcript's (a
    /// recording that moves between two languages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A word and when it was spoken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Word {
    /// The word as written, with the punctuation that belongs to it (`Hello,`).
    pub word: String,
    /// Seconds within the video.
    pub start: f64,
    pub end: f64,
    /// 0..1: how sure the engine was of the word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

impl Segment {
    /// Keeps the words inside the segment and in order, each ending after it starts; drops
    /// words with no text. Engines and corrections call it before a segment is stored.
    pub fn fit_words(&mut self) {
        self.words.retain(|w| !w.word.trim().is_empty());
        let mut cursor = self.start;
        for word in &mut self.words {
            word.word = word.word.trim().to_string();
            word.start = clamp(word.start, cursor, self.end);
            word.end = clamp(word.end, word.start, self.end);
            word.probability = word.probability.map(|p| clamp(p, 0.0, 1.0));
            cursor = word.end;
        }
    }
}

/// `f64::clamp` that keeps `low` when the value is NaN or the bounds are crossed.
fn clamp(value: f64, low: f64, high: f64) -> f64 {
    if value.is_nan() || high < low {
        return low;
    }
    value.clamp(low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(word: &str, start: f64, end: f64) -> Word {
        Word {
            word: word.to_string(),
            start,
            end,
            probability: Some(1.5),
        }
    }

    #[test]
    fn words_are_kept_inside_their_segment_and_in_order() {
        let mut segment = Segment {
            start: 1.0,
            end: 3.0,
            text: "a b c".into(),
            words: vec![
                word(" a", 0.5, 1.2),
                word("b", 1.1, 2.0),
                word("  ", 2.0, 2.1),
                word("c", 2.5, 3.4),
                word("d", f64::NAN, 9.0),
            ],
            ..Segment::default()
        };
        segment.fit_words();
        let times: Vec<(&str, f64, f64)> = segment
            .words
            .iter()
            .map(|w| (w.word.as_str(), w.start, w.end))
            .collect();
        assert_eq!(
            times,
            [("a", 1.0, 1.2), ("b", 1.2, 2.0), ("c", 2.5, 3.0), ("d", 3.0, 3.0)]
        );
        assert!(segment.words.iter().all(|w| w.probability == Some(1.0)));
    }

    #[test]
    fn old_transcripts_without_words_read_and_write_as_before() {
        let old = r#"{"start":0.0,"end":1.5,"text":"Hi","confidence":0.9}"#;
        let segment: Segment = serde_json::from_str(old).unwrap();
        assert!(segment.words.is_empty() && segment.language.is_none());
        assert_eq!(serde_json::to_string(&segment).unwrap(), old.replace(".0,", ".0,"));
    }
}
