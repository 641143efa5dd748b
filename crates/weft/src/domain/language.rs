//! The languages Weft transcribes: Whisper's, by their codes.

use super::ValidationError;

/// Whisper's languages: code and English name, in Whisper's order (most training data
/// first), which is also the order a person scanning the list expects the common ones in.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("zh", "Chinese"),
    ("de", "German"),
    ("es", "Spanish"),
    ("ru", "Russian"),
    ("ko", "Korean"),
    ("fr", "French"),
    ("ja", "Japanese"),
    ("pt", "Portuguese"),
    ("tr", "Turkish"),
    ("pl", "Polish"),
    ("ca", "Catalan"),
    ("nl", "Dutch"),
    ("ar", "Arabic"),
    ("sv", "Swedish"),
    ("it", "Italian"),
    ("id", "Indonesian"),
    ("hi", "Hindi"),
    ("fi", "Finnish"),
    ("vi", "Vietnamese"),
    ("he", "Hebrew"),
    ("uk", "Ukrainian"),
    ("el", "Greek"),
    ("ms", "Malay"),
    ("cs", "Czech"),
    ("ro", "Romanian"),
    ("da", "Danish"),
    ("hu", "Hungarian"),
    ("ta", "Tamil"),
    ("no", "Norwegian"),
    ("th", "Thai"),
    ("ur", "Urdu"),
    ("hr", "Croatian"),
    ("bg", "Bulgarian"),
    ("lt", "Lithuanian"),
    ("la", "Latin"),
    ("mi", "Maori"),
    ("ml", "Malayalam"),
    ("cy", "Welsh"),
    ("sk", "Slovak"),
    ("te", "Telugu"),
    ("fa", "Persian"),
    ("lv", "Latvian"),
    ("bn", "Bengali"),
    ("sr", "Serbian"),
    ("az", "Azerbaijani"),
    ("sl", "Slovenian"),
    ("kn", "Kannada"),
    ("et", "Estonian"),
    ("mk", "Macedonian"),
    ("br", "Breton"),
    ("eu", "Basque"),
    ("is", "Icelandic"),
    ("hy", "Armenian"),
    ("ne", "Nepali"),
    ("mn", "Mongolian"),
    ("bs", "Bosnian"),
    ("kk", "Kazakh"),
    ("sq", "Albanian"),
    ("sw", "Swahili"),
    ("gl", "Galician"),
    ("mr", "Marathi"),
    ("pa", "Punjabi"),
    ("si", "Sinhala"),
    ("km", "Khmer"),
    ("sn", "Shona"),
    ("yo", "Yoruba"),
    ("so", "Somali"),
    ("af", "Afrikaans"),
    ("oc", "Occitan"),
    ("ka", "Georgian"),
    ("be", "Belarusian"),
    ("tg", "Tajik"),
    ("sd", "Sindhi"),
    ("gu", "Gujarati"),
    ("am", "Amharic"),
    ("yi", "Yiddish"),
    ("lo", "Lao"),
    ("uz", "Uzbek"),
    ("fo", "Faroese"),
    ("ht", "Haitian Creole"),
    ("ps", "Pashto"),
    ("tk", "Turkmen"),
    ("nn", "Nynorsk"),
    ("mt", "Maltese"),
    ("sa", "Sanskrit"),
    ("lb", "Luxembourgish"),
    ("my", "Myanmar"),
    ("bo", "Tibetan"),
    ("tl", "Tagalog"),
    ("mg", "Malagasy"),
    ("as", "Assamese"),
    ("tt", "Tatar"),
    ("haw", "Hawaiian"),
    ("ln", "Lingala"),
    ("ha", "Hausa"),
    ("ba", "Bashkir"),
    ("jw", "Javanese"),
    ("su", "Sundanese"),
    ("yue", "Cantonese"),
];

/// A transcription language as a person chooses it: one of [`LANGUAGES`], or detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Language {
    /// Let the engine detect it.
    Detect,
    /// This language (a code of [`LANGUAGES`]).
    Code(&'static str),
}

impl Language {
    /// Reads `auto` (or `detect`, or nothing) or a code, in any case; `field` names it in
    /// the error.
    pub fn parse(text: &str, field: &str) -> Result<Self, ValidationError> {
        let text = text.trim().to_ascii_lowercase();
        if text.is_empty() || text == "auto" || text == "detect" {
            return Ok(Self::Detect);
        }
        LANGUAGES
            .iter()
            .find(|(code, _)| *code == text)
            .map(|(code, _)| Self::Code(code))
            .ok_or_else(|| {
                ValidationError::new(
                    field,
                    "not a language Weft can transcribe: use a code such as en, es or sv, or \
                     auto to detect it",
                )
            })
    }

    /// The code, or `None` for detection.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Detect => None,
            Self::Code(code) => Some(code),
        }
    }
}

/// The English name of a language code (the code itself when unknown).
pub fn language_name(code: &str) -> &str {
    LANGUAGES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map_or(code, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_detection_are_read_and_anything_else_refused() {
        assert_eq!(
            Language::parse(" ES ", "language"),
            Ok(Language::Code("es"))
        );
        assert_eq!(Language::parse("auto", "language"), Ok(Language::Detect));
        assert_eq!(Language::parse("", "language"), Ok(Language::Detect));
        assert_eq!(
            Language::parse("yue", "language").unwrap().code(),
            Some("yue")
        );
        for bad in ["xx", "english", "e\0s", "es-ES"] {
            let err = Language::parse(bad, "language").unwrap_err();
            assert_eq!(err.field, "language");
        }
        assert_eq!(language_name("sv"), "Swedish");
        assert_eq!(language_name("qq"), "qq");
        assert_eq!(LANGUAGES.len(), 100);
    }
}
