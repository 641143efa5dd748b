-- 0018_passages_by_user: passages split by user, with their vectors kept in the row.
--
-- Two measured causes made a search by meaning slow for a user with many journals
-- (docs/BENCHMARKS.md, "Search by meaning"):
--
-- * One HNSW index over every user's passages. pgvector's index knows nothing of users, so
--   it walks the nearest passages of everyone and row-level security drops those of other
--   users: a user with 5% of the passages has about twenty visited per one kept. Hash
--   partitions by user make a user's passages a large share of a smaller graph; the
--   server builds the index on each partition (src/semantic/index.rs), and a query of one
--   user reads one partition only. Sixteen partitions: planning stays cheap, and a user
--   with thousands of passages is a tenth or more of one.
-- * A vector (1,536 bytes) with its text made most rows longer than PostgreSQL's 2 kB
--   limit for a row kept whole, so about half of the vectors lay in the TOAST table, one
--   more index lookup per passage read. An exact scan (a user with few passages) read a
--   passage in 6 µs instead of 3. Now a row may be up to 8 kB in its page, and the vector
--   stays in the row (storage MAIN); a long text is compressed or moved out first.
--
-- The primary key gains `user_id` (a partitioned table's keys must hold the partition
-- key) and still begins with `journal_id`, which the cascade from `journals` looks up.

CREATE TABLE passages_by_user (
    journal_id uuid             NOT NULL REFERENCES journals (id) ON DELETE CASCADE,
    ordinal    integer          NOT NULL CHECK (ordinal >= 0),
    user_id    uuid             NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text             NOT NULL CHECK (kind IN ('title', 'notes', 'said')),
    start_s    double precision CHECK (start_s >= 0),
    end_s      double precision CHECK (end_s >= start_s),
    text       text             NOT NULL,
    embedding  real[]           NOT NULL CHECK (cardinality(embedding) = 384),
    PRIMARY KEY (journal_id, ordinal, user_id)
) PARTITION BY HASH (user_id);

DO $$
BEGIN
    FOR part IN 0..15 LOOP
        EXECUTE format(
            'CREATE TABLE passages_%s PARTITION OF passages_by_user
                 FOR VALUES WITH (MODULUS 16, REMAINDER %s) WITH (toast_tuple_target = 8160)',
            lpad(part::text, 2, '0'), part);
        -- Reached only through `passages`, whose policy applies; read directly, a
        -- partition shows nothing to anyone but a superuser.
        EXECUTE format('ALTER TABLE passages_%s ENABLE ROW LEVEL SECURITY', lpad(part::text, 2, '0'));
        EXECUTE format('ALTER TABLE passages_%s FORCE ROW LEVEL SECURITY', lpad(part::text, 2, '0'));
    END LOOP;
END
$$;
ALTER TABLE passages_by_user ALTER COLUMN embedding SET STORAGE MAIN;

-- Every user's passages move: row-level security stops binding the owner (the role that
-- migrates) on the old table, and starts on the new one once they are in.
ALTER TABLE passages NO FORCE ROW LEVEL SECURITY;
INSERT INTO passages_by_user (journal_id, ordinal, user_id, kind, start_s, end_s, text, embedding)
SELECT journal_id, ordinal, user_id, kind, start_s, end_s, text, embedding FROM passages;
DROP TABLE passages;
ALTER TABLE passages_by_user RENAME TO passages;
ALTER TABLE passages RENAME CONSTRAINT passages_by_user_pkey TO passages_pkey;

-- A user's own passages (an exact scan when the extension is missing or the user has few).
CREATE INDEX passages_user_idx ON passages (user_id);

ALTER TABLE passages ENABLE ROW LEVEL SECURITY;
ALTER TABLE passages FORCE ROW LEVEL SECURITY;
CREATE POLICY passages_owner ON passages
    USING (user_id = weft_current_user_id())
    WITH CHECK (user_id = weft_current_user_id());
