//! Background work: transcription workers and the job pipeline.

pub mod transcribe;
pub mod worker;
