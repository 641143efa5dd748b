//! "Did you mean": the closest words of the user's own journals (trigram similarity,
//! pg_trgm, over the word list), instead of a query that found nothing, or beside one that
//! found only a result or two when a much commoner word is a letter or two away.
//!
//! The word list is every user's, so a candidate is shown only once one of the user's own
//! journals is found to contain it: through the document index (its lexeme), then in the
//! texts as written, so that a word only another user wrote is never shown.

use sqlx::Postgres;

use super::Query;
use crate::db::scoped::UserTx;

/// The most words of the word list that a misspelled word is compared with the user's own
/// texts for, most similar first.
const CANDIDATES: i64 = 8;

/// A first page with at most this many results also gets a suggestion, where there is a
/// much commoner word close by.
pub const FEW_RESULTS: usize = 2;

/// How many more of the user's journals a word must be in than the typed word's results,
/// to be suggested beside them (and never fewer than [`FEWEST_FOR_A_SUGGESTION`]).
const TIMES_COMMONER: i64 = 4;
const FEWEST_FOR_A_SUGGESTION: i64 = 3;

/// `typed` with each wanted word that the user's journals lack replaced by the most
/// similar word they contain, when there is one: for a query that found nothing.
pub async fn instead(
    tx: &mut UserTx,
    typed: &str,
    query: &Query,
) -> Result<Option<String>, sqlx::Error> {
    let mut replaced: Vec<(String, String)> = Vec::new();
    for (letters, text) in query.misspellable_words() {
        let closest = candidates(tx, &letters, 0, 1).await?;
        match closest.into_iter().next() {
            // The word is the user's own: it stays.
            Some(word) if word == letters => {}
            Some(word) => replaced.push((text, word)),
            None => {}
        }
    }
    Ok(rewrite(typed, &replaced))
}

/// `typed` with a word replaced by a word of the user's that is at most an edit or two
/// away and in many more of their journals than the `found` results: for a query that
/// found a result or two ("sistr", said once, beside "sister", said in forty entries).
pub async fn beside_few(
    tx: &mut UserTx,
    typed: &str,
    query: &Query,
    found: usize,
) -> Result<Option<String>, sqlx::Error> {
    let at_least = (found as i64 * TIMES_COMMONER).max(FEWEST_FOR_A_SUGGESTION);
    let mut replaced: Vec<(String, String)> = Vec::new();
    for (letters, text) in query.misspellable_words() {
        let near = candidates(tx, &letters, at_least, CANDIDATES).await?;
        // One slip in a word of up to eight letters, two in a longer one: more would take
        // right words for slips ("weather", "whether").
        let allowed = if letters.chars().count() <= 8 { 1 } else { 2 };
        if let Some(word) = near
            .into_iter()
            .find(|word| edit_distance(word, &letters) <= allowed)
        {
            replaced.push((text, word));
        }
    }
    Ok(rewrite(typed, &replaced))
}

/// Up to `limit` words of the word list similar to `letters`, most similar first, each in
/// at least `at_least` of the user's journals (another word than `letters` itself) or, when
/// `at_least` is 0, in any of them (`letters` itself included).
async fn candidates(
    tx: &mut UserTx,
    letters: &str,
    at_least: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let user_id = tx.user_id();
    sqlx::query_scalar::<Postgres, String>(
        "SELECT c.word FROM ( \
             SELECT word, similarity(word, $2) AS likeness FROM search_words \
             WHERE word % $2 AND ($4 = 0 OR word <> $2) \
             ORDER BY likeness DESC, word LIMIT $3 \
         ) c \
         WHERE ($4 = 0 OR ( \
                 SELECT count(*) FROM ( \
                     SELECT 1 FROM journal_search s \
                     WHERE s.user_id = $1 \
                       AND s.document @@ (plainto_tsquery('english', c.word) \
                                          || plainto_tsquery('simple', c.word)) \
                     LIMIT $4) n \
               ) >= $4) \
           AND EXISTS ( \
                 SELECT 1 FROM journal_search s JOIN journals j ON j.id = s.journal_id \
                 WHERE s.user_id = $1 AND j.user_id = $1 \
                   AND s.document @@ (plainto_tsquery('english', c.word) \
                                      || plainto_tsquery('simple', c.word)) \
                   AND concat_ws(' ', j.title, j.notes, j.location, \
                                 array_to_string(s.tags, ' '), \
                                 weft_current_transcript_text(j.id)) ~* ('\\m' || c.word || '\\M') \
             ) \
         ORDER BY c.likeness DESC, c.word LIMIT $5",
    )
    .bind(user_id)
    .bind(letters)
    .bind(CANDIDATES)
    .bind(at_least)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// `typed` with each replaced word (as typed) swapped for its replacement; none when
/// nothing is replaced.
fn rewrite(typed: &str, replaced: &[(String, String)]) -> Option<String> {
    if replaced.is_empty() {
        return None;
    }
    let words: Vec<&str> = typed
        .split_whitespace()
        .map(|piece| {
            replaced
                .iter()
                .find(|(text, _)| text == piece)
                .map_or(piece, |(_, word)| word.as_str())
        })
        .collect();
    Some(words.join(" "))
}

/// The Levenshtein distance between two words, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_letters_added_removed_or_changed() {
        assert_eq!(edit_distance("sistr", "sister"), 1);
        assert_eq!(edit_distance("tether", "together"), 2);
        assert_eq!(edit_distance("harbour", "harbour"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("café", "cafe"), 1);
    }

    #[test]
    fn only_the_replaced_words_change() {
        let replaced = [("sistr".to_string(), "sister".to_string())];
        assert_eq!(
            rewrite("my sistr came", &replaced).as_deref(),
            Some("my sister came")
        );
        assert_eq!(rewrite("my sistr came", &[]), None);
    }
}
