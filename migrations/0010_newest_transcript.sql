-- 0010_newest_transcript: the newest version of a transcript is the current one.
--
-- Until now a person's correction stayed current for good: a run asked for after it was
-- kept but never shown or searched, so "Transcribe again" seemed to do nothing. A run is
-- only ever queued because someone asked for it (on upload, or by "Transcribe again"), so
-- the newest version, whoever made it, is the one the person wants: it is shown and
-- searched, and every older version (a correction included) stays, to be viewed or made
-- current again (which adds a new version with its text).
--
-- Only the two functions that choose the current version change here; weft_search_refresh
-- (0008) calls them and stays as it is. db/transcripts.rs `current` orders the same way.

-- The current transcript's text of a journal: its newest version.
CREATE OR REPLACE FUNCTION weft_current_transcript_text(journal uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT text FROM transcripts WHERE journal_id = journal
    ORDER BY created_at DESC, id DESC LIMIT 1;
$$;

-- The current transcript's language (as weft_current_transcript_text chooses it).
CREATE OR REPLACE FUNCTION weft_current_transcript_language(journal uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT language FROM transcripts WHERE journal_id = journal
    ORDER BY created_at DESC, id DESC LIMIT 1;
$$;

-- Journals whose current transcript changes by this: an engine run newer than their newest
-- correction. Their search rows are computed again from the newest version. Row-level
-- security hides every journal and transcript unless weft.user_id names its owner: one user
-- at a time, as 0009 does.
DO $$
DECLARE
    owner uuid;
BEGIN
    FOR owner IN SELECT id FROM users ORDER BY id LOOP
        PERFORM set_config('weft.user_id', owner::text, true);
        PERFORM weft_search_refresh(array_agg(DISTINCT c.journal_id))
        FROM transcripts c
        JOIN journals j ON j.id = c.journal_id AND j.user_id = owner
        WHERE c.source = 'person'
          AND EXISTS (SELECT 1 FROM transcripts e
                      WHERE e.journal_id = c.journal_id AND e.source = 'engine'
                        AND (e.created_at, e.id) > (c.created_at, c.id))
        HAVING count(*) > 0;
    END LOOP;
    PERFORM set_config('weft.user_id', '', true);
END;
$$;
