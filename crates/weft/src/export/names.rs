//! The folder names of an export: `YYYY-MM-DD title`, safe on every file system a person
//! may copy the export to (Windows, macOS, Linux, FAT on a memory stick), unique without
//! regard to case (macOS and Windows do not tell `Walk` from `walk`).

use std::collections::HashSet;

use chrono::NaiveDate;

/// The longest title part of a folder name, in characters.
const MAX_TITLE_CHARS: usize = 80;

/// A title made safe as part of a file name: the characters Windows refuses
/// (`/ \ : * ? " < > |`) and control characters become spaces, runs of spaces one, and the
/// ends are trimmed of spaces and dots (Windows drops a trailing dot); at most 80
/// characters. `Untitled` when nothing is left.
pub fn safe_title(title: &str) -> String {
    let replaced: String = title
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let joined = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = joined.chars().take(MAX_TITLE_CHARS).collect();
    let trimmed = cut.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        "Untitled".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Hands out folder names in the order entries come (oldest first), so that the first entry
/// of a day and title keeps the plain name and the next ones get ` (2)`, ` (3)`.
#[derive(Debug, Default)]
pub struct Folders {
    taken: HashSet<String>,
}

impl Folders {
    /// The folder of an entry of `date` called `title`.
    pub fn name(&mut self, date: NaiveDate, title: &str) -> String {
        let base = format!("{} {}", date.format("%Y-%m-%d"), safe_title(title));
        let mut name = base.clone();
        let mut n = 1;
        while !self.taken.insert(name.to_lowercase()) {
            n += 1;
            name = format!("{base} ({n})");
        }
        name
    }
}

/// Percent-encodes a relative path for an `href` or `src`, segment by segment, so that
/// spaces, `#`, `%` and letters outside ASCII reach the file system as they are named.
pub fn href(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let mut out = String::with_capacity(segment.len());
            for byte in segment.bytes() {
                if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                    out.push(byte as char);
                } else {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn titles_lose_what_file_systems_refuse() {
        assert_eq!(safe_title("a/b: c?"), "a b c");
        assert_eq!(safe_title(r#"x\y*z"<w>|v"#), "x y z w v");
        assert_eq!(safe_title("tab\there\u{7}bell\nnew"), "tab here bell new");
        assert_eq!(safe_title("  ...dots...  "), "dots");
        assert_eq!(safe_title("???"), "Untitled");
        assert_eq!(safe_title("Café à Lisboa"), "Café à Lisboa");
    }

    #[test]
    fn long_titles_are_cut_at_80_characters() {
        let long = "é".repeat(120);
        assert_eq!(safe_title(&long).chars().count(), 80);
        // A cut that ends in a space or a dot is trimmed again.
        let spaced = format!("{} tail", "a".repeat(79));
        assert_eq!(safe_title(&spaced), "a".repeat(79));
    }

    #[test]
    fn the_same_day_and_title_are_numbered_without_regard_to_case() {
        let mut folders = Folders::default();
        assert_eq!(folders.name(day("2024-05-01"), "Walk"), "2024-05-01 Walk");
        assert_eq!(
            folders.name(day("2024-05-01"), "walk"),
            "2024-05-01 walk (2)"
        );
        assert_eq!(
            folders.name(day("2024-05-01"), "Walk"),
            "2024-05-01 Walk (3)"
        );
        assert_eq!(folders.name(day("2024-05-02"), "Walk"), "2024-05-02 Walk");
        assert_eq!(folders.name(day("2024-05-01"), "a/b"), "2024-05-01 a b");
        assert_eq!(folders.name(day("2024-05-01"), "a b"), "2024-05-01 a b (2)");
    }

    #[test]
    fn links_encode_each_segment() {
        assert_eq!(
            href("2024-05-01 Café #1 (2)/video.mp4"),
            "2024-05-01%20Caf%C3%A9%20%231%20%282%29/video.mp4"
        );
    }
}
