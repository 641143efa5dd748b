-- 0020_head_words: a search of words full-text search ignores looks up the journals whose
-- head holds them, instead of testing every journal's head (issue 23).
--
-- A query of only stop words (`there`, `to be or not to be`) is matched as written, with a
-- regular expression, since the English text-search configuration drops those words from
-- every tsvector. Until now that meant reading each of the user's journals, joining it to
-- its search row and testing its title, tags, notes and location: 20-25 ms for a user of
-- 5,380 journals, growing with every journal. Each search row now also holds the distinct
-- words of its head, folded to one case, behind a GIN index that starts with the user: the
-- journals whose head holds every word of the query are found in the index (0.5 ms for
-- `there`), and only they are tested with the expression, which stays the judge.
--
-- A word here is a run of letters and digits ([[:alnum:]]), the same class the regular
-- expressions' word boundaries use, so a whole word that an expression finds in a head is
-- always one of its words (an underscore, which the boundaries count as part of a word,
-- only splits more finely, which finds more, never fewer). Case is folded as
-- lower(upper(x)), so that the letters a case-insensitive expression takes as the same
-- (`ſ` and `S`, `ı` and `I`) fold to the same word.

-- The distinct words of a text, case folded, sorted.
CREATE FUNCTION weft_words(body text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT w ORDER BY w), '{}')
    FROM regexp_split_to_table(lower(upper(body)), '[^[:alnum:]]+') AS w
    WHERE w <> '';
$$;

ALTER TABLE journal_search ADD COLUMN head_words text[] NOT NULL DEFAULT '{}';

-- As in 0009, with the head's words: title, tags, notes and location, as search matches
-- them as written (find.rs literal_head).
CREATE OR REPLACE FUNCTION weft_search_refresh(journal_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO journal_search AS s (journal_id, user_id, created_at, head, document, tags,
                                     head_words)
    SELECT j.id, j.user_id, j.created_at, h.head,
           h.head || setweight(to_tsvector(weft_text_config(weft_current_transcript_language(j.id)),
                                           coalesce(weft_current_transcript_text(j.id), '')), 'D'),
           t.tags,
           weft_words(concat_ws(E'\n', j.title, array_to_string(t.tags, E'\n'), j.notes,
                                j.location))
    FROM journals j
    CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(tg.tag ORDER BY tg.tag), '{}') AS tags
        FROM tags tg WHERE tg.journal_id = j.id
    ) t
    CROSS JOIN LATERAL (
        SELECT setweight(to_tsvector('english', j.title), 'A')
            || setweight(to_tsvector('english', array_to_string(t.tags, ' ')), 'B')
            || setweight(to_tsvector('english', coalesce(j.notes, '')), 'C')
            || setweight(to_tsvector('english', coalesce(j.location, '')), 'C') AS head
    ) h
    WHERE j.id IN (SELECT unnest(journal_ids))
    ON CONFLICT (journal_id) DO UPDATE
        SET user_id = EXCLUDED.user_id, created_at = EXCLUDED.created_at,
            head = EXCLUDED.head, document = EXCLUDED.document, tags = EXCLUDED.tags,
            head_words = EXCLUDED.head_words;
$$;

-- Every row gets its head's words. The two text indexes are dropped for the update and
-- built again after it, as in 0009: updating every row with them in place took 57 s at
-- 100,000 journals, against 7 s for the update and 15 s for building them again.
DROP INDEX journal_search_document_idx;
DROP INDEX journal_search_head_idx;
SET LOCAL maintenance_work_mem = '256MB';

-- Row-level security hides every journal unless weft.user_id names its owner: one user at
-- a time, as 0009 does.
DO $$
DECLARE
    owner uuid;
BEGIN
    FOR owner IN SELECT id FROM users ORDER BY id LOOP
        PERFORM set_config('weft.user_id', owner::text, true);
        UPDATE journal_search s
        SET head_words = weft_words(concat_ws(E'\n', j.title, array_to_string(s.tags, E'\n'),
                                              j.notes, j.location))
        FROM journals j
        WHERE j.user_id = owner AND s.journal_id = j.id AND s.user_id = owner;
    END LOOP;
    PERFORM set_config('weft.user_id', '', true);
END;
$$;

CREATE INDEX journal_search_document_idx ON journal_search USING gin (user_id, document);
CREATE INDEX journal_search_head_idx ON journal_search USING gin (user_id, head);
CREATE INDEX journal_search_head_words_idx ON journal_search USING gin (user_id, head_words);
ANALYZE journal_search;
