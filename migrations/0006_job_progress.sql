-- 0006_job_progress: how far a running transcription has got, for the job views.
--
-- The fraction of the audio transcribed (0 to 1), written with the worker's heartbeat;
-- NULL until the engine reports (the OpenAI engine never does: it answers all at once).
ALTER TABLE transcription_jobs
    ADD COLUMN progress real CHECK (progress >= 0 AND progress <= 1);
