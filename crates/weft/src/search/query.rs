//! The search box's language, as people already type it into web search engines: words
//! (all must match), `"exact phrases"`, prefixes (`light*`), exclusions (`-work`) and `OR`.
//!
//! A query is parsed here into terms, and turned into a PostgreSQL `tsquery` expression
//! whose structure comes from this code and whose text comes only from bound parameters:
//! whatever a person types is data, never SQL and never tsquery syntax.

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// The most terms one query may have.
pub const MAX_TERMS: usize = 16;

/// Why a query is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("type something to search for")]
    Empty,
    #[error("a search has at most {MAX_QUERY_CHARS} characters")]
    TooLong,
    #[error("a search has at most {MAX_TERMS} words or phrases")]
    TooManyTerms,
    #[error("a search needs at least one word that is not excluded")]
    OnlyExclusions,
}

/// What one term matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermKind {
    /// A word (stemmed: `walking` finds `walked`).
    Word,
    /// Words starting with this (`light*`); letters and digits only.
    Prefix,
    /// These words next to each other, in this order.
    Phrase,
}

/// One word, prefix or phrase of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub kind: TermKind,
    pub text: String,
    /// `-term`: journals containing it are left out.
    pub negated: bool,
    /// The lexemes (English stems) of the known words (`search_words`) that this term
    /// stands for, named before the search runs: for a prefix, those of the words that
    /// start with it, when there are few enough to name (matching them is far cheaper
    /// than matching every lexeme that starts with the prefix, which gathers the matches
    /// of all users first); for a word in [`Matching::Partial`], those of the words that
    /// contain it (without them, partial matching matches the word only).
    pub lexemes: Option<Vec<String>>,
    /// The word's other spellings (`harbor` for `harbour`, [`super::spelling`]), looked for
    /// as well; only words have them.
    pub variants: Vec<String>,
}

/// A parsed query: every group must match; a group matches when any of its terms does
/// (`a b OR c` is `a AND (b OR c)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub groups: Vec<Vec<Term>>,
}

/// A tsquery expression in SQL, with the texts it binds, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlExpr {
    pub sql: String,
    pub binds: Vec<String>,
}

/// How words are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Whole words (stemmed), phrases and prefixes as typed.
    Exact,
    /// Also the words that contain a typed word (`ligh` finds `flight`): the fallback when
    /// exact matching finds nothing.
    Partial,
    /// The words as written, whole words in any case, read from the texts themselves: the
    /// fallback for a query made only of words that full-text search ignores (`that`,
    /// `"to be or not to be"`), which the document index cannot find.
    Literal,
}

impl Query {
    /// Parses what a person typed.
    pub fn parse(input: &str) -> Result<Self, QueryError> {
        if input.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let mut groups: Vec<Vec<Term>> = Vec::new();
        let mut join_next = false;
        let mut terms = 0;
        for token in tokens(input) {
            let term = match token {
                Token::Or => {
                    join_next = !groups.is_empty();
                    continue;
                }
                Token::Term(term) => term,
            };
            terms += 1;
            if terms > MAX_TERMS {
                return Err(QueryError::TooManyTerms);
            }
            match groups.last_mut() {
                Some(group) if join_next => group.push(term),
                _ => groups.push(vec![term]),
            }
            join_next = false;
        }
        if groups.is_empty() {
            return Err(QueryError::Empty);
        }
        if groups.iter().flatten().all(|term| term.negated) {
            return Err(QueryError::OnlyExclusions);
        }
        Ok(Self { groups })
    }

    /// Whether [`Matching::Partial`] would search for anything more than
    /// [`Matching::Exact`]: only wanted words are expanded, so a query of phrases and
    /// prefixes that found nothing would find nothing again.
    pub fn expands_partially(&self) -> bool {
        self.wanted()
            .any(|term| term.kind == TermKind::Word && !word_letters(&term.text).is_empty())
    }

    /// The prefix terms, to name their lexemes ([`Term::lexemes`]).
    pub fn prefixes_mut(&mut self) -> impl Iterator<Item = &mut Term> {
        self.groups
            .iter_mut()
            .flatten()
            .filter(|term| term.kind == TermKind::Prefix)
    }

    /// The wanted words that [`Matching::Partial`] expands to the words containing them,
    /// with the letters to look for: to name their lexemes ([`Term::lexemes`]).
    pub fn partial_words_mut(&mut self) -> impl Iterator<Item = (String, &mut Term)> {
        self.groups
            .iter_mut()
            .flatten()
            .filter(|term| term.kind == TermKind::Word && !term.negated)
            .filter_map(|term| {
                let letters = word_letters(&term.text);
                (letters.chars().count() >= 3).then_some((letters, term))
            })
    }

    /// The wanted words that may be misspelled, with their letters (lower-case) and as
    /// typed: those of three letters or more, which the word list holds.
    pub fn misspellable_words(&self) -> Vec<(String, String)> {
        self.wanted()
            .filter(|term| term.kind == TermKind::Word)
            .map(|term| (word_letters(&term.text), term.text.clone()))
            .filter(|(letters, _)| (3..=40).contains(&letters.chars().count()))
            .collect()
    }

    /// Whether the query leaves anything out (`-term`).
    pub fn excludes_any(&self) -> bool {
        self.groups.iter().flatten().any(|term| term.negated)
    }

    /// The query with its excluded terms taken out (and the groups they leave empty).
    pub fn without_exclusions(&self) -> Query {
        Query {
            groups: self
                .groups
                .iter()
                .map(|group| group.iter().filter(|term| !term.negated).cloned().collect())
                .filter(|group: &Vec<Term>| !group.is_empty())
                .collect(),
        }
    }

    /// The words and phrases to look for (not the excluded ones).
    pub fn wanted(&self) -> impl Iterator<Item = &Term> {
        self.groups.iter().flatten().filter(|term| !term.negated)
    }

    /// The whole query as a tsquery expression; placeholders start at `$first`.
    pub fn to_sql(&self, first: usize, matching: Matching) -> SqlExpr {
        self.to_sql_in(first, matching, Configs::EveryLanguage)
    }

    /// [`Query::to_sql`], and beside it the groups that exclude nothing, with the same
    /// placeholders: a condition every match meets that an index can look up. A search of
    /// one field (titles) needs it, where the document's index cannot apply the exclusions
    /// (`harbour -rain` must not drop a journal whose notes, not its title, say "rain").
    /// None when every group excludes something.
    pub fn to_sql_and_wanted(&self, first: usize, matching: Matching) -> (SqlExpr, Option<String>) {
        let mut binds = Vec::new();
        let groups: Vec<(bool, String)> = self
            .groups
            .iter()
            .map(|group| {
                let alternatives: Vec<String> = group
                    .iter()
                    .map(|term| term_sql(term, first, matching, Configs::EveryLanguage, &mut binds))
                    .collect();
                let excludes = group.iter().any(|term| term.negated);
                (excludes, format!("({})", alternatives.join(" || ")))
            })
            .collect();
        let join = |wanted_only: bool| {
            let chosen: Vec<&str> = groups
                .iter()
                .filter(|(excludes, _)| !(wanted_only && *excludes))
                .map(|(_, sql)| sql.as_str())
                .collect();
            (!chosen.is_empty()).then(|| format!("({})", chosen.join(" && ")))
        };
        let sql = join(false).unwrap_or_default();
        (SqlExpr { sql, binds }, join(true))
    }

    /// [`Query::to_sql`] with English stemming alone, without the 'simple' alternative for
    /// other languages' text: empty exactly when English full-text search ignores every
    /// word (`that`), which then calls for [`Matching::Literal`].
    pub fn english_sql(&self, first: usize) -> SqlExpr {
        self.to_sql_in(first, Matching::Exact, Configs::English)
    }

    fn to_sql_in(&self, first: usize, matching: Matching, configs: Configs) -> SqlExpr {
        let mut binds = Vec::new();
        let sql = self.join_groups(" || ", " && ", |term| {
            term_sql(term, first, matching, configs, &mut binds)
        });
        SqlExpr { sql, binds }
    }

    /// The groups as SQL: each group's terms, as `term` writes them, joined by `or`; the
    /// groups joined by `and`.
    fn join_groups(&self, or: &str, and: &str, mut term: impl FnMut(&Term) -> String) -> String {
        let groups: Vec<String> = self
            .groups
            .iter()
            .map(|group| {
                let alternatives: Vec<String> = group.iter().map(&mut term).collect();
                format!("({})", alternatives.join(or))
            })
            .collect();
        format!("({})", groups.join(and))
    }

    /// The regular expressions of the query's terms, in the order in which
    /// [`Query::literal_sql`] numbers their placeholders: the texts to bind for it.
    pub fn literal_patterns(&self) -> Vec<String> {
        self.groups.iter().flatten().map(term_pattern).collect()
    }

    /// The whole query as a condition on the SQL text expression `text`, matching the terms
    /// as written ([`Matching::Literal`]); placeholders start at `$first` and bind
    /// [`Query::literal_patterns`]. The same numbers serve any number of texts.
    pub fn literal_sql(&self, first: usize, text: &str) -> String {
        let mut n = first;
        self.join_groups(" OR ", " AND ", |term| {
            let test = format!("{text} ~* ${n}");
            n += 1;
            if term.negated {
                format!("NOT ({test})")
            } else {
                test
            }
        })
    }

    /// A condition that every text matching the query as written ([`Query::literal_sql`])
    /// meets, on `words`, an array of the text's words as `weft_words` (migration 0020)
    /// gives them, for an index to look up: each group holds every word of one of its
    /// terms' spellings. Placeholders start at `$first`; the binds are the spellings, which
    /// the database splits as it split the text. A group with an excluded term or a prefix
    /// (whose last word may be longer in the text) cannot be looked up and is left to the
    /// expressions; None when no group can.
    pub fn literal_words_sql(&self, first: usize, words: &str) -> Option<SqlExpr> {
        self.literal_lookup_sql(
            first,
            |spelling| Some(spelling.to_string()),
            |n| format!("{words} @> weft_words(${n})"),
        )
    }

    /// A condition that every text matching the query as written ([`Query::literal_sql`])
    /// meets, on `pairs`, the numbered stop words said in the text and the pairs of them
    /// said one after the other, as `weft_stop_word_pairs` (migrations 0021 and 0023)
    /// gives them: each group says every word and pair of one of its terms' spellings. A
    /// term's expression matches whole words and allows any run of other characters than
    /// letters and digits between them, the places where the database splits a text into
    /// words, so a text it matches says its words and the pairs they make. Placeholders
    /// start at `$first`; the binds are the spellings' words as the expressions have them,
    /// split again by the database. A group with an excluded term or a prefix (whose last
    /// word may be longer) is left to the expressions, and None when no group is left.
    pub fn literal_pairs_sql(&self, first: usize, pairs: &str) -> Option<SqlExpr> {
        self.literal_lookup_sql(
            first,
            |spelling| {
                let words = literal_words(spelling);
                (!words.is_empty()).then(|| words.join(" "))
            },
            // Not a sub-select: a search is planned for its parameters, so the function is
            // worked out once, at planning, and PostgreSQL weighs how common the words are
            // (the index for `hers`, said in few journals; the user's journals newest first
            // for `to`, said in nearly all). Behind a sub-select it took the index for every
            // word alone, and `to be or not to be` read all of the user's rows.
            |n| format!("{pairs} @> weft_stop_word_pairs(${n})"),
        )
    }

    /// The groups of the query that an array of a text's words (or pairs) can look up: in
    /// each group with no excluded term and no prefix, every spelling's text to bind
    /// (`bind`; None when a spelling says nothing to look up, which leaves its group to the
    /// expressions) and its `condition` on the placeholder's number, joined by OR; the
    /// groups joined by AND. Placeholders start at `$first`; None when no group is left.
    fn literal_lookup_sql(
        &self,
        first: usize,
        bind: impl Fn(&str) -> Option<String>,
        condition: impl Fn(usize) -> String,
    ) -> Option<SqlExpr> {
        let mut binds = Vec::new();
        let mut groups = Vec::new();
        for group in &self.groups {
            if group
                .iter()
                .any(|term| term.negated || term.kind == TermKind::Prefix)
            {
                continue;
            }
            let bound: Option<Vec<String>> = group
                .iter()
                .flat_map(|term| std::iter::once(&term.text).chain(&term.variants))
                .map(|spelling| bind(spelling))
                .collect();
            let Some(bound) = bound else { continue };
            let alternatives: Vec<String> = bound
                .into_iter()
                .map(|text| {
                    binds.push(text);
                    condition(first + binds.len() - 1)
                })
                .collect();
            groups.push(format!("({})", alternatives.join(" OR ")));
        }
        (!groups.is_empty()).then(|| SqlExpr {
            sql: groups.join(" AND "),
            binds,
        })
    }

    /// One regular expression matching any wanted term as written: what literal snippets
    /// highlight and literal moments contain.
    pub fn literal_any_pattern(&self) -> String {
        let alternatives: Vec<String> = self
            .wanted()
            .map(|term| format!("(?:{})", term_pattern(term)))
            .collect();
        alternatives.join("|")
    }

    /// Any wanted term, as a tsquery expression: what a transcript segment must contain
    /// to be a moment of a result, and what a snippet highlights.
    pub fn any_wanted_sql(&self, first: usize, matching: Matching) -> SqlExpr {
        let mut binds = Vec::new();
        let alternatives: Vec<String> = self
            .wanted()
            .map(|term| term_sql(term, first, matching, Configs::EveryLanguage, &mut binds))
            .collect();
        SqlExpr {
            sql: format!("({})", alternatives.join(" || ")),
            binds,
        }
    }
}

/// One term as SQL, pushing the text it binds.
/// Which text-search configurations a word or phrase is looked for with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Configs {
    /// English stemming only.
    English,
    /// English stemming, and as written ('simple') for text in other languages.
    EveryLanguage,
}

fn term_sql(
    term: &Term,
    first: usize,
    matching: Matching,
    configs: Configs,
    binds: &mut Vec<String>,
) -> String {
    // Named lexemes are constants, which PostgreSQL plans for and computes once; the
    // 'simple' configuration takes them as they are (they are stems already).
    let lexemes = term.lexemes.as_deref().and_then(named_lexemes);
    let mut bind = |text: String| {
        binds.push(text);
        first + binds.len() - 1
    };
    let sql = match term.kind {
        // Only letters and digits reach to_tsquery, so its operators cannot be injected.
        TermKind::Prefix => match lexemes {
            Some(lexemes) => format!("to_tsquery('simple', ${})", bind(lexemes)),
            None => format!(
                "to_tsquery('english', ${})",
                bind(format!("'{}':*", term.text))
            ),
        },
        // English text is indexed stemmed, every other language's with 'simple'
        // (migrations/0008_languages.sql): a word or phrase is looked for both ways, with the
        // same bound text.
        TermKind::Phrase => {
            let n = bind(term.text.clone());
            match configs {
                Configs::English => format!("phraseto_tsquery('english', ${n})"),
                Configs::EveryLanguage => format!(
                    "(phraseto_tsquery('english', ${n}) || phraseto_tsquery('simple', ${n}))"
                ),
            }
        }
        TermKind::Word => {
            let spelled = |n: usize| match configs {
                Configs::English => format!("plainto_tsquery('english', ${n})"),
                Configs::EveryLanguage => {
                    format!("(plainto_tsquery('english', ${n}) || plainto_tsquery('simple', ${n}))")
                }
            };
            let mut word = spelled(bind(term.text.clone()));
            // Its other spellings, any of them (`harbour` finds `harbor`).
            for variant in &term.variants {
                word = format!("({word} || {})", spelled(bind(variant.clone())));
            }
            let letters = word_letters(&term.text);
            if matching != Matching::Partial || term.negated || letters.is_empty() {
                word
            } else if letters.chars().count() < 3 {
                let n = bind(format!("'{letters}':*"));
                format!("({word} || to_tsquery('english', ${n}))")
            } else if let Some(lexemes) = lexemes {
                format!("({word} || to_tsquery('simple', ${}))", bind(lexemes))
            } else {
                word
            }
        }
    };
    if term.negated {
        format!("(!! {sql})")
    } else {
        sql
    }
}

/// Named lexemes as to_tsquery text, any of them; none when there are none, or when one
/// has a quote or a backslash, which the stems of the word list's words (split at every
/// non-alphanumeric) lack. Quoted, each is one operand whatever else it contains.
fn named_lexemes(lexemes: &[String]) -> Option<String> {
    if lexemes.is_empty() || lexemes.iter().any(|lexeme| lexeme.contains(['\'', '\\'])) {
        return None;
    }
    let quoted: Vec<String> = lexemes.iter().map(|lexeme| format!("'{lexeme}'")).collect();
    Some(quoted.join(" | "))
}

/// A term as a regular expression (PostgreSQL's, matched case-insensitively) that finds
/// it as whole words: every character that is not a letter or digit is escaped, so the
/// text can only ever match itself; a phrase's words may be separated by any non-word
/// characters; a prefix has no end of word.
fn term_pattern(term: &Term) -> String {
    // Punctuation around a word (`that,`) is not part of it.
    let escape = |word: &str| -> String {
        word.trim_matches(|c: char| !c.is_alphanumeric())
            .chars()
            .flat_map(|c| {
                let escaped = (!c.is_alphanumeric()).then_some('\\');
                escaped.into_iter().chain(std::iter::once(c))
            })
            .collect()
    };
    match term.kind {
        TermKind::Word if !term.variants.is_empty() => {
            let spellings: Vec<String> = std::iter::once(escape(&term.text))
                .chain(term.variants.iter().map(|variant| escape(variant)))
                .collect();
            format!("\\m(?:{})\\M", spellings.join("|"))
        }
        TermKind::Word => format!("\\m{}\\M", escape(&term.text)),
        TermKind::Prefix => format!("\\m{}", escape(&term.text)),
        TermKind::Phrase => {
            let words: Vec<String> = literal_words(&term.text)
                .iter()
                .map(|word| escape(word))
                .collect();
            format!("\\m{}\\M", words.join("[^[:alnum:]]+"))
        }
    }
}

/// The words of a term's text as its expression matches them as written: split at spaces,
/// without the punctuation around each (`that,` is `that`), none empty.
fn literal_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// A word's letters and digits, lower-case (how search_words stores words).
fn word_letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

enum Token {
    Or,
    Term(Term),
}

/// Splits a query into terms and ORs, dropping what cannot match anything.
fn tokens(input: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        while chars.peek() == Some(&'-') {
            negated = true;
            chars.next();
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
            if phrase.chars().any(char::is_alphanumeric) {
                let text = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push(Token::Term(Term {
                    kind: TermKind::Phrase,
                    text,
                    negated,
                    lexemes: None,
                    variants: Vec::new(),
                }));
            }
            continue;
        }
        let mut raw = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '"' {
                break;
            }
            raw.push(c);
            chars.next();
        }
        if !negated && raw.eq_ignore_ascii_case("or") {
            out.push(Token::Or);
            continue;
        }
        let prefix = raw.ends_with('*');
        if prefix {
            let letters = word_letters(&raw);
            if !letters.is_empty() {
                out.push(Token::Term(Term {
                    kind: TermKind::Prefix,
                    text: letters,
                    negated,
                    lexemes: None,
                    variants: Vec::new(),
                }));
            }
        } else if raw.chars().any(char::is_alphanumeric) {
            out.push(Token::Term(Term {
                kind: TermKind::Word,
                variants: super::spelling::variants(&word_letters(&raw)),
                text: raw,
                negated,
                lexemes: None,
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_wanted_groups_leave_the_exclusions_out_with_the_same_placeholders() {
        let query = Query::parse("harbour -rain").unwrap();
        let (all, wanted) = query.to_sql_and_wanted(3, Matching::Exact);
        assert_eq!(all.sql, query.to_sql(3, Matching::Exact).sql);
        assert_eq!(all.binds, ["harbour", "harbor", "rain"]);
        let wanted = wanted.expect("harbour is wanted");
        assert!(wanted.contains("$3") && wanted.contains("$4"), "{wanted}");
        assert!(!wanted.contains("$5") && !wanted.contains("!!"), "{wanted}");
        assert!(all.sql.contains("!!"), "{}", all.sql);
    }

    use super::*;

    fn word(text: &str) -> Term {
        Term {
            kind: TermKind::Word,
            text: text.into(),
            negated: false,
            lexemes: None,
            variants: Vec::new(),
        }
    }

    #[test]
    fn a_prefix_is_matched_as_its_named_lexemes_when_it_has_them() {
        let mut query = Query::parse("ligh*").unwrap();
        assert_eq!(query.to_sql(1, Matching::Exact).binds, vec!["'ligh':*"]);
        let term = query.prefixes_mut().next().unwrap();
        term.lexemes = Some(vec!["light".into(), "lighthous".into()]);
        let expr = query.to_sql(1, Matching::Exact);
        assert_eq!(expr.sql, "((to_tsquery('simple', $1)))");
        assert_eq!(expr.binds, vec!["'light' | 'lighthous'"]);
        // No known word: the prefix of lexemes, which finds what the list lacks.
        query.prefixes_mut().next().unwrap().lexemes = Some(vec![]);
        assert_eq!(query.to_sql(1, Matching::Exact).binds, vec!["'ligh':*"]);
        // A quote cannot come from the word list; if it did, it could not break out.
        query.prefixes_mut().next().unwrap().lexemes = Some(vec!["it's".into()]);
        let expr = query.to_sql(1, Matching::Exact);
        assert_eq!(expr.sql, "((to_tsquery('english', $1)))");
        assert_eq!(expr.binds, vec!["'ligh':*"]);
    }

    #[test]
    fn words_phrases_prefixes_exclusions_and_or_are_read() {
        let query = Query::parse(r#"beach "red kite" light* -work sunrise OR sunset"#).unwrap();
        assert_eq!(
            query.groups,
            vec![
                vec![word("beach")],
                vec![Term {
                    kind: TermKind::Phrase,
                    text: "red kite".into(),
                    negated: false,
                    lexemes: None,
                    variants: Vec::new(),
                }],
                vec![Term {
                    kind: TermKind::Prefix,
                    text: "light".into(),
                    negated: false,
                    lexemes: None,
                    variants: Vec::new(),
                }],
                vec![Term {
                    kind: TermKind::Word,
                    text: "work".into(),
                    negated: true,
                    lexemes: None,
                    variants: Vec::new(),
                }],
                vec![word("sunrise"), word("sunset")],
            ]
        );
    }

    #[test]
    fn empty_exclusion_only_and_overlong_queries_are_refused() {
        assert_eq!(Query::parse("   "), Err(QueryError::Empty));
        assert_eq!(Query::parse("%% && ()"), Err(QueryError::Empty));
        assert_eq!(Query::parse("\"\""), Err(QueryError::Empty));
        assert_eq!(
            Query::parse("-work -\"day job\""),
            Err(QueryError::OnlyExclusions)
        );
        assert_eq!(Query::parse(&"a".repeat(257)), Err(QueryError::TooLong));
        let many = (0..17)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(Query::parse(&many), Err(QueryError::TooManyTerms));
    }

    #[test]
    fn a_dangling_or_and_an_unclosed_quote_are_forgiven() {
        assert_eq!(
            Query::parse("OR beach OR").unwrap().groups,
            vec![vec![word("beach")]]
        );
        let query = Query::parse("\"red kite").unwrap();
        assert_eq!(query.groups[0][0].kind, TermKind::Phrase);
        assert_eq!(query.groups[0][0].text, "red kite");
    }

    #[test]
    fn typed_text_only_ever_reaches_sql_as_bound_parameters() {
        let query = Query::parse(r#"it's 50% "o'brien\" -x' light'*"#).unwrap();
        let expr = query.to_sql(3, Matching::Exact);
        assert!(!expr.sql.contains("it's"));
        assert!(!expr.sql.contains("brien"));
        assert!(!expr.sql.contains("50%"));
        assert_eq!(expr.binds.len(), 5);
        // A prefix keeps only letters and digits, so to_tsquery sees one quoted lexeme.
        assert_eq!(expr.binds[4], "'light':*");
        // A word is looked for stemmed as English and as written (other languages' text).
        assert!(
            expr.sql
                .starts_with("(((plainto_tsquery('english', $3) || plainto_tsquery('simple', $3))"),
            "{}",
            expr.sql
        );
    }

    #[test]
    fn a_word_with_another_spelling_is_looked_for_in_both() {
        let query = Query::parse("Harbour walk").unwrap();
        assert_eq!(query.groups[0][0].variants, vec!["harbor"]);
        let expr = query.to_sql(1, Matching::Exact);
        assert_eq!(expr.binds, vec!["Harbour", "harbor", "walk"]);
        assert!(
            expr.sql.contains("plainto_tsquery('english', $2)"),
            "{}",
            expr.sql
        );
        assert_eq!(query.literal_patterns()[0], r"\m(?:Harbour|harbor)\M");
    }

    #[test]
    fn partial_matching_expands_words_through_the_word_list() {
        let mut query = Query::parse("ligh ab -work zzzz").unwrap();
        // Not yet named: the word alone.
        let expr = query.to_sql(1, Matching::Partial);
        assert_eq!(expr.binds, vec!["ligh", "ab", "'ab':*", "work", "zzzz"]);
        let named: Vec<(String, &mut Term)> = query.partial_words_mut().collect();
        assert_eq!(
            named
                .iter()
                .map(|(letters, _)| letters.as_str())
                .collect::<Vec<_>>(),
            vec!["ligh", "zzzz"]
        );
        for (letters, term) in query.partial_words_mut() {
            term.lexemes = Some(if letters == "ligh" {
                vec!["flight".into(), "light".into()]
            } else {
                vec![]
            });
        }
        let expr = query.to_sql(1, Matching::Partial);
        assert!(
            expr.sql.contains("to_tsquery('simple', $2)"),
            "{}",
            expr.sql
        );
        assert_eq!(
            expr.binds,
            vec!["ligh", "'flight' | 'light'", "ab", "'ab':*", "work", "zzzz"]
        );
        // Exact matching leaves the named lexemes alone.
        assert_eq!(
            query.to_sql(1, Matching::Exact).binds,
            vec!["ligh", "ab", "work", "zzzz"]
        );
        let any = query.any_wanted_sql(1, Matching::Partial);
        assert!(!any.binds.contains(&"work".to_string()));
    }

    #[test]
    fn only_queries_with_a_wanted_word_are_tried_again_with_partial_words() {
        assert!(Query::parse("ligh").unwrap().expands_partially());
        assert!(Query::parse("\"red kite\" ligh")
            .unwrap()
            .expands_partially());
        assert!(!Query::parse("light*").unwrap().expands_partially());
        assert!(!Query::parse("\"red kite\" -ligh")
            .unwrap()
            .expands_partially());
    }

    #[test]
    fn literal_patterns_match_whole_words_with_every_symbol_escaped() {
        let query = Query::parse(r#"that, "to be, or" it's* -a.b c(d"#).unwrap();
        assert_eq!(
            query.literal_patterns(),
            vec![
                r"\mthat\M",
                r"\mto[^[:alnum:]]+be[^[:alnum:]]+or\M",
                r"\mits",
                r"\ma\.b\M",
                r"\mc\(d\M",
            ]
        );
        assert_eq!(
            query.literal_sql(4, "t.x"),
            "((t.x ~* $4) AND (t.x ~* $5) AND (t.x ~* $6) AND (NOT (t.x ~* $7)) AND (t.x ~* $8))"
        );
        let or = Query::parse("this OR that").unwrap();
        assert_eq!(or.literal_sql(1, "x"), "((x ~* $1 OR x ~* $2))");
        assert_eq!(or.literal_any_pattern(), r"(?:\mthis\M)|(?:\mthat\M)");
    }

    #[test]
    fn the_words_looked_up_for_a_literal_query_skip_groups_with_exclusions_or_prefixes() {
        let query = Query::parse(r#"that "to be, or" there OR then it's* this OR -a.b"#).unwrap();
        let words = query.literal_words_sql(9, "s.w").unwrap();
        assert_eq!(
            words.sql,
            "(s.w @> weft_words($9)) AND (s.w @> weft_words($10)) \
             AND (s.w @> weft_words($11) OR s.w @> weft_words($12))"
        );
        assert_eq!(words.binds, vec!["that", "to be, or", "there", "then"]);
        // Other spellings of a word are alternatives of its group.
        let mut harbour = Query::parse("harbour").unwrap();
        harbour.groups[0][0].variants = vec!["harbor".to_string()];
        let words = harbour.literal_words_sql(1, "w").unwrap();
        assert_eq!(words.sql, "(w @> weft_words($1) OR w @> weft_words($2))");
        assert_eq!(words.binds, vec!["harbour", "harbor"]);
        // Nothing to look up: the expressions alone decide.
        assert!(Query::parse("that* -this")
            .unwrap()
            .literal_words_sql(1, "w")
            .is_none());
    }

    #[test]
    fn the_words_and_pairs_looked_up_for_a_literal_query_are_those_of_every_group() {
        let query =
            Query::parse(r#""To be, or" that "it's" OR "not to be" "here" OR there -"a b" x*"#)
                .unwrap();
        let pairs = query.literal_pairs_sql(9, "s.p").unwrap();
        assert_eq!(
            pairs.sql,
            "(s.p @> weft_stop_word_pairs($9)) \
             AND (s.p @> weft_stop_word_pairs($10)) \
             AND (s.p @> weft_stop_word_pairs($11) OR s.p @> weft_stop_word_pairs($12)) \
             AND (s.p @> weft_stop_word_pairs($13) OR s.p @> weft_stop_word_pairs($14))"
        );
        // The words as the expressions match them: the punctuation around each goes, a
        // word's own stays for the database to split at. A word alone is looked up too
        // (since 0023 a text's stop words are kept beside their pairs).
        assert_eq!(
            pairs.binds,
            vec!["To be or", "that", "it's", "not to be", "here", "there"]
        );
        // Exclusions and prefixes are left to the expressions.
        for nothing in ["that*", "it's* to*"] {
            assert!(
                Query::parse(nothing)
                    .unwrap()
                    .literal_pairs_sql(1, "p")
                    .is_none(),
                "{nothing}"
            );
        }
    }

    proptest::proptest! {
        /// Whatever is typed: parsing never panics, and what reaches SQL is structure from
        /// this module with one placeholder per bound text, never the text itself.
        #[test]
        fn any_input_parses_or_is_refused_and_never_reaches_sql_as_text(input in "\\PC{0,80}") {
            if let Ok(query) = Query::parse(&input) {
                for matching in [Matching::Exact, Matching::Partial] {
                    let expr = query.to_sql(1, matching);
                    let allowed = |c: char| c.is_ascii_alphanumeric() || " $(),|&!_'".contains(c);
                    proptest::prop_assert!(expr.sql.chars().all(allowed), "{}", expr.sql);
                    for n in 1..=expr.binds.len() {
                        let placeholder = format!("${n}");
                        proptest::prop_assert!(expr.sql.contains(&placeholder));
                    }
                    let beyond = format!("${}", expr.binds.len() + 1);
                    proptest::prop_assert!(!expr.sql.contains(&beyond));
                }
            }
        }
    }
}
