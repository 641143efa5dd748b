//! The versions of an entry's transcript: the list on the entry page, an older version shown
//! read-only (`?version=ID`), and making an older version current again.
//!
//! No version is ever changed or deleted: the newest one is current, so making an older one
//! current adds a new version (a person's, like a correction) with its text and timing.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::super::layout;
use super::super::session::{Posted, WebError};
use super::super::viewer::Viewer;
use crate::api::journal_id;
use crate::api::{ApiContext, ApiError};
use crate::db::jobs::TranscriptStatus;
use crate::db::transcripts::{Transcript, TranscriptSource};
use crate::journals::JournalError;

/// The form of "Make this the current transcript": nothing but its CSRF field.
#[derive(Debug, Deserialize)]
pub struct RestoreForm {}

/// The version `raw` names among `versions`; anything else (not an id, another journal's
/// version, another user's) is not found.
pub(super) fn find<'a>(versions: &'a [Transcript], raw: &str) -> Result<&'a Transcript, ApiError> {
    let not_found = || ApiError::not_found("transcript version");
    let id = Uuid::parse_str(raw.trim()).map_err(|_| not_found())?;
    versions.iter().find(|t| t.id == id).ok_or_else(not_found)
}

/// "Corrected by you", or "Automatic transcript, Spanish, whisper base" (with the model that
/// made it, where it is known).
pub(super) fn label(version: &Transcript) -> String {
    if version.source == TranscriptSource::Person {
        return "Corrected by you".to_string();
    }
    let mut label = "Automatic transcript".to_string();
    if let Some(code) = version.language.as_deref() {
        label.push_str(", ");
        label.push_str(crate::domain::language_name(code));
    }
    if let Some(model) = version.model.as_deref() {
        label.push_str(", ");
        label.push_str(model);
    }
    label
}

fn word_count(version: &Transcript) -> String {
    match version.text.split_whitespace().count() {
        1 => "1 word".to_string(),
        n => format!("{n} words"),
    }
}

/// The list of versions, newest (the current one) first; `shown` is the older version the
/// page shows instead of the current one.
pub(super) fn section(journal: Uuid, versions: &[Transcript], shown: Option<Uuid>) -> Markup {
    html! {
        section.versions #versions aria-labelledby="versions-heading" {
            h2 #versions-heading { "Versions" }
            ol.version-list {
                @for (n, version) in versions.iter().enumerate() {
                    li.version data-version=(version.id)
                        aria-current=[(shown == Some(version.id)).then_some("true")] {
                        span.version-when { (layout::date(version.created_at)) }
                        span.version-what {
                            (label(version)) " · " (word_count(version))
                        }
                        @if n == 0 {
                            span.badge.status-done { "Current" }
                            @if shown.is_some() {
                                a href={ "/entries/" (journal) "#transcript-heading" } { "View" }
                            }
                        } @else if shown == Some(version.id) {
                            span.muted { "Shown" }
                        } @else {
                            a href={ "/entries/" (journal) "?version=" (version.id) "#transcript-heading" } {
                                "View" span.visually-hidden { " the version of " (layout::date(version.created_at)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Above an older version's lines: what it is, and the button that makes it current again
/// (not while a run is queued or running, which would replace it again at once).
pub(super) fn older_banner(
    viewer: &Viewer,
    journal: Uuid,
    version: &Transcript,
    status: TranscriptStatus,
) -> Markup {
    let busy = matches!(status, TranscriptStatus::Queued | TranscriptStatus::Running);
    html! {
        div.older-version #older-version role="note" {
            p {
                strong { "You are looking at an older version" }
                " of the transcript (" (label(version)) ", " (layout::date(version.created_at))
                "). It is read-only; the video's captions are the current transcript's."
            }
            @if busy {
                p.muted { "You can make this version current again when the transcription is done." }
            } @else {
                form method="post" action={ "/entries/" (journal) "/versions/" (version.id) "/restore" } {
                    (layout::csrf_field(viewer))
                    button.primary.small type="submit" { "Make this the current transcript" }
                }
            }
            a href={ "/entries/" (journal) } { "Back to the current transcript" }
        }
    }
}

/// POST /entries/{id}/versions/{version}/restore: makes an older version current again
/// (`Journals::restore_version`, which keeps every version).
pub async fn restore(
    State(context): State<ApiContext>,
    Path((id, version)): Path<(String, String)>,
    posted: Posted<RestoreForm>,
) -> Result<Response, WebError> {
    let journal = journal_id(&id)?;
    let version = version
        .parse()
        .map_err(|_| ApiError::not_found("version"))?;
    let user = posted.viewer.current.user.id;
    match context
        .journals()
        .restore_version(user, journal, version)
        .await
    {
        Ok(_) => {}
        Err(JournalError::AlreadyQueued) => {
            return Err(ApiError::conflict(
                "version",
                "a transcription of this entry is queued or running; make the version current \
                 again when it is done",
            )
            .into())
        }
        Err(error) => return Err(ApiError::from(error).into()),
    }
    Ok(Redirect::to(&format!("/entries/{journal}?saved=version")).into_response())
}
