//! Captions from transcript segments: WebVTT and SRT.

use crate::domain::Segment;

fn timestamp(seconds: f64, decimal: char) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    let (h, m, s, ms) = (
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        millis % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}{decimal}{ms:03}")
}

/// Cue text may not contain a blank line (it would end the cue) or `-->`.
fn cue_text(text: &str) -> String {
    text.trim()
        .replace("-->", "->")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

/// A cue's text with the time of each word karaoke style (`one <00:00:01.200>two`), when
/// the segment's words spell its text; players show the whole cue and may style the words
/// already spoken (`::cue(:past)`). Otherwise the plain text.
fn timed_cue_text(segment: &Segment) -> String {
    let plain = cue_text(&segment.text);
    let words: Vec<&str> = segment.words.iter().map(|w| w.word.trim()).collect();
    let spelled = words.join(" ");
    if words.len() < 2 || spelled.split_whitespace().ne(plain.split_whitespace()) {
        return escape(&plain);
    }
    let mut out = escape(words[0]);
    for (word, timed) in words.iter().zip(&segment.words).skip(1) {
        // A timestamp must lie inside the cue and after the one before it.
        let at = timed.start.clamp(segment.start, segment.end);
        out.push_str(&format!(" <{}>{}", timestamp(at, '.'), escape(word)));
    }
    out
}

/// WebVTT, for `<track>` in a video element, with word timing where the transcript has it.
pub fn webvtt(segments: &[Segment]) -> String {
    let mut out = String::from("WEBVTT\n");
    for (n, segment) in segments
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.text.trim().is_empty())
    {
        out.push_str(&format!(
            "\n{}\n{} --> {}\n{}\n",
            n + 1,
            timestamp(segment.start, '.'),
            timestamp(segment.end, '.'),
            timed_cue_text(segment)
        ));
    }
    out
}

/// SubRip, for video players and editors.
pub fn srt(segments: &[Segment]) -> String {
    let mut out = String::new();
    let cues = segments.iter().filter(|s| !s.text.trim().is_empty());
    for (n, segment) in cues.enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            n + 1,
            timestamp(segment.start, ','),
            timestamp(segment.end, ','),
            cue_text(&segment.text)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: f64, end: f64, text: &str) -> Segment {
        Segment {
            start,
            end,
            text: text.into(),
            confidence: None,
            ..Segment::default()
        }
    }

    #[test]
    fn webvtt_times_each_word_karaoke_style_when_the_words_spell_the_cue() {
        use crate::domain::Word;
        let word = |w: &str, start: f64| Word {
            word: w.into(),
            start,
            end: start + 0.3,
            probability: Some(0.9),
        };
        let mut segment = seg(1.0, 3.0, "Fish & chips");
        segment.words = vec![word("Fish", 1.0), word("&", 1.5), word("chips", 2.25)];
        let vtt = webvtt(&[segment.clone()]);
        assert!(
            vtt.contains("Fish <00:00:01.500>&amp; <00:00:02.250>chips\n"),
            "{vtt}"
        );
        // Words that no longer spell the text (a correction) give the plain text.
        segment.text = "Fish and chips".into();
        assert!(webvtt(&[segment]).contains("\nFish and chips\n"));
    }

    #[test]
    fn webvtt_has_a_header_cues_and_escaped_text() {
        let vtt = webvtt(&[
            seg(0.0, 2.5, " Hello <world> & all "),
            seg(3661.25, 3662.0, "later"),
        ]);
        assert!(vtt.starts_with("WEBVTT\n"));
        assert!(vtt.contains("00:00:00.000 --> 00:00:02.500\nHello &lt;world> &amp; all\n"));
        assert!(vtt.contains("01:01:01.250 --> 01:01:02.000\nlater\n"));
    }

    #[test]
    fn srt_numbers_cues_and_uses_commas() {
        let text = srt(&[
            seg(1.0, 2.0, "one"),
            seg(2.0, 3.0, "  "),
            seg(3.0, 4.5, "two --> three"),
        ]);
        assert_eq!(text, "1\n00:00:01,000 --> 00:00:02,000\none\n\n2\n00:00:03,000 --> 00:00:04,500\ntwo -> three\n\n");
    }
}
