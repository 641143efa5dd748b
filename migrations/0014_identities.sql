-- 0014_identities: single sign-on with OpenID Connect. The identities a person signs in
-- with at the operator's provider, the sign-ins under way, and which sessions single
-- sign-on started.

-- ---------------------------------------------------------------------------------------
-- user_identities
-- ---------------------------------------------------------------------------------------
-- An identity at an OpenID provider, named by the pair the specification makes unique and
-- stable: the issuer and its `sub`. Never by email: an address can change hands at the
-- provider, the pair cannot. One account may hold one identity per provider.
--
-- Like `sessions`, no row-level security: the table is read to find out who is signing in,
-- before any user is known. Every query names its user or its (issuer, subject).
CREATE TABLE user_identities (
    issuer          text        NOT NULL CHECK (issuer <> ''),
    subject         text        NOT NULL CHECK (subject <> ''),
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The email the provider gave at linking, for the account page only.
    email           text,
    -- True when this sign-in created the account: it has no password anyone knows, so
    -- unlinking the identity would leave no way to sign in.
    created_account boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE UNIQUE INDEX user_identities_user_issuer_idx ON user_identities (user_id, issuer);

-- ---------------------------------------------------------------------------------------
-- oidc_logins
-- ---------------------------------------------------------------------------------------
-- A sign-in or a linking sent to the provider and not yet back: what the callback needs to
-- finish it (the nonce the ID token must carry, the PKCE verifier the token request sends),
-- kept on the server so that none of it travels through the browser. Found by the SHA-256
-- of the `state` (the browser holds the state itself in an HttpOnly cookie); taken with
-- DELETE ... RETURNING, so a state answers once.
CREATE TABLE oidc_logins (
    state_hash    bytea       PRIMARY KEY,
    nonce         text        NOT NULL,
    code_verifier text        NOT NULL,
    -- Set when a signed-in person links an identity to this account.
    link_user_id  uuid        REFERENCES users (id) ON DELETE CASCADE,
    -- Where to go after signing in (a local path).
    next_path     text        NOT NULL DEFAULT '/',
    expires_at    timestamptz NOT NULL
);
CREATE INDEX oidc_logins_expires_at_idx ON oidc_logins (expires_at);

-- Which sessions single sign-on started, for the account page's list.
ALTER TABLE sessions ADD COLUMN single_sign_on boolean NOT NULL DEFAULT false;
