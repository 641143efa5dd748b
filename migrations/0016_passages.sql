-- 0016_passages: what was said, as sentence vectors, for search by meaning.
--
-- A journal's current transcript is cut into passages of a few segments (about 20 to 40
-- seconds of speech, each overlapping the next by a segment); its title and its notes are
-- passages of their own. Each passage keeps its text, its times and its vector (384 numbers
-- from all-MiniLM-L6-v2, of length 1).
--
-- The vector is a plain `real[]`, not pgvector's type: the schema is the same with or
-- without the extension, and a server without it keeps working (search by meaning says it
-- is missing). Where the extension is installed, the server creates an HNSW index over
-- `embedding::vector(384)` at start (src/semantic/index.rs); queries order by that same
-- expression.

CREATE TABLE passages (
    journal_id uuid             NOT NULL REFERENCES journals (id) ON DELETE CASCADE,
    -- Place within the journal: the title first, then the notes, then what was said.
    ordinal    integer          NOT NULL CHECK (ordinal >= 0),
    user_id    uuid             NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text             NOT NULL CHECK (kind IN ('title', 'notes', 'said')),
    -- Seconds within the video, for what was said; null for the title and the notes.
    start_s    double precision CHECK (start_s >= 0),
    end_s      double precision CHECK (end_s >= start_s),
    text       text             NOT NULL,
    embedding  real[]           NOT NULL CHECK (cardinality(embedding) = 384),
    PRIMARY KEY (journal_id, ordinal)
);
-- A user's own passages (an exact scan when the extension is missing or the user has few).
CREATE INDEX passages_user_idx ON passages (user_id);

ALTER TABLE passages ENABLE ROW LEVEL SECURITY;
ALTER TABLE passages FORCE ROW LEVEL SECURITY;
CREATE POLICY passages_owner ON passages
    USING (user_id = weft_current_user_id())
    WITH CHECK (user_id = weft_current_user_id());

-- Journals whose passages must be computed (again). A row per journal however often it
-- changes: `changes` counts the changes, and a worker removes the row only when it is the
-- count it read (a change while it worked runs it again). Like transcription_jobs, no
-- row-level security: workers serve every user; each worker writes passages as their owner.
CREATE TABLE embedding_queue (
    journal_id    uuid        PRIMARY KEY REFERENCES journals (id) ON DELETE CASCADE,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    changes       bigint      NOT NULL DEFAULT 1,
    attempts      integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Not before this time (backoff after a failure).
    run_after     timestamptz NOT NULL DEFAULT now(),
    -- A worker holds the row until then; past it (the worker died) another takes it.
    claimed_until timestamptz,
    -- Set after the last attempt failed; a later change of the journal clears it.
    failed        boolean     NOT NULL DEFAULT false,
    last_error    text,
    queued_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX embedding_queue_due_idx ON embedding_queue (run_after) WHERE NOT failed;

-- Queues a journal (or counts one more change of a queued one) and wakes the workers.
CREATE FUNCTION weft_embedding_enqueue(journal uuid, owner uuid) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO embedding_queue (journal_id, user_id) VALUES (journal, owner)
    ON CONFLICT (journal_id) DO UPDATE
        SET changes = embedding_queue.changes + 1, attempts = 0, run_after = now(),
            failed = false, last_error = NULL, queued_at = now();
    SELECT pg_notify('weft_embeddings', '');
$$;

-- A new journal, or a new title or notes.
CREATE FUNCTION weft_embedding_journal_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title
        OR NEW.notes IS DISTINCT FROM OLD.notes THEN
        PERFORM weft_embedding_enqueue(NEW.id, NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER journals_embedding_insert AFTER INSERT ON journals
    FOR EACH ROW EXECUTE FUNCTION weft_embedding_journal_changed();
CREATE TRIGGER journals_embedding_update AFTER UPDATE OF title, notes ON journals
    FOR EACH ROW EXECUTE FUNCTION weft_embedding_journal_changed();

-- A version of a transcript added (an engine run, a correction, a version made current
-- again) or removed. With the journal gone (a cascade), there is nothing to queue.
CREATE FUNCTION weft_embedding_transcript_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    journal uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.journal_id ELSE NEW.journal_id END;
BEGIN
    PERFORM weft_embedding_enqueue(j.id, j.user_id) FROM journals j WHERE j.id = journal;
    RETURN NULL;
END
$$;
CREATE TRIGGER transcripts_embedding_insert AFTER INSERT ON transcripts
    FOR EACH ROW EXECUTE FUNCTION weft_embedding_transcript_changed();
CREATE TRIGGER transcripts_embedding_delete AFTER DELETE ON transcripts
    FOR EACH ROW EXECUTE FUNCTION weft_embedding_transcript_changed();
