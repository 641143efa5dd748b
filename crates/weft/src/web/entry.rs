//! An entry (`/entries/{id}`): the player with captions, the transcript beside it, its
//! versions, links to the entries before and after it, and forms to edit, retry the
//! transcription and delete. `?t=SECONDS` starts the video there (the script plays it from a
//! second before); `?version=ID` shows an older version of the transcript.

mod versions;

pub use versions::restore;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::{Posted, WebError};
use super::viewer::Viewer;
use crate::api::journal_id;
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::db::jobs::{Job, TranscriptStatus};
use crate::db::journals::{Journal, JournalChanges, JournalView};
use crate::db::scoped::{self, UserTx};
use crate::db::transcripts::{self, Transcript, TranscriptSource};
use crate::domain::{optional_text, Title, MAX_LOCATION_CHARS, MAX_NOTES_CHARS};
use crate::domain::{Media, Segment};
use crate::journals::JobProgress;

/// Query of the entry page.
#[derive(Debug, Deserialize)]
pub struct EntryQuery {
    /// Start playing at this second (anything that is not a number is ignored).
    t: Option<String>,
    /// Set after a successful change: `version` after making a version current again,
    /// `transcript` after a correction, anything else after the details.
    saved: Option<String>,
    /// An older version of the transcript to show, read-only.
    version: Option<String>,
}

/// The edit form.
#[derive(Debug, Deserialize)]
pub struct EditForm {
    title: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: String,
}

/// The delete form: a ticked box confirms.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    confirm: Option<String>,
}

/// Transcribe again, in a language (empty: as in the account's settings). Over a correction,
/// the ticked `confirm` box says that the new run may replace it.
#[derive(Debug, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    language: String,
    confirm: Option<String>,
}

/// Everything the page shows.
struct Entry {
    view: JournalView,
    segments: Option<Vec<Segment>>,
    job: Option<Job>,
    /// The current transcript's language, how sure the engine was, and whether a person
    /// corrected it.
    heard: Option<(Option<String>, Option<f32>, TranscriptSource)>,
    progress: Option<JobProgress>,
    /// Every version of the transcript, newest (the current one) first.
    versions: Vec<Transcript>,
    /// The older version shown instead of the current one (`?version=`).
    shown: Option<Transcript>,
    /// The user's entries just before (older) and after (newer) this one in the timeline.
    older: Option<Neighbour>,
    newer: Option<Neighbour>,
    /// The user's time zone, in which the page's times are shown.
    zone: String,
}

/// Another entry of the same user, for the links to the previous and next one.
#[derive(Debug, sqlx::FromRow)]
struct Neighbour {
    id: uuid::Uuid,
    title: String,
}

impl Entry {
    /// Whether the current transcript is a person's correction (a run would replace it).
    fn corrected(&self) -> bool {
        self.versions
            .first()
            .is_some_and(|t| t.source == TranscriptSource::Person)
    }
}

async fn gather(context: &ApiContext, viewer: &Viewer, id: &str) -> Result<Entry, WebError> {
    let state = context
        .journals()
        .transcript(viewer.current.user.id, journal_id(id)?)
        .await
        .map_err(ApiError::from)?;
    let heard = state
        .transcript
        .as_ref()
        .map(|t| (t.language.clone(), t.language_probability, t.source));
    let mut tx = scoped::begin_for_user(&context.pool, viewer.current.user.id).await?;
    let versions = transcripts::for_journal(&mut tx, state.view.journal.id).await?;
    let older = neighbour(&mut tx, &state.view.journal, Direction::Older).await?;
    let newer = neighbour(&mut tx, &state.view.journal, Direction::Newer).await?;
    let (zone, _) = crate::db::days::zone_and_today(&mut *tx, viewer.current.user.id).await?;
    scoped::end_reading(tx);
    Ok(Entry {
        view: state.view,
        segments: state
            .transcript
            .map(|t| t.segments.map(|s| s.0).unwrap_or_default()),
        job: state.job,
        heard,
        progress: state.progress,
        versions,
        shown: None,
        older,
        newer,
        zone,
    })
}

/// Which way along the timeline.
#[derive(Debug, Clone, Copy)]
enum Direction {
    Older,
    Newer,
}

/// The user's entry next to `journal` in timeline order (`created_at`, then `id`, as the
/// timeline's keyset pages): the page's only query of this kind, so it lives with the page.
/// Row-level security keeps it to the user's own entries, and so does the `user_id` test.
async fn neighbour(
    tx: &mut UserTx,
    journal: &Journal,
    direction: Direction,
) -> Result<Option<Neighbour>, sqlx::Error> {
    let sql = match direction {
        Direction::Older => {
            "SELECT id, title FROM journals WHERE user_id = $1 AND (created_at, id) < ($2, $3)
             ORDER BY created_at DESC, id DESC LIMIT 1"
        }
        Direction::Newer => {
            "SELECT id, title FROM journals WHERE user_id = $1 AND (created_at, id) > ($2, $3)
             ORDER BY created_at, id LIMIT 1"
        }
    };
    sqlx::query_as::<_, Neighbour>(sql)
        .bind(journal.user_id)
        .bind(journal.created_at)
        .bind(journal.id)
        .fetch_optional(&mut **tx)
        .await
}

/// GET /entries/{id}.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<EntryQuery>,
) -> Result<Markup, WebError> {
    let mut entry = gather(&context, &viewer, &id).await?;
    if let Some(raw) = &query.version {
        let version = versions::find(&entry.versions, raw)?;
        // The current version is the page as it always is.
        if entry.versions.first().map(|t| t.id) != Some(version.id) {
            entry.segments = Some(
                version
                    .segments
                    .as_ref()
                    .map(|s| s.0.clone())
                    .unwrap_or_default(),
            );
            entry.shown = Some(version.clone());
        }
    }
    let saved = match query.saved.as_deref() {
        None => None,
        Some("version") => Some("Saved. That version is the current transcript again."),
        Some("transcript") => Some("Saved. Your correction is the current transcript."),
        Some(_) => Some("Saved."),
    };
    let start = query.t.and_then(|t| t.trim().parse::<f64>().ok());
    Ok(render(
        &context,
        &viewer,
        &entry,
        start,
        saved.map(|m| (true, m)),
        None,
    ))
}

/// Values typed into the edit form, shown again with an error.
struct Typed<'a> {
    form: &'a EditForm,
}

fn render(
    context: &ApiContext,
    viewer: &Viewer,
    entry: &Entry,
    start: Option<f64>,
    notice: Option<(bool, &str)>,
    typed: Option<Typed<'_>>,
) -> Markup {
    let journal = &entry.view.journal;
    let api = format!("/api/v1/journals/{}", journal.id);
    let start = start.filter(|t| t.is_finite() && *t > 0.0);
    let status = entry.view.transcript_status;
    let recorded = journal.media.has_recording();
    let scripts: &[&str] = if recorded { &["entry.js"] } else { &[] };
    // A saved correction, or a version made current again, is said beside the transcript.
    let (transcript_notice, notice) = match notice {
        Some((true, message)) if message.contains("transcript") => (Some(message), None),
        other => (None, other),
    };
    layout::page(
        Frame {
            title: &journal.title,
            viewer: Some(viewer),
            nav: Nav::None,
            // An entry of notes only has nothing to play, follow or transcribe.
            scripts,
        },
        html! {
            @if let Some((ok, message)) = notice { (layout::notice(ok, message)) }
            div.entry-layout #entry .notes-only[!recorded] data-journal=(journal.id)
                data-status=(status.as_str()) data-media=(journal.media.as_str())
                data-start=[start] data-time-zone=(entry.zone) {
                div.player-col {
                    (player(entry, &api, start))
                    header.entry-head {
                        h1 { (journal.title) }
                        p.meta {
                            (layout::date(journal.created_at))
                            @if recorded {
                                " · "
                                // The script writes the player's own figure here once it knows it.
                                span #duration { (layout::clock(journal.duration.into())) }
                            }
                            @if let Some(location) = &journal.location { " · " (location) }
                        }
                        div.card-foot {
                            // Words only: no transcript to wait for or miss.
                            @if recorded {
                                span #status aria-live="polite" { (layout::status_badge(status)) }
                            }
                            @for tag in &entry.view.tags { (layout::tag_link(tag)) }
                        }
                    }
                    @if let Some(notes) = &journal.notes {
                        div.notes { (notes) }
                    } @else if !recorded {
                        p.muted.notes { "This entry has no notes yet. Add them with Edit." }
                    }
                    @if !entry.versions.is_empty() {
                        (versions::section(journal.id, &entry.versions, entry.shown.as_ref().map(|v| v.id)))
                    }
                    (edit_form(viewer, &entry.view, typed))
                    (delete_form(viewer, &entry.view))
                    (neighbour_links(entry))
                }
                @if recorded {
                aside.transcript-col aria-labelledby="transcript-heading" {
                    div.transcript-head {
                        h2 #transcript-heading { "Transcript" }
                        @if entry.segments.as_ref().is_some_and(|s| !s.is_empty()) && entry.shown.is_none()
                            && !busy(status) {
                            button.secondary.small #correct type="button" hidden { "Correct" }
                        }
                    }
                    p.notice.ok #transcript-status role="status" hidden[transcript_notice.is_none()] {
                        @if let Some(message) = transcript_notice { (message) }
                    }
                    @if let Some(version) = &entry.shown {
                        (versions::older_banner(viewer, journal.id, version, status))
                    } @else if let Some(line) = language_line(entry) {
                        p.heard.muted #heard { (line) }
                    }
                    (transcript_body(context, viewer, entry, status))
                }
                }
            }
        },
    )
}

/// The player of an entry's recording: a video with its thumbnail as poster, or the sound
/// of an audio entry; both with the transcript as captions, and `#t=` to start at a moment.
/// An entry of notes only has none.
fn player(entry: &Entry, api: &str, start: Option<f64>) -> Markup {
    let media = entry.view.journal.media;
    let src = match start {
        Some(t) => format!("{api}/video#t={t}"),
        None => format!("{api}/video"),
    };
    let captions = html! {
        @if entry.segments.is_some() && entry.shown.is_none() {
            track kind="captions" srclang=(track_language(entry)) label="Transcript" default
                src={ (api) "/transcript.vtt" };
        }
    };
    // Shown by the script when the browser would not start the recording with its sound on
    // (autoplay rules).
    let cue = html! {
        div.player-cue #player-cue hidden {
            span #player-cue-text {}
            button.small #unmute type="button" hidden { "Unmute" }
            button.small #play-moment type="button" hidden { "Play" }
        }
    };
    html! {
        @match media {
            Media::Video => {
                div.player-wrap #player-wrap {
                    video #player controls playsinline preload="metadata"
                        poster={ (api) "/thumbnail" } src=(src) {
                        (captions)
                        p { "Your browser cannot play this video. " a href={ (api) "/video" } { "Download it" } "." }
                    }
                    (cue)
                }
            },
            Media::Audio => {
                div.player-wrap.audio-wrap #player-wrap {
                    span.audio-mark { (super::placeholder::microphone()) }
                    audio #player controls preload="metadata" src=(src)
                        aria-label={ "Sound recording: " (entry.view.journal.title) } {
                        (captions)
                        p { "Your browser cannot play this recording. " a href={ (api) "/video" } { "Download it" } "." }
                    }
                    (cue)
                }
            },
            Media::None => {},
        }
    }
}

/// Whether a transcription of the entry is queued or running.
fn busy(status: TranscriptStatus) -> bool {
    matches!(status, TranscriptStatus::Queued | TranscriptStatus::Running)
}

/// Links to the previous (older) and next (newer) entry, with their titles.
fn neighbour_links(entry: &Entry) -> Markup {
    html! {
        @if entry.older.is_some() || entry.newer.is_some() {
            nav.entry-nav aria-label="Older and newer entries" {
                @if let Some(older) = &entry.older {
                    a.entry-older rel="prev" href={ "/entries/" (older.id) } {
                        span.dir { "← Older" }
                        span.nav-title { (older.title) }
                    }
                }
                @if let Some(newer) = &entry.newer {
                    a.entry-newer rel="next" href={ "/entries/" (newer.id) } {
                        span.dir { "Newer →" }
                        span.nav-title { (newer.title) }
                    }
                }
            }
        }
    }
}

fn transcript_body(
    context: &ApiContext,
    viewer: &Viewer,
    entry: &Entry,
    status: TranscriptStatus,
) -> Markup {
    let id = entry.view.journal.id;
    let api = format!("/api/v1/journals/{id}");
    let can_retry = context.transcription.is_some() && !busy(status) && entry.shown.is_none();
    let has_lines = entry.segments.as_ref().is_some_and(|s| !s.is_empty());
    html! {
        @match status {
            TranscriptStatus::Queued | TranscriptStatus::Running => {
                p.waiting #waiting {
                    span.spinner aria-hidden="true" {}
                    span #progress-text { (progress_text(status, entry.progress.as_ref())) }
                    " This page updates by itself when the transcript is ready."
                }
                @if has_lines {
                    p.muted #correct-off {
                        "You can correct the transcript when this transcription is done: it will \
                         replace what is shown now."
                    }
                }
            },
            TranscriptStatus::Failed => {
                p.notice.error role="alert" {
                    "The transcription failed"
                    @if let Some(reason) = entry.job.as_ref().and_then(|j| j.last_error.as_deref()) {
                        ": " (reason)
                    }
                    "."
                }
            },
            _ => {},
        }
        @match &entry.segments {
            Some(segments) if !segments.is_empty() => {
                ol.segments #segments {
                    @for segment in segments {
                        li {
                            a.seg href={ "?t=" (segment.start) } data-start=(segment.start) data-end=(segment.end)
                                lang=[segment.language.as_deref()] {
                                span.ts { (layout::clock(segment.start)) }
                                span.text {
                                    @if let Some(code) = &segment.language {
                                        // A line in another language than the transcript's.
                                        span.lang title=(crate::domain::language_name(code)) { (code) }
                                        " "
                                    }
                                    (segment_text(segment))
                                }
                            }
                        }
                    }
                }
                p.downloads.muted {
                    "Captions: " a href={ (api) "/transcript.vtt" } download { "WebVTT" }
                    " · " a href={ (api) "/transcript.srt" } download { "SRT" }
                }
            },
            Some(_) => { p.muted { "Nothing was said in this recording, as far as the transcriber could hear." } },
            None if status == TranscriptStatus::None => { p.muted { "This entry has no transcript." } },
            None => {},
        }
        @if can_retry {
            form.retry method="post" action={ "/entries/" (id) "/retry" } {
                (layout::csrf_field(viewer))
                div.field.inline {
                    label for="retry-language" { "Language" }
                    (layout::language_select("retry-language", "language", None, Some("As in my settings")))
                    p.help.visually-hidden #retry-language-help { "The language to transcribe this entry in." }
                }
                @if entry.corrected() {
                    p.help #retry-warning {
                        "Your corrections will be replaced by a new transcript; they stay in \
                         Versions and can be restored."
                    }
                    div.check {
                        input #confirm-retry type="checkbox" name="confirm" value="yes" required
                            aria-describedby="retry-warning";
                        label for="confirm-retry" { "Replace my corrections with a new transcript" }
                    }
                }
                button.secondary type="submit" {
                    @if entry.segments.is_some() { "Transcribe again" } @else { "Transcribe" }
                }
            }
        }
    }
}

/// The language of the captions track (`en` when unknown).
fn track_language(entry: &Entry) -> String {
    entry
        .heard
        .as_ref()
        .and_then(|(language, _, _)| language.clone())
        .filter(|l| l.len() <= 3 && l.chars().all(|c| c.is_ascii_lowercase()))
        .unwrap_or_else(|| "en".to_string())
}

/// "Spanish, detected (97 % sure)", or "Spanish" when it was chosen, and whether a
/// person corrected it.
fn language_line(entry: &Entry) -> Option<String> {
    let (language, probability, source) = entry.heard.as_ref()?;
    let mut line = language
        .as_deref()
        .map(|code| crate::domain::language_name(code).to_string())?;
    if let Some(p) = probability {
        line.push_str(&format!(", detected ({:.0} % sure)", p * 100.0));
    }
    if *source == TranscriptSource::Person {
        line.push_str(" · corrected by hand");
    }
    Some(line)
}

/// Where a queued or running transcription stands, in words.
pub(super) fn progress_text(status: TranscriptStatus, progress: Option<&JobProgress>) -> String {
    match (status, progress) {
        (TranscriptStatus::Queued, Some(p)) => match p.queue_position {
            Some(1) => "Next in line for a transcriber.".to_string(),
            Some(2) => "Waiting for a transcriber: one recording ahead of this one.".to_string(),
            Some(n) => format!(
                "Waiting for a transcriber: {} recordings ahead of this one.",
                n - 1
            ),
            None => "Waiting for a transcriber…".to_string(),
        },
        (TranscriptStatus::Queued, None) => "Waiting for a transcriber…".to_string(),
        (_, Some(p)) => match (p.fraction_done, p.seconds_left) {
            (Some(f), Some(left)) => format!(
                "Transcribing… {:.0}% done, about {} left.",
                f * 100.0,
                layout::duration_words(left)
            ),
            (Some(f), None) => format!("Transcribing… {:.0}% done.", f * 100.0),
            _ => "Transcribing…".to_string(),
        },
        _ => "Transcribing…".to_string(),
    }
}

/// A segment's text, each word in a span with its time when the words spell the text (so
/// that the word being spoken can be highlighted, and a click on a word seeks there).
fn segment_text(segment: &Segment) -> Markup {
    let words: Vec<&str> = segment.words.iter().map(|w| w.word.as_str()).collect();
    let spelled = words.join(" ");
    if words.is_empty()
        || spelled
            .split_whitespace()
            .ne(segment.text.split_whitespace())
    {
        return html! { (segment.text) };
    }
    html! {
        @for (i, word) in segment.words.iter().enumerate() {
            @if i > 0 { " " }
            span.w data-start=(word.start) data-end=(word.end) { (word.word) }
        }
    }
}

fn edit_form(viewer: &Viewer, view: &JournalView, typed: Option<Typed<'_>>) -> Markup {
    let journal = &view.journal;
    let open = typed.is_some();
    let (title, location, notes, tag_list) = match &typed {
        Some(t) => (
            t.form.title.clone(),
            t.form.location.clone(),
            t.form.notes.clone(),
            t.form.tags.clone(),
        ),
        None => (
            journal.title.clone(),
            journal.location.clone().unwrap_or_default(),
            journal.notes.clone().unwrap_or_default(),
            view.tags.join(", "),
        ),
    };
    html! {
        details.panel #edit open[open] {
            summary { "Edit details" }
            form method="post" action={ "/entries/" (journal.id) } {
                (layout::csrf_field(viewer))
                div.field {
                    label for="title" { "Title" }
                    input #title name="title" type="text" value=(title) required maxlength="200";
                }
                div.field {
                    label for="location" { "Location" }
                    input #location name="location" type="text" value=(location) maxlength="500";
                }
                div.field {
                    label for="notes" { "Notes" }
                    textarea #notes name="notes" rows="4" { (notes) }
                }
                div.field {
                    label for="tags" { "Tags" }
                    input #tags name="tags" type="text" value=(tag_list) aria-describedby="tags-help" data-tags
                        autocapitalize="none";
                    p.help #tags-help { "Separate tags with commas." }
                }
                button.primary type="submit" { "Save changes" }
            }
        }
    }
}

fn delete_form(viewer: &Viewer, view: &JournalView) -> Markup {
    html! {
        details.panel.danger {
            summary { "Delete entry" }
            form method="post" action={ "/entries/" (view.journal.id) "/delete" } {
                (layout::csrf_field(viewer))
                p {
                    @match view.journal.media {
                        Media::Video => "The video, its transcript and its tags are deleted for good.",
                        Media::Audio => "The recording, its transcript and its tags are deleted for good.",
                        Media::None => "The entry, its notes and its tags are deleted for good.",
                    }
                }
                div.check {
                    input #confirm-delete type="checkbox" name="confirm" value="yes" required;
                    label for="confirm-delete" { "Yes, delete “" (view.journal.title) "”" }
                }
                button.danger type="submit" { "Delete entry" }
            }
        }
    }
}

/// POST /entries/{id}: title, location, notes and tags, in one transaction.
pub async fn edit(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    posted: Posted<EditForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    let journal = journal_id(&id)?;
    match save(&context, &viewer, journal, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/entries/{journal}?saved=1")).into_response()),
        Err(error) if error.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let entry = gather(&context, &viewer, &id).await?;
            let message = error.message().to_string();
            let markup = render(
                &context,
                &viewer,
                &entry,
                None,
                Some((false, &message)),
                Some(Typed { form: &form }),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, markup).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

async fn save(
    context: &ApiContext,
    viewer: &Viewer,
    journal: uuid::Uuid,
    form: &EditForm,
) -> Result<(), ApiError> {
    let changes = JournalChanges {
        title: Some(Title::parse(&form.title)?.into_string()),
        location: Some(optional_text(
            Some(&form.location),
            "location",
            MAX_LOCATION_CHARS,
        )?),
        notes: Some(optional_text(Some(&form.notes), "notes", MAX_NOTES_CHARS)?),
    };
    let tag_list = crate::domain::parse_tag_list(&form.tags).map_err(|e| e.in_field("tags"))?;
    context
        .journals()
        .edit(viewer.current.user.id, journal, &changes, Some(&tag_list))
        .await?;
    Ok(())
}

/// POST /entries/{id}/delete.
pub async fn delete(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    posted: Posted<DeleteForm>,
) -> Result<Response, WebError> {
    if posted.form.confirm.is_none() {
        return Err(ApiError::invalid(
            "confirm",
            "tick the box to confirm that the entry should be deleted",
        )
        .into());
    }
    let user = posted.viewer.current.user.id;
    context
        .journals()
        .delete(user, journal_id(&id)?)
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to("/").into_response())
}

/// POST /entries/{id}/retry: transcribe again, in the language chosen.
pub async fn retry(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    posted: Posted<RetryForm>,
) -> Result<Response, WebError> {
    let journal = journal_id(&id)?;
    let user = posted.viewer.current.user.id;
    let language = Some(posted.form.language.trim()).filter(|l| !l.is_empty());
    let corrected = context
        .journals()
        .transcript(user, journal)
        .await
        .map_err(ApiError::from)?
        .transcript
        .is_some_and(|t| t.source == TranscriptSource::Person);
    if corrected && posted.form.confirm.is_none() {
        return Err(ApiError::invalid(
            "confirm",
            "tick the box to confirm that a new transcript may replace your corrections \
             (they stay in Versions and can be restored)",
        )
        .into());
    }
    context
        .journals()
        .transcribe_again(user, journal, context.transcription, language)
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to(&format!("/entries/{journal}")).into_response())
}
