//! Days in the user's time zone: which local day an entry belongs to, "On this day", the
//! calendar's counts per day, and the months that have entries.
//!
//! "Which day" is always the database's answer (`created_at AT TIME ZONE zone`, with the
//! zone of `user_settings.time_zone`, UTC when unset), so that every page and answer agrees
//! with every other. The statements turn local days into instants and read
//! journals_user_id_idx `(user_id, created_at DESC, id DESC)` in ranges of those instants:
//! one range per earlier year for "On this day", one per month for the calendar, one probe
//! per month for the months that have entries; none reads all of a user's journals.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use super::journals::{self, JournalView};
use super::scoped::{self, UserTx};
use crate::domain::days::{earlier_days, Month};

/// The most entries "On this day" shows.
pub const ON_THIS_DAY_LIMIT: i64 = 50;

/// The user's time zone (`UTC` when unset) and today's date in it.
#[tracing::instrument(skip(executor))]
pub async fn zone_and_today(
    executor: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<(String, NaiveDate), sqlx::Error> {
    let row = sqlx::query!(
        r#"WITH z AS (
               SELECT coalesce((SELECT time_zone FROM user_settings WHERE user_id = $1), 'UTC')
                   AS zone
           )
           SELECT zone AS "zone!", (now() AT TIME ZONE zone)::date AS "today!" FROM z"#,
        user_id
    )
    .fetch_one(executor)
    .await?;
    Ok((row.zone, row.today))
}

/// The instants at which these local days begin in `zone`, in the same order.
pub async fn midnights(
    executor: impl PgExecutor<'_>,
    zone: &str,
    days: &[NaiveDate],
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT (d::timestamp AT TIME ZONE $1) AS "at!"
           FROM unnest($2::date[]) WITH ORDINALITY AS u(d, n) ORDER BY n"#,
        zone,
        days
    )
    .fetch_all(executor)
    .await
}

/// The local days in `zone` of these instants, in the same order.
pub async fn local_days(
    executor: impl PgExecutor<'_>,
    zone: &str,
    instants: &[DateTime<Utc>],
) -> Result<Vec<NaiveDate>, sqlx::Error> {
    if instants.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar!(
        r#"SELECT (t AT TIME ZONE $1)::date AS "day!"
           FROM unnest($2::timestamptz[]) WITH ORDINALITY AS u(t, n) ORDER BY n"#,
        zone,
        instants
    )
    .fetch_all(executor)
    .await
}

/// "On this day": a user's entries of the same day in earlier years.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnThisDay {
    /// The day asked about (by default today), in the user's time zone.
    pub date: NaiveDate,
    /// The user's time zone: an IANA name, `UTC` when none is set.
    pub time_zone: String,
    /// Newest first; at most 50.
    pub items: Vec<EarlierJournal>,
}

/// A journal of an earlier year, and how many years ago it was.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EarlierJournal {
    #[serde(flatten)]
    pub journal: JournalView,
    /// The year asked about less the entry's year, in the user's time zone: 1 or more.
    pub years_ago: i32,
    /// Whether it has a video (and so a thumbnail).
    #[serde(skip)]
    pub picture: bool,
}

/// "On this day" for `date` (by default today in the user's zone), in a read-only
/// transaction of its own acting for the user.
pub async fn on_this_day_page(
    pool: &PgPool,
    user_id: Uuid,
    date: Option<NaiveDate>,
) -> Result<OnThisDay, sqlx::Error> {
    let mut tx = scoped::begin_for_user(pool, user_id).await?;
    let (zone, today) = zone_and_today(&mut *tx, user_id).await?;
    let date = date.unwrap_or(today);
    let items = on_this_day(&mut tx, &zone, date).await?;
    scoped::end_reading(tx);
    Ok(OnThisDay {
        date,
        time_zone: zone,
        items,
    })
}

/// The user's journals of the same local day as `date` in earlier years, newest first,
/// with their years ago. One index range per earlier year since the user's oldest entry.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn on_this_day(
    tx: &mut UserTx,
    zone: &str,
    date: NaiveDate,
) -> Result<Vec<EarlierJournal>, sqlx::Error> {
    let user_id = tx.user_id();
    // ORDER BY the index's own columns, not min(): min() may walk journals_created_at_idx
    // through every user's entries looking for this one's.
    let oldest = sqlx::query_scalar!(
        r#"SELECT (created_at AT TIME ZONE $2)::date AS "day!" FROM journals WHERE user_id = $1
           ORDER BY created_at, id LIMIT 1"#,
        user_id,
        zone
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(oldest) = oldest else {
        return Ok(Vec::new());
    };
    let days = earlier_days(date, oldest.year());
    if days.is_empty() {
        return Ok(Vec::new());
    }
    let firsts: Vec<NaiveDate> = days.iter().map(|d| d.first).collect();
    let ends: Vec<NaiveDate> = days.iter().map(|d| d.end).collect();
    let years: Vec<i32> = days.iter().map(|d| d.years_ago).collect();
    let rows = sqlx::query!(
        r#"SELECT j.id AS "id!", r.years_ago AS "years_ago!", j.media = 'video' AS "picture!"
           FROM unnest($2::date[], $3::date[], $4::int[]) AS r(first, stop, years_ago)
           CROSS JOIN LATERAL (
               SELECT j.id, j.media, j.created_at FROM journals j
               WHERE j.user_id = $1
                 AND j.created_at >= (r.first::timestamp AT TIME ZONE $5)
                 AND j.created_at < (r.stop::timestamp AT TIME ZONE $5)
               ORDER BY j.created_at DESC, j.id DESC LIMIT $6
           ) j
           ORDER BY j.created_at DESC, j.id DESC LIMIT $6"#,
        user_id,
        &firsts,
        &ends,
        &years,
        zone,
        ON_THIS_DAY_LIMIT,
    )
    .fetch_all(&mut **tx)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut views = journals::views(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let at = views.iter().position(|v| v.journal.id == row.id)?;
            Some(EarlierJournal {
                journal: views.swap_remove(at),
                years_ago: row.years_ago,
                picture: row.picture,
            })
        })
        .collect())
}

/// A month of a user's calendar: how many entries each day has.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Calendar {
    #[schema(value_type = String, example = "2026-12")]
    pub month: Month,
    /// The user's time zone: an IANA name, `UTC` when none is set.
    pub time_zone: String,
    /// Today in that zone.
    pub today: NaiveDate,
    /// The days that have entries, in order.
    pub days: Vec<CalendarDay>,
}

/// A day of the calendar that has entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub count: i64,
    /// The day's first entry.
    pub first_journal_id: Uuid,
    /// The day's first entry with a video, whose thumbnail stands for the day; null when
    /// none has one.
    pub thumbnail_journal_id: Option<Uuid>,
}

/// The calendar of `month` (by default this month in the user's zone), in a read-only
/// transaction of its own acting for the user.
pub async fn calendar_page(
    pool: &PgPool,
    user_id: Uuid,
    month: Option<Month>,
) -> Result<Calendar, sqlx::Error> {
    let mut tx = scoped::begin_for_user(pool, user_id).await?;
    let (zone, today) = zone_and_today(&mut *tx, user_id).await?;
    let month = month.unwrap_or_else(|| Month::of(today));
    let days = calendar(&mut tx, &zone, month).await?;
    scoped::end_reading(tx);
    Ok(Calendar {
        month,
        time_zone: zone,
        today,
        days,
    })
}

/// The days of `month` in `zone` that have entries of the user's: one index range.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn calendar(
    tx: &mut UserTx,
    zone: &str,
    month: Month,
) -> Result<Vec<CalendarDay>, sqlx::Error> {
    sqlx::query_as!(
        CalendarDay,
        r#"SELECT (j.created_at AT TIME ZONE $2)::date AS "date!",
                  count(*) AS "count!",
                  (array_agg(j.id ORDER BY j.created_at, j.id))[1] AS "first_journal_id!",
                  (array_agg(j.id ORDER BY j.created_at, j.id)
                       FILTER (WHERE j.media = 'video'))[1] AS thumbnail_journal_id
           FROM journals j
           WHERE j.user_id = $1
             AND j.created_at >= ($3::date::timestamp AT TIME ZONE $2)
             AND j.created_at < ($4::date::timestamp AT TIME ZONE $2)
           GROUP BY 1 ORDER BY 1"#,
        tx.user_id(),
        zone,
        month.first_day(),
        month.end(),
    )
    .fetch_all(&mut **tx)
    .await
}

/// The months in `zone` that have entries of the user's, newest first: from the newest
/// entry, each step finds the newest entry before the month it is in (one probe of
/// journals_user_id_idx a month with entries, however many entries there are; written with
/// the index's ORDER BY rather than max(), which the planner may answer by walking
/// journals_created_at_idx through every user's entries).
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn months_with_entries(tx: &mut UserTx, zone: &str) -> Result<Vec<Month>, sqlx::Error> {
    let firsts = sqlx::query_scalar!(
        r#"WITH RECURSIVE months(first) AS (
               SELECT date_trunc('month',
                          (SELECT created_at FROM journals WHERE user_id = $1
                           ORDER BY created_at DESC, id DESC LIMIT 1)
                              AT TIME ZONE $2)
               UNION ALL
               SELECT date_trunc('month',
                          (SELECT j.created_at FROM journals j
                           WHERE j.user_id = $1 AND j.created_at < (m.first AT TIME ZONE $2)
                           ORDER BY j.created_at DESC, j.id DESC LIMIT 1)
                              AT TIME ZONE $2)
               FROM months m WHERE m.first IS NOT NULL
           )
           SELECT first::date AS "first!" FROM months WHERE first IS NOT NULL"#,
        tx.user_id(),
        zone
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(firsts.into_iter().map(Month::of).collect())
}
