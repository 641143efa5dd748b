-- 0011_media_and_days: entries without a video of their own, imports that never bring an
-- entry in twice, the model that made each transcript version, and the time zone that
-- decides which day an entry belongs to.

-- What an entry's recording is: a video (every entry before 0011), a sound recording
-- (imported audio, or the recorder with the camera off), or none (an entry of notes only).
-- `video_path` stays NOT NULL as the data contract has it: it names the audio file of an
-- audio entry, and it is empty exactly when the entry has no recording (duration 0).
ALTER TABLE journals
    ADD COLUMN media text NOT NULL DEFAULT 'video' CHECK (media IN ('video', 'audio', 'none')),
    ADD CONSTRAINT journals_media_has_file CHECK ((media = 'none') = (video_path = ''));

-- Where an imported entry came from, one row per imported entry: a key such as
-- 'dayone:<uuid>' or 'weft:<journal id>', unique per user, so that importing the same
-- export again adds nothing. A table of its own: only an import reads it.
CREATE TABLE journal_imports (
    journal_id  uuid        PRIMARY KEY REFERENCES journals (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_key  text        NOT NULL CHECK (source_key <> ''),
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX journal_imports_source_idx ON journal_imports (user_id, source_key);

ALTER TABLE journal_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE journal_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY journal_imports_owner ON journal_imports
    USING (user_id = weft_current_user_id())
    WITH CHECK (user_id = weft_current_user_id());

-- The engine and model that made a version ('whisper base.en', 'openai whisper-1'); NULL
-- for a correction by a person and for versions made before 0011.
ALTER TABLE transcripts ADD COLUMN model text CHECK (model IS NULL OR model <> '');

-- The user's time zone, an IANA name such as 'Europe/Lisbon' (checked by the server against
-- the names PostgreSQL knows): which day an entry belongs to, for the timeline's days, the
-- calendar and "On this day". NULL is UTC.
ALTER TABLE user_settings ADD COLUMN time_zone text CHECK (time_zone IS NULL OR time_zone <> '');
