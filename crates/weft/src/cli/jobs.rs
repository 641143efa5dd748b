//! `weft jobs …`: the operator's view of the transcription queue — queued, running and
//! failed jobs with their attempts and errors — and retrying failed ones.

use anyhow::{bail, Context};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Subcommand;
use uuid::Uuid;

use crate::config::GlobalArgs;
use crate::db::jobs::{self, Job, JobState};
use crate::db::{scoped, Database};

/// `--state`: the stored spellings, offered in [`JobState::ALL`]'s order. A parser rather
/// than `clap::ValueEnum` on the type, which would tie the database layer to the CLI.
fn state_parser() -> impl TypedValueParser<Value = JobState> {
    PossibleValuesParser::new(JobState::ALL.map(JobState::as_str))
        .try_map(|text| text.parse::<JobState>())
}

/// The job subcommands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List transcription jobs, newest first, with attempts and the last error.
    List {
        /// Only jobs in this state.
        #[arg(long, value_parser = state_parser())]
        state: Option<JobState>,
        /// At most this many jobs.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        limit: i64,
    },
    /// Queue a failed job's journal for transcription again (a new job, with fresh attempts).
    Retry {
        /// The failed job's id (from `weft jobs list`).
        #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
        id: Option<Uuid>,
        /// Retry every journal whose latest job failed.
        #[arg(long)]
        all_failed: bool,
    },
}

pub async fn run(global: &GlobalArgs, command: JobsCommand) -> anyhow::Result<()> {
    let db = Database::open_migrated(&global.db_config()?).await?;
    let result = match command {
        JobsCommand::List { state, limit } => list(db.pool(), state, limit).await,
        JobsCommand::Retry { id, all_failed } => retry(db.pool(), id, all_failed).await,
    };
    db.close().await;
    result
}

async fn list(pool: &sqlx::PgPool, state: Option<JobState>, limit: i64) -> anyhow::Result<()> {
    let found = jobs::list(pool, state, limit).await?;
    let depth = jobs::depth(pool).await?;
    let summary: Vec<String> = depth.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!(
        "queue: {}",
        if summary.is_empty() {
            "empty".to_string()
        } else {
            summary.join(", ")
        }
    );
    if found.is_empty() {
        println!("no jobs");
        return Ok(());
    }
    println!(
        "{:<36}  {:<11}  {:>8}  {:<36}  {:<20}  ERROR",
        "ID", "STATE", "ATTEMPTS", "JOURNAL", "UPDATED"
    );
    for job in found {
        println!("{}", line(&job));
    }
    Ok(())
}

/// One row of the listing; the error on one line, cut to fit a terminal.
fn line(job: &Job) -> String {
    let error: String = job
        .last_error
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let error = if error.chars().count() > 100 {
        format!("{}…", error.chars().take(99).collect::<String>())
    } else {
        error
    };
    format!(
        "{:<36}  {:<11}  {:>8}  {:<36}  {:<20}  {}",
        job.id,
        match (job.state, job.progress) {
            (JobState::Running, Some(progress)) => format!("running {:.0}%", progress * 100.0),
            (state, _) => state.to_string(),
        },
        format!("{}/{}", job.attempts, job.max_attempts),
        job.journal_id,
        job.updated_at.format("%Y-%m-%d %H:%M:%S"),
        error
    )
    .trim_end()
    .to_string()
}

async fn retry(pool: &sqlx::PgPool, id: Option<Uuid>, all_failed: bool) -> anyhow::Result<()> {
    let targets = if all_failed {
        jobs::latest_failed(pool).await?
    } else {
        let id = id.context("name a job id, or pass --all-failed")?;
        let Some(job) = jobs::find(pool, id).await? else {
            bail!("no job {id}: see `weft jobs list`");
        };
        if job.state != JobState::Failed {
            bail!("job {id} is {}: only failed jobs are retried", job.state);
        }
        vec![job]
    };
    if targets.is_empty() {
        println!("no failed jobs to retry");
        return Ok(());
    }
    let mut queued = 0;
    for job in targets {
        // The journal is read under its owner's row-level security, like any of their writes.
        let mut tx = scoped::begin_for_user(pool, job.user_id).await?;
        match jobs::enqueue(&mut tx, job.journal_id, job.max_attempts).await? {
            Some(new) => {
                tx.commit().await?;
                queued += 1;
                println!(
                    "queued {} for journal {} (retrying {})",
                    new.id, job.journal_id, job.id
                );
            }
            None => {
                tx.rollback().await?;
                println!(
                    "journal {} already has a queued or running job; {} left as it is",
                    job.journal_id, job.id
                );
            }
        }
    }
    println!("{queued} queued");
    Ok(())
}
