-- 0015_second_factor: two-factor sign-in with TOTP (RFC 6238) and one-time recovery codes,
-- the short-lived "second step" between a right password and a session, personal API
-- tokens, and the password reset links an operator makes with `weft user reset-link`.
--
-- New concerns, so new tables rather than columns on the documented `users`. Every row
-- belongs to one user and goes with it (ON DELETE CASCADE). None of these tables is read
-- under a user's row-level security scope: like `sessions`, they are read before anyone is
-- signed in, by the secret a client presents.

-- ---------------------------------------------------------------------------------------
-- totp_secrets
-- ---------------------------------------------------------------------------------------
-- One authenticator per user. The secret must be readable to compute codes, so it is
-- stored as is: a database dump is enough to compute a user's codes (but not to learn the
-- password, which a sign-in also needs). docs/security.md says so.
CREATE TABLE totp_secrets (
    user_id      uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- 20 random bytes (160 bits, RFC 4226's recommended length).
    secret       bytea       NOT NULL CHECK (length(secret) = 20),
    -- NULL while set up but not yet confirmed with a code: sign-in ignores such a row.
    confirmed_at timestamptz,
    -- The last time step (unix seconds / 30) a code was accepted for: a code of that step
    -- or an earlier one is refused, so a code seen over a shoulder cannot be used again.
    last_step    bigint,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------
-- recovery_codes
-- ---------------------------------------------------------------------------------------
-- Ten per confirmed authenticator, shown once. Each code carries 80 random bits, so its
-- SHA-256 is enough (no slow hash needed); used_at marks it spent.
CREATE TABLE recovery_codes (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea       NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

-- ---------------------------------------------------------------------------------------
-- second_factor_challenges
-- ---------------------------------------------------------------------------------------
-- A right password of a user with two-factor sign-in starts a challenge, not a session.
-- The client holds the random token (the sign-in page in a hidden field, an API client as
-- `challenge`); only its SHA-256 is stored. It lives five minutes and is deleted once
-- answered.
CREATE TABLE second_factor_challenges (
    token_hash bytea       PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX second_factor_challenges_expires_idx ON second_factor_challenges (expires_at);

-- ---------------------------------------------------------------------------------------
-- api_tokens
-- ---------------------------------------------------------------------------------------
-- Personal API tokens for scripts: named, optionally read-only, with an optional expiry.
-- Shown once; only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   bytea       NOT NULL,
    -- A read-only token may only GET and HEAD.
    read_only    boolean     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- NULL: never expires.
    expires_at   timestamptz,
    -- Updated at most once a minute, like a session's last_seen_at.
    last_used_at timestamptz
);
CREATE UNIQUE INDEX api_tokens_token_hash_idx ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at DESC);

-- ---------------------------------------------------------------------------------------
-- password_reset_links
-- ---------------------------------------------------------------------------------------
-- Made by the operator (`weft user reset-link NAME`), used once by the person, within
-- expires_at. Only the SHA-256 of the link's token is stored.
CREATE TABLE password_reset_links (
    token_hash bytea       PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_reset_links_user_idx ON password_reset_links (user_id);
