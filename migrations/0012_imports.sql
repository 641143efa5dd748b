-- 0012_imports: the runs of an import started on the web page (a Day One zip uploaded),
-- kept as rows so that the page can show their progress and result after the upload's
-- request has ended, and after a restart.

CREATE TABLE import_runs (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Where the entries come from; only Day One so far.
    source      text        NOT NULL CHECK (source IN ('dayone')),
    -- 'running' while a server works on it; 'done' when every entry was dealt with (some
    -- may have been skipped: the report says which and why); 'failed' when the run could
    -- not go on (the zip was unreadable, or the server stopped during the run).
    state       text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    -- The counts, also in the report, as columns for a glance in psql.
    total       integer     NOT NULL DEFAULT 0 CHECK (total >= 0),
    done        integer     NOT NULL DEFAULT 0 CHECK (done >= 0),
    imported    integer     NOT NULL DEFAULT 0 CHECK (imported >= 0),
    -- The whole report (counts and the skipped entries with their reasons), as the API
    -- returns it.
    report      jsonb       NOT NULL DEFAULT '{}',
    -- Why a failed run failed, in words for the person who started it.
    error       text        CHECK (error IS NULL OR error <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Touched at least every few seconds while a run is alive: a 'running' row left
    -- untouched for a minute belongs to a server that stopped, and is marked failed when
    -- next read (see db/imports.rs).
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_runs_user_idx ON import_runs (user_id, created_at DESC);

-- Like journals: a user sees and writes only their own runs.
ALTER TABLE import_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY import_runs_owner ON import_runs
    USING (user_id = weft_current_user_id())
    WITH CHECK (user_id = weft_current_user_id());
