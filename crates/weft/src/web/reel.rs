//! A phrase reel (`/search/reel?q=`): every moment of a search played back to back, each
//! from a little before its words to a little after them, across the journals in the
//! search's order. It takes the search page's query and filters, so that every reel is a
//! link. The page lists the moments (date, title, time), each a link to its entry, so it
//! works without JavaScript; `assets/reel.js` plays them one after another in one player
//! over the existing Range-served recordings and their captions: nothing is encoded.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::layout::{self, Frame, Nav};
use super::search::{mode, SearchQuery};
use super::session::WebError;
use super::viewer::Viewer;
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::domain::Media;
use crate::reels;
use crate::search::{Moment, SearchHit};

use crate::reels::{clip_bounds, MOST_MOMENTS};

/// One moment of the reel: the part of a journal's recording to play.
struct Clip<'a> {
    hit: &'a SearchHit,
    moment: &'a Moment,
    /// Where playing starts and stops, in seconds.
    from: f64,
    to: f64,
}

/// Seconds as written in a media fragment and in the page's data: milliseconds at most.
fn seconds(t: f64) -> String {
    let text = format!("{t:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The hits of a search with their moments ([`reels::gather`]), as the page's query asks.
async fn gather(
    context: &ApiContext,
    viewer: &Viewer,
    query: &SearchQuery,
    q: &str,
) -> Result<reels::Gathered, ApiError> {
    let request = query.filters().request(q.to_string(), 1, None)?;
    let user = viewer.current.user.id;
    Ok(reels::gather(
        &context.pool,
        &context.semantic,
        user,
        mode(query),
        &request,
    )
    .await?)
}

/// GET /search/reel: the reel of a search, with the search page's query and filters.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let q = query.q().trim().to_string();
    if q.is_empty() {
        return Ok(Redirect::to("/search").into_response());
    }
    let (status, body) = match gather(&context, &viewer, &query, &q).await {
        Ok(reels::Gathered { hits, shown, more }) => {
            let clips: Vec<Clip> = hits
                .iter()
                .flat_map(|hit| hit.moments.iter().map(move |moment| (hit, moment)))
                .take(MOST_MOMENTS)
                .map(|(hit, moment)| {
                    let (from, to) = clip_bounds(moment);
                    Clip {
                        hit,
                        moment,
                        from,
                        to,
                    }
                })
                .collect();
            (StatusCode::OK, reel(&viewer, &query, &shown, &clips, more))
        }
        Err(error) if error.status().is_client_error() => {
            let status = error.status();
            let back = query.href(&q, None);
            let body = html! {
                h1.search-title { "Play all moments" }
                (layout::notice(false, error.message()))
                p.hint { a href=(back) { "Back to the search" } }
            };
            (status, body)
        }
        Err(error) => return Err(error.into()),
    };
    let markup = layout::page(
        Frame {
            title: &format!("Moments of “{q}”"),
            viewer: Some(&viewer),
            nav: Nav::Search,
            scripts: &["reel.js"],
        },
        body,
    );
    Ok((status, markup).into_response())
}

/// The player and the list of moments.
fn reel(viewer: &Viewer, query: &SearchQuery, shown: &str, clips: &[Clip], more: bool) -> Markup {
    let back = query.href(shown, None);
    html! {
        div.reel #reel {
            h1.reel-heading { "Moments of “" (shown) "”" }
            p.reel-back { a href=(back) { "← Back to the results" } }
            @if let Some(first) = clips.first() {
                (player(first, clips.len()))
                @if more {
                    p.muted.reel-cap #reel-cap {
                        "The reel plays the first " (MOST_MOMENTS)
                        " moments at most; narrow the search (dates, a tag) to hear the others."
                    }
                }
                (save_form(viewer, query, shown))
                h2.visually-hidden #reel-list-heading { "The moments" }
                ol.reel-list #reel-list aria-labelledby="reel-list-heading" {
                    @for (n, clip) in clips.iter().enumerate() {
                        li { (moment_link(clip, n)) }
                    }
                }
            } @else {
                div.empty {
                    p { "No moment of a recording matches “" (shown) "”: the words were found in titles or notes only, or nowhere." }
                }
            }
        }
    }
}

/// "Save as video": a form that queues a render of this reel (see `reel_save`).
fn save_form(viewer: &Viewer, query: &SearchQuery, shown: &str) -> Markup {
    html! {
        form.reel-save #reel-save method="post" action=(super::reel_save::save_action(query, shown)) {
            (layout::csrf_field(viewer))
            button.secondary type="submit" aria-describedby="reel-save-help" { "Save as video" }
            p.help #reel-save-help {
                "One MP4 of these moments, with each entry's date and title before its first, "
                "kept as an entry of its own (at most " (MOST_MOMENTS) " moments and "
                (crate::reels::MOST_SECONDS / 60.0) " minutes)."
            }
        }
    }
}

/// The player, ready to play the first clip: a video element and an audio element, of
/// which the script shows the one that the current moment's recording needs. Without the
/// script, the first clip plays through its media fragment.
fn player(first: &Clip, total: usize) -> Markup {
    let journal = &first.hit.journal.journal;
    let api = format!("/api/v1/journals/{}", journal.id);
    let src = format!(
        "{api}/video#t={},{}",
        seconds(first.from),
        seconds(first.to)
    );
    let is_audio = journal.media == Media::Audio;
    let captions = html! {
        track kind="captions" label="Transcript" default src={ (api) "/transcript.vtt" };
    };
    html! {
        section.reel-stage aria-labelledby="reel-now" {
            p.reel-now #reel-now aria-live="polite" {
                span #reel-count { "Moment 1 of " (total) }
                " · "
                span #reel-current-title { (journal.title) }
            }
            div.player-wrap #reel-video-wrap hidden[is_audio] {
                video #reel-video controls playsinline preload="metadata"
                    aria-label="The moment playing" src=[(!is_audio).then_some(&src)] {
                    @if !is_audio { (captions) }
                    p { "Your browser cannot play these videos; open each moment from the list below." }
                }
            }
            div.player-wrap.audio-wrap #reel-audio-wrap hidden[!is_audio] {
                span.audio-mark { (super::placeholder::microphone()) }
                audio #reel-audio controls preload="metadata"
                    aria-label="The moment playing" src=[is_audio.then_some(&src)] {
                    @if is_audio { (captions) }
                    p { "Your browser cannot play these recordings; open each moment from the list below." }
                }
            }
            div.reel-controls {
                button.secondary #reel-prev type="button" disabled { "← Previous" }
                button.primary #reel-play type="button" { "Play" }
                button.secondary #reel-next type="button" disabled[total < 2] { "Next →" }
            }
            p.muted.reel-keys {
                "Keys: " kbd { "k" } " play and pause, "
                kbd { "j" } " previous moment, " kbd { "l" } " next moment."
            }
        }
    }
}

/// One moment in the list: a link to its entry at its second, carrying what the script
/// needs to play it.
fn moment_link(clip: &Clip, n: usize) -> Markup {
    let journal = &clip.hit.journal.journal;
    let api = format!("/api/v1/journals/{}", journal.id);
    let media = match journal.media {
        Media::Audio => "audio",
        _ => "video",
    };
    html! {
        a.reel-moment href={ "/entries/" (journal.id) "?t=" (clip.moment.at) }
            data-n=(n + 1) data-journal=(journal.id) data-media=(media)
            data-src={ (api) "/video" } data-captions={ (api) "/transcript.vtt" }
            data-from=(seconds(clip.from)) data-to=(seconds(clip.to))
            data-title=(journal.title)
            aria-current=[(n == 0).then_some("true")] {
            span.reel-when {
                span.reel-date { (layout::date(journal.created_at)) }
                span.ts { "▶ " (layout::clock(clip.moment.at)) }
            }
            span.reel-title { (journal.title) }
            // The moment's words, escaped by the search module, with the matches marked.
            span.text { (layout::trusted(&clip.moment.highlighted)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_written_short() {
        assert_eq!(seconds(9.5), "9.5");
        assert_eq!(seconds(12.0), "12");
        assert_eq!(seconds(1.23456), "1.235");
        assert_eq!(seconds(0.0), "0");
    }
}
