//! A new entry (`/new`): record with the camera and microphone, or choose a file, see it
//! with its length, then upload it with a progress bar. The script sends the form to
//! `POST /api/v1/journals`.

use axum::extract::State;
use chrono::Utc;
use maud::{html, Markup};

use super::layout::{self, Frame, Nav};
use super::viewer::Viewer;
use crate::api::ApiContext;

/// GET /new.
pub async fn page(State(context): State<ApiContext>, viewer: Viewer) -> Markup {
    let limit_mb = context.limits.upload_bytes / (1024 * 1024);
    let title = Utc::now().format("%A, %-d %B").to_string();
    layout::page(
        Frame {
            title: "New entry",
            viewer: Some(&viewer),
            nav: Nav::New,
            scripts: &["record.js"],
        },
        html! {
            div.page-head { h1 { "New entry" } }
            noscript {
                (layout::notice(false, "Recording and uploading need JavaScript. Turn it on for this site, or upload with the API (POST /api/v1/journals)."))
            }
            form.new-entry #new-entry method="post" action="/api/v1/journals"
                enctype="multipart/form-data" data-limit=(context.limits.upload_bytes) novalidate {
                // One step for the video: record it here, or choose a file; either shows in
                // the same preview, with its length, before it is saved.
                section.recorder aria-labelledby="video-heading" {
                    h2.visually-hidden #video-heading { "Video" }
                    div.stage {
                        video #preview playsinline muted aria-label="Video preview" {}
                        div.stage-empty #stage-empty {
                            p { "Record with your camera, or choose a video file." }
                            button.primary #camera-on type="button" { "Turn on camera and microphone" }
                        }
                        p.timer #timer role="timer" aria-live="off" hidden { span.rec-dot aria-hidden="true" {} span #timer-text { "0:00" } }
                    }
                    div.controls {
                        button.record #record type="button" disabled { "Start recording" }
                        button.secondary #stop type="button" hidden { "Stop" }
                        button.secondary #retake type="button" hidden { "Record again" }
                        button.secondary #record-instead type="button" hidden { "Record instead" }
                        label.button.secondary.file-button for="video-file" { "Choose a video file" }
                        input.visually-hidden #video-file name="video" type="file"
                            accept="video/*,.mp4,.mov,.webm,.mkv" aria-describedby="file-help";
                    }
                    p.help #file-help { "MP4, MOV, WebM or MKV, up to " (limit_mb) " MB." }
                    p.chosen #chosen aria-live="polite" hidden {}
                    p.notice.error #video-error role="alert" hidden {}
                }
                section.details aria-labelledby="details-heading" {
                    h2 #details-heading { "Details" }
                    div.field {
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
                    }
                    p.notice.error #form-error role="alert" hidden {}
                    button.primary.wide #save type="submit" disabled { "Save entry" }
                }
            }
        },
    )
}
