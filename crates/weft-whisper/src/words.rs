//! Word timing. A window's text is cut into words, and each word gets the time the decoder's
//! cross-attention says it was spoken: CTranslate2's `align` runs dynamic time warping over
//! the attention heads that follow time, and returns which audio frame each token lines up
//! with. The rules are faster-whisper's (after OpenAI Whisper's `timing.py`). Pure functions
//! over token ids and alignment steps, so they are tested without a model.

use crate::vocab::{push_token_bytes, Vocabulary};
use crate::Word;

/// Encoder frames per second: 100 mel frames a second, halved by the encoder's stride.
const ALIGNMENT_FRAMES_PER_SECOND: f64 = 50.0;
/// Punctuation that joins the word after it (an opening quote or bracket).
const PREPENDED: &str = "\"'“¿([{-";
/// Punctuation that joins the word before it.
const APPENDED: &str = "\"'.。,，!！?？:：”)]}、";
/// Marks after which a sentence ends; a word next to one may not be drawn out.
const SENTENCE_ENDS: &str = ".。!！?？";
/// Languages written without spaces between words: every character (as the tokens spell
/// them) is a word.
const WITHOUT_SPACES: [&str; 6] = ["zh", "ja", "th", "lo", "my", "yue"];

/// A word as the model spelled it: its text (with the leading space, if any) and its tokens.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spelled {
    pub text: String,
    pub tokens: Vec<usize>,
}

/// A word with its time in the window, before it is placed in a segment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timed {
    pub text: String,
    pub tokens: usize,
    pub start: f64,
    pub end: f64,
    pub probability: f64,
}

/// Cuts text tokens (all below `<|endoftext|>`) into words: at whole UTF-8 characters
/// first (a character may take several tokens), then, in languages written with spaces,
/// joining the pieces until one starts with a space or is punctuation.
pub(crate) fn spell(vocab: &Vocabulary, tokens: &[usize], language: &str) -> Vec<Spelled> {
    let characters = split_on_characters(vocab, tokens);
    if WITHOUT_SPACES.contains(&language) {
        return characters;
    }
    let mut words: Vec<Spelled> = Vec::new();
    for piece in characters {
        let starts_word = piece.text.starts_with(' ') || is_punctuation(piece.text.trim());
        match words.last_mut() {
            Some(word) if !starts_word => {
                word.text.push_str(&piece.text);
                word.tokens.extend(piece.tokens);
            }
            _ => words.push(piece),
        }
    }
    words
}

/// Groups tokens so that each group decodes to whole characters.
fn split_on_characters(vocab: &Vocabulary, tokens: &[usize]) -> Vec<Spelled> {
    let mut pieces = Vec::new();
    let mut bytes = Vec::new();
    let mut current = Vec::new();
    for &token in tokens {
        current.push(token);
        push_token_bytes(vocab.token(token).unwrap_or_default(), &mut bytes);
        let whole = match std::str::from_utf8(&bytes) {
            Ok(_) => true,
            // Bytes that can never become a character: give up on them rather than wait.
            Err(e) => e.error_len().is_some(),
        };
        if whole {
            pieces.push(Spelled {
                text: String::from_utf8_lossy(&bytes).into_owned(),
                tokens: std::mem::take(&mut current),
            });
            bytes.clear();
        }
    }
    if !current.is_empty() {
        pieces.push(Spelled {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            tokens: current,
        });
    }
    pieces
}

fn is_punctuation(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_punctuation())
}

/// Times the words from the alignment's steps (`(token index, encoder frame)` pairs along the
/// warping path, the end-of-text token included) and each text token's probability. Times are
/// seconds from the window's start.
pub(crate) fn time(
    words: Vec<Spelled>,
    steps: &[(i64, i64)],
    token_probabilities: &[f32],
) -> Vec<Timed> {
    if words.is_empty() || steps.is_empty() {
        return Vec::new();
    }
    // Where the path moves on to the next token: that token's start.
    let mut starts: Vec<f64> = Vec::new();
    let mut previous = None;
    for &(token, frame) in steps {
        if previous != Some(token) {
            starts.push(frame.max(0) as f64 / ALIGNMENT_FRAMES_PER_SECOND);
            previous = Some(token);
        }
    }
    let at = |i: usize| starts.get(i).or(starts.last()).copied().unwrap_or(0.0);
    let mut first_token = 0;
    let mut timed: Vec<Timed> = Vec::with_capacity(words.len());
    for word in words {
        let last_token = first_token + word.tokens.len();
        let probabilities = token_probabilities
            .get(first_token..last_token.min(token_probabilities.len()))
            .unwrap_or_default();
        let probability = if probabilities.is_empty() {
            0.0
        } else {
            probabilities.iter().map(|&p| f64::from(p)).sum::<f64>() / probabilities.len() as f64
        };
        timed.push(Timed {
            start: at(first_token),
            end: at(last_token).max(at(first_token)),
            tokens: word.tokens.len(),
            text: word.text,
            probability,
        });
        first_token = last_token;
    }
    shorten_at_sentence_ends(&mut timed);
    merge_punctuation(&mut timed);
    timed
}

/// The median length of the words (at most 0.7 s): a yardstick for words drawn out over a
/// pause.
pub(crate) fn median_duration(words: &[Timed]) -> f64 {
    let mut lengths: Vec<f64> = words
        .iter()
        .map(|w| w.end - w.start)
        .filter(|&d| d > 0.0)
        .collect();
    if lengths.is_empty() {
        return 0.0;
    }
    lengths.sort_by(f64::total_cmp);
    let middle = lengths.len() / 2;
    let median = if lengths.len().is_multiple_of(2) {
        (lengths[middle - 1] + lengths[middle]) / 2.0
    } else {
        lengths[middle]
    };
    median.min(0.7)
}

/// A sentence's closing mark, or the word after it, that takes more than twice the median is
/// cut to that: the alignment tends to stretch them over the pause between sentences.
fn shorten_at_sentence_ends(words: &mut [Timed]) {
    let max = median_duration(words) * 2.0;
    if max <= 0.0 {
        return;
    }
    let is_end = |text: &str| SENTENCE_ENDS.contains(text.trim()) && !text.trim().is_empty();
    for i in 1..words.len() {
        if words[i].end - words[i].start > max {
            if is_end(&words[i].text) {
                words[i].end = words[i].start + max;
            } else if is_end(&words[i - 1].text) {
                words[i].start = words[i].end - max;
            }
        }
    }
}

/// Opening punctuation joins the word after it and closing punctuation the word before, so
/// that `"Hello,` is one word with the time of `Hello`. The emptied words stay (with no text
/// and no tokens) until [`place`] drops them, so token counts still add up.
fn merge_punctuation(words: &mut [Timed]) {
    let n = words.len();
    if n < 2 {
        return;
    }
    let mut following = n - 1;
    for i in (0..n - 1).rev() {
        let text = words[i].text.clone();
        if text.starts_with(' ') && !text.trim().is_empty() && PREPENDED.contains(text.trim()) {
            words[following].text = format!("{text}{}", words[following].text);
            words[following].tokens += words[i].tokens;
            words[i].text.clear();
            words[i].tokens = 0;
        } else {
            following = i;
        }
    }
    let mut previous = 0;
    for j in 1..n {
        let text = words[j].text.clone();
        if !words[previous].text.ends_with(' ') && !text.is_empty() && APPENDED.contains(&*text) {
            words[previous].text.push_str(&text);
            words[previous].tokens += words[j].tokens;
            words[j].text.clear();
            words[j].tokens = 0;
        } else {
            previous = j;
        }
    }
}

/// Deals the window's timed words out to its segments, `token_counts[i]` text tokens each, and
/// moves every word (and the segment's bounds) so that words lie inside their segment, in
/// order. `segments` are `(start, end)` in the window's seconds and may be adjusted to their
/// words as faster-whisper does: a segment starts at its first word unless that word was
/// drawn out over a pause.
pub(crate) fn place(
    words: Vec<Timed>,
    segments: &mut [(f64, f64)],
    token_counts: &[usize],
) -> Vec<Vec<Word>> {
    let median = median_duration(&words);
    let max = median * 2.0;
    let mut words = words.into_iter().peekable();
    let mut placed = Vec::with_capacity(segments.len());
    let mut previous_end = 0.0_f64;
    let mut last_speech = 0.0_f64;
    for (segment, &count) in segments.iter_mut().zip(token_counts) {
        let mut taken = 0;
        let mut mine: Vec<Word> = Vec::new();
        while taken < count {
            let Some(word) = words.next() else { break };
            taken += word.tokens;
            let text = word.text.trim();
            if !text.is_empty() {
                mine.push(Word {
                    text: text.to_owned(),
                    start: word.start,
                    end: word.end,
                    probability: word.probability.clamp(0.0, 1.0),
                });
            }
        }
        if max > 0.0 && !mine.is_empty() {
            // The first word after a pause is often drawn out over the pause: cut it (and the
            // second, when that one is drawn out too) to twice the median.
            let first_long = mine[0].end - mine[0].start > max;
            let second_long = mine.len() > 1 && mine[1].end - mine[0].start > max * 2.0;
            if mine[0].end - last_speech > median * 4.0 && (first_long || second_long) {
                if mine.len() > 1 && mine[1].end - mine[1].start > max {
                    let boundary = (mine[1].end / 2.0).max(mine[1].end - max);
                    mine[0].end = boundary;
                    mine[1].start = boundary;
                }
                mine[0].start = (mine[0].end - max).max(0.0);
            }
            // And a segment's first word drawn out over silence the segment starts with
            // (Whisper often starts a segment at the window's start): the same cut.
            if mine[0].end - mine[0].start > max {
                mine[0].start = mine[0].end - max;
            }
        }
        if let (Some(first), Some(last)) = (mine.first().cloned(), mine.last().cloned()) {
            // The segment's own timestamps win over a first or last word drawn out by more
            // than half a second.
            if segment.0 < first.end && segment.0 - 0.5 > first.start {
                mine[0].start = (first.end - median).min(segment.0).max(0.0);
            } else {
                segment.0 = first.start;
            }
            if segment.1 > last.start && segment.1 + 0.5 < last.end {
                let n = mine.len() - 1;
                mine[n].end = (last.start + median).max(segment.1);
            } else {
                segment.1 = last.end;
            }
            last_speech = segment.1;
        }
        // Segments do not overlap and have length; words stay inside, in order.
        segment.0 = segment.0.max(previous_end);
        segment.1 = segment.1.max(segment.0);
        let mut cursor = segment.0;
        for word in &mut mine {
            word.start = word.start.clamp(cursor, segment.1);
            word.end = word.end.clamp(word.start, segment.1);
            cursor = word.end;
        }
        previous_end = segment.1;
        placed.push(mine);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        // GPT-2's byte alphabet writes a leading space as "Ġ"; "Ã" and "©" are the two bytes
        // of "é" (0xC3 0xA9) spelled in that alphabet.
        Vocabulary::from_tokens(
            [
                "ĠHello", ",", "Ġwor", "ld", ".", "Ġcaf", "Ã", "©", "Ġ\"", "Hi", "\"",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        )
    }

    #[test]
    fn words_start_at_a_space_or_at_punctuation() {
        let words = spell(&vocab(), &[0, 1, 2, 3, 4], "en");
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, [" Hello", ",", " world", "."]);
        assert_eq!(words[2].tokens, [2, 3]);
    }

    #[test]
    fn a_character_split_over_two_tokens_stays_whole() {
        let words = spell(&vocab(), &[5, 6, 7], "fr");
        assert_eq!(words.len(), 1);
        assert_eq!(words[0].text, " café");
        let characters = spell(&vocab(), &[5, 6, 7], "ja");
        let texts: Vec<&str> = characters.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, [" caf", "é"]);
        assert_eq!(characters[1].tokens, [6, 7]);
    }

    #[test]
    fn times_come_from_where_the_path_moves_to_the_next_token() {
        let words = spell(&vocab(), &[0, 1, 2, 3, 4], "en");
        // Tokens 0..5 plus the end of text (5); frames at 50 a second.
        let steps = [
            (0, 10),
            (0, 11),
            (1, 40),
            (2, 45),
            (2, 50),
            (3, 60),
            (4, 80),
            (5, 85),
        ];
        let probabilities = [0.9, 0.8, 0.5, 0.7, 0.6];
        let timed = time(words, &steps, &probabilities);
        let texts: Vec<&str> = timed.iter().map(|w| w.text.as_str()).collect();
        // The comma and the full stop join the words before them.
        assert_eq!(texts, [" Hello,", "", " world.", ""]);
        assert_eq!((timed[0].start, timed[0].end), (0.2, 0.8));
        assert_eq!((timed[2].start, timed[2].end), (0.9, 1.6));
        assert!((timed[2].probability - 0.6).abs() < 1e-6);
        assert_eq!(timed.iter().map(|w| w.tokens).sum::<usize>(), 5);
    }

    #[test]
    fn an_opening_quote_joins_the_word_after_it() {
        let words = spell(&vocab(), &[8, 9, 10], "en");
        let steps = [(0, 0), (1, 10), (2, 20), (3, 30)];
        let timed = time(words, &steps, &[0.5, 0.5, 0.5]);
        let texts: Vec<&str> = timed.iter().map(|w| w.text.as_str()).collect();
        // `Hi` has no space before it, so it belongs to the quote's word; the closing quote
        // joins it.
        assert_eq!(texts, [" \"Hi\"", ""]);
    }

    fn timed(text: &str, tokens: usize, start: f64, end: f64) -> Timed {
        Timed {
            text: text.to_owned(),
            tokens,
            start,
            end,
            probability: 0.9,
        }
    }

    #[test]
    fn words_are_dealt_to_their_segments_inside_their_bounds_and_in_order() {
        let words = vec![
            timed(" One", 1, 0.1, 0.5),
            timed(" two.", 2, 0.5, 0.9),
            timed("", 0, 0.9, 0.9),
            timed(" Three", 1, 1.4, 1.9),
            timed(" four", 1, 1.8, 2.6),
        ];
        let mut segments = [(0.0, 1.0), (1.2, 2.4)];
        let placed = place(words, &mut segments, &[3, 2]);
        assert_eq!(placed[0].len(), 2);
        assert_eq!(placed[1].len(), 2);
        assert_eq!(placed[0][1].text, "two.");
        for (segment, words) in segments.iter().zip(&placed) {
            let mut cursor = segment.0;
            for word in words {
                assert!(word.start >= cursor && word.end >= word.start, "{word:?}");
                assert!(word.end <= segment.1, "{word:?} in {segment:?}");
                cursor = word.end;
            }
        }
        // The first segment starts at its first word.
        assert_eq!(segments[0].0, 0.1);
    }

    #[test]
    fn nothing_to_time_gives_no_words() {
        assert!(time(Vec::new(), &[(0, 1)], &[]).is_empty());
        let words = spell(&vocab(), &[0], "en");
        assert!(time(words, &[], &[]).is_empty());
    }
}
