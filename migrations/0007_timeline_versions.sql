-- 0007_timeline_versions: a number per user that grows with every change to what their
-- timeline shows, so that a server can keep a timeline page it has read and answer the
-- same request again without reading it again, for as long as the number is the same.
--
-- The number is read with the session (one round trip that every request makes anyway);
-- a page read after it is at least as new as it. Triggers bump it in the transaction
-- that makes the change, so no code path can forget to, and the change and the new
-- number become visible together: a request that sees the change sees the new number.
-- What a timeline page shows: the journals, their tags, whether they have a transcript
-- and the state of their latest transcription job (not its progress or heartbeat).

CREATE TABLE timeline_versions (
    user_id uuid   PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    version bigint NOT NULL DEFAULT 1
);

-- Bumps the versions of these users (each once, in order, so that two transactions
-- bumping the same users lock them in the same order). A user being deleted is skipped:
-- the journals' cascade runs after the user's row is gone.
CREATE FUNCTION weft_timeline_bump(owners uuid[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO timeline_versions AS v (user_id)
    SELECT DISTINCT o.owner FROM unnest(owners) AS o(owner)
    WHERE o.owner IS NOT NULL AND EXISTS (SELECT 1 FROM users u WHERE u.id = o.owner)
    ORDER BY o.owner
    ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1;
$$;

-- journals and transcription_jobs carry the owner; tags and transcripts name a journal.
-- (A journal's tags and transcripts that go with it are covered by its own delete.)
CREATE FUNCTION weft_timeline_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME IN ('journals', 'transcription_jobs') THEN
        IF TG_OP = 'DELETE' THEN
            PERFORM weft_timeline_bump(array_agg(user_id)) FROM old_rows;
        ELSE
            PERFORM weft_timeline_bump(array_agg(user_id)) FROM new_rows;
        END IF;
    -- The owner from journal_search, which row-level security does not hide from a
    -- maintenance command that acts for no one.
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM weft_timeline_bump(array_agg(s.user_id))
        FROM journal_search s WHERE s.journal_id IN (SELECT journal_id FROM old_rows);
    ELSE
        PERFORM weft_timeline_bump(array_agg(s.user_id))
        FROM journal_search s WHERE s.journal_id IN (SELECT journal_id FROM new_rows);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER journals_timeline_insert AFTER INSERT ON journals
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER journals_timeline_update AFTER UPDATE ON journals
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER journals_timeline_delete AFTER DELETE ON journals
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER tags_timeline_insert AFTER INSERT ON tags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER tags_timeline_update AFTER UPDATE ON tags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER tags_timeline_delete AFTER DELETE ON tags
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER transcripts_timeline_insert AFTER INSERT ON transcripts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER transcripts_timeline_delete AFTER DELETE ON transcripts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER transcription_jobs_timeline_insert AFTER INSERT ON transcription_jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
CREATE TRIGGER transcription_jobs_timeline_delete AFTER DELETE ON transcription_jobs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_timeline_changed();
-- A job's state only: heartbeats and progress change nothing a timeline shows.
CREATE FUNCTION weft_timeline_job_state_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM weft_timeline_bump(ARRAY[NEW.user_id, OLD.user_id]);
    RETURN NULL;
END;
$$;
CREATE TRIGGER transcription_jobs_timeline_state AFTER UPDATE ON transcription_jobs
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.journal_id IS DISTINCT FROM NEW.journal_id)
    EXECUTE FUNCTION weft_timeline_job_state_changed();
