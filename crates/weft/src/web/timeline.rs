//! The timeline (`/`): "On this day" first, then the entries newest first, grouped by day
//! under month headings in the user's time zone, filtered by a tag, a day or a month to
//! start from, a page at a time.

use axum::extract::{Query, State};
use chrono::{Days, NaiveDate};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::placeholder;
use super::session::WebError;
use super::viewer::{encode_component, Viewer};
use crate::api::cursor::{decode_cursor, encode_cursor};
use crate::api::ApiContext;
use crate::db::days::{self, EarlierJournal};
use crate::db::journals::{self, Cursor, JournalView, TimelineFilter};
use crate::db::scoped;
use crate::domain::days::{day_name, parse_date, years_ago, Month};
use crate::domain::{Media, Tag};

/// Entries on one page.
const PAGE: i64 = 24;

/// Query of the timeline.
#[derive(Debug, Deserialize)]
pub struct TimelineQuery {
    tag: Option<String>,
    cursor: Option<String>,
    /// Only the entries of this day (`YYYY-MM-DD`, in the user's zone).
    day: Option<String>,
    /// Start at the end of this month (`YYYY-MM`) and go back in time.
    month: Option<String>,
}

/// A value of the query, unless it is missing or blank (a form sends empty fields).
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
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
    let cursor = given(&query.cursor).map(decode_cursor).transpose()?;
    let day = given(&query.day)
        .map(|d| parse_date(d, "day"))
        .transpose()?;
    let month = given(&query.month)
        .map(|m| Month::parse(m, "month"))
        .transpose()?;
    let user = viewer.current.user.id;

    let mut filter = TimelineFilter {
        tags_all: tag.iter().cloned().collect(),
        ..TimelineFilter::default()
    };
    let mut tx = scoped::begin_for_user(&context.pool, user).await?;
    let (zone, today) = days::zone_and_today(&mut *tx, user).await?;
    if let Some(day) = day {
        let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
        let bounds = days::midnights(&mut *tx, &zone, &[day, next]).await?;
        (filter.from, filter.to) = (bounds.first().copied(), bounds.last().copied());
    } else if let Some(month) = month {
        filter.to = days::midnights(&mut *tx, &zone, &[month.end()])
            .await?
            .pop();
    }
    let first_page = cursor.is_none() && tag.is_none() && day.is_none() && month.is_none();
    let on_this_day = if first_page {
        days::on_this_day(&mut tx, &zone, today).await?
    } else {
        Vec::new()
    };
    let months = days::months_with_entries(&mut tx, &zone).await?;
    scoped::end_reading(tx);

    let items = journals::timeline_page(&context.pool, user, &filter, cursor, PAGE).await?;
    // The local day of the entry before this page (the cursor's) and of every entry on it.
    let instants: Vec<_> = cursor
        .iter()
        .map(|c| c.created_at)
        .chain(items.iter().map(|i| i.journal.created_at))
        .collect();
    let mut local = days::local_days(&context.pool, &zone, &instants).await?;
    let before = if cursor.is_some() && !local.is_empty() {
        Some(local.remove(0))
    } else {
        None
    };
    let next = (items.len() as i64 == PAGE)
        .then(|| items.last())
        .flatten()
        .map(|last| {
            encode_cursor(Cursor {
                created_at: last.journal.created_at,
                id: last.journal.id,
            })
        });
    // The filters every link of the page keeps (the cursor aside).
    let mut keep = String::new();
    if let Some(tag) = &tag {
        keep.push_str(&format!("tag={}&", encode_component(tag)));
    }
    if let Some(day) = day {
        keep.push_str(&format!("day={day}&"));
    } else if let Some(month) = month {
        keep.push_str(&format!("month={month}&"));
    }
    let tag_only = tag
        .as_deref()
        .map(|t| format!("?tag={}", encode_component(t)))
        .unwrap_or_default();
    let filtered = tag.is_some() || day.is_some() || month.is_some();
    Ok(layout::page(
        Frame {
            title: "Timeline",
            viewer: Some(&viewer),
            nav: Nav::Timeline,
            scripts: &[],
        },
        html! {
            div.page-head data-time-zone=(zone) {
                div {
                    h1 { "Timeline" }
                    @if let Some(tag) = &tag {
                        p.filter {
                            "Entries tagged " (layout::tag_link(tag)) " · "
                            a href="/" { "Show all" }
                        }
                    }
                    @if let Some(day) = day {
                        p.filter {
                            "Entries of " (day_name(day)) " · "
                            a href={ "/calendar?month=" (Month::of(day)) } { "Calendar" } " · "
                            a href={ "/" (tag_only) } { "Show all" }
                        }
                    } @else if let Some(month) = month {
                        p.filter {
                            "From " (month.name()) " back · "
                            a href={ "/" (tag_only) } { "Back to the newest" }
                        }
                    }
                }
                form.tag-filter method="get" action="/" role="search" {
                    label.visually-hidden for="tag-filter" { "Filter by tag" }
                    input #tag-filter type="search" name="tag" placeholder="Filter by tag"
                        value=[tag.as_deref()] autocomplete="off";
                    @if let Some(day) = day { input type="hidden" name="day" value=(day); }
                    @if let Some(month) = month { input type="hidden" name="month" value=(month); }
                    button.secondary type="submit" { "Filter" }
                }
            }
            (on_this_day_strip(&on_this_day))
            @if !months.is_empty() {
                (jumps(&months, tag.as_deref()))
            }
            @if items.is_empty() {
                (empty(filtered, cursor.is_some()))
            } @else {
                (grouped(&items, &local, before))
            }
            nav.pager aria-label="Pages" {
                @if cursor.is_some() {
                    a.button.secondary href={ "/?" (keep) } { "Newest" }
                }
                @if let Some(next) = next {
                    a.button.secondary rel="next" href={ "/?" (keep) "cursor=" (next) } { "Older entries" }
                }
            }
        },
    ))
}

/// "On this day": a row of entries from earlier years, nothing when there are none.
fn on_this_day_strip(items: &[EarlierJournal]) -> Markup {
    html! {
        @if !items.is_empty() {
            section.on-this-day aria-labelledby="on-this-day-heading" {
                h2 #on-this-day-heading { "On this day" }
                ol.memories {
                    @for item in items {
                        @let journal = &item.journal.journal;
                        li {
                            a.memory href={ "/entries/" (journal.id) } {
                                span.memory-picture {
                                    @if item.picture {
                                        img src={ "/api/v1/journals/" (journal.id) "/thumbnail" } alt=""
                                            loading="lazy" width="160" height="90";
                                    }
                                }
                                span.memory-ago { (years_ago(item.years_ago)) }
                                span.memory-title { (journal.title) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Links to the months that have entries, by year, newest first (the tag filter kept).
fn jumps(months: &[Month], tag: Option<&str>) -> Markup {
    let tag = tag
        .map(|t| format!("tag={}&", encode_component(t)))
        .unwrap_or_default();
    let mut years: Vec<(i32, Vec<Month>)> = Vec::new();
    for &month in months {
        match years.last_mut() {
            Some((year, list)) if *year == month.year() => list.push(month),
            _ => years.push((month.year(), vec![month])),
        }
    }
    html! {
        details.jumps {
            summary { "Jump to a month" }
            nav aria-label="Months with entries" {
                dl {
                    @for (year, list) in &years {
                        dt { (year) }
                        dd {
                            ul {
                                @for month in list {
                                    li {
                                        a href={ "/?" (tag) "month=" (month) } aria-label=(month.name()) {
                                            (&month.name()[..3])
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                p { a href="/calendar" { "Open the calendar" } }
            }
        }
    }
}

/// A day's entries on a page.
type DayGroup<'a> = (NaiveDate, Vec<&'a JournalView>);
/// A month's days on a page, in order.
type MonthGroup<'a> = (Month, Vec<DayGroup<'a>>);

/// The entries under month and day headings. `days` holds each entry's local day;
/// `before` is the day of the entry before this page, whose headings are marked as
/// continued when this page goes on with its day or month.
fn grouped(items: &[JournalView], days: &[NaiveDate], before: Option<NaiveDate>) -> Markup {
    let mut months: Vec<MonthGroup> = Vec::new();
    for (item, &day) in items.iter().zip(days) {
        let month = Month::of(day);
        if months.last().map(|m| m.0) != Some(month) {
            months.push((month, Vec::new()));
        }
        let Some((_, list)) = months.last_mut() else {
            continue;
        };
        match list.last_mut() {
            Some((d, entries)) if *d == day => entries.push(item),
            _ => list.push((day, vec![item])),
        }
    }
    let continued = |same: bool| html! { @if same { span.continued { " (continued)" } } };
    html! {
        @for (month, list) in &months {
            section.timeline-month aria-labelledby={ "month-" (month) } {
                h2 #{ "month-" (month) } {
                    (month.name())
                    (continued(before.is_some_and(|b| Month::of(b) == *month)))
                }
                @for (day, entries) in list {
                    section.timeline-day aria-labelledby={ "day-" (day) } {
                        h3 #{ "day-" (day) } {
                            (day_name(*day)) (continued(before == Some(*day)))
                        }
                        ol.timeline {
                            @for item in entries { li { (card(item)) } }
                        }
                    }
                }
            }
        }
    }
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
                h4 { a href=(href) { (journal.title) } }
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
