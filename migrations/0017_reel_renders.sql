-- 0017_reel_renders: "Save as video" for a phrase reel. A render cuts the moments a search
-- found out of their recordings, puts a title card before each entry's first moment, joins
-- them into one MP4 and keeps that as a journal of its own (through the same ingest as an
-- upload). It takes minutes, so it is a durable job: a row the person follows, and a queue
-- row a worker takes.

-- The renders a person asked for. The search (query and filters) is kept as it was asked,
-- for the status page and the journal's title; the moments it found then are kept too
-- (`clips`), so that the video holds what the person saw on the reel page even if the
-- search would answer differently by the time a worker gets to it.
CREATE TABLE reel_renders (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    q           text        NOT NULL CHECK (q <> ''),
    -- How the search matched (find::Mode), and what it looked in (search::Scope).
    mode        text        NOT NULL CHECK (mode IN ('words', 'meaning', 'both')),
    scope       text        NOT NULL CHECK (scope IN ('all', 'transcripts', 'titles')),
    -- The order of the journals (search::Sort): the order of the video.
    sort        text        NOT NULL CHECK (sort IN ('best', 'newest', 'oldest')),
    -- The tags the journals had to carry, normalised, and the dates, as the search read them.
    tags        text[]      NOT NULL DEFAULT '{}',
    from_at     timestamptz,
    to_at       timestamptz,
    -- The parts to cut, in order: [{"journal": uuid, "from": seconds, "to": seconds}].
    clips       jsonb       NOT NULL CHECK (jsonb_typeof(clips) = 'array' AND jsonb_array_length(clips) > 0),
    -- 'queued' until a worker takes it, 'running' while one cuts it, 'done' once its
    -- journal exists, 'failed' after the last attempt (with the reason in last_error).
    state       text        NOT NULL DEFAULT 'queued'
                            CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts    integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error  text        CHECK (last_error IS NULL OR last_error <> ''),
    -- The journal the video became. Deleting that journal keeps the render's record.
    journal_id  uuid        REFERENCES journals (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- When it became done or failed.
    finished_at timestamptz,
    CHECK ((state IN ('done', 'failed')) = (finished_at IS NOT NULL))
);
-- A person's renders, newest first; and counting the unfinished ones (the cap).
CREATE INDEX reel_renders_user_idx ON reel_renders (user_id, created_at DESC);

-- Like journals: a person sees and writes only their own renders.
ALTER TABLE reel_renders ENABLE ROW LEVEL SECURITY;
ALTER TABLE reel_renders FORCE ROW LEVEL SECURITY;
CREATE POLICY reel_renders_owner ON reel_renders
    USING (user_id = weft_current_user_id())
    WITH CHECK (user_id = weft_current_user_id());

CREATE TRIGGER reel_renders_touch_updated_at
    BEFORE UPDATE ON reel_renders
    FOR EACH ROW EXECUTE FUNCTION weft_touch_updated_at();

-- The renders waiting for a worker, or held by one. Like transcription_jobs and
-- embedding_queue, no row-level security: workers serve every user, and each reads and
-- writes the render itself as its owner. The row goes when the render is done or failed.
CREATE TABLE reel_render_queue (
    render_id     uuid        PRIMARY KEY REFERENCES reel_renders (id) ON DELETE CASCADE,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Attempts so far; the one running counts. Updates of a render are guarded by it, so a
    -- worker whose hold ran out (and whose render another took) changes nothing.
    attempts      integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  integer     NOT NULL CHECK (max_attempts > 0),
    -- Not before this time (the backoff after a failed attempt).
    run_after     timestamptz NOT NULL DEFAULT now(),
    -- A worker holds the row until then, and pushes it on while it works; past it (the
    -- worker died, the server restarted) another worker takes the render again.
    claimed_until timestamptz
);
CREATE INDEX reel_render_queue_due_idx ON reel_render_queue (run_after);
