-- 0003_transcription: the durable job queue for transcriptions, and versioned transcripts.
--
-- The queue is a table of its own (a new concern). A job is written in the same transaction
-- as the journal it processes, so an accepted upload always has its job, and a job never
-- outlives its journal (ON DELETE CASCADE).

CREATE TABLE transcription_jobs (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    journal_id    uuid        NOT NULL REFERENCES journals (id) ON DELETE CASCADE,
    -- The owner, so that a worker can act for them under row-level security.
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state         text        NOT NULL DEFAULT 'queued'
                              CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- Attempts started so far; a job fails for good when a retryable error happens on the
    -- last one.
    attempts      integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  integer     NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    -- Not before this time (exponential backoff after a failure).
    run_after     timestamptz NOT NULL DEFAULT now(),
    -- Which worker holds a running job, and when it last said it is alive. A running job
    -- whose heartbeat is stale belonged to a worker that died; the reaper requeues it.
    worker        text,
    heartbeat_at  timestamptz,
    started_at    timestamptz,
    finished_at   timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- What a worker looks for: the oldest due queued job.
CREATE INDEX transcription_jobs_due_idx ON transcription_jobs (run_after, created_at)
    WHERE state = 'queued';
-- What the reaper looks for: running jobs by heartbeat.
CREATE INDEX transcription_jobs_running_idx ON transcription_jobs (heartbeat_at)
    WHERE state = 'running';
-- A journal's latest job gives its transcription status.
CREATE INDEX transcription_jobs_journal_idx ON transcription_jobs (journal_id, created_at DESC);
-- At most one queued or running job per journal: a second retry while one is pending is a
-- no-op rather than double work.
CREATE UNIQUE INDEX transcription_jobs_one_active_idx ON transcription_jobs (journal_id)
    WHERE state IN ('queued', 'running');

CREATE TRIGGER transcription_jobs_touch_updated_at
    BEFORE UPDATE ON transcription_jobs
    FOR EACH ROW EXECUTE FUNCTION weft_touch_updated_at();

-- Versioned transcripts: every engine run and every correction is a row of `transcripts`;
-- none is overwritten. `source` says which: a column rather than a table of its own,
-- because it is a fact about each version. The current transcript of a journal is its
-- newest correction if a person made one, else its newest engine run.
ALTER TABLE transcripts
    ADD COLUMN source text NOT NULL DEFAULT 'engine' CHECK (source IN ('engine', 'person')),
    -- The language the engine heard (or null).
    ADD COLUMN language text;
-- A journal has a handful of versions; transcripts_journal_id_idx finds them all.
