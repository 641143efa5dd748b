-- 0013_uploads: resumable uploads (tus 1.0) that are not finished yet. The state of an
-- upload lives here and nowhere else: any server behind the same load balancer can take it
-- up where another left it. The bytes themselves lie in DATA/uploads (local storage) or as
-- part objects in the store (S3); `offset` says how many of them are acknowledged, and only
-- moves once they are durable.

CREATE TABLE uploads (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Upload-Length: the size of the whole file, fixed at creation.
    length      bigint      NOT NULL CHECK (length > 0),
    -- Upload-Offset: the bytes received and made durable so far. Bytes past it on disk or
    -- in the store (written by a server that died before recording them) are not part of
    -- the upload and are overwritten by the next PATCH.
    "offset"    bigint      NOT NULL DEFAULT 0 CHECK ("offset" >= 0 AND "offset" <= length),
    -- Upload-Metadata as sent and validated: {"title", "tags", "location", "notes",
    -- "filename"}, strings.
    metadata    jsonb       NOT NULL DEFAULT '{}',
    -- Where the bytes are: 'file' (DATA/uploads/USER/ID) or 'store' (part objects under
    -- uploads/USER/ID/ in the media store).
    bytes_in    text        NOT NULL CHECK (bytes_in IN ('file', 'store')),
    -- Set once the upload became a journal: the bytes are gone, and the row stays as a
    -- small record (until it expires) so that HEAD can say where the journal is.
    journal_id  uuid        REFERENCES journals (id) ON DELETE SET NULL,
    finished    boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Upload-Expires: moved forward by every PATCH; an upload left alone past it is removed
    -- with its bytes by the server's periodic sweep.
    expires_at  timestamptz NOT NULL
);
-- The per-user cap counts unfinished uploads; the sweep finds expired ones.
CREATE INDEX uploads_user_idx ON uploads (user_id, finished);
CREATE INDEX uploads_expires_idx ON uploads (expires_at);

-- Like journals: a user sees and writes only their own uploads (another user's is a 404).
ALTER TABLE uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY uploads_owner ON uploads
    USING (user_id = weft_current_user_id())
    WITH CHECK (user_id = weft_current_user_id());
