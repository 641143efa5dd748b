-- 0023_said_words: a stop word alone ("hers") looks up the journals that say it, instead
-- of reading transcripts newest first until a page is full.
--
-- 0021 keeps in each search row the pairs of stop words said one after the other, each
-- numbered a * 128 + b by the words' places in weft_stop_words() (1 to 127), so a phrase
-- of stop words reads only the transcripts of the journals that say all its pairs. A
-- single word has no pair: the search walked the user's transcripts, and a word said in
-- few of them read most of them (`hers`, for a user of 16,181 journals: 58-73 ms, where
-- `there`, said in most, fills a page within a few). Each row now also holds the stop
-- words said anywhere in its text, as their own numbers (1 to 127, which no pair takes:
-- a pair is at least 129). The words are split and case folded exactly as for the pairs,
-- so a text that a word's regular expression finds as a whole word holds its number
-- (the test a_stop_word_alone_is_found_through_the_words_said...).

-- The distinct stop words said in a text, and the pairs of them said one after the other,
-- as numbers, sorted. Replaces 0021's, which gave the pairs alone; the name is kept, since
-- the search rows' trigger and the searches call it.
CREATE OR REPLACE FUNCTION weft_stop_word_pairs(body text) RETURNS int2[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT said.n ORDER BY said.n), '{}')
    FROM (
        SELECT s.n, lag(s.n) OVER (ORDER BY w.at) AS before
        FROM regexp_split_to_table(lower(upper(body)), '[^[:alnum:]]+') WITH ORDINALITY AS w(word, at)
        LEFT JOIN unnest(weft_stop_words()) WITH ORDINALITY AS s(word, n) ON s.word = w.word
    ) p
    CROSS JOIN LATERAL (VALUES (p.n::int2), ((p.before * 128 + p.n)::int2)) AS said(n)
    WHERE said.n IS NOT NULL;
$$;

-- Every row gets its words, one user at a time (row-level security), with the four GIN
-- indexes dropped for the update and built again after it, as in 0021.
DROP INDEX journal_search_document_idx;
DROP INDEX journal_search_head_idx;
DROP INDEX journal_search_head_words_idx;
DROP INDEX journal_search_said_pairs_idx;
SET LOCAL maintenance_work_mem = '256MB';

DO $$
DECLARE
    owner uuid;
BEGIN
    FOR owner IN SELECT id FROM users ORDER BY id LOOP
        PERFORM set_config('weft.user_id', owner::text, true);
        UPDATE journal_search s
        SET said_pairs = weft_stop_word_pairs(
                concat_ws(E'\n', j.title, array_to_string(s.tags, E'\n'), j.notes, j.location)
                || E'\n' || coalesce(weft_current_transcript_text(j.id), ''))
        FROM journals j
        WHERE j.user_id = owner AND s.journal_id = j.id AND s.user_id = owner;
    END LOOP;
    PERFORM set_config('weft.user_id', '', true);
END;
$$;

CREATE INDEX journal_search_document_idx ON journal_search USING gin (user_id, document);
CREATE INDEX journal_search_head_idx ON journal_search USING gin (user_id, head);
CREATE INDEX journal_search_head_words_idx ON journal_search USING gin (user_id, head_words);
CREATE INDEX journal_search_said_pairs_idx ON journal_search USING gin (user_id, said_pairs);
ANALYZE journal_search;
