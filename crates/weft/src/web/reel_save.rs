//! "Save as video" from the reel page: the form posts the reel's search (in its URL) with
//! the CSRF field; the render is queued ([`reels::start`]) and its page, `/reels/{id}`,
//! says how it stands. Works without JavaScript: a render's page asks the browser to
//! reload it every few seconds (the `Refresh` header) until the video is made, then links
//! to its entry.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::auth::Empty;
use super::layout::{self, Frame, Nav};
use super::search::{mode, SearchQuery};
use super::session::{Posted, WebError};
use super::viewer::{encode_component, Viewer};
use crate::api::{ApiContext, ApiError};
use crate::db::jobs::JobState;
use crate::db::reels::Render;
use crate::reels::{self, SavedSearch};

/// Seconds between reloads of an unfinished render's page.
const RELOAD_SECONDS: u32 = 3;

/// The URL of the form that saves the reel of `query` (the reel's own URL, posted to).
pub(super) fn save_action(query: &SearchQuery, q: &str) -> String {
    query
        .href(q, None)
        .replacen("/search?", "/search/reel/save?", 1)
}

/// The reel's page, for links back to it.
fn reel_href(query: &SearchQuery, q: &str) -> String {
    query.href(q, None).replacen("/search?", "/search/reel?", 1)
}

/// POST /search/reel/save?q=…: queues a render of the reel, then shows its page.
pub async fn save(
    State(context): State<ApiContext>,
    Query(query): Query<SearchQuery>,
    posted: Posted<Empty>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    let q = query.q().trim().to_string();
    let started = async {
        let request = query.filters().request(q.clone(), 1, None)?;
        let search = SavedSearch {
            mode: mode(&query),
            request,
        };
        let user = viewer.current.user.id;
        let render = reels::start(&context.pool, &context.semantic, user, &search).await?;
        Ok::<_, ApiError>(render)
    };
    match started.await {
        Ok(render) => Ok(Redirect::to(&format!("/reels/{}", render.id)).into_response()),
        Err(error) if error.status().is_client_error() => {
            let back = reel_href(&query, &q);
            let body = html! {
                div.page-head { h1 { "Save as video" } }
                section.card.wide aria-labelledby="save-heading" {
                    h2 #save-heading { "The video was not started" }
                    (layout::notice(false, error.message()))
                    p { a href=(back) { "Back to the moments" } }
                }
            };
            Ok((error.status(), frame(&viewer, body)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

fn frame(viewer: &Viewer, body: Markup) -> Markup {
    layout::page(
        Frame {
            title: "Save as video",
            viewer: Some(viewer),
            nav: Nav::Search,
            scripts: &[],
        },
        body,
    )
}

/// GET /reels/{id}: how a render stands; reloads itself until it is done or failed.
pub async fn status(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = crate::api::parse_id(&id).ok_or_else(|| ApiError::not_found("reel render"))?;
    let render = reels::find(&context.pool, viewer.current.user.id, id)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found("reel render"))?;
    let unfinished = matches!(render.state, JobState::Queued | JobState::Running);
    let mut response = frame(&viewer, status_body(&render, unfinished)).into_response();
    if unfinished {
        let refresh = format!("{RELOAD_SECONDS}; url=/reels/{id}");
        if let Ok(value) = HeaderValue::from_str(&refresh) {
            response.headers_mut().insert(header::REFRESH, value);
        }
    }
    Ok(response)
}

fn status_body(render: &Render, unfinished: bool) -> Markup {
    let clips = &render.clips.0;
    let seconds = reels::planned_seconds(clips);
    let mut search = format!(
        "/search/reel?q={}&mode={}&scope={}&sort={}",
        encode_component(&render.q),
        render.mode,
        render.scope,
        render.sort
    );
    if !render.tags.is_empty() {
        search.push_str(&format!(
            "&tag={}",
            encode_component(&render.tags.join(","))
        ));
    }
    html! {
        div.page-head { h1 { "Moments of “" (render.q) "” as a video" } }
        section.card.wide.reel-save aria-labelledby="render-heading" aria-live="polite"
            data-state=(render.state.as_str()) {
            h2 #render-heading { (state_words(render)) }
            @match render.state {
                JobState::Done => {
                    @if let Some(journal) = render.journal_id {
                        p { a.button.primary #render-entry href={ "/entries/" (journal) } { "Open the video" } }
                        p.help { "It is an entry of its own, tagged “" (reels::worker::TAG) "”: it has a transcript once transcribed, and can be downloaded like any entry." }
                    } @else {
                        (layout::notice(false, "The video was made, and its entry has been deleted since."))
                    }
                }
                JobState::Failed => {
                    (layout::notice(false, &format!(
                        "The video could not be made: {}. Save the reel again to try once more; \
                         if it fails again, tell the person who runs this Weft.",
                        render.last_error.as_deref().unwrap_or("no reason was recorded")
                    )))
                }
                _ => {
                    @if let Some(error) = &render.last_error {
                        p.help { "The last attempt failed (" (error) "); it will be tried again." }
                    }
                    p.help { "This page reloads by itself. You can leave it: the video is made in the background and appears among your entries." }
                }
            }
            dl.render-facts {
                dt { "Moments" } dd { (count(clips.len(), "part", "parts")) " of " (count(reels::cards(clips), "entry", "entries")) }
                dt { "Length" } dd { "about " (layout::clock(seconds)) ", with a title card before each entry" }
                dt { "Asked" } dd { (layout::date(render.created_at)) }
            }
            @if !unfinished {
                p { a href=(search) { "Back to the moments" } }
            }
        }
    }
}

/// "1 entry", "2 entries".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn state_words(render: &Render) -> &'static str {
    match render.state {
        JobState::Queued => "Waiting to be made…",
        JobState::Running => "Being made…",
        JobState::Done => "The video is ready",
        JobState::Failed => "The video could not be made",
    }
}
