//! Two-factor sign-in pages: setting up an authenticator app (`/account/two-factor`: a QR
//! code drawn here as SVG, the secret in text, a code to confirm, then the recovery codes
//! shown once), turning it off, and the second step of signing in (`/signin/second-factor`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::{safe_next, AnonymousForm, Posted, WebError};
use super::viewer::Viewer;
use crate::accounts::totp;
use crate::api::cookies::add_session_cookies;
use crate::api::current::ClientInfo;
use crate::api::{ApiContext, ApiError};
use crate::domain::Secret;

/// What authenticator apps show as the account's issuer.
const ISSUER: &str = "Weft";

/// Query of the setup page: what just happened.
#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    done: Option<String>,
}

/// A code from the app (or a recovery code).
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: Secret,
}

/// Turning two-factor sign-in off: the password and a code.
#[derive(Debug, Deserialize)]
pub struct DisableForm {
    password: Secret,
    code: Secret,
}

/// The second step of signing in.
#[derive(Debug, Deserialize)]
pub struct SecondStepForm {
    challenge: String,
    code: Secret,
    next: Option<String>,
}

/// The QR code of `uri` as inline SVG (drawn here: no image service learns the secret).
fn qr_svg(uri: &str) -> Markup {
    let svg = match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        // A URI of a few dozen bytes always fits a QR code; the secret in text still works.
        Err(_) => String::new(),
    };
    // The renderer starts with an XML declaration, which has no place inside HTML.
    let svg = svg.find("<svg").map_or("", |at| &svg[at..]).to_string();
    html! {
        div.qr role="img" aria-label="QR code to scan with your authenticator app" {
            (PreEscaped(svg))
        }
    }
}

/// GET /account/two-factor.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<SetupQuery>,
) -> Result<Markup, WebError> {
    let notice = match query.done.as_deref() {
        Some("off") => Some((
            true,
            "Two-factor sign-in is off. Sign-ins ask only for your password.",
        )),
        _ => None,
    };
    render(&context, &viewer, notice).await
}

async fn render(
    context: &ApiContext,
    viewer: &Viewer,
    notice: Option<(bool, &str)>,
) -> Result<Markup, WebError> {
    let accounts = context.accounts();
    let user = &viewer.current.user;
    let on = accounts
        .two_factor_enabled(user.id)
        .await
        .map_err(ApiError::from)?;
    let pending = if on {
        None
    } else {
        accounts
            .pending_two_factor(user.id)
            .await
            .map_err(ApiError::from)?
    };
    let left = crate::db::second_factor::recovery_codes_left(&context.pool, user.id).await?;
    Ok(layout::page(
        Frame {
            title: "Two-factor sign-in",
            viewer: Some(viewer),
            nav: Nav::Account,
            scripts: &[],
        },
        html! {
            div.page-head { h1 { "Two-factor sign-in" } }
            p { a href="/account" { "Back to your account" } }
            section.card.wide.two-factor aria-labelledby="two-factor-heading" {
                @if on {
                    h2 #two-factor-heading { "On" }
                    @if let Some((ok, message)) = notice { (layout::notice(ok, message)) }
                    p {
                        "Signing in asks for your password and a code from your authenticator "
                        "app. You have " strong { (left) } " unused recovery codes."
                    }
                    h3 { "Turn it off" }
                    form method="post" action="/account/two-factor/disable" {
                        (layout::csrf_field(viewer))
                        div.field {
                            label for="disable-password" { "Password" }
                            input #disable-password name="password" type="password" required
                                autocomplete="current-password";
                        }
                        div.field {
                            label for="disable-code" { "Code from your app, or a recovery code" }
                            input #disable-code name="code" type="text" required
                                autocomplete="one-time-code" inputmode="numeric"
                                autocapitalize="none" spellcheck="false";
                        }
                        button.danger type="submit" { "Turn off two-factor sign-in" }
                    }
                } @else if let Some(pending) = pending {
                    h2 #two-factor-heading { "Scan, then confirm" }
                    @if let Some((ok, message)) = notice { (layout::notice(ok, message)) }
                    ol.steps {
                        li { "Open your authenticator app (such as Aegis, 2FAS, Google Authenticator or 1Password) and add an account." }
                        li { "Scan this QR code, or type the key below." }
                        li { "Type the six-digit code the app shows to confirm." }
                    }
                    @let uri = totp::otpauth_uri(ISSUER, &user.username, &pending.secret);
                    (qr_svg(&uri))
                    p { "Key: " code.totp-secret #totp-secret { (totp::base32(&pending.secret)) } }
                    p { a href=(uri) { "Open in an authenticator app on this device" } }
                    form method="post" action="/account/two-factor/confirm" {
                        (layout::csrf_field(viewer))
                        div.field {
                            label for="confirm-code" { "Six-digit code" }
                            input #confirm-code name="code" type="text" required
                                autocomplete="one-time-code" inputmode="numeric"
                                pattern="[0-9 ]{6,7}" maxlength="7" autofocus;
                        }
                        button.primary type="submit" { "Confirm and turn on" }
                    }
                    form method="post" action="/account/two-factor/setup" {
                        (layout::csrf_field(viewer))
                        button.secondary.small type="submit" { "Start over with a new key" }
                    }
                } @else {
                    h2 #two-factor-heading { "Off" }
                    @if let Some((ok, message)) = notice { (layout::notice(ok, message)) }
                    p {
                        "With two-factor sign-in, signing in needs your password and a code from "
                        "an app on your phone, so a stolen password alone is not enough."
                    }
                    form method="post" action="/account/two-factor/setup" {
                        (layout::csrf_field(viewer))
                        button.primary type="submit" { "Set up two-factor sign-in" }
                    }
                }
            }
        },
    ))
}

/// The page again with the refusal's sentence, for errors a person can fix.
async fn refused(
    context: &ApiContext,
    viewer: &Viewer,
    error: ApiError,
) -> Result<Response, WebError> {
    let status = error.status();
    if !status.is_client_error() || status == StatusCode::UNAUTHORIZED {
        return Err(error.into());
    }
    let message = error.message().to_string();
    Ok((
        status,
        render(context, viewer, Some((false, &message))).await?,
    )
        .into_response())
}

/// POST /account/two-factor/setup: a new key, waiting for its confirming code.
pub async fn setup(
    State(context): State<ApiContext>,
    posted: Posted<super::auth::Empty>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    match context
        .accounts()
        .begin_two_factor(&viewer.current.user)
        .await
    {
        Ok(_) => Ok(Redirect::to("/account/two-factor").into_response()),
        Err(error) => refused(&context, &viewer, error.into()).await,
    }
}

/// POST /account/two-factor/confirm: on, and the recovery codes shown this once.
pub async fn confirm(
    State(context): State<ApiContext>,
    posted: Posted<CodeForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    let codes = match context
        .accounts()
        .confirm_two_factor(&viewer.current.user, &form.code)
        .await
    {
        Ok(codes) => codes,
        Err(error) => return refused(&context, &viewer, error.into()).await,
    };
    Ok(layout::page(
        Frame {
            title: "Recovery codes",
            viewer: Some(&viewer),
            nav: Nav::Account,
            scripts: &[],
        },
        html! {
            div.page-head { h1 { "Two-factor sign-in is on" } }
            section.card.wide.two-factor aria-labelledby="codes-heading" {
                h2 #codes-heading { "Your recovery codes" }
                (layout::notice(true, "From now on, signing in asks for a code from your app."))
                p {
                    "If you lose your phone, each of these codes signs you in once instead of a "
                    "code from the app. Keep them somewhere safe: they are shown only now."
                }
                ul.recovery-codes #recovery-codes {
                    @for code in &codes { li { code { (code) } } }
                }
                p { a.button.primary href="/account" { "I have saved them" } }
            }
        },
    )
    .into_response())
}

/// POST /account/two-factor/disable.
pub async fn disable(
    State(context): State<ApiContext>,
    posted: Posted<DisableForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    match context
        .accounts()
        .disable_two_factor(&viewer.current.user, &form.password, &form.code)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/two-factor?done=off").into_response()),
        Err(error) => refused(&context, &viewer, error.into()).await,
    }
}

/// The second step of signing in: a code for the challenge the right password started.
pub fn second_step_view(challenge: &str, next: &str, error: Option<&str>) -> Markup {
    layout::page(
        Frame {
            title: "Two-factor sign-in",
            viewer: None,
            nav: Nav::None,
            scripts: &[],
        },
        html! {
            section.narrow.card.auth {
                h1 { "One more step" }
                p.muted { "Type the six-digit code your authenticator app shows for Weft." }
                @if let Some(message) = error { (layout::notice(false, message)) }
                form method="post" action="/signin/second-factor" {
                    input type="hidden" name="challenge" value=(challenge);
                    input type="hidden" name="next" value=(next);
                    div.field {
                        label for="code" { "Code" }
                        input #code name="code" type="text" required autofocus
                            autocomplete="one-time-code" inputmode="numeric"
                            autocapitalize="none" spellcheck="false"
                            aria-describedby="code-help";
                        p.help #code-help { "Lost your phone? Type one of your recovery codes instead." }
                    }
                    button.primary.wide type="submit" { "Sign in" }
                }
                p.muted.center { a href="/signin" { "Start again" } }
            }
        },
    )
}

/// POST /signin/second-factor.
pub async fn second_step(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    AnonymousForm(form): AnonymousForm<SecondStepForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let accounts = context.accounts();
    let signed_in = async {
        let user = accounts
            .answer_challenge(client.as_client(), &form.challenge, &form.code)
            .await?;
        accounts.start_session(&user, client.as_client()).await
    };
    match signed_in.await {
        Ok(session) => (
            add_session_cookies(&context.auth, jar, &session),
            Redirect::to(&next),
        )
            .into_response(),
        Err(error) => {
            let error = ApiError::from(error);
            let (status, message) = (error.status(), error.message().to_string());
            drop(error.into_response());
            (
                status,
                second_step_view(&form.challenge, &next, Some(&message)),
            )
                .into_response()
        }
    }
}
