//! What stands in for a picture where an entry has no video: a microphone for a sound
//! recording, the start of the notes for an entry of notes only. Drawn inline (SVG and
//! text), so that they need no request and scale with the page.

use maud::{html, Markup, PreEscaped};

/// How much of an entry's notes a card shows, in characters.
const EXCERPT_CHARS: usize = 140;

/// A microphone, drawn in the current text colour; decorative (the caller names it).
pub fn microphone() -> Markup {
    html! {
        svg.mic viewBox="0 0 24 24" width="40" height="40" aria-hidden="true" focusable="false" {
            (PreEscaped(
                r#"<rect x="9" y="2" width="6" height="12" rx="3" fill="currentColor"/><path d="M5 11a7 7 0 0 0 14 0M12 18v4M8 22h8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>"#
            ))
        }
    }
}

/// The start of `notes`, cut at a word near [`EXCERPT_CHARS`], with an ellipsis when cut.
pub fn excerpt(notes: &str) -> String {
    let notes = notes.split_whitespace().collect::<Vec<_>>().join(" ");
    if notes.chars().count() <= EXCERPT_CHARS {
        return notes;
    }
    let cut: String = notes.chars().take(EXCERPT_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > EXCERPT_CHARS / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn short_notes_are_shown_whole_and_long_ones_cut_at_a_word() {
        assert_eq!(excerpt("  The tide\n was out. "), "The tide was out.");
        let long = "word ".repeat(60);
        let cut = excerpt(&long);
        assert!(cut.ends_with("word…"), "{cut}");
        assert!(cut.chars().count() <= 141, "{cut}");
        let one = "x".repeat(300);
        assert_eq!(excerpt(&one).chars().count(), 141);
    }
}
