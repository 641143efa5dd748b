//! The documented sample data: two users, two journals with video metadata, two transcripts
//! with timestamped segments, and six tags. Running it again changes nothing.

use sqlx::PgPool;
use uuid::{uuid, Uuid};

use crate::domain::Segment;

/// The password of both sample users (stated in the README).
pub const SEED_PASSWORD: &str = "weft-demo-password";

struct SeedUser {
    username: &'static str,
    email: &'static str,
}

struct SeedJournal {
    id: Uuid,
    owner: &'static str,
    title: &'static str,
    video_path: &'static str,
    duration: i32,
    location: Option<&'static str>,
    notes: Option<&'static str>,
    created_at: &'static str,
    transcript_id: Uuid,
    segments: &'static [(f64, f64, &'static str, f64)],
    tags: &'static [&'static str],
}

const USERS: [SeedUser; 2] = [
    SeedUser {
        username: "johndoe",
        email: "john@example.com",
    },
    SeedUser {
        username: "janedoe",
        email: "jane@example.com",
    },
];

const JOURNALS: [SeedJournal; 2] = [
    SeedJournal {
        id: uuid!("5eed0000-0000-4000-8000-000000000101"),
        owner: "johndoe",
        title: "Morning hike up the ridge",
        video_path: "seed/morning-hike.mp4",
        duration: 48,
        location: Some("Mount Tamalpais, California"),
        notes: Some("First clear morning in weeks."),
        created_at: "2026-03-14T07:42:00Z",
        transcript_id: uuid!("5eed0000-0000-4000-8000-000000000201"),
        segments: &[
            (
                0.0,
                6.4,
                "Good morning, it's just after seven and I'm halfway up the ridge.",
                0.94,
            ),
            (
                6.4,
                14.8,
                "The fog is sitting in the valley below me like a lake.",
                0.91,
            ),
            (
                14.8,
                27.5,
                "I wanted to start doing these hikes every weekend before work gets busy again.",
                0.89,
            ),
            (
                27.5,
                41.0,
                "My knee feels a lot better than last month, so the physiotherapy is working.",
                0.9,
            ),
            (41.0, 48.0, "Okay, time to keep going. Talk soon.", 0.95),
        ],
        tags: &["hiking", "nature", "morning"],
    },
    SeedJournal {
        id: uuid!("5eed0000-0000-4000-8000-000000000102"),
        owner: "janedoe",
        title: "Thoughts after the conference",
        video_path: "seed/conference-thoughts.webm",
        duration: 63,
        location: None,
        notes: Some("Recorded on the train home."),
        created_at: "2026-04-02T18:15:00Z",
        transcript_id: uuid!("5eed0000-0000-4000-8000-000000000202"),
        segments: &[
            (
                0.0,
                9.2,
                "So the conference was mostly about artificial intelligence this year.",
                0.92,
            ),
            (
                9.2,
                21.7,
                "The best talk was about running speech recognition on small devices.",
                0.88,
            ),
            (
                21.7,
                36.4,
                "I keep thinking about how much of my own voice notes I never listen to again.",
                0.9,
            ),
            (
                36.4,
                50.1,
                "Maybe the answer is search: find the moment instead of replaying everything.",
                0.87,
            ),
            (
                50.1,
                63.0,
                "Anyway, I'm tired but happy. More tomorrow.",
                0.93,
            ),
        ],
        tags: &["technology", "conference", "reflection"],
    },
];

/// What one run of the seed added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub users: u64,
    pub journals: u64,
    pub transcripts: u64,
    pub tags: u64,
}

/// Inserts whatever part of the sample data is missing, in one transaction.
pub async fn seed(pool: &PgPool, bcrypt_cost: u32) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    let hash = crate::domain::password::hash(SEED_PASSWORD.to_string(), bcrypt_cost).await?;
    let mut tx = pool.begin().await?;
    for user in &USERS {
        report.users += sqlx::query!(
            "INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            user.username,
            user.email,
            hash,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    for journal in &JOURNALS {
        let created_at: chrono::DateTime<chrono::Utc> = journal.created_at.parse()?;
        let owner = sqlx::query_scalar!(
            "SELECT id FROM users WHERE lower(username) = $1",
            journal.owner
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(owner) = owner else { continue };
        // Row-level security: the rest of this journal is written as its owner. The seed
        // works across users in one transaction (all of the sample data or none), so it takes
        // the transaction back from each owner for the next (UserTx::into_transaction).
        let mut as_owner = super::scoped::act_for_user(tx, owner).await?;
        report.journals += sqlx::query!(
            "INSERT INTO journals (id, user_id, title, video_path, duration, location, notes,
                                   created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
             ON CONFLICT DO NOTHING",
            journal.id,
            owner,
            journal.title,
            journal.video_path,
            journal.duration,
            journal.location,
            journal.notes,
            created_at,
        )
        .execute(&mut *as_owner)
        .await?
        .rows_affected();

        let segments: Vec<Segment> = journal
            .segments
            .iter()
            .map(|&(start, end, text, confidence)| Segment {
                start,
                end,
                text: text.to_string(),
                confidence: Some(confidence),
                ..Segment::default()
            })
            .collect();
        let text = segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        report.transcripts += sqlx::query!(
            "INSERT INTO transcripts (id, journal_id, text, segments, created_at)
             SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM journals WHERE id = $2)
             ON CONFLICT DO NOTHING",
            journal.transcript_id,
            journal.id,
            text,
            sqlx::types::Json(&segments) as _,
            created_at,
        )
        .execute(&mut *as_owner)
        .await?
        .rows_affected();

        for tag in journal.tags {
            report.tags += sqlx::query!(
                "INSERT INTO tags (journal_id, tag, created_at)
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM journals WHERE id = $1)
                 ON CONFLICT DO NOTHING",
                journal.id,
                tag,
                created_at,
            )
            .execute(&mut *as_owner)
            .await?
            .rows_affected();
        }
        tx = as_owner.into_transaction();
    }
    tx.commit().await?;
    Ok(report)
}
