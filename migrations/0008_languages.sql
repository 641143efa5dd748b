-- 0008_languages: transcription in any language.
--
-- A person says which language they speak (or leaves it to detection); a transcription run
-- may be asked for in another; the engine says which language it heard and how sure it was.
-- Search keeps English text stemmed as before and indexes every other language with the
-- 'simple' configuration (lower-cased words, no stemming, no stop words), which is right
-- for any language: an English stemmer applied to Spanish or Swedish text cuts words at the
-- wrong places and drops words ("i", "a", "no") that carry meaning there.

-- A user's settings, one row per user who changed one (none: every default). A table of
-- its own, so that `users` keeps exactly the columns of the data contract, and settings
-- can grow without touching the table every session lookup reads.
CREATE TABLE user_settings (
    user_id                uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- The language the user's recordings are transcribed in: a code such as 'es'; NULL
    -- detects it.
    transcription_language text        CHECK (transcription_language ~ '^[a-z]{2,3}$'),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- The language a run was asked for: a code, 'auto' to detect, NULL for the owner's default.
ALTER TABLE transcription_jobs
    ADD COLUMN language text CHECK (language ~ '^([a-z]{2,3}|auto)$');

-- How sure the engine was of the language it detected (NULL when the language was given).
ALTER TABLE transcripts
    ADD COLUMN language_probability real
        CHECK (language_probability >= 0 AND language_probability <= 1);

-- The text-search configuration for a transcript's language: English text (and text whose
-- language is unknown, as all of it was before this migration) keeps 'english'.
CREATE FUNCTION weft_text_config(language text) RETURNS regconfig
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN language IS NULL OR lower(language) IN ('en', 'english')
                THEN 'english'::regconfig ELSE 'simple'::regconfig END;
$$;

-- The current transcript's language (as weft_current_transcript_text chooses it).
CREATE FUNCTION weft_current_transcript_language(journal uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT language FROM transcripts WHERE journal_id = journal
    ORDER BY (source = 'person') DESC, created_at DESC, id DESC LIMIT 1;
$$;

-- As in 0004, with the transcript indexed in its language's configuration.
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
            || setweight(to_tsvector('english', coalesce(j.notes, '')), 'C') AS head
    ) h
    WHERE j.id IN (SELECT unnest(journal_ids))
    ON CONFLICT (journal_id) DO UPDATE
        SET user_id = EXCLUDED.user_id, created_at = EXCLUDED.created_at,
            head = EXCLUDED.head, document = EXCLUDED.document, tags = EXCLUDED.tags;
$$;

-- Journals whose transcript is already in another language are indexed again.
SELECT weft_search_refresh(array_agg(DISTINCT journal_id))
FROM transcripts
WHERE weft_text_config(language) <> 'english'::regconfig;
