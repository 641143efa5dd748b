//! The model's vocabulary: token ids to strings, Whisper's special tokens, and GPT-2's
//! byte-level encoding undone to get UTF-8 text.
//!
//! CTranslate2 takes prompts as token strings and maps them to ids with the vocabulary file of
//! the model directory (`vocabulary.json` or `vocabulary.txt`), so that file is the one read
//! here: both sides then agree on every id, timestamps included (`tokenizer.json` lists no
//! timestamp tokens).

use std::collections::HashMap;
use std::path::Path;

use crate::Error;

/// Token ids to strings and back.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    tokens: Vec<String>,
    ids: HashMap<String, usize>,
}

impl Vocabulary {
    /// Reads `vocabulary.json` (a JSON array) or `vocabulary.txt` (one token a line).
    pub fn load(model_dir: &Path) -> Result<Self, Error> {
        let json = model_dir.join("vocabulary.json");
        let txt = model_dir.join("vocabulary.txt");
        let tokens: Vec<String> = if json.is_file() {
            let text = std::fs::read_to_string(&json).map_err(|e| Error::model(model_dir, e))?;
            serde_json::from_str(&text)
                .map_err(|e| Error::model(model_dir, format!("vocabulary.json: {e}")))?
        } else if txt.is_file() {
            let text = std::fs::read_to_string(&txt).map_err(|e| Error::model(model_dir, e))?;
            text.lines().map(str::to_owned).collect()
        } else {
            return Err(Error::model(
                model_dir,
                "no vocabulary.json or vocabulary.txt (is this a faster-whisper model directory?)",
            ));
        };
        Ok(Self::from_tokens(tokens))
    }

    /// A vocabulary whose token `i` is `tokens[i]`.
    pub fn from_tokens(tokens: Vec<String>) -> Self {
        let ids = tokens
            .iter()
            .enumerate()
            .map(|(id, token)| (token.clone(), id))
            .collect();
        Self { tokens, ids }
    }

    /// The id of a token string.
    pub fn id(&self, token: &str) -> Option<usize> {
        self.ids.get(token).copied()
    }

    /// The string of a token id.
    pub fn token(&self, id: usize) -> Option<&str> {
        self.tokens.get(id).map(String::as_str)
    }
}

/// The ids of the special tokens the decoding loop uses.
#[derive(Debug, Clone)]
pub struct SpecialTokens {
    /// `<|endoftext|>`: ids below it are text.
    pub eot: usize,
    /// `<|startoftranscript|>`.
    pub sot: usize,
    /// `<|startofprev|>`: the previous text follows.
    pub sot_prev: usize,
    /// `<|notimestamps|>`; the first timestamp `<|0.00|>` is the next id.
    pub no_timestamps: usize,
    /// Tokens the model must never produce as text (task, language-model and no-speech ones).
    pub never: Vec<usize>,
}

impl SpecialTokens {
    /// Looks the special tokens up; fails when the vocabulary is not Whisper's.
    pub fn find(vocab: &Vocabulary, model_dir: &Path) -> Result<Self, Error> {
        let required = |token: &str| {
            vocab
                .id(token)
                .ok_or_else(|| Error::model(model_dir, format!("vocabulary has no {token}")))
        };
        let never = [
            "<|transcribe|>",
            "<|translate|>",
            "<|startoftranscript|>",
            "<|startofprev|>",
            "<|startoflm|>",
            "<|nospeech|>",
            "<|nocaptions|>",
        ]
        .iter()
        .filter_map(|token| vocab.id(token))
        .collect();
        Ok(Self {
            eot: required("<|endoftext|>")?,
            sot: required("<|startoftranscript|>")?,
            sot_prev: required("<|startofprev|>")?,
            no_timestamps: required("<|notimestamps|>")?,
            never,
        })
    }

    /// Id of `<|0.00|>`; ids from here on are timestamps, 0.02 s apart.
    pub fn timestamp_begin(&self) -> usize {
        self.no_timestamps + 1
    }
}

/// The UTF-8 text of the text tokens among `ids` (timestamps and other specials are dropped).
pub fn decode_text(vocab: &Vocabulary, special: &SpecialTokens, ids: &[usize]) -> String {
    let mut bytes = Vec::new();
    for &id in ids.iter().filter(|&&id| id < special.eot) {
        if let Some(token) = vocab.token(id) {
            push_token_bytes(token, &mut bytes);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Appends the bytes a byte-level BPE token string stands for.
pub(crate) fn push_token_bytes(token: &str, bytes: &mut Vec<u8>) {
    for c in token.chars() {
        match byte_of_char(c) {
            Some(b) => bytes.push(b),
            // Not from GPT-2's byte alphabet: keep the character as it is.
            None => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
}

/// GPT-2 maps every byte to a printable character: printable Latin-1 bytes stand for
/// themselves, and the others (controls, space, ...) become U+0100 onwards in byte order.
/// This is the inverse of that `bytes_to_unicode` table.
fn byte_of_char(c: char) -> Option<u8> {
    let code = c as u32;
    if is_printable_byte(code) {
        return u8::try_from(code).ok();
    }
    let n = code.checked_sub(256)?;
    // The n-th byte (in order) that is not printable.
    (0u32..256)
        .filter(|&b| !is_printable_byte(b))
        .nth(n as usize)
        .and_then(|b| u8::try_from(b).ok())
}

fn is_printable_byte(b: u32) -> bool {
    (0x21..=0x7E).contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(tokens: &[&str]) -> Vocabulary {
        Vocabulary::from_tokens(tokens.iter().map(|t| t.to_string()).collect())
    }

    fn specials(eot: usize) -> SpecialTokens {
        SpecialTokens {
            eot,
            sot: eot + 1,
            sot_prev: eot + 2,
            no_timestamps: eot + 3,
            never: vec![],
        }
    }

    #[test]
    fn the_space_and_newline_characters_decode_to_their_bytes() {
        assert_eq!(byte_of_char('Ġ'), Some(b' '));
        assert_eq!(byte_of_char('Ċ'), Some(b'\n'));
        assert_eq!(byte_of_char('ĉ'), Some(b'\t'));
        assert_eq!(byte_of_char('A'), Some(b'A'));
        assert_eq!(byte_of_char('é'), Some(0xE9));
        assert_eq!(byte_of_char('\u{0100}'), Some(0));
        assert_eq!(byte_of_char('Ń'), Some(0xAD));
    }

    #[test]
    fn every_byte_has_exactly_one_character() {
        let mut seen = [false; 256];
        for code in 0x21u32..0x21 + 512 {
            if let Some(b) = char::from_u32(code).and_then(byte_of_char) {
                assert!(!seen[b as usize], "byte {b} twice");
                seen[b as usize] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn text_tokens_join_into_utf8_and_specials_are_dropped() {
        // "Ġcaf" + "Ã©" is " café" in GPT-2's byte-level alphabet (é = C3 A9).
        let v = vocab(&[
            "ĠHello",
            ",",
            "Ġcaf",
            "Ã©",
            "<|endoftext|>",
            "<|sot|>",
            "<|p|>",
            "<|nt|>",
            "<|0.00|>",
        ]);
        let s = specials(4);
        assert_eq!(decode_text(&v, &s, &[8, 0, 1, 2, 3, 4, 8]), " Hello, café");
    }

    #[test]
    fn a_character_split_across_tokens_is_joined_before_decoding() {
        // "ä½ł" + "å¥½" = 你好 (E4 BD A0 E5 A5 BD); split mid-character: "ä½" + "łå¥½".
        let v = vocab(&["ä½", "łå¥½", "<|endoftext|>"]);
        assert_eq!(decode_text(&v, &specials(2), &[0, 1]), "你好");
    }

    #[test]
    fn the_first_timestamp_follows_no_timestamps() {
        let s = specials(10);
        assert_eq!(s.timestamp_begin(), 14);
    }
}
