//! Small helpers shared across modules.

use sha2::{Digest, Sha256};

/// `message` as a sentence: a capital letter first and a full stop (or another end mark)
/// last. Messages are written to be read on their own, in the API's error bodies as on a
/// page; app.js's `errorMessage` does the same for the messages scripts show.
pub fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// The first 12 hex digits of a SHA-256: a short, stable name derived from some bytes.
pub fn short_digest(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..6])
}

/// Text (or an attribute's value) with `& < > " '` escaped for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentences() {
        assert_eq!(sentence("the title is empty"), "The title is empty.");
        assert_eq!(sentence("Saved."), "Saved.");
        assert_eq!(sentence(" wait a moment… "), "Wait a moment…");
        assert_eq!(sentence("élan is not a tag"), "Élan is not a tag.");
        assert_eq!(sentence(""), "");
    }
}
