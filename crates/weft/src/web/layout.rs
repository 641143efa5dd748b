//! The frame every page shares (head, header, navigation) and small pieces of markup used
//! by several pages.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::assets;
use super::viewer::{encode_component, Viewer, CSRF_FIELD};
use crate::db::jobs::TranscriptStatus;

/// Which navigation item a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Timeline,
    Calendar,
    New,
    Search,
    Tags,
    Account,
    None,
}

/// What a page says about itself to the frame.
pub struct Frame<'a> {
    pub title: &'a str,
    pub viewer: Option<&'a Viewer>,
    pub nav: Nav,
    /// Page scripts beyond the common one, by asset name.
    pub scripts: &'a [&'a str],
}

/// A whole HTML document: the frame around `body`.
pub fn page(frame: Frame<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="theme-color" content="#f7f5f2" media="(prefers-color-scheme: light)";
                meta name="theme-color" content="#15171a" media="(prefers-color-scheme: dark)";
                @if let Some(viewer) = frame.viewer {
                    meta name="csrf-token" content=(viewer.csrf);
                }
                title { (frame.title) " · Weft" }
                link rel="icon" type="image/svg+xml" href=(assets::url("logo.svg"));
                // The installable app (see pwa.rs); iOS reads its own tags instead.
                link rel="manifest" href="/manifest.webmanifest";
                link rel="apple-touch-icon" href=(assets::url("apple-touch-icon.png"));
                meta name="mobile-web-app-capable" content="yes";
                meta name="apple-mobile-web-app-capable" content="yes";
                meta name="apple-mobile-web-app-title" content="Weft";
                meta name="apple-mobile-web-app-status-bar-style" content="default";
                link rel="stylesheet" href=(assets::url("app.css"));
                // Unversioned: the page scripts import "./app.js", and one URL keeps it one module.
                script type="module" src="/assets/app.js" {}
                @for script in frame.scripts {
                    script type="module" src=(assets::url(script)) {}
                }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (header(&frame))
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

fn header(frame: &Frame<'_>) -> Markup {
    let current = |nav: Nav| (frame.nav == nav).then_some("page");
    html! {
        header.site {
            div.site-inner {
                a.brand href="/" {
                    img src=(assets::url("logo.svg")) alt="" width="28" height="28";
                    span { "Weft" }
                }
                @if let Some(viewer) = frame.viewer {
                    nav aria-label="Main" {
                        a href="/" aria-current=[current(Nav::Timeline)] { "Timeline" }
                        a.nav-calendar href="/calendar" aria-current=[current(Nav::Calendar)] {
                            // A phone shows the icon alone (the word stays for screen readers).
                            svg.nav-icon aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none"
                                stroke="currentColor" stroke-width="2" stroke-linecap="round" {
                                rect x="3" y="5" width="18" height="16" rx="2" {}
                                path d="M3 10h18M8 3v4M16 3v4" {}
                            }
                            span.nav-label { "Calendar" }
                        }
                        a href="/search" aria-current=[current(Nav::Search)] { "Search" }
                        a href="/tags" aria-current=[current(Nav::Tags)] { "Tags" }
                        a.nav-new href="/new" aria-current=[current(Nav::New)] aria-label="New entry" {
                            span aria-hidden="true" { "+ New" span.long { " entry" } }
                        }
                        a href="/account" aria-current=[current(Nav::Account)]
                            title={ "Signed in as " (viewer.current.user.username) } {
                            "Account"
                        }
                    }
                    // Outside the navigation row, so that on a phone it sits beside the
                    // brand and the links keep one row of their own.
                    form.inline.nav-signout method="post" action="/signout" {
                        (csrf_field(viewer))
                        button.link type="submit" { "Sign out" }
                    }
                } @else {
                    nav aria-label="Main" {
                        a href="/signin" { "Sign in" }
                        a href="/signup" { "Sign up" }
                    }
                }
            }
        }
    }
}

/// The hidden field that proves a form came from the signed-in person's own page.
pub fn csrf_field(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf); }
}

/// A message box: `ok` for success, otherwise an error (announced to screen readers). The
/// message is shown as a sentence (see [`sentence`]), whoever wrote it.
pub fn notice(ok: bool, message: &str) -> Markup {
    let message = sentence(message);
    html! {
        @if ok {
            p.notice.ok role="status" { (message) }
        } @else {
            p.notice.error role="alert" { (message) }
        }
    }
}

/// Messages are shown as sentences; the API sends them so too (see `util::sentence`).
pub use crate::util::sentence;

/// A friendly page for an error: what happened, and a way back.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let heading = match status {
        StatusCode::NOT_FOUND => "Nothing here",
        StatusCode::FORBIDDEN => "That was refused",
        StatusCode::TOO_MANY_REQUESTS => "Slow down a little",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    let explanation = if status == StatusCode::NOT_FOUND {
        "This page does not exist, or it belongs to someone else.".to_string()
    } else {
        sentence(message)
    };
    page(
        Frame {
            title: heading,
            viewer: None,
            nav: Nav::None,
            scripts: &[],
        },
        html! {
            section.narrow.error-page {
                // Decoration: the heading says the same in words.
                p.code aria-hidden="true" { (status.as_u16()) }
                h1 { (heading) }
                p { (explanation) }
                p { a.button href="/" { "Back to your timeline" } }
            }
        },
    )
}

/// `1:05` or `1:02:03`: whole seconds, truncated as video players count them.
pub fn clock(seconds: f64) -> String {
    let total = if seconds.is_finite() && seconds > 0.0 {
        seconds.floor() as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A date a script turns into the reader's local time; UTC until then.
pub fn date(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339()) data-local {
            (at.format("%-d %b %Y, %H:%M UTC"))
        }
    }
}

/// A span of time in words, rounded as a person would say it: "20 seconds", "3 minutes",
/// "1 hour 5 minutes".
pub fn duration_words(seconds: f64) -> String {
    let seconds = if seconds.is_finite() {
        seconds.max(0.0)
    } else {
        0.0
    };
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if seconds < 60.0 {
        // Counting down by the second is noise: tens of seconds.
        let s = ((seconds / 10.0).ceil() as u64 * 10).max(10);
        return plural(s.min(50), "second");
    }
    let minutes = (seconds / 60.0).round() as u64;
    if minutes < 60 {
        return plural(minutes, "minute");
    }
    let (h, m) = (minutes / 60, minutes % 60);
    if m == 0 {
        plural(h, "hour")
    } else {
        format!("{} {}", plural(h, "hour"), plural(m, "minute"))
    }
}

/// The badge of a timeline card: only for a state that needs the reader's attention (not yet
/// transcribed, failed, or none at all); a finished transcript is the normal case and goes
/// without saying.
pub fn attention_badge(status: TranscriptStatus) -> Option<Markup> {
    (status != TranscriptStatus::Done).then(|| status_badge(status))
}

/// The transcription status as a small badge.
pub fn status_badge(status: TranscriptStatus) -> Markup {
    let label = match status {
        TranscriptStatus::Queued => "Waiting to transcribe",
        TranscriptStatus::Running => "Transcribing…",
        TranscriptStatus::Done => "Transcribed",
        TranscriptStatus::Failed => "Transcription failed",
        TranscriptStatus::None => "No transcript",
    };
    let status = status.as_str();
    html! { span class={ "badge status-" (status) } data-status=(status) { (label) } }
}

/// A choice of transcription language: "Detect" and Whisper's languages by name, with
/// `selected` (a code; `None`: detect) chosen. `default_label`, when given, adds a first
/// choice with an empty value ("as in my settings").
pub fn language_select(
    id: &str,
    name: &str,
    selected: Option<&str>,
    default_label: Option<&str>,
) -> Markup {
    let mut languages: Vec<(&str, &str)> = crate::domain::LANGUAGES.to_vec();
    languages.sort_by_key(|(_, name)| *name);
    html! {
        select id=(id) name=(name) aria-describedby={ (id) "-help" } {
            @if let Some(label) = default_label {
                option value="" selected { (label) }
            }
            option value="auto" selected[default_label.is_none() && selected.is_none()] { "Detect" }
            @for (code, language) in languages {
                option value=(code) selected[default_label.is_none() && selected == Some(code)] { (language) }
            }
        }
    }
}

/// A tag as a chip (a pill with the name as it is, spaces and all) that links to the
/// timeline filtered by it.
pub fn tag_link(tag: &str) -> Markup {
    html! {
        a.tag href={ "/?tag=" (encode_component(tag)) } { (tag) }
    }
}

/// Raw HTML produced by trusted code (already escaped).
pub fn trusted(html: &str) -> PreEscaped<&str> {
    PreEscaped(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_said_in_words_rounded() {
        assert_eq!(duration_words(3.0), "10 seconds");
        assert_eq!(duration_words(41.0), "50 seconds");
        assert_eq!(duration_words(59.5), "50 seconds");
        assert_eq!(duration_words(90.0), "2 minutes");
        assert_eq!(duration_words(61.0), "1 minute");
        assert_eq!(duration_words(3600.0), "1 hour");
        assert_eq!(duration_words(3900.0), "1 hour 5 minutes");
        assert_eq!(duration_words(f64::NAN), "10 seconds");
    }

    #[test]
    fn clocks_read_like_a_player() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(65.9), "1:05");
        assert_eq!(clock(3723.0), "1:02:03");
        assert_eq!(clock(f64::NAN), "0:00");
    }

    #[test]
    fn clocks_truncate_to_the_second_as_players_do() {
        assert_eq!(clock(8.99), "0:08");
        assert_eq!(clock(59.999), "0:59");
        assert_eq!(clock(3599.6), "59:59");
        assert_eq!(clock(-1.0), "0:00");
    }

    #[test]
    fn only_states_that_need_attention_get_a_badge_on_a_card() {
        assert!(attention_badge(TranscriptStatus::Done).is_none());
        for status in [
            TranscriptStatus::Queued,
            TranscriptStatus::Running,
            TranscriptStatus::Failed,
            TranscriptStatus::None,
        ] {
            assert!(attention_badge(status).is_some(), "{status:?}");
        }
    }
}
