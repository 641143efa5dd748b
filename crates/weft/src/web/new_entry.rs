//! A new entry (`/new`): record with the camera and microphone, or with the camera off
//! (sound only), or choose (or drop) one or several video or sound files, see one with its
//! length, then upload them in a queue; the scripts send each in chunks to the resumable
//! uploads (`/api/v1/uploads`, tus) and keep recordings in the browser until the server has
//! them whole. Or write a note: an entry without a recording, a plain form posted to
//! `/new/note` that needs no script.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::{Posted, WebError};
use super::viewer::Viewer;
use crate::api::{ApiContext, ApiError};
use crate::domain::{optional_text, parse_tag_list, Title, MAX_LOCATION_CHARS, MAX_NOTES_CHARS};
use crate::ingest::{Details, IngestError};

/// The "Write a note" form.
#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    tags: String,
}

/// The first chunk the page sends, and the smallest: small enough that a broken connection
/// loses little. On a fast network later chunks grow to what two seconds send (upload.js),
/// so that the requests cost little.
pub const CHUNK_BYTES: u64 = 4 * 1024 * 1024;

/// What `/new` may be told in its query.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    /// `failed` after a share that reached the server without the app's service worker.
    #[serde(default)]
    shared: Option<String>,
}

/// GET /new.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<NewQuery>,
) -> Markup {
    let share_failed = query.shared.as_deref() == Some("failed");
    render(&context, &viewer, None, share_failed)
}

/// POST /new/note: an entry of notes only, then its page; the form again with the reason
/// when a field is refused.
pub async fn note(
    State(context): State<ApiContext>,
    posted: Posted<NoteForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    match write_note(&context, &viewer, &form).await {
        Ok(id) => Ok(Redirect::to(&format!("/entries/{id}")).into_response()),
        Err(error) if error.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let message = error.message().to_string();
            let markup = render(&context, &viewer, Some((&form, &message)), false);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, markup).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

async fn write_note(
    context: &ApiContext,
    viewer: &Viewer,
    form: &NoteForm,
) -> Result<uuid::Uuid, ApiError> {
    let details = Details {
        title: Title::parse(&form.title)?.into_string(),
        notes: optional_text(Some(&form.notes), "notes", MAX_NOTES_CHARS)?,
        location: optional_text(Some(&form.location), "location", MAX_LOCATION_CHARS)?,
        tags: parse_tag_list(&form.tags).map_err(|e| e.in_field("tags"))?,
        ..Details::default()
    };
    match context.ingest().note(viewer.current.user.id, details).await {
        Ok(view) => Ok(view.journal.id),
        Err(IngestError::Database(error)) => Err(error.into()),
        Err(error) => Err(ApiError::internal(error)),
    }
}

/// The page, with the note form's values and its error after a refused note.
fn render(
    context: &ApiContext,
    viewer: &Viewer,
    refused: Option<(&NoteForm, &str)>,
    share_failed: bool,
) -> Markup {
    let limit_mb = context.limits.upload_bytes / (1024 * 1024);
    let title = Utc::now().format("%A, %-d %B").to_string();
    let typed = refused.map(|(form, _)| form);
    layout::page(
        Frame {
            title: "New entry",
            viewer: Some(viewer),
            nav: Nav::New,
            scripts: &["record.js"],
        },
        html! {
            div.page-head { h1 { "New entry" } }
            noscript {
                (layout::notice(false, "Recording and uploading need JavaScript. Turn it on for this site, or upload with the API (POST /api/v1/journals). Writing a note works without it."))
            }
            @if let Some((_, message)) = refused { (layout::notice(false, message)) }
            @if share_failed {
                (layout::notice(false, "The shared file did not reach Weft: this browser has not installed Weft's app. Choose the file below instead, or install the app (the browser's menu, Install or Add to Home Screen) and share again."))
            }
            // Recordings and shared files this browser kept because the server does not have
            // them whole yet; the script lists them here to upload or discard.
            section.pending #pending aria-labelledby="pending-heading" hidden {
                h2 #pending-heading { "Not uploaded yet" }
                ul.pending-list #pending-list {}
            }
            form.new-entry #new-entry method="post" action="/api/v1/journals"
                enctype="multipart/form-data" data-limit=(context.limits.upload_bytes)
                data-chunk=(CHUNK_BYTES) novalidate {
                // One step for the video: record it here, or choose a file; either shows in
                // the same preview, with its length, before it is saved.
                section.recorder aria-labelledby="video-heading" {
                    h2.visually-hidden #video-heading { "Video" }
                    div.stage {
                        video #preview playsinline muted aria-label="Video preview" {}
                        div.stage-empty #stage-empty {
                            p { "Record with your camera, or with the camera off, or choose a video or sound file." }
                            button.primary #camera-on type="button" { "Turn on camera and microphone" }
                            button.secondary #mic-on type="button" { "Camera off: record sound only" }
                        }
                        p.timer #timer role="timer" aria-live="off" hidden { span.rec-dot aria-hidden="true" {} span #timer-text { "0:00" } }
                    }
                    div.controls {
                        button.record #record type="button" disabled { "Start recording" }
                        button.secondary #stop type="button" hidden { "Stop" }
                        button.secondary #retake type="button" hidden { "Record again" }
                        button.secondary #record-instead type="button" hidden { "Record instead" }
                        label.button.secondary.file-button for="video-file" { "Choose a file" }
                        input.visually-hidden #video-file name="video" type="file" multiple
                            accept="video/*,audio/*,.mp4,.mov,.webm,.mkv,.m4a,.aac,.mp3,.ogg,.opus,.wav,.flac"
                            aria-describedby="file-help";
                    }
                    p.help #file-help {
                        "A video (MP4, MOV, WebM or MKV) or a sound recording (M4A, MP3, Opus, WAV \
                         or FLAC), up to " (limit_mb) " MB. Choose several, or drop them on the \
                         page, to upload them together."
                    }
                    p.chosen #chosen aria-live="polite" hidden {}
                    p.notice.error #video-error role="alert" hidden {}
                }
                section.details aria-labelledby="details-heading" {
                    h2 #details-heading { "Details" }
                    // Several files are listed here, each with its title; one file or a
                    // recording uses the title field below.
                    div.queue #queue hidden {
                        p.help #queue-help { "Each file becomes an entry of its own; the tags, location and notes below go on all of them." }
                        ol.queue-list #queue-list aria-label="Files to upload" {}
                    }
                    div.field #title-field {
                        label for="title" { "Title" }
                        input #title name="title" type="text" value=(title) required maxlength="200";
                    }
                    div.field {
                        label for="location" { "Location " span.optional { "(optional)" } }
                        input #location name="location" type="text" maxlength="500" autocomplete="off";
                    }
                    div.field {
                        label for="notes" { "Notes " span.optional { "(optional)" } }
                        textarea #notes name="notes" rows="3" {}
                    }
                    div.field {
                        label for="tags" { "Tags " span.optional { "(optional)" } }
                        input #tags name="tags" type="text" autocapitalize="none" aria-describedby="tags-help" data-tags
                            placeholder="family, walk";
                        p.help #tags-help { "Separate tags with commas." }
                    }
                    div.upload #upload-status hidden {
                        label for="progress" #progress-label { "Uploading…" }
                        progress #progress max="100" value="0" {}
                        p.help #upload-speed aria-live="off" {}
                    }
                    p.notice.error #form-error role="alert" hidden {}
                    button.primary.wide #save type="submit" disabled { "Save entry" }
                }
            }
            // An entry without a recording: a form of its own, posted without the script.
            details.panel.write-note #write-note open[refused.is_some()] {
                summary { "Write a note" }
                form method="post" action="/new/note" {
                    (layout::csrf_field(viewer))
                    p.help { "An entry of words only, without a video or a sound recording." }
                    div.field {
                        label for="note-title" { "Title" }
                        input #note-title name="title" type="text" required maxlength="200"
                            value=(typed.map_or(title.as_str(), |f| f.title.as_str()));
                    }
                    div.field {
                        label for="note-notes" { "Note" }
                        textarea #note-notes name="notes" rows="6" { (typed.map_or("", |f| f.notes.as_str())) }
                    }
                    div.field {
                        label for="note-location" { "Location " span.optional { "(optional)" } }
                        input #note-location name="location" type="text" maxlength="500" autocomplete="off"
                            value=(typed.map_or("", |f| f.location.as_str()));
                    }
                    div.field {
                        label for="note-tags" { "Tags " span.optional { "(optional)" } }
                        input #note-tags name="tags" type="text" autocapitalize="none"
                            aria-describedby="note-tags-help" value=(typed.map_or("", |f| f.tags.as_str()));
                        p.help #note-tags-help { "Separate tags with commas." }
                    }
                    button.primary.wide #save-note type="submit" { "Save note" }
                }
            }
        },
    )
}
