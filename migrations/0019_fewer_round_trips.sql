-- 0019_fewer_round_trips: what a request waits for the database for, cut (issue 23).
--
-- Every server hears, at once, of the changes that end what it keeps of a request's
-- sign-in, so that it can keep sessions and timeline versions in memory instead of reading
-- them on every request (src/accounts/session_cache.rs).
--
-- One channel, `weft_changed`, with a payload of a kind and a key:
--   `session <token hash in hex>`  a session ended (signed out, revoked, expired and swept,
--                                  or gone with its user);
--   `user <id>`                    a user's row changed (name, email, password) or went;
--   `timeline <id>`                the user's timeline version grew (0007).
-- PostgreSQL delivers a notification when its transaction commits, to every connection
-- listening, in commit order; a transaction that rolls back sends none.

CREATE FUNCTION weft_session_ended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('weft_changed', 'session ' || encode(OLD.token_hash, 'hex'));
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_ended AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION weft_session_ended();

CREATE FUNCTION weft_user_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('weft_changed', 'user ' || OLD.id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION weft_user_changed();

-- As in 0007, and each user whose version grew is announced. (PL/pgSQL: the last SELECT of
-- a plain SQL function would stop at its first row.)
CREATE OR REPLACE FUNCTION weft_timeline_bump(owners uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bumped uuid;
BEGIN
    FOR bumped IN
        INSERT INTO timeline_versions AS v (user_id)
        SELECT DISTINCT o.owner FROM unnest(owners) AS o(owner)
        WHERE o.owner IS NOT NULL AND EXISTS (SELECT 1 FROM users u WHERE u.id = o.owner)
        ORDER BY o.owner
        ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1
        RETURNING v.user_id
    LOOP
        PERFORM pg_notify('weft_changed', 'timeline ' || bumped);
    END LOOP;
END;
$$;

-- What a journal's view shows (src/db/journals.rs, JournalView): its columns, its tags
-- from its search row (which the triggers of 0004 keep equal to its tags, sorted: one
-- lookup instead of one per tag, each checked by row-level security), and where its
-- transcript stands (the newest job's state; 'done' for a transcript without a job, as an
-- import's; else 'none'). Read with the rights of whoever reads it (security_invoker), so
-- row-level security holds as on journals itself. PostgreSQL expands the view into the
-- query that reads it, so a page reads the tags and state of its own rows only.
CREATE VIEW journal_views WITH (security_invoker = true) AS
SELECT j.id, j.user_id, j.title, j.media, j.video_path, j.duration, j.location, j.notes,
       j.created_at, j.updated_at,
       coalesce((SELECT s.tags FROM journal_search s WHERE s.journal_id = j.id), '{}') AS tags,
       coalesce((SELECT q.state FROM transcription_jobs q WHERE q.journal_id = j.id
                 ORDER BY q.created_at DESC LIMIT 1),
                CASE WHEN EXISTS (SELECT 1 FROM transcripts tr WHERE tr.journal_id = j.id)
                     THEN 'done' ELSE 'none' END) AS transcript_status
FROM journals j;

-- A timeline page, and one journal, read in one round trip: the statement acts for the user
-- and reads, and being a statement of its own it is its own transaction. The usual way (BEGIN
-- with the setting, the page, ROLLBACK) takes three; with nothing else to wait for, the
-- round trips were most of a page's cost (docs/BENCHMARKS.md, "Throughput under load").
-- Row-level security holds as in any transaction acting for the user. Called inside a
-- transaction, the function gives back the setting it found. The plans are generic and
-- kept: they walk journals_user_id_idx newest first (after the cursor) or take the
-- primary key, whoever asks.
CREATE FUNCTION weft_timeline_page(owner uuid, before_at timestamptz, before_id uuid,
                                   page_size bigint)
RETURNS SETOF journal_views
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    acting text := current_setting('weft.user_id', true);
BEGIN
    PERFORM set_config('weft.user_id', owner::text, true);
    IF before_at IS NULL THEN
        RETURN QUERY
        SELECT * FROM journal_views v WHERE v.user_id = owner
        ORDER BY v.created_at DESC, v.id DESC LIMIT page_size;
    ELSE
        RETURN QUERY
        SELECT * FROM journal_views v
        WHERE v.user_id = owner AND (v.created_at, v.id) < (before_at, before_id)
        ORDER BY v.created_at DESC, v.id DESC LIMIT page_size;
    END IF;
    PERFORM set_config('weft.user_id', coalesce(acting, ''), true);
END;
$$;

CREATE FUNCTION weft_journal_view(owner uuid, journal uuid)
RETURNS SETOF journal_views
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    acting text := current_setting('weft.user_id', true);
BEGIN
    PERFORM set_config('weft.user_id', owner::text, true);
    RETURN QUERY
    SELECT * FROM journal_views v WHERE v.id = journal AND v.user_id = owner;
    PERFORM set_config('weft.user_id', coalesce(acting, ''), true);
END;
$$;

-- A page of the journals carrying every one of `tags_all`, in one round trip as above. Two
-- ways to find them, each with its generic plan kept: `by_newest` walks the user's search
-- rows newest first, testing each (`IS TRUE` keeps the tag index out of that plan), quick
-- when the tags are common; otherwise the tag index gives the few journals that carry
-- them, which are sorted. The caller chooses by how common the tags are (src/db/journals.rs).
CREATE FUNCTION weft_tagged_page(owner uuid, tags_all text[], by_newest boolean,
                                 before_at timestamptz, before_id uuid, page_size bigint)
RETURNS SETOF journal_views
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    acting text := current_setting('weft.user_id', true);
BEGIN
    PERFORM set_config('weft.user_id', owner::text, true);
    IF by_newest AND before_at IS NULL THEN
        RETURN QUERY
        SELECT * FROM journal_views v
        WHERE v.user_id = owner AND v.id IN (
            SELECT s.journal_id FROM journal_search s
            WHERE s.user_id = owner AND (s.tags @> tags_all) IS TRUE
            ORDER BY s.created_at DESC, s.journal_id DESC LIMIT page_size)
        ORDER BY v.created_at DESC, v.id DESC;
    ELSIF by_newest THEN
        RETURN QUERY
        SELECT * FROM journal_views v
        WHERE v.user_id = owner AND v.id IN (
            SELECT s.journal_id FROM journal_search s
            WHERE s.user_id = owner AND (s.tags @> tags_all) IS TRUE
              AND (s.created_at, s.journal_id) < (before_at, before_id)
            ORDER BY s.created_at DESC, s.journal_id DESC LIMIT page_size)
        ORDER BY v.created_at DESC, v.id DESC;
    ELSIF before_at IS NULL THEN
        RETURN QUERY
        SELECT * FROM journal_views v
        WHERE v.user_id = owner AND v.id IN (
            SELECT s.journal_id FROM journal_search s
            WHERE s.user_id = owner AND s.tags @> tags_all
            ORDER BY s.created_at DESC, s.journal_id DESC LIMIT page_size)
        ORDER BY v.created_at DESC, v.id DESC;
    ELSE
        RETURN QUERY
        SELECT * FROM journal_views v
        WHERE v.user_id = owner AND v.id IN (
            SELECT s.journal_id FROM journal_search s
            WHERE s.user_id = owner AND s.tags @> tags_all
              AND (s.created_at, s.journal_id) < (before_at, before_id)
            ORDER BY s.created_at DESC, s.journal_id DESC LIMIT page_size)
        ORDER BY v.created_at DESC, v.id DESC;
    END IF;
    PERFORM set_config('weft.user_id', coalesce(acting, ''), true);
END;
$$;
