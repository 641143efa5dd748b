-- 0005_search_head: find the journals whose title, tags or notes match without reading
-- every journal whose transcript does.
--
-- Search results come title first, then tags, then notes, then transcript (newest first
-- within each). Ranking every match of a common word to find the first twenty read all of
-- them: thousands of rows for a user with many journals. Now the few journals whose head
-- (title, tags, notes) matches are found through this index and ranked, and the
-- transcript-only matches are taken newest first, stopping at the page's end.
CREATE INDEX journal_search_head_idx ON journal_search USING gin (user_id, head);
