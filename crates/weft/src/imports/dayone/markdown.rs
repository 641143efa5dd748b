//! Day One's Markdown made plain: its backslash escapes undone, its references to the
//! entry's own photos and recordings (`dayone-moment://…`) taken out, and a title found in
//! the first line or heading.

/// The longest title taken from an entry's text, in characters (a journal allows 200).
pub const TITLE_CHARS: usize = 100;

/// The scheme of Day One's links to an entry's photos, videos and recordings.
const MOMENT: &str = "dayone-moment:";

/// Undoes Day One's escapes: a backslash before ASCII punctuation stands for that
/// punctuation (`4\.5` is `4.5`, `\#1` is `#1`, `\\` is one backslash).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Takes out the references to the entry's media: an image `![](dayone-moment://ID)` goes
/// whole, a link `[words](dayone-moment:/video/ID)` leaves its words, and a bare
/// `dayone-moment://ID` goes. Lines left empty are dropped, so no gap stays where a photo was.
pub fn without_moments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let link = format!("]({MOMENT}");
    while let Some(at) = rest.find(&link) {
        let open = rest[..at].rfind('[');
        let close = rest[at..].find(')').map(|i| at + i);
        let (Some(open), Some(close)) = (open, close) else {
            out.push_str(&rest[..at + 1]);
            rest = &rest[at + 1..];
            continue;
        };
        let image = rest[..open].ends_with('!');
        out.push_str(&rest[..if image { open - 1 } else { open }]);
        if !image {
            out.push_str(&rest[open + 1..at]);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    let bare: Vec<String> = out
        .lines()
        .filter_map(|line| {
            if !line.contains(MOMENT) {
                return Some(line.to_string());
            }
            let kept: Vec<&str> = line
                .split(' ')
                .filter(|word| !word.starts_with(MOMENT))
                .collect();
            // A line that held only a reference goes with it.
            Some(kept.join(" ")).filter(|line| !line.trim().is_empty())
        })
        .collect();
    collapse_blank_lines(&bare)
}

/// Joins lines, keeping at most one blank line in a row and none at the ends.
fn collapse_blank_lines(lines: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in lines {
        let line = line.trim_end();
        if line.trim().is_empty() && out.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        out.push(if line.trim().is_empty() { "" } else { line });
    }
    while out.last().is_some_and(|last| last.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// An entry's title and notes from its text (already without moments).
///
/// The title is the first non-empty line, without a heading's `#` marks and without escapes.
/// When that line is a heading or short enough to be the whole title, the notes are the rest
/// of the text; a longer first line is shortened (at a word, with "…") and the notes keep
/// the whole text, so nothing written is lost.
pub fn title_and_notes(text: &str) -> (Option<String>, Option<String>) {
    let text = text.trim();
    let Some((first, rest)) = text
        .split_once('\n')
        .or(Some((text, "")))
        .filter(|(first, _)| !first.trim().is_empty())
    else {
        return (None, None);
    };
    let heading = first.trim_start().starts_with('#');
    let line = unescape(first.trim_start().trim_start_matches('#').trim());
    let notes = |text: &str| Some(unescape(text.trim())).filter(|notes| !notes.is_empty());
    if line.is_empty() {
        return (None, notes(rest));
    }
    if heading || line.chars().count() <= TITLE_CHARS {
        let title = shorten(&line, TITLE_CHARS);
        (Some(title), notes(rest))
    } else {
        (Some(shorten(&line, TITLE_CHARS)), notes(text))
    }
}

/// `text` cut to at most `max` characters, at a word where one is near, with "…".
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(space) if space > cut.len() / 2 => cut[..space].trim_end(),
        _ => cut.trim_end(),
    };
    format!("{at_word}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_punctuation_is_read_as_itself() {
        assert_eq!(
            unescape(r"It cost 4\.50 \- \#1 \(really\)\!"),
            "It cost 4.50 - #1 (really)!"
        );
        assert_eq!(unescape(r"a \\ b"), r"a \ b");
        assert_eq!(unescape(r"C:\Users stays"), r"C:\Users stays");
        assert_eq!(unescape("ends with \\"), "ends with \\");
    }

    #[test]
    fn references_to_media_are_taken_out_and_links_keep_their_words() {
        let text = "Morning\n\n![](dayone-moment://ABC123)\n\nWe walked \
                    [to the pier](dayone-moment:/video/DEF456) at dawn.\n\
                    dayone-moment://LOOSE\nEnd";
        assert_eq!(
            without_moments(text),
            "Morning\n\nWe walked to the pier at dawn.\nEnd"
        );
        assert_eq!(
            without_moments("plain [link](https://x.org)"),
            "plain [link](https://x.org)"
        );
        assert_eq!(
            without_moments("odd ](dayone-moment: text"),
            "odd ](dayone-moment: text"
        );
    }

    #[test]
    fn a_heading_or_short_first_line_is_the_title_and_the_rest_the_notes() {
        assert_eq!(
            title_and_notes("# Beach day\\!\n\nSand \\& sun\\."),
            (Some("Beach day!".into()), Some("Sand & sun.".into()))
        );
        assert_eq!(
            title_and_notes("Short line\nmore"),
            (Some("Short line".into()), Some("more".into()))
        );
        assert_eq!(
            title_and_notes("Only a title"),
            (Some("Only a title".into()), None)
        );
        assert_eq!(title_and_notes("  \n "), (None, None));
        assert_eq!(title_and_notes("#\nbody"), (None, Some("body".into())));
    }

    #[test]
    fn a_long_first_line_is_shortened_at_a_word_and_kept_whole_in_the_notes() {
        let long = "word ".repeat(40);
        let (title, notes) = title_and_notes(&long);
        let title = title.unwrap();
        assert!(title.chars().count() <= TITLE_CHARS, "{title}");
        assert!(title.ends_with("word…"), "{title}");
        assert_eq!(notes.unwrap(), long.trim());
    }
}
