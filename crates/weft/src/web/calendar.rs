//! The calendar (`/calendar?month=YYYY-MM`): a month's grid, the days that have entries
//! marked with how many and a thumbnail, each a link to that day's entries; moves by month
//! and by year. Days are those of the user's time zone. Plain links and a form: it works
//! without JavaScript.

use axum::extract::{Query, State};
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::WebError;
use super::viewer::Viewer;
use crate::api::ApiContext;
use crate::db::days::{self, CalendarDay};
use crate::domain::days::{day_name, Month};

/// The week's days, Monday first: (short, full).
const WEEKDAYS: [(&str, &str); 7] = [
    ("Mon", "Monday"),
    ("Tue", "Tuesday"),
    ("Wed", "Wednesday"),
    ("Thu", "Thursday"),
    ("Fri", "Friday"),
    ("Sat", "Saturday"),
    ("Sun", "Sunday"),
];

/// Query of the calendar.
#[derive(Debug, Deserialize)]
pub struct CalendarQuery {
    /// `YYYY-MM`; this month in the user's zone when missing or empty.
    month: Option<String>,
}

/// GET /calendar.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<CalendarQuery>,
) -> Result<Markup, WebError> {
    let month = query
        .month
        .as_deref()
        .filter(|m| !m.is_empty())
        .map(|m| Month::parse(m, "month"))
        .transpose()?;
    let calendar = days::calendar_page(&context.pool, viewer.current.user.id, month).await?;
    let month = calendar.month;
    let entries: i64 = calendar.days.iter().map(|d| d.count).sum();
    let link = |m: Month| format!("/calendar?month={m}");
    Ok(layout::page(
        Frame {
            title: "Calendar",
            viewer: Some(&viewer),
            nav: Nav::Calendar,
            scripts: &[],
        },
        html! {
            div.page-head {
                div {
                    h1 { "Calendar" }
                    p.filter {
                        (count(entries)) " in " (month.name())
                        @if entries > 0 {
                            " · " a href={ "/?month=" (month) } { "Show them on the timeline" }
                        }
                    }
                }
                form.month-pick method="get" action="/calendar" {
                    label.visually-hidden for="month-pick" { "Month" }
                    input #month-pick type="month" name="month" value=(month)
                        min="0001-01" max="9999-12" pattern="[0-9]{4}-[0-9]{2}" placeholder="2026-12";
                    button.secondary type="submit" { "Show" }
                }
            }
            nav.calendar-moves aria-label="Other months" {
                a.button.secondary href=(link(month.plus_months(-12))) {
                    span aria-hidden="true" { "« " }
                    span.visually-hidden { "Previous year, " }
                    (month.plus_months(-12).name())
                }
                a.button.secondary rel="prev" href=(link(month.previous())) {
                    span aria-hidden="true" { "‹ " }
                    span.visually-hidden { "Previous month, " }
                    (month.previous().name())
                }
                @if month != Month::of(calendar.today) {
                    a.button.secondary href="/calendar" { "This month" }
                }
                a.button.secondary rel="next" href=(link(month.next())) {
                    span.visually-hidden { "Next month, " }
                    (month.next().name())
                    span aria-hidden="true" { " ›" }
                }
                a.button.secondary href=(link(month.plus_months(12))) {
                    span.visually-hidden { "Next year, " }
                    (month.plus_months(12).name())
                    span aria-hidden="true" { " »" }
                }
            }
            (grid(month, &calendar.days, calendar.today))
            p.help { "Days follow your time zone, " (calendar.time_zone) ". "
                a href="/account#time-zone-heading" { "Change it" } }
        },
    ))
}

/// "No entries", "1 entry", "3 entries".
fn count(n: i64) -> String {
    match n {
        0 => "No entries".to_string(),
        1 => "1 entry".to_string(),
        n => format!("{n} entries"),
    }
}

/// The month as a table: a row a week, a column a weekday.
fn grid(month: Month, days: &[CalendarDay], today: NaiveDate) -> Markup {
    html! {
        table.calendar {
            caption { (month.name()) }
            thead {
                tr {
                    @for (short, full) in WEEKDAYS {
                        th scope="col" {
                            span aria-hidden="true" { (short) }
                            span.visually-hidden { (full) }
                        }
                    }
                }
            }
            tbody {
                @for week in month.weeks() {
                    tr {
                        @for slot in week {
                            @match slot {
                                None => td.outside {},
                                Some(date) => (cell(date, days.iter().find(|d| d.date == date), today)),
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One day: its number, and when it has entries a link to them with a thumbnail and the
/// count.
fn cell(date: NaiveDate, day: Option<&CalendarDay>, today: NaiveDate) -> Markup {
    let is_today = date == today;
    html! {
        td.has-entries[day.is_some()] aria-current=[is_today.then_some("date")] {
            @if let Some(day) = day {
                a.cal-day href={ "/?day=" (date) } {
                    span.cal-date { (date.day()) }
                    span.cal-picture {
                        @if let Some(id) = day.thumbnail_journal_id {
                            img src={ "/api/v1/journals/" (id) "/thumbnail" } alt="" loading="lazy"
                                width="96" height="54";
                        }
                    }
                    span.cal-count {
                        (day.count)
                        span.visually-hidden { " " @if day.count == 1 { "entry" } @else { "entries" } " on " (day_name(date)) }
                    }
                }
            } @else {
                span.cal-date {
                    span aria-hidden="true" { (date.day()) }
                    span.visually-hidden { (day_name(date)) ", no entries" }
                }
            }
            @if is_today { span.visually-hidden { ", today" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_said_in_words() {
        assert_eq!(count(0), "No entries");
        assert_eq!(count(1), "1 entry");
        assert_eq!(count(12), "12 entries");
    }
}
