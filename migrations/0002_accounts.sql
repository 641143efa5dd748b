-- 0002_accounts: sign-in sessions, log-in throttling, and row-level security on the
-- per-user tables.
--
-- Sessions and throttling are new concerns, so they get tables of their own rather than
-- columns on the documented tables.

-- ---------------------------------------------------------------------------------------
-- sessions
-- ---------------------------------------------------------------------------------------
-- A session is an opaque random token held by the client (cookie or bearer). Only its
-- SHA-256 is stored, so a leaked copy of this table signs nobody in.
CREATE TABLE sessions (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Sliding expiry: each use pushes expires_at forward (at most once a minute, to keep
    -- writes off the hot path).
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    -- Shown in the session list so a person can tell their devices apart.
    user_agent   text,
    ip           text
);

CREATE UNIQUE INDEX sessions_token_hash_idx ON sessions (token_hash);
CREATE INDEX sessions_user_id_idx ON sessions (user_id, created_at DESC);
-- For sweeping expired sessions.
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- ---------------------------------------------------------------------------------------
-- login_throttle
-- ---------------------------------------------------------------------------------------
-- Failed log-ins counted per key ("account:<login>" or "ip:<address>") in a fixed window.
-- Kept in the database so that every API server behind a load balancer sees the same counts.
CREATE TABLE login_throttle (
    key               text        PRIMARY KEY,
    failures          integer     NOT NULL,
    window_started_at timestamptz NOT NULL
);

-- ---------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------
-- Every query for journals, transcripts and tags is scoped in the application too; these
-- policies are the second wall. Each request runs in a transaction that sets
-- `weft.user_id` with set_config(..., true) (local to the transaction). Without it, these
-- tables show nothing and accept nothing. FORCE makes the policies apply to the tables'
-- owner as well, which is the role the application connects as; only a superuser or a role
-- with BYPASSRLS (used for backups) sees past them.

-- The signed-in user of the current transaction, or NULL.
CREATE FUNCTION weft_current_user_id() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('weft.user_id', true), '')::uuid
$$;

ALTER TABLE journals ENABLE ROW LEVEL SECURITY;
ALTER TABLE journals FORCE ROW LEVEL SECURITY;
CREATE POLICY journals_owner ON journals
    USING (user_id = weft_current_user_id())
    WITH CHECK (user_id = weft_current_user_id());

-- Transcripts and tags belong to whoever owns their journal. The sub-select on journals is
-- itself filtered by the policy above.
ALTER TABLE transcripts ENABLE ROW LEVEL SECURITY;
ALTER TABLE transcripts FORCE ROW LEVEL SECURITY;
CREATE POLICY transcripts_owner ON transcripts
    USING (EXISTS (SELECT 1 FROM journals j WHERE j.id = transcripts.journal_id))
    WITH CHECK (EXISTS (SELECT 1 FROM journals j WHERE j.id = transcripts.journal_id));

ALTER TABLE tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE tags FORCE ROW LEVEL SECURITY;
CREATE POLICY tags_owner ON tags
    USING (EXISTS (SELECT 1 FROM journals j WHERE j.id = tags.journal_id))
    WITH CHECK (EXISTS (SELECT 1 FROM journals j WHERE j.id = tags.journal_id));
