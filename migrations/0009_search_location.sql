-- 0009_search_location: a journal's location is searched, with its notes.
--
-- A person who recorded in Cascais types "Cascais" and expects to find it. journals.location
-- is a free text column that search left out. It joins the head (title A, tags B, notes C)
-- with weight C: a place is context, like the notes, and ranks with them, below the title
-- and the tags. Its words join the word list, so that partial words ("casc") and the
-- "did you mean" of a misspelling ("cascias") find it too.

-- As in 0008, with the location in the head after the notes.
CREATE OR REPLACE FUNCTION weft_search_refresh(journal_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO journal_search AS s (journal_id, user_id, created_at, head, document, tags)
    SELECT j.id, j.user_id, j.created_at, h.head,
           h.head || setweight(to_tsvector(weft_text_config(weft_current_transcript_language(j.id)),
                                           coalesce(weft_current_transcript_text(j.id), '')), 'D'),
           t.tags
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
            head = EXCLUDED.head, document = EXCLUDED.document, tags = EXCLUDED.tags;
$$;

-- As in 0004, with the location's words added to the word list.
CREATE OR REPLACE FUNCTION weft_search_journals_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM weft_search_add_words(concat_ws(' ', NEW.title, NEW.notes, NEW.location));
    PERFORM weft_search_refresh(ARRAY[NEW.id]);
    RETURN NULL;
END;
$$;

-- A change of the location alone now changes what is searched.
DROP TRIGGER journals_search_update ON journals;
CREATE TRIGGER journals_search_update
    AFTER UPDATE OF title, notes, location, created_at, user_id ON journals
    FOR EACH ROW EXECUTE FUNCTION weft_search_journals_changed();

-- As in 0004, with the locations' words.
CREATE OR REPLACE FUNCTION weft_search_rebuild_user(owner uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    acting text := current_setting('weft.user_id', true);
BEGIN
    PERFORM set_config('weft.user_id', owner::text, true);
    PERFORM weft_search_refresh(array_agg(id)) FROM journals WHERE user_id = owner;
    INSERT INTO search_words (word)
    SELECT DISTINCT w
    FROM (SELECT concat_ws(' ', title, notes, location) AS body FROM journals WHERE user_id = owner
          UNION ALL
          SELECT t.tag FROM tags t JOIN journals j ON j.id = t.journal_id WHERE j.user_id = owner
          UNION ALL
          SELECT t.text FROM transcripts t JOIN journals j ON j.id = t.journal_id
          WHERE j.user_id = owner) AS texts,
         regexp_split_to_table(lower(body), '[^[:alnum:]]+') AS w
    WHERE length(w) BETWEEN 3 AND 40
    ORDER BY w
    ON CONFLICT (word) DO NOTHING;
    PERFORM set_config('weft.user_id', coalesce(acting, ''), true);
END;
$$;

-- The journals that have a location get it in their rows. Their head and document gain
-- the location's words at the end (appended, not recomputed: recomputing would stem every
-- transcript again, minutes at a million journals, for the same words); only where the
-- location's words sit in the document differs from a refresh, which no query can tell.
-- The two text indexes are dropped for the update and built again after it: one build is
-- far cheaper than re-inserting every word of hundreds of thousands of documents.
DROP INDEX journal_search_document_idx;
DROP INDEX journal_search_head_idx;

-- Row-level security hides every journal unless weft.user_id names its owner: one user
-- at a time, as weft_search_rebuild_user reads them.
DO $$
DECLARE
    owner uuid;
BEGIN
    FOR owner IN SELECT id FROM users ORDER BY id LOOP
        PERFORM set_config('weft.user_id', owner::text, true);
        UPDATE journal_search s
        SET head = s.head || l.words, document = s.document || l.words
        FROM journals j
        CROSS JOIN LATERAL (SELECT setweight(to_tsvector('english', j.location), 'C') AS words) l
        WHERE j.user_id = owner AND s.journal_id = j.id AND s.user_id = owner
          AND j.location ~ '[[:alnum:]]';
        INSERT INTO search_words (word)
        SELECT DISTINCT w
        FROM journals j, regexp_split_to_table(lower(j.location), '[^[:alnum:]]+') AS w
        WHERE j.user_id = owner AND j.location IS NOT NULL AND length(w) BETWEEN 3 AND 40
        ORDER BY w
        ON CONFLICT (word) DO NOTHING;
    END LOOP;
    PERFORM set_config('weft.user_id', '', true);
END;
$$;

CREATE INDEX journal_search_document_idx ON journal_search USING gin (user_id, document);
CREATE INDEX journal_search_head_idx ON journal_search USING gin (user_id, head);
ANALYZE journal_search;
