-- 0004_search: one search document per journal, kept by the database, and a word list for
-- substring search.
--
-- Search has to answer "which of MY journals mention these words, best first" in a few
-- milliseconds at a million journals. The documented GIN indexes on journals.title and
-- transcripts.text are global: a common word's posting list spans every user, and a query
-- matching title, tags, notes and transcript at once would have to combine four indexes
-- and then join. So each journal gets one row here: its owner, its date, and one weighted
-- tsvector over everything a person can search (title A, tags B, notes C, current
-- transcript D). One GIN index over (user_id, document) then finds a user's matching
-- journals directly. The rows are derived data: triggers keep them current on every
-- change of a journal, its tags or its transcripts, so no code path can forget them, and
-- weft_search_rebuild() recomputes them all.

-- Lets a GIN index carry the uuid user_id beside the tsvector. Trusted since PostgreSQL 13.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE journal_search (
    journal_id uuid        PRIMARY KEY REFERENCES journals (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The journal's created_at, copied so that ranking and paging need no join.
    created_at timestamptz NOT NULL,
    -- Title (A), tags (B) and notes (C): small, so ranking a match reads it cheaply
    -- without detoasting the whole document.
    head       tsvector    NOT NULL,
    -- head plus the current transcript (D).
    document   tsvector    NOT NULL,
    -- The journal's tags, for the tag filter of search and timeline.
    tags       text[]      NOT NULL DEFAULT '{}'
);

-- Search: a user's journals matching a text query.
CREATE INDEX journal_search_document_idx ON journal_search USING gin (user_id, document);
-- Tag filter: a user's journals carrying these tags.
CREATE INDEX journal_search_tags_idx ON journal_search USING gin (user_id, tags);
-- Tag filter and search, newest first when a filter matches many journals.
CREATE INDEX journal_search_user_created_idx ON journal_search (user_id, created_at DESC, journal_id DESC);

-- No row-level security on this table, on purpose. Behind a row-level security policy,
-- PostgreSQL applies a query's own conditions only after the policy's, unless their
-- operators are "leakproof"; the text-search match (@@) and array containment (@>) are
-- not, so the GIN indexes above would go unused and every search would read all of a
-- user's documents. Instead, every query on this table names the signed-in user
-- (`user_id = $1`), and it returns only journal ids and ranks: the journals, tags and
-- transcripts that a result shows are read from the tables that row-level security
-- guards, so an id of someone else's journal would show nothing. The rows themselves are
-- written only by the triggers below, from rows the writer could see.

-- Every word (3 to 40 letters or digits, lower-case) that any searchable text contains.
-- A partial word ("ligh") is looked up here by trigram and expanded into the whole words
-- that contain it ("light", "flight", "highlight"), which the document index then finds.
-- Words are never shown to anyone; stale ones only cost a useless expansion.
CREATE TABLE search_words (
    word text PRIMARY KEY CHECK (length(word) BETWEEN 3 AND 40)
);
CREATE INDEX search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops);

-- The whole words that contain `part` (letters and digits, lower-case, at least three),
-- as one tsquery of alternatives; shortest first, at most 64 of them. The trigram index
-- answers the LIKE.
CREATE FUNCTION weft_search_expand(part text) RETURNS tsquery
LANGUAGE sql STABLE AS $$
    SELECT coalesce(to_tsquery('english', string_agg(word, ' | ')), ''::tsquery)
    FROM (SELECT word FROM search_words
          WHERE word LIKE '%' || part || '%' AND part ~ '^[[:alnum:]]{3,}$'
          ORDER BY length(word), word LIMIT 64) AS w;
$$;

-- Adds the words of a text to search_words.
CREATE FUNCTION weft_search_add_words(body text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM regexp_split_to_table(lower(coalesce(body, '')), '[^[:alnum:]]+') AS w
    WHERE length(w) BETWEEN 3 AND 40
    ORDER BY w
    ON CONFLICT (word) DO NOTHING;
$$;

-- The current transcript's text of a journal: its newest correction by a person, else
-- its newest engine run (as db/transcripts.rs `current`).
CREATE FUNCTION weft_current_transcript_text(journal uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT text FROM transcripts WHERE journal_id = journal
    ORDER BY (source = 'person') DESC, created_at DESC, id DESC LIMIT 1;
$$;

-- Recomputes the search rows of some journals (those that still exist).
CREATE FUNCTION weft_search_refresh(journal_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO journal_search AS s (journal_id, user_id, created_at, head, document, tags)
    SELECT j.id, j.user_id, j.created_at, h.head,
           h.head || setweight(to_tsvector('english', coalesce(weft_current_transcript_text(j.id), '')), 'D'),
           t.tags
    FROM journals j
    CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(tg.tag ORDER BY tg.tag), '{}') AS tags
        FROM tags tg WHERE tg.journal_id = j.id
    ) t
    CROSS JOIN LATERAL (
        SELECT setweight(to_tsvector('english', j.title), 'A')
            || setweight(to_tsvector('english', array_to_string(t.tags, ' ')), 'B')
            || setweight(to_tsvector('english', coalesce(j.notes, '')), 'C') AS head
    ) h
    WHERE j.id IN (SELECT unnest(journal_ids))
    ON CONFLICT (journal_id) DO UPDATE
        SET user_id = EXCLUDED.user_id, created_at = EXCLUDED.created_at,
            head = EXCLUDED.head, document = EXCLUDED.document, tags = EXCLUDED.tags;
$$;

-- journals: a new journal, or a change of what is searched or how it is ordered.
CREATE FUNCTION weft_search_journals_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM weft_search_add_words(NEW.title || ' ' || coalesce(NEW.notes, ''));
    PERFORM weft_search_refresh(ARRAY[NEW.id]);
    RETURN NULL;
END;
$$;

CREATE TRIGGER journals_search_insert
    AFTER INSERT ON journals
    FOR EACH ROW EXECUTE FUNCTION weft_search_journals_changed();
CREATE TRIGGER journals_search_update
    AFTER UPDATE OF title, notes, created_at, user_id ON journals
    FOR EACH ROW EXECUTE FUNCTION weft_search_journals_changed();

-- tags and transcripts: statement-level, so that an upload with five tags refreshes its
-- journal once, not five times.
CREATE FUNCTION weft_search_children_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tags' THEN
        PERFORM weft_search_add_words(string_agg(tag, ' ')) FROM new_rows;
    ELSE
        PERFORM weft_search_add_words(text) FROM new_rows;
    END IF;
    PERFORM weft_search_refresh(array_agg(DISTINCT journal_id)) FROM new_rows;
    RETURN NULL;
END;
$$;

CREATE FUNCTION weft_search_children_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- When the journal itself is being deleted, refresh finds no journal and does nothing.
    PERFORM weft_search_refresh(array_agg(DISTINCT journal_id)) FROM old_rows;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tags_search_insert
    AFTER INSERT ON tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION weft_search_children_inserted();
CREATE TRIGGER tags_search_update
    AFTER UPDATE ON tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION weft_search_children_inserted();
CREATE TRIGGER tags_search_delete
    AFTER DELETE ON tags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION weft_search_children_deleted();
CREATE TRIGGER transcripts_search_insert
    AFTER INSERT ON transcripts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION weft_search_children_inserted();
CREATE TRIGGER transcripts_search_delete
    AFTER DELETE ON transcripts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION weft_search_children_deleted();

-- Recomputes one user's search rows and adds their words to the word list, acting as
-- that user: row-level security holds for the application role even here (it owns the
-- tables, and the policies are forced).
CREATE FUNCTION weft_search_rebuild_user(owner uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    acting text := current_setting('weft.user_id', true);
BEGIN
    PERFORM set_config('weft.user_id', owner::text, true);
    PERFORM weft_search_refresh(array_agg(id)) FROM journals WHERE user_id = owner;
    INSERT INTO search_words (word)
    SELECT DISTINCT w
    FROM (SELECT title || ' ' || coalesce(notes, '') AS body FROM journals WHERE user_id = owner
          UNION ALL
          SELECT t.tag FROM tags t JOIN journals j ON j.id = t.journal_id WHERE j.user_id = owner
          UNION ALL
          SELECT t.text FROM transcripts t JOIN journals j ON j.id = t.journal_id
          WHERE j.user_id = owner) AS texts,
         regexp_split_to_table(lower(body), '[^[:alnum:]]+') AS w
    WHERE length(w) BETWEEN 3 AND 40
    -- In order, so that rebuilds running side by side take the words' index locks in the
    -- same order and cannot deadlock.
    ORDER BY w
    ON CONFLICT (word) DO NOTHING;
    PERFORM set_config('weft.user_id', coalesce(acting, ''), true);
END;
$$;

-- Recomputes every search row and the word list (after a bulk load with triggers off, or
-- to repair).
CREATE FUNCTION weft_search_rebuild() RETURNS void
LANGUAGE sql AS $$
    SELECT weft_search_rebuild_user(id) FROM users ORDER BY id;
$$;

-- Journals that existed before this migration.
SELECT weft_search_rebuild();
