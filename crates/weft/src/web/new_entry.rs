//! A new entry (`/new`): record with the camera and microphone, or choose a file, then
//! upload it with a progress bar. The script sends the form to `POST /api/v1/journals`.

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
                section.recorder aria-labelledby="video-heading" {
                    h2.visually-hidden #video-heading { "Video" }
                    div.mode role="group" aria-label="How to add the video" {
                        button.secondary #mode-record type="button" aria-pressed="true" { "Record" }
                        button.secondary #mode-file type="button" aria-pressed="false" { "Choose a file" }
                    }
                    div #record-panel {
                        div.stage {
                            video #preview playsinline muted aria-label="Camera preview" {}
                            div.stage-empty #stage-empty {
                                p { "Your camera's picture appears here." }
                                button.primary #camera-on type="button" { "Turn on camera and microphone" }
                            }
                            p.timer #timer role="timer" aria-live="off" hidden { span.rec-dot aria-hidden="true" {} span #timer-text { "0:00" } }
                        }
                        div.controls {
                            button.record #record type="button" disabled { "Start recording" }
                            button.secondary #stop type="button" hidden { "Stop" }
                            button.secondary #retake type="button" hidden { "Retake" }
                        }
                    }
                    div #file-panel hidden {
                        div.field {
                            label for="video-file" { "Video file" }
                            input #video-file name="video" type="file" accept="video/*,.mp4,.mov,.webm,.mkv"
                                aria-describedby="file-help";
                            p.help #file-help { "MP4, MOV, WebM or MKV, up to " (limit_mb) " MB." }
                        }
                    }
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
