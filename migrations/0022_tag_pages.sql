-- 0022_tag_pages: a page of a user's journals of one tag, newest first, read from one
-- index in the page's order (issue 23).
--
-- The tag filter found its journals in journal_search_tags_idx, a GIN index: it gives
-- them in no order, so every page fetched all the user's journals of the tag, checked
-- each row again and sorted them for the 20 newest. For a common tag of the heaviest user
-- of 100,000 journals (`beach`, 105 of 5,380 journals): 91 table pages and a sort, 0.2 ms
-- of a 0.5 ms page, growing with every journal of the tag. A tag's journals in date order
-- are a B-tree's job: one row per journal and tag, with the journal's owner and date,
-- kept by a trigger on journal_search (whose `tags` and `created_at` the triggers of 0004
-- keep equal to the journal's, in the same transaction). A page is then the next 20
-- entries of one index, the cursor's place found directly.
--
-- Like journal_search, the table has no row-level security: it holds only ids, tags and
-- dates derived from rows the writer could see, every query names the signed-in user, and
-- what a page shows is read through journal_views, which row-level security guards.

CREATE TABLE tagged_journals (
    journal_id uuid        NOT NULL REFERENCES journal_search (journal_id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL,
    tag        text        NOT NULL,
    -- The journal's created_at: the page's order.
    created_at timestamptz NOT NULL
);

-- Every tagged journal of today, before the indexes (built once rather than row by row).
INSERT INTO tagged_journals (journal_id, user_id, tag, created_at)
SELECT s.journal_id, s.user_id, t.tag, s.created_at
FROM journal_search s CROSS JOIN LATERAL (SELECT DISTINCT unnest(s.tags) AS tag) t;

SET LOCAL maintenance_work_mem = '256MB';
ALTER TABLE tagged_journals ADD PRIMARY KEY (journal_id, tag);
-- A user's journals of one tag, newest first (the timeline's order), after a cursor.
CREATE INDEX tagged_journals_page_idx
    ON tagged_journals (user_id, tag, created_at DESC, journal_id DESC);

-- journal_search: a new row, or a change of its tags, date or owner, is written again.
CREATE FUNCTION weft_tagged_journals_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM tagged_journals WHERE journal_id = OLD.journal_id;
    END IF;
    INSERT INTO tagged_journals (journal_id, user_id, tag, created_at)
    SELECT DISTINCT NEW.journal_id, NEW.user_id, t, NEW.created_at FROM unnest(NEW.tags) AS t;
    RETURN NULL;
END;
$$;

CREATE TRIGGER journal_search_tagged_insert
    AFTER INSERT ON journal_search
    FOR EACH ROW EXECUTE FUNCTION weft_tagged_journals_changed();
-- Every refresh of a search row sets its tags (0004's upsert), so only a real change of
-- what the table holds writes it again: a new transcript writes nothing here.
CREATE TRIGGER journal_search_tagged_update
    AFTER UPDATE ON journal_search
    FOR EACH ROW
    WHEN (OLD.tags IS DISTINCT FROM NEW.tags
          OR OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION weft_tagged_journals_changed();

-- A page of the user's journals carrying `page_tag`, newest first, after the cursor
-- `(before_at, before_id)` when given, as rows of journal_views, as the user: one
-- statement, as weft_timeline_page (0019), on generic plans kept per connection. The
-- setting `weft.user_id` found is given back at the end.
CREATE FUNCTION weft_tag_page(owner uuid, page_tag text, before_at timestamptz,
                              before_id uuid, page_size bigint)
RETURNS SETOF journal_views
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    acting text := current_setting('weft.user_id', true);
BEGIN
    PERFORM set_config('weft.user_id', owner::text, true);
    IF before_at IS NULL THEN
        RETURN QUERY
        SELECT * FROM journal_views v
        WHERE v.user_id = owner AND v.id IN (
            SELECT g.journal_id FROM tagged_journals g
            WHERE g.user_id = owner AND g.tag = page_tag
            ORDER BY g.created_at DESC, g.journal_id DESC LIMIT page_size)
        ORDER BY v.created_at DESC, v.id DESC;
    ELSE
        RETURN QUERY
        SELECT * FROM journal_views v
        WHERE v.user_id = owner AND v.id IN (
            SELECT g.journal_id FROM tagged_journals g
            WHERE g.user_id = owner AND g.tag = page_tag
              AND (g.created_at, g.journal_id) < (before_at, before_id)
            ORDER BY g.created_at DESC, g.journal_id DESC LIMIT page_size)
        ORDER BY v.created_at DESC, v.id DESC;
    END IF;
    PERFORM set_config('weft.user_id', coalesce(acting, ''), true);
END;
$$;

ANALYZE tagged_journals;
