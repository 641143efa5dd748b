//! Phrase reels: every moment a search found, in the search's order. The reel page plays
//! them in the browser ([`gather`], [`clip_bounds`]); "Save as video" keeps them as one
//! MP4 of their own: [`start`] writes a durable render with the moments found, and a
//! worker ([`worker`]) cuts and joins them ([`render`]) into a journal made through the
//! same ingest as an upload.

pub mod render;
pub mod worker;

use sqlx::PgPool;
use uuid::Uuid;

use crate::db::reels::{self as db, ClipSpec, NewRender, Render};
use crate::db::scoped;
use crate::domain::Media;
use crate::search::{Moment, SearchHit, SearchRequest};
use crate::semantic::find::{self, Mode};
use crate::semantic::{MeaningError, Semantic};

/// The most moments a reel plays or keeps: a common word would otherwise make a reel of
/// hours.
pub const MOST_MOMENTS: usize = 100;

/// The longest video a render makes, title cards included, in seconds: the moments past
/// it are left out (encoding costs time by the minute of video).
pub const MOST_SECONDS: f64 = 600.0;

/// How long a title card shows, in seconds.
pub const CARD_SECONDS: f64 = 2.0;

/// Renders one person may have queued or running at once.
pub const MOST_UNFINISHED: i64 = 3;

/// Attempts a render gets before it is marked failed.
pub const ATTEMPTS: i32 = 3;

/// Journals read per search page while gathering the moments.
const JOURNALS_PER_PAGE: i64 = 100;

/// The most search pages read: journals that match only by title have no moments, and
/// reading on through all of them would cost more than the reel is worth.
const MOST_PAGES: usize = 5;

/// Seconds played before a moment's first word, so that the sentence is heard from its start.
const LEAD_IN: f64 = 1.5;

/// Seconds played after a moment's words end.
const LEAD_OUT: f64 = 0.5;

/// Seconds played from the lead-in when a moment's end is not after its start.
const WINDOW: f64 = 6.0;

/// Where a moment's clip starts and stops: [`LEAD_IN`] before its first matching word, to
/// [`LEAD_OUT`] after its segment ends, or a [`WINDOW`] when the segment has no length.
pub fn clip_bounds(moment: &Moment) -> (f64, f64) {
    let from = (moment.at - LEAD_IN).max(0.0);
    let to = if moment.end > moment.at {
        moment.end + LEAD_OUT
    } else {
        from + WINDOW
    };
    (from, to)
}

/// The journals a search found with moments of a recording, in its order.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub hits: Vec<SearchHit>,
    /// The query whose results they are: the suggestion, when the query as typed found
    /// nothing.
    pub shown: String,
    /// Whether more moments were left out.
    pub more: bool,
}

/// The hits of a search with their moments: read page by page until [`MOST_MOMENTS`]
/// moments are found or [`MOST_PAGES`] pages were read.
pub async fn gather(
    pool: &PgPool,
    semantic: &Semantic,
    user: Uuid,
    mode: Mode,
    request: &SearchRequest,
) -> Result<Gathered, MeaningError> {
    let mut request = SearchRequest {
        limit: JOURNALS_PER_PAGE,
        cursor: None,
        ..request.clone()
    };
    let mut tx = scoped::begin_for_user_planning_each(pool, user).await?;
    let mut hits = Vec::new();
    let mut found = 0;
    let mut more = false;
    for page_number in 0.. {
        let page = find::search(&mut tx, semantic, mode, &request).await?;
        // The next pages of corrected results are the suggestion's.
        if page.corrected {
            if let Some(suggestion) = page.suggestion {
                request.q = suggestion;
            }
        }
        for hit in page.items {
            if hit.moments.is_empty() || hit.journal.journal.media == Media::None {
                continue;
            }
            found += hit.moments.len();
            hits.push(hit);
        }
        match page.next_cursor {
            Some(_) if found >= MOST_MOMENTS || page_number + 1 >= MOST_PAGES => {
                more = true;
                break;
            }
            Some(cursor) => request.cursor = Some(cursor),
            None => break,
        }
    }
    scoped::end_reading(tx);
    more |= found > MOST_MOMENTS;
    Ok(Gathered {
        hits,
        shown: request.q,
        more,
    })
}

/// What a render will cut: the clips in order, and whether moments were left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub clips: Vec<ClipSpec>,
    pub left_out: bool,
}

/// The clips of a video of `hits`: each moment's [`clip_bounds`] in the search's order, a
/// clip that overlaps the one before it in the same journal joined to it (the words
/// would be heard twice), at most [`MOST_MOMENTS`] moments and [`MOST_SECONDS`] of video
/// with the cards.
pub fn plan<'a>(moments: impl IntoIterator<Item = (Uuid, &'a Moment)>) -> Plan {
    let mut clips: Vec<ClipSpec> = Vec::new();
    let mut seconds = 0.0;
    let mut left_out = false;
    for (count, (journal, moment)) in moments.into_iter().enumerate() {
        if count == MOST_MOMENTS {
            left_out = true;
            break;
        }
        let (from, to) = clip_bounds(moment);
        let last = clips.last_mut().filter(|last| last.journal == journal);
        let added = match &last {
            Some(last) if from <= last.to => (to - last.to).max(0.0),
            Some(_) => to - from,
            None => CARD_SECONDS + (to - from),
        };
        if seconds + added > MOST_SECONDS {
            left_out = true;
            break;
        }
        seconds += added;
        match last {
            Some(last) if from <= last.to => last.to = last.to.max(to),
            _ => clips.push(ClipSpec { journal, from, to }),
        }
    }
    Plan { clips, left_out }
}

/// How long the video of `clips` lasts, title cards included (before cutting clips short
/// where a recording ends early).
pub fn planned_seconds(clips: &[ClipSpec]) -> f64 {
    let cards = cards(clips) as f64 * CARD_SECONDS;
    cards + clips.iter().map(|clip| clip.to - clip.from).sum::<f64>()
}

/// How many title cards the video of `clips` has: one before each entry's first clip
/// (the search keeps an entry's moments together).
pub fn cards(clips: &[ClipSpec]) -> usize {
    clips
        .windows(2)
        .filter(|pair| pair[0].journal != pair[1].journal)
        .count()
        + usize::from(!clips.is_empty())
}

/// The moments of `hits` in order, each with its journal.
pub fn moments(hits: &[SearchHit]) -> impl Iterator<Item = (Uuid, &Moment)> {
    hits.iter().flat_map(|hit| {
        hit.moments
            .iter()
            .map(move |moment| (hit.journal.journal.id, moment))
    })
}

/// A search to save as a video, its filters already read.
#[derive(Debug, Clone)]
pub struct SavedSearch {
    pub mode: Mode,
    pub request: SearchRequest,
}

/// Why a render was not started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The search found no moment of a recording.
    #[error("no moment of a recording matches “{0}”: the words were found in titles or notes only, or nowhere")]
    NoMoments(String),
    /// The person has [`MOST_UNFINISHED`] renders queued or running.
    #[error("{MOST_UNFINISHED} reels are being made for you already; wait until one is done, then save this one")]
    TooMany,
    #[error(transparent)]
    Search(#[from] MeaningError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Runs the search and queues a render of its moments for `user`.
pub async fn start(
    pool: &PgPool,
    semantic: &Semantic,
    user: Uuid,
    search: &SavedSearch,
) -> Result<Render, StartError> {
    let gathered = gather(pool, semantic, user, search.mode, &search.request).await?;
    let plan = plan(moments(&gathered.hits));
    if plan.clips.is_empty() {
        return Err(StartError::NoMoments(gathered.shown));
    }
    let request = &search.request;
    let mut tx = scoped::begin_for_user(pool, user).await?;
    if db::lock_and_count_unfinished(&mut tx).await? >= MOST_UNFINISHED {
        tx.rollback().await?;
        return Err(StartError::TooMany);
    }
    let render = db::insert(
        &mut tx,
        &NewRender {
            q: &gathered.shown,
            mode: search.mode.name(),
            scope: request.scope.name(),
            sort: request.sort.name(),
            tags: &request.tags,
            from: request.from,
            to: request.to,
            clips: &plan.clips,
        },
        ATTEMPTS,
    )
    .await?;
    tx.commit().await?;
    Ok(render)
}

/// One of `user`'s renders; None for another user's or none at all.
pub async fn find(pool: &PgPool, user: Uuid, id: Uuid) -> Result<Option<Render>, sqlx::Error> {
    let mut tx = scoped::begin_for_user(pool, user).await?;
    let render = db::find(&mut tx, id).await?;
    tx.commit().await?;
    Ok(render)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(start: f64, end: f64) -> Moment {
        Moment {
            start,
            end,
            at: start,
            text: String::new(),
            highlighted: String::new(),
        }
    }

    #[test]
    fn a_clip_starts_a_little_before_the_words_and_ends_a_little_after() {
        let at = |start, end, at| Moment {
            at,
            ..moment(start, end)
        };
        assert_eq!(clip_bounds(&at(10.0, 14.0, 11.0)), (9.5, 14.5));
        assert_eq!(clip_bounds(&at(0.5, 3.0, 0.5)), (0.0, 3.5));
        assert_eq!(clip_bounds(&at(20.0, 20.0, 20.0)), (18.5, 24.5));
    }

    #[test]
    fn overlapping_moments_of_one_entry_become_one_clip_with_one_card() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let (m1, m2, m3, m4) = (
            moment(2.0, 5.0),
            moment(5.5, 8.0),
            moment(30.0, 32.0),
            moment(1.0, 3.0),
        );
        let plan = plan([(a, &m1), (a, &m2), (a, &m3), (b, &m4)]);
        assert_eq!(
            plan.clips,
            [
                ClipSpec {
                    journal: a,
                    from: 0.5,
                    to: 8.5
                },
                ClipSpec {
                    journal: a,
                    from: 28.5,
                    to: 32.5
                },
                ClipSpec {
                    journal: b,
                    from: 0.0,
                    to: 3.5
                },
            ]
        );
        assert!(!plan.left_out);
        assert_eq!(cards(&plan.clips), 2);
        assert_eq!(
            planned_seconds(&plan.clips),
            2.0 * CARD_SECONDS + 8.0 + 4.0 + 3.5
        );
    }

    #[test]
    fn a_plan_keeps_at_most_100_moments_and_10_minutes() {
        let a = Uuid::new_v4();
        let many: Vec<Moment> = (0..150)
            .map(|n| moment(10.0 * n as f64 + 2.0, 10.0 * n as f64 + 4.0))
            .collect();
        let capped = plan(many.iter().map(|m| (a, m)));
        assert_eq!(capped.clips.len(), MOST_MOMENTS);
        assert!(capped.left_out);

        let long: Vec<Moment> = (0..20)
            .map(|n| moment(100.0 * n as f64 + 2.0, 100.0 * n as f64 + 61.0))
            .collect();
        let timed = plan(long.iter().map(|m| (a, m)));
        // A card and nine clips of 61 s fit in 600 s; the tenth does not.
        assert_eq!(timed.clips.len(), 9);
        assert!(timed.left_out);
        assert!(planned_seconds(&timed.clips) <= MOST_SECONDS);
    }

    #[test]
    fn no_moments_make_no_clips() {
        let plan = plan(std::iter::empty());
        assert!(plan.clips.is_empty() && !plan.left_out);
        assert_eq!(cards(&plan.clips), 0);
    }
}
