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

/// Times the words of corrected segments from the version they correct. A corrected
/// segment is matched to the previous segment with the same bounds; its words that are
/// unchanged (compared without case and punctuation, in order: a longest common
/// subsequence) keep their times and probabilities, and the words typed in their place share
/// the time between their unchanged neighbours, in proportion to their length, with no
/// probability. A segment with no counterpart, or whose counterpart had no word timing, gets
/// no words. Words sent with a correction are not trusted: they are replaced.
pub fn retime_corrected(previous: &[Segment], corrected: &mut [Segment]) {
    for segment in corrected.iter_mut() {
        let old = previous
            .iter()
            .find(|p| (p.start - segment.start).abs() < 1e-3 && (p.end - segment.end).abs() < 1e-3);
        segment.words = match old.filter(|o| !o.words.is_empty()) {
            Some(old) => retime(&old.words, &segment.text, segment.start, segment.end),
            None => Vec::new(),
        };
        segment.fit_words();
    }
}

/// A word without case and punctuation, for comparing versions.
fn comparable(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn retime(old: &[Word], text: &str, start: f64, end: f64) -> Vec<Word> {
    let new: Vec<&str> = text.split_whitespace().collect();
    let (a, b): (Vec<String>, Vec<String>) = (
        old.iter().map(|w| comparable(&w.word)).collect(),
        new.iter().map(|w| comparable(w)).collect(),
    );
    // Longest common subsequence, then walk it to pair unchanged words.
    let mut table = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            table[i][j] = if a[i] == b[j] && !a[i].is_empty() {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let mut kept: Vec<Option<&Word>> = vec![None; b.len()];
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] && !a[i].is_empty() {
            kept[j] = Some(&old[i]);
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    let mut words = Vec::with_capacity(new.len());
    let mut j = 0;
    while j < new.len() {
        if let Some(old) = kept[j] {
            words.push(Word {
                word: new[j].to_string(),
                ..old.clone()
            });
            j += 1;
            continue;
        }
        // A run of typed words: between the word before (or the segment's start) and the
        // next unchanged one (or the segment's end).
        let run_end = (j..new.len())
            .find(|&k| kept[k].is_some())
            .unwrap_or(new.len());
        let from = words.last().map_or(start, |w: &Word| w.end);
        let to = kept
            .get(run_end)
            .copied()
            .flatten()
            .map_or(end, |w| w.start);
        let letters: Vec<f64> = new[j..run_end]
            .iter()
            .map(|w| w.chars().count().max(1) as f64)
            .collect();
        let total: f64 = letters.iter().sum();
        let span = (to - from).max(0.0);
        let mut at = from;
        for (k, n) in (j..run_end).zip(&letters) {
            let length = span * n / total;
            words.push(Word {
                word: new[k].to_string(),
                start: at,
                end: at + length,
                probability: None,
            });
            at += length;
        }
        j = run_end;
    }
    words
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
            [
                ("a", 1.0, 1.2),
                ("b", 1.2, 2.0),
                ("c", 2.5, 3.0),
                ("d", 3.0, 3.0)
            ]
        );
        assert!(segment.words.iter().all(|w| w.probability == Some(1.0)));
    }

    #[test]
    fn a_correction_keeps_the_times_of_unchanged_words_and_shares_the_rest() {
        let previous = vec![Segment {
            start: 0.0,
            end: 4.0,
            text: "I went to the harbor today".into(),
            words: vec![
                word("I", 0.0, 0.5),
                word("went", 0.5, 1.0),
                word("to", 1.0, 1.5),
                word("the", 1.5, 2.0),
                word("harbor", 2.0, 3.0),
                word("today", 3.0, 4.0),
            ],
            ..Segment::default()
        }];
        let mut corrected = vec![
            Segment {
                start: 0.0,
                end: 4.0,
                text: "I walked to the harbour, today!".into(),
                words: vec![word("forged", 0.0, 4.0)],
                ..Segment::default()
            },
            Segment {
                start: 5.0,
                end: 6.0,
                text: "A new line".into(),
                ..Segment::default()
            },
        ];
        retime_corrected(&previous, &mut corrected);
        let times: Vec<(&str, f64, f64, Option<f64>)> = corrected[0]
            .words
            .iter()
            .map(|w| (w.word.as_str(), w.start, w.end, w.probability))
            .collect();
        assert_eq!(
            times,
            [
                ("I", 0.0, 0.5, Some(1.0)),
                ("walked", 0.5, 1.0, None),
                ("to", 1.0, 1.5, Some(1.0)),
                ("the", 1.5, 2.0, Some(1.0)),
                ("harbour,", 2.0, 3.0, None),
                ("today!", 3.0, 4.0, Some(1.0)),
            ]
        );
        assert!(corrected[1].words.is_empty(), "no counterpart: no timing");
    }

    #[test]
    fn old_transcripts_without_words_read_and_write_as_before() {
        let old = r#"{"start":0.0,"end":1.5,"text":"Hi","confidence":0.9}"#;
        let segment: Segment = serde_json::from_str(old).unwrap();
        assert!(segment.words.is_empty() && segment.language.is_none());
        assert_eq!(serde_json::to_string(&segment).unwrap(), old);
    }
}
