//! The import page (`/import`): upload a Day One export, which starts an import in the
//! background, then follow it at `/import/{id}`. Works without JavaScript: the form is a
//! plain multipart post, and a running import's page asks the browser to reload it every
//! two seconds (the `Refresh` header) until it is done.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::layout::{self, Frame, Nav};
use super::session::{authenticate, WebError};
use super::viewer::Viewer;
use crate::api::export_upload::{self, start_error};
use crate::api::{ApiContext, ApiError};
use crate::imports::runs::{self, RunView};

/// Seconds between reloads of a running import's page.
const RELOAD_SECONDS: u32 = 2;

/// GET /import: the upload form and the latest imports.
pub async fn page(State(context): State<ApiContext>, viewer: Viewer) -> Result<Markup, WebError> {
    let latest = runs::latest(&context.pool, viewer.current.user.id, 5).await?;
    let limit_mib = context.limits.upload_bytes.div_ceil(1024 * 1024);
    Ok(layout::page(
        Frame {
            title: "Import",
            viewer: Some(&viewer),
            nav: Nav::Account,
            scripts: &[],
        },
        html! {
            div.page-head { h1 { "Import from Day One" } }
            section.card.wide.import aria-labelledby="import-heading" {
                h2 #import-heading { "Upload an export" }
                p {
                    "In Day One, choose Settings, Import/Export, Export, JSON, and upload the "
                    ".zip it makes (up to " (limit_mib) " MiB). Entries with a video or an audio "
                    "recording become entries here and are transcribed; entries of text become "
                    "entries of notes. Photos are not imported. Importing the same export again "
                    "adds nothing."
                }
                form method="post" action="/import" enctype="multipart/form-data" {
                    // Before the file: the token is checked before the upload is received.
                    (layout::csrf_field(&viewer))
                    div.field {
                        label for="export" { "Day One export (.zip)" }
                        input #export type="file" name="export" accept=".zip,application/zip" required;
                    }
                    button.primary type="submit" { "Import" }
                }
            }
            @if !latest.is_empty() {
                section.card.wide aria-labelledby="latest-heading" {
                    h2 #latest-heading { "Your latest imports" }
                    ul.import-runs {
                        @for run in &latest {
                            li {
                                a href={ "/import/" (run.id) } { (layout::date(run.created_at)) }
                                " · " (state_words(run))
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// POST /import: receives the zip (after the form's token) and starts the import.
pub async fn upload(
    State(context): State<ApiContext>,
    request: Request,
) -> Result<Response, WebError> {
    let (mut parts, body) = request.into_parts();
    let viewer = authenticate(&mut parts, &context).await?;
    let multipart = Multipart::from_request(Request::from_parts(parts, body), &context)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the import form as multipart/form-data.",
            )
        })?;
    let zip = export_upload::receive(&context, multipart, Some(&viewer.csrf)).await?;
    let id = runs::start_dayone(context.ingest(), viewer.current.user.id, zip)
        .await
        .map_err(start_error)?;
    Ok(Redirect::to(&format!("/import/{id}")).into_response())
}

/// GET /import/{id}: an import's progress, then its result.
pub async fn run(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = crate::api::parse_id(&id).ok_or_else(|| ApiError::not_found("import"))?;
    let run = runs::find(&context.pool, viewer.current.user.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("import"))?;
    let report = &run.report;
    let running = run.state == "running";
    let markup = layout::page(
        Frame {
            title: "Import",
            viewer: Some(&viewer),
            nav: Nav::Account,
            scripts: &[],
        },
        html! {
            div.page-head { h1 { "Import from Day One" } }
            section.card.wide.import aria-labelledby="run-heading" aria-live="polite" {
                h2 #run-heading { (state_words(&run)) }
                @if let Some(error) = &run.error { (layout::notice(false, error)) }
                @if running {
                    progress #import-progress max=(report.total.max(1)) value=(report.done) {
                        (report.done) " of " (report.total)
                    }
                    p.help { "This page reloads by itself. You can leave it: the import goes on." }
                }
                dl.import-counts {
                    dt { "Entries" } dd #import-done { (report.done) " of " (report.total) " read" }
                    dt { "Imported" } dd #import-imported { (report.imported) }
                    dt { "Already imported" } dd #import-already { (report.already) }
                    dt { "Skipped" } dd #import-skipped { (report.skipped.len()) }
                }
                @if !report.skipped.is_empty() {
                    h3 { "Skipped entries" }
                    ul.import-skipped {
                        @for problem in &report.skipped {
                            li { strong { (problem.what) } ": " (layout::sentence(&problem.reason)) }
                        }
                    }
                }
                p { a href="/" { "See your entries" } " · " a href="/import" { "Import another export" } }
            }
        },
    );
    let mut response = markup.into_response();
    if running {
        let refresh = format!("{RELOAD_SECONDS}; url=/import/{id}");
        if let Ok(value) = HeaderValue::from_str(&refresh) {
            response.headers_mut().insert(header::REFRESH, value);
        }
    }
    Ok(response)
}

fn state_words(run: &RunView) -> String {
    let report = &run.report;
    match run.state.as_str() {
        "running" => format!("Importing… {} of {} entries", report.done, report.total),
        "done" => format!(
            "Done: {} imported, {} already imported, {} skipped",
            report.imported,
            report.already,
            report.skipped.len()
        ),
        _ => "The import stopped".to_string(),
    }
}
