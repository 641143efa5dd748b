//! British and American spellings of the same word (`harbour`/`harbor`,
//! `organise`/`organize`, `travelled`/`traveled`, `grey`/`gray`): a person who writes one
//! and searches with the other still finds it. Full-text search stems each spelling to a
//! lexeme of its own, so a searched word is looked for in both spellings.
//!
//! A list of word stems, not general rules: "-our" to "-or" would turn `four` into `for`
//! and "-ise" to "-ize" `promise` into `promize`. Each stem says which endings may follow
//! it, so that `labor` does not reach `laboratory`.

/// Endings that follow a noun or verb stem ending in a spelled-differently part.
const NOUN: &[&str] = &[
    "", "s", "ed", "ing", "ful", "fully", "less", "ite", "ites", "hood", "hoods", "able", "al",
    "ally", "er", "ers", "ist", "ists", "y",
];
/// Endings of the -ise / -ize and -yse / -yze verbs, after the `s`/`z`.
const VERB: &[&str] = &[
    "e", "ed", "es", "ing", "ation", "ations", "er", "ers", "able",
];
/// Endings after a doubled (British) or single (American) `l`.
const DOUBLED: &[&str] = &["ed", "ing", "er", "ers"];
/// A word and its plural.
const PLURAL: &[&str] = &["", "s"];

/// (British stem, American stem, endings that may follow either).
const STEMS: &[(&str, &str, &[&str])] = &[
    ("armour", "armor", NOUN),
    ("behaviour", "behavior", NOUN),
    ("colour", "color", NOUN),
    ("favour", "favor", NOUN),
    ("flavour", "flavor", NOUN),
    ("harbour", "harbor", NOUN),
    ("honour", "honor", NOUN),
    ("humour", "humor", NOUN),
    ("labour", "labor", NOUN),
    ("neighbour", "neighbor", NOUN),
    ("odour", "odor", NOUN),
    ("parlour", "parlor", NOUN),
    ("rumour", "rumor", NOUN),
    ("savour", "savor", NOUN),
    ("vapour", "vapor", NOUN),
    ("apologis", "apologiz", VERB),
    ("criticis", "criticiz", VERB),
    ("emphasis", "emphasiz", VERB),
    ("memoris", "memoriz", VERB),
    ("organis", "organiz", VERB),
    ("prioritis", "prioritiz", VERB),
    ("realis", "realiz", VERB),
    ("recognis", "recogniz", VERB),
    ("summaris", "summariz", VERB),
    ("analys", "analyz", VERB),
    ("paralys", "paralyz", VERB),
    ("cancell", "cancel", DOUBLED),
    ("labell", "label", DOUBLED),
    ("modell", "model", DOUBLED),
    ("travell", "travel", DOUBLED),
    ("centre", "center", PLURAL),
    ("centred", "centered", &[""]),
    ("fibre", "fiber", PLURAL),
    ("litre", "liter", PLURAL),
    ("metre", "meter", PLURAL),
    ("theatre", "theater", PLURAL),
    ("grey", "gray", &["", "s", "er", "est", "ish", "ness"]),
    ("catalogue", "catalog", PLURAL),
    ("catalogued", "cataloged", &[""]),
    ("dialogue", "dialog", PLURAL),
    ("programme", "program", PLURAL),
    ("jewellery", "jewelry", &[""]),
    ("aluminium", "aluminum", &[""]),
    ("defence", "defense", PLURAL),
    ("offence", "offense", PLURAL),
    ("licence", "license", PLURAL),
    ("pyjamas", "pajamas", &[""]),
    ("plough", "plow", NOUN),
    ("mould", "mold", NOUN),
    ("moustache", "mustache", PLURAL),
    ("sceptical", "skeptical", &[""]),
    ("judgement", "judgment", PLURAL),
    ("ageing", "aging", &[""]),
    ("doughnut", "donut", PLURAL),
    ("manoeuvre", "maneuver", &["", "s", "d", "ed"]),
    ("cosy", "cozy", &[""]),
    ("mum", "mom", PLURAL),
];

/// The other spellings of `word` (any case), lower-case; none for most words.
pub fn variants(word: &str) -> Vec<String> {
    let word = word.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for &(british, american, endings) in STEMS {
        for (from, to) in [(british, american), (american, british)] {
            let Some(ending) = word.strip_prefix(from) else {
                continue;
            };
            if from == to || !endings.contains(&ending) {
                continue;
            }
            let other = format!("{to}{}", respell_ending(from, to, ending));
            if other != word && !out.contains(&other) {
                out.push(other);
            }
        }
    }
    out
}

/// The ending as the other spelling writes it: `centre` + `d` is `center` + `ed`.
fn respell_ending<'a>(from: &str, to: &str, ending: &'a str) -> &'a str {
    match (from.ends_with('e'), to.ends_with('e'), ending) {
        // manoeuvre + d = manoeuvred, maneuver + ed = maneuvered, and back.
        (true, false, "d") => "ed",
        (false, true, "ed") => "d",
        _ => ending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn british_and_american_spellings_find_each_other_both_ways() {
        for (british, american) in [
            ("harbour", "harbor"),
            ("colours", "colors"),
            ("colourful", "colorful"),
            ("neighbourhood", "neighborhood"),
            ("centre", "center"),
            ("theatres", "theaters"),
            ("travelled", "traveled"),
            ("travelling", "traveling"),
            ("organise", "organize"),
            ("organisation", "organization"),
            ("analysed", "analyzed"),
            ("grey", "gray"),
            ("catalogue", "catalog"),
            ("Manoeuvred", "maneuvered"),
        ] {
            assert_eq!(variants(british), vec![american], "{british}");
            assert_eq!(
                variants(american),
                vec![british.to_lowercase()],
                "{american}"
            );
        }
    }

    #[test]
    fn words_that_merely_look_alike_have_no_variant() {
        for word in [
            "four",
            "your",
            "hour",
            "laboratory",
            "promise",
            "analysis",
            "travel",
            "label",
            "greyhound",
            "centering",
        ] {
            assert!(variants(word).is_empty(), "{word}: {:?}", variants(word));
        }
    }
}
