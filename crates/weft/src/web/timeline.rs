//! The timeline (`/`): entries newest first, filtered by a tag, a page at a time.

use axum::extract::{Query, State};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::placeholder;
use super::session::WebError;
use super::viewer::{encode_component, Viewer};
use crate::api::cursor::{decode_cursor, encode_cursor};
use crate::api::ApiContext;
use crate::db::journals::{self, Cursor, JournalView, TimelineFilter};
use crate::domain::{Media, Tag};

/// Entries on one page.
const PAGE: i64 = 24;

/// Query of the timeline.
#[derive(Debug, Deserialize)]
pub struct TimelineQuery {
    tag: Option<String>,
    cursor: Option<String>,
}

/// GET /.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<TimelineQuery>,
) -> Result<Markup, WebError> {
    let tag = query
        .tag
        .as_deref()
        .map(Tag::parse)
        .transpose()
        .map_err(|e| e.in_field("tag"))?
        .flatten()
        .map(Tag::into_string);
    let cursor = query
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()?;
    let filter = TimelineFilter {
        tags_all: tag.iter().cloned().collect(),
        ..TimelineFilter::default()
    };
    let user = viewer.current.user.id;
    let items = journals::timeline_page(&context.pool, user, &filter, cursor, PAGE).await?;
    let next = (items.len() as i64 == PAGE)
        .then(|| items.last())
        .flatten()
        .map(|last| {
            encode_cursor(Cursor {
                created_at: last.journal.created_at,
                id: last.journal.id,
            })
        });
    let tag_query = tag
        .as_deref()
        .map(|t| format!("tag={}&", encode_component(t)))
        .unwrap_or_default();
    Ok(layout::page(
        Frame {
            title: "Timeline",
            viewer: Some(&viewer),
            nav: Nav::Timeline,
            scripts: &[],
        },
        html! {
            div.page-head {
                div {
                    h1 { "Timeline" }
                    @if let Some(tag) = &tag {
                        p.filter {
                            "Entries tagged " (layout::tag_link(tag)) " · "
                            a href="/" { "Show all" }
                        }
                    }
                }
                form.tag-filter method="get" action="/" role="search" {
                    label.visually-hidden for="tag-filter" { "Filter by tag" }
                    input #tag-filter type="search" name="tag" placeholder="Filter by tag"
                        value=[tag.as_deref()] autocomplete="off";
                    button.secondary type="submit" { "Filter" }
                }
            }
            @if items.is_empty() {
                (empty(tag.is_some(), cursor.is_some()))
            } @else {
                ol.timeline {
                    @for item in &items { li { (card(item)) } }
                }
            }
            nav.pager aria-label="Pages" {
                @if cursor.is_some() {
                    a.button.secondary href={ "/?" (tag_query) } { "Newest" }
                }
                @if let Some(next) = next {
                    a.button.secondary rel="next" href={ "/?" (tag_query) "cursor=" (next) } { "Older entries" }
                }
            }
        },
    ))
}

fn empty(filtered: bool, paged: bool) -> Markup {
    html! {
        div.empty {
            @if filtered || paged {
                p { "No entries here." }
                a.button.secondary href="/" { "Back to the newest" }
            } @else {
                h2 { "Your journal is empty" }
                p { "Record a short video about your day. Weft keeps it, writes down what you said, and finds it again by any word." }
                a.button.primary href="/new" { "Record your first entry" }
            }
        }
    }
}

/// One entry on the timeline.
pub fn card(item: &JournalView) -> Markup {
    let journal = &item.journal;
    let href = format!("/entries/{}", journal.id);
    html! {
        article.entry-card {
            // The picture repeats the title's link for the pointer; a video's thumbnail, or a
            // stand-in drawn for an entry without one (web/placeholder.rs).
            a.thumb href=(href) tabindex="-1" aria-hidden="true" data-media=(journal.media.as_str()) {
                @match journal.media {
                    Media::Video => {
                        img src={ "/api/v1/journals/" (journal.id) "/thumbnail" } alt="" loading="lazy" width="320" height="180";
                    },
                    Media::Audio => {
                        span.thumb-audio role="img" aria-label={ "Sound recording, " (layout::clock(journal.duration.into())) } {
                            (placeholder::microphone())
                            span.wave {}
                        }
                    },
                    Media::None => {
                        span.thumb-note role="img" aria-label="Notes" {
                            (placeholder::excerpt(journal.notes.as_deref().unwrap_or(&journal.title)))
                        }
                    },
                }
                @if journal.media.has_recording() {
                    span.duration { (layout::clock(journal.duration.into())) }
                }
            }
            div.entry-body {
                h2 { a href=(href) { (journal.title) } }
                p.meta {
                    (layout::date(journal.created_at))
                    @if journal.media.has_recording() {
                        span.visually-hidden { ", " (layout::clock(journal.duration.into())) " long" }
                    }
                    @if let Some(location) = &journal.location { " · " (location) }
                }
                div.card-foot {
                    @if let (true, Some(badge)) = (journal.media.has_recording(), layout::attention_badge(item.transcript_status)) { (badge) }
                    @for tag in &item.tags { (layout::tag_link(tag)) }
                }
            }
        }
    }
}
