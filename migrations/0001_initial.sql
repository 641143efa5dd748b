-- 0001_initial: the four tables of the original design (users, journals, transcripts, tags)
-- with its eleven named indexes, plus the deliberate improvements listed in docs/schema.md.
--
-- Every deviation from the original design is written down, with its reason, in
-- docs/schema.md. In short:
--   * timestamptz instead of timestamp: a journal is recorded in one time zone and read in
--     another; a bare timestamp loses which instant it was.
--   * ON DELETE CASCADE on the three foreign keys: deleting an account or a journal must not
--     leave orphans, and must not need application code to remember every child table.
--   * updated_at is kept by a trigger, so no code path can forget it.
--   * usernames and emails are unique without regard to case ("Jane" and "jane" are one
--     person); the documented indexes are unique indexes on lower(column).
--   * tags are normalised (trimmed, lower-case) by a trigger and unique per journal.
--   * trigram indexes beside the full-text ones, so substring (ILIKE '%term%') searches of
--     the original design use an index instead of scanning every row.

-- Trigram operator classes for the substring indexes. pg_trgm is a trusted extension, so
-- the owner of the database can create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Keeps updated_at current on every UPDATE, whatever issued it.
CREATE FUNCTION weft_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------------------
-- users
-- ---------------------------------------------------------------------------------------
CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text        NOT NULL,
    email         text        NOT NULL,
    -- A bcrypt hash; the password itself is never stored.
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The documented username and email indexes double as the UNIQUE constraints. They are on
-- lower(...) so that uniqueness ignores case, and log-in looks them up the same way.
CREATE UNIQUE INDEX users_username_idx ON users (lower(username));
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));
CREATE INDEX users_created_at_idx ON users (created_at);

CREATE TRIGGER users_touch_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION weft_touch_updated_at();

-- ---------------------------------------------------------------------------------------
-- journals
-- ---------------------------------------------------------------------------------------
CREATE TABLE journals (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      text        NOT NULL,
    -- A storage key chosen by the server (never a path sent by a client).
    video_path text        NOT NULL,
    -- Whole seconds, read from the video file itself.
    duration   integer     NOT NULL CHECK (duration >= 0),
    location   text,
    notes      text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A user's timeline is "WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT n",
-- with keyset paging on (created_at, id). Putting both sort keys behind user_id lets this
-- one index answer the page without a sort; it still serves plain user_id lookups.
CREATE INDEX journals_user_id_idx ON journals (user_id, created_at DESC, id DESC);
CREATE INDEX journals_created_at_idx ON journals (created_at);
-- Full-text search over titles (documented), and trigram search for substrings (new).
CREATE INDEX journals_title_text_search_idx ON journals
    USING gin (to_tsvector('english', title));
CREATE INDEX journals_title_trgm_idx ON journals USING gin (title gin_trgm_ops);

CREATE TRIGGER journals_touch_updated_at
    BEFORE UPDATE ON journals
    FOR EACH ROW EXECUTE FUNCTION weft_touch_updated_at();

-- ---------------------------------------------------------------------------------------
-- transcripts
-- ---------------------------------------------------------------------------------------
CREATE TABLE transcripts (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    journal_id uuid        NOT NULL REFERENCES journals (id) ON DELETE CASCADE,
    -- The whole transcript as one text, for search and display.
    text       text        NOT NULL,
    -- [{start, end, text, confidence?}], times in seconds within the video.
    segments   jsonb       CHECK (segments IS NULL OR jsonb_typeof(segments) = 'array'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX transcripts_journal_id_idx ON transcripts (journal_id);
CREATE INDEX transcripts_text_search_idx ON transcripts
    USING gin (to_tsvector('english', text));
CREATE INDEX transcripts_text_trgm_idx ON transcripts USING gin (text gin_trgm_ops);

-- ---------------------------------------------------------------------------------------
-- tags
-- ---------------------------------------------------------------------------------------
CREATE TABLE tags (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    journal_id uuid        NOT NULL REFERENCES journals (id) ON DELETE CASCADE,
    tag        text        NOT NULL CHECK (tag <> '' AND tag = lower(btrim(tag, E' \t\r\n'))),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Tags are stored trimmed and lower-case whatever the caller sent, so " Travel" and
-- "travel" are one tag. The CHECK above guards against a path that bypasses this trigger.
CREATE FUNCTION weft_normalise_tag() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.tag := lower(btrim(NEW.tag, E' \t\r\n'));
    RETURN NEW;
END;
$$;

CREATE TRIGGER tags_normalise
    BEFORE INSERT OR UPDATE OF tag ON tags
    FOR EACH ROW EXECUTE FUNCTION weft_normalise_tag();

CREATE INDEX tags_journal_id_idx ON tags (journal_id);
CREATE INDEX tags_tag_idx ON tags (tag);
-- Unique: a journal carries each (normalised) tag once.
CREATE UNIQUE INDEX tags_journal_tag_idx ON tags (journal_id, tag);
