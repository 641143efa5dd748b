//! Account settings (`/account`): transcription language, time zone, username and email,
//! password, sessions, and deleting the account. The forms call the API's own handlers.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::{Posted, WebError};
use super::viewer::Viewer;
use crate::api::cookies::clear_cookies;
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::db::sessions::{self, Session};
use crate::domain::Secret;

/// Query of the account page: which change just succeeded.
#[derive(Debug, Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
}

/// Username and email; the current password confirms.
#[derive(Debug, Deserialize)]
pub struct IdentityForm {
    username: String,
    email: String,
    password: Secret,
}

/// A new password, typed twice.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current: Secret,
    new: Secret,
    repeat: Secret,
}

/// The transcription language: a code, or `auto`.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    language: String,
}

/// The time zone: a name PostgreSQL knows, or empty for UTC.
#[derive(Debug, Deserialize)]
pub struct TimeZoneForm {
    time_zone: String,
}

/// Deleting the account: the password and a ticked box.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    password: Secret,
    confirm: Option<String>,
}

/// Which section a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Language,
    TimeZone,
    Identity,
    Password,
    Sessions,
    Delete,
    /// Personal API tokens (web/tokens.rs).
    Tokens,
    /// Single sign-on (web/oidc.rs).
    SignOn,
}

/// A message shown in one section.
struct Feedback<'a> {
    section: Section,
    ok: bool,
    message: &'a str,
}

/// GET /account.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<AccountQuery>,
) -> Result<Markup, WebError> {
    let feedback = match query.done.as_deref() {
        Some("identity") => Some((Section::Identity, "Saved your username and email.")),
        Some("password") => Some((
            Section::Password,
            "Password changed. Your other sessions were signed out.",
        )),
        Some("revoked") => Some((Section::Sessions, "That session is signed out.")),
        Some("token-revoked") => Some((Section::Tokens, "That API token no longer works.")),
        Some("language") => Some((
            Section::Language,
            "Saved. New recordings are transcribed in this language.",
        )),
        Some("time-zone") => Some((
            Section::TimeZone,
            "Saved. Days on your timeline and calendar follow this time zone.",
        )),
        Some("linked") => Some((Section::SignOn, "Linked. You can now sign in with it.")),
        Some("unlinked") => Some((Section::SignOn, "Unlinked.")),
        _ => None,
    }
    .map(|(section, message)| Feedback {
        section,
        ok: true,
        message,
    });
    render(&context, &viewer, feedback).await
}

async fn render(
    context: &ApiContext,
    viewer: &Viewer,
    feedback: Option<Feedback<'_>>,
) -> Result<Markup, WebError> {
    let list = sessions::list(&context.pool, viewer.current.user.id).await?;
    let language = context
        .accounts()
        .transcription_language(viewer.current.user.id)
        .await
        .map_err(ApiError::from)?;
    let zone = context
        .accounts()
        .time_zone(viewer.current.user.id)
        .await
        .map_err(ApiError::from)?;
    let zones = context
        .accounts()
        .time_zone_names()
        .await
        .map_err(ApiError::from)?;
    // Two-factor sign-in and API tokens (web/two_factor.rs, web/tokens.rs).
    let two_factor_on = context
        .accounts()
        .two_factor_enabled(viewer.current.user.id)
        .await
        .map_err(ApiError::from)?;
    let api_tokens = context
        .accounts()
        .api_tokens(viewer.current.user.id)
        .await
        .map_err(ApiError::from)?;
    let user = &viewer.current.user;
    let say = |section: Section| -> Markup {
        match &feedback {
            Some(f) if f.section == section => layout::notice(f.ok, f.message),
            _ => html! {},
        }
    };
    let sign_on = super::oidc::account_block(context, viewer, say(Section::SignOn)).await?;
    let sso_sessions =
        crate::db::identities::single_sign_on_sessions(&context.pool, user.id).await?;
    Ok(layout::page(
        Frame {
            title: "Account",
            viewer: Some(viewer),
            nav: Nav::Account,
            scripts: &["timezone.js"],
        },
        html! {
            // Signing out is in the header, on every page.
            div.page-head { h1 { "Account" } }
            p.account-import { a href="/import" { "Import entries from Day One" } }
            div.settings {
                section.card.wide aria-labelledby="language-heading" {
                    h2 #language-heading { "Transcription language" }
                    (say(Section::Language))
                    form method="post" action="/account/language" {
                        (layout::csrf_field(viewer))
                        div.field {
                            label for="language" { "The language you speak in your recordings" }
                            (layout::language_select("language", "language", language.as_deref(), None))
                            p.help #language-help {
                                "“Detect” works out the language of each recording, and of each part "
                                "of one in which you switch languages. Choosing yours is a little faster "
                                "and avoids a wrong guess on short recordings."
                            }
                        }
                        button.primary type="submit" { "Save language" }
                    }
                }
                section.card.wide aria-labelledby="time-zone-heading" {
                    h2 #time-zone-heading { "Time zone" }
                    (say(Section::TimeZone))
                    form method="post" action="/account/time-zone" {
                        (layout::csrf_field(viewer))
                        div.field {
                            label for="time-zone" { "Your time zone" }
                            input #time-zone name="time_zone" type="text" list="time-zones"
                                value=[zone.as_deref()] placeholder="UTC" autocomplete="off"
                                autocapitalize="none" spellcheck="false"
                                aria-describedby="time-zone-help" data-browser-zone;
                            datalist #time-zones {
                                @for name in zones { option value=(name) {} }
                            }
                            p.help #time-zone-help {
                                "Which day an entry belongs to on the timeline, in the calendar and in "
                                "“On this day”: a name such as Europe/Lisbon or America/New_York. "
                                "Empty is UTC."
                            }
                            p.help #time-zone-browser hidden {}
                        }
                        button.primary type="submit" { "Save time zone" }
                    }
                }
                section.card aria-labelledby="identity-heading" {
                    h2 #identity-heading { "Username and email" }
                    (say(Section::Identity))
                    form method="post" action="/account/identity" {
                        (layout::csrf_field(viewer))
                        div.field {
                            label for="username" { "Username" }
                            input #username name="username" type="text" value=(user.username) required
                                autocomplete="username" autocapitalize="none" spellcheck="false";
                        }
                        div.field {
                            label for="email" { "Email" }
                            input #email name="email" type="email" value=(user.email) required autocomplete="email";
                        }
                        div.field {
                            label for="identity-password" { "Current password" }
                            input #identity-password name="password" type="password" required autocomplete="current-password";
                        }
                        button.primary type="submit" { "Save" }
                    }
                }
                section.card aria-labelledby="password-heading" {
                    h2 #password-heading { "Password" }
                    (say(Section::Password))
                    form method="post" action="/account/password" {
                        (layout::csrf_field(viewer))
                        div.field {
                            label for="current" { "Current password" }
                            input #current name="current" type="password" required autocomplete="current-password";
                        }
                        div.field {
                            label for="new" { "New password" }
                            input #new name="new" type="password" required minlength="8" autocomplete="new-password";
                        }
                        div.field {
                            label for="repeat" { "New password again" }
                            input #repeat name="repeat" type="password" required minlength="8" autocomplete="new-password";
                        }
                        button.primary type="submit" { "Change password" }
                    }
                }
                // Two-factor sign-in: its own page (web/two_factor.rs).
                section.card aria-labelledby="two-factor-heading" {
                    h2 #two-factor-heading { "Two-factor sign-in" }
                    @if two_factor_on {
                        p { span.badge.status-done { "On" } " Signing in asks for a code from your app." }
                        a.button.secondary href="/account/two-factor" { "Manage two-factor sign-in" }
                    } @else {
                        p { "Off. A code from an app on your phone can guard your account besides the password." }
                        a.button.secondary href="/account/two-factor" { "Set up two-factor sign-in" }
                    }
                }
                (super::tokens::section(viewer, &api_tokens, say(Section::Tokens)))
                (sign_on)
                section.card.wide aria-labelledby="sessions-heading" {
                    h2 #sessions-heading { "Where you are signed in" }
                    (say(Section::Sessions))
                    ul.sessions {
                        @for session in &list { li { (session_row(viewer, session, sso_sessions.contains(&session.id))) } }
                    }
                }
                // Export: "Download my journal" (docs/export.md).
                section.card.wide.export aria-labelledby="export-heading" {
                    h2 #export-heading { "Download my journal" }
                    p {
                        "Everything you keep here in one zip: each entry's recording, transcript "
                        "(with every correction) and notes, and a page that plays them all in a "
                        "browser, without Weft."
                    }
                    a.button.secondary #export-download href="/account/export.zip" download { "Download my journal" }
                }
                section.card.wide.danger aria-labelledby="delete-heading" {
                    h2 #delete-heading { "Delete account" }
                    (say(Section::Delete))
                    p { "Every entry, video, transcript and tag of yours is deleted for good. This cannot be undone." }
                    form method="post" action="/account/delete" {
                        (layout::csrf_field(viewer))
                        div.field {
                            label for="delete-password" { "Password" }
                            input #delete-password name="password" type="password" required autocomplete="current-password";
                        }
                        div.check {
                            input #delete-confirm type="checkbox" name="confirm" value="yes" required;
                            label for="delete-confirm" { "Yes, delete my account and everything in it" }
                        }
                        button.danger type="submit" { "Delete my account" }
                    }
                }
            }
        },
    ))
}

fn session_row(viewer: &Viewer, session: &Session, single_sign_on: bool) -> Markup {
    let this = session.id == viewer.current.session_id;
    html! {
        div.session {
            div {
                p.device {
                    (device(session.user_agent.as_deref()))
                    @if this { " " span.badge.status-done { "This device" } }
                    @if single_sign_on { " " span.badge { "Single sign-on" } }
                }
                p.meta {
                    "Last active " (layout::date(session.last_seen_at))
                    @if let Some(ip) = &session.ip { " · " (ip) }
                }
            }
            @if !this {
                form method="post" action={ "/account/sessions/" (session.id) "/revoke" } {
                    (layout::csrf_field(viewer))
                    button.secondary.small type="submit" { "Sign out" span.visually-hidden { " this session" } }
                }
            }
        }
    }
}

/// A short name for a browser from its user agent.
fn device(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent else {
        return "Unknown device".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| agent.contains(needle))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS X", "macOS"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| agent.contains(needle))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => s.to_string(),
        (None, None) => agent.chars().take(60).collect(),
    }
}

/// Shows the page again with the API's message in `section`, for errors a person can fix.
pub(super) async fn refused(
    context: &ApiContext,
    viewer: &Viewer,
    section: Section,
    error: ApiError,
) -> Result<Response, WebError> {
    let status = error.status();
    if !status.is_client_error() || status == StatusCode::UNAUTHORIZED {
        return Err(error.into());
    }
    let message = error.message().to_string();
    let feedback = Feedback {
        section,
        ok: false,
        message: &message,
    };
    Ok((status, render(context, viewer, Some(feedback)).await?).into_response())
}

/// POST /account/identity.
pub async fn identity(
    State(context): State<ApiContext>,
    posted: Posted<IdentityForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    let changed = context
        .accounts()
        .update_identity(
            &viewer.current.user,
            Some(&form.username),
            Some(&form.email),
            &form.password,
        )
        .await;
    match changed {
        Ok(_) => Ok(Redirect::to("/account?done=identity").into_response()),
        Err(error) => refused(&context, &viewer, Section::Identity, error.into()).await,
    }
}

/// POST /account/language.
pub async fn language(
    State(context): State<ApiContext>,
    posted: Posted<LanguageForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    let changed = context
        .accounts()
        .set_transcription_language(viewer.current.user.id, &form.language)
        .await;
    match changed {
        Ok(_) => Ok(Redirect::to("/account?done=language").into_response()),
        Err(error) => refused(&context, &viewer, Section::Language, error.into()).await,
    }
}

/// POST /account/time-zone.
pub async fn time_zone(
    State(context): State<ApiContext>,
    posted: Posted<TimeZoneForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    let changed = context
        .accounts()
        .set_time_zone(viewer.current.user.id, &form.time_zone)
        .await;
    match changed {
        Ok(_) => Ok(Redirect::to("/account?done=time-zone").into_response()),
        Err(error) => refused(&context, &viewer, Section::TimeZone, error.into()).await,
    }
}

/// POST /account/password.
pub async fn password(
    State(context): State<ApiContext>,
    posted: Posted<PasswordForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    if form.new != form.repeat {
        let error = ApiError::invalid("repeat", "the two new passwords are not the same");
        return refused(&context, &viewer, Section::Password, error).await;
    }
    let changed = context
        .accounts()
        .change_password(
            &viewer.current.user,
            viewer.current.session_id,
            &form.current,
            &form.new,
        )
        .await;
    match changed {
        Ok(()) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(error) => refused(&context, &viewer, Section::Password, error.into()).await,
    }
}

/// POST /account/sessions/{id}/revoke.
pub async fn revoke(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    posted: Posted<super::auth::Empty>,
) -> Result<Response, WebError> {
    let user = posted.viewer.current.user.id;
    let id = crate::api::parse_id(&id).ok_or_else(|| ApiError::not_found("session"))?;
    if !context
        .accounts()
        .end_session(user, id)
        .await
        .map_err(ApiError::from)?
    {
        return Err(ApiError::not_found("session").into());
    }
    Ok(Redirect::to("/account?done=revoked").into_response())
}

/// POST /account/delete.
pub async fn delete(
    State(context): State<ApiContext>,
    jar: CookieJar,
    posted: Posted<DeleteForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    if form.confirm.is_none() {
        let error = ApiError::invalid("confirm", "tick the box to confirm the deletion");
        return refused(&context, &viewer, Section::Delete, error).await;
    }
    let deleted = context
        .accounts()
        .delete(&viewer.current.user, &form.password, &context.storage)
        .await;
    match deleted {
        Ok(()) => Ok((clear_cookies(jar), Redirect::to("/signin?done=deleted")).into_response()),
        Err(error) => refused(&context, &viewer, Section::Delete, error.into()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_get_short_names() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/120.0 Safari/537.36";
        assert_eq!(device(Some(chrome)), "Chrome on Linux");
        assert_eq!(device(Some("curl/8.1")), "curl");
        assert_eq!(device(None), "Unknown device");
    }
}
