//! Sign in, sign up and sign out. The forms go through the accounts service and set the
//! API's cookies, so the rules (validation, throttling, sessions) are the API's.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::{safe_next, AnonymousForm, Posted, WebError};
use super::viewer::Viewer;
use crate::accounts::AccountError;
use crate::api::cookies::{add_session_cookies, clear_cookies};
use crate::api::current::ClientInfo;
use crate::api::{ApiContext, ApiError};
use crate::domain::Secret;

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    /// Set after an account was deleted or a session ended.
    done: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    login: String,
    password: Secret,
    next: Option<String>,
}

/// The sign-up form.
#[derive(Debug, Deserialize)]
pub struct SignUpForm {
    username: String,
    email: String,
    password: Secret,
}

/// An empty form (only its CSRF field matters).
#[derive(Debug, Deserialize)]
pub struct Empty {}

/// GET /signin.
pub async fn signin_page(
    State(context): State<ApiContext>,
    viewer: Result<Viewer, WebError>,
    Query(query): Query<SignInQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    if viewer.is_ok() {
        return Redirect::to(&next).into_response();
    }
    let message = match query.done.as_deref() {
        Some("deleted") => Some("Your account and everything in it have been deleted."),
        Some("signedout") => Some("You are signed out."),
        Some("reset") => {
            Some("Your new password is set, and every session was signed out. Sign in with it.")
        }
        _ => None,
    };
    signin_view(&context.auth, "", &next, message.map(|m| (true, m))).into_response()
}

fn signin_view(
    auth: &crate::accounts::AuthConfig,
    login: &str,
    next: &str,
    notice: Option<(bool, &str)>,
) -> Markup {
    layout::page(
        Frame {
            title: "Sign in",
            viewer: None,
            nav: Nav::None,
            scripts: &[],
        },
        html! {
            section.narrow.card.auth {
                h1 { "Sign in" }
                p.muted { "Your video journal, found by the words you said." }
                @if let Some((ok, message)) = notice { (layout::notice(ok, message)) }
                // Single sign-on (web/oidc.rs); without password sign-in, the only way in.
                (super::oidc::signin_button(auth, next))
                @if auth.password_signin {
                form method="post" action="/signin" {
                    input type="hidden" name="next" value=(next);
                    div.field {
                        label for="login" { "Username or email" }
                        input #login name="login" type="text" value=(login) required
                            autocomplete="username" autocapitalize="none" spellcheck="false"
                            autofocus[login.is_empty()];
                    }
                    div.field {
                        label for="password" { "Password" }
                        input #password name="password" type="password" required
                            autocomplete="current-password" autofocus[!login.is_empty()];
                    }
                    button.primary.wide type="submit" { "Sign in" }
                }
                p.muted.center { "New here? " a href="/signup" { "Create an account" } }
                }
            }
        },
    )
}

/// POST /signin.
pub async fn signin(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    AnonymousForm(form): AnonymousForm<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let accounts = context.accounts();
    let signed_in = async {
        let user = accounts
            .log_in(client.as_client(), &form.login, &form.password)
            .await?;
        // Two-factor sign-in: no session until the code (web/two_factor.rs).
        if let Some(challenge) = accounts.second_step(&user).await? {
            return Ok(Err(challenge));
        }
        accounts
            .start_session(&user, client.as_client())
            .await
            .map(Ok)
    };
    match signed_in.await {
        Ok(Ok(session)) => (
            add_session_cookies(&context.auth, jar, &session),
            Redirect::to(&next),
        )
            .into_response(),
        Ok(Err(challenge)) => {
            super::two_factor::second_step_view(&challenge.token, &next, None).into_response()
        }
        Err(error) => {
            let (status, message) = refusal(error);
            (
                status,
                signin_view(&context.auth, &form.login, &next, Some((false, &message))),
            )
                .into_response()
        }
    }
}

/// The status and sentence of a refused form, as the API would answer it (a server error
/// is logged as the API logs it).
fn refusal(error: AccountError) -> (axum::http::StatusCode, String) {
    let error = ApiError::from(error);
    let answer = (error.status(), error.message().to_string());
    drop(error.into_response());
    answer
}

/// GET /signup.
pub async fn signup_page(
    State(context): State<ApiContext>,
    viewer: Result<Viewer, WebError>,
) -> Response {
    if viewer.is_ok() {
        return Redirect::to("/").into_response();
    }
    let closed = (!context.auth.registration_open)
        .then_some("Registration is closed on this server; ask its operator for an account.");
    signup_view("", "", closed).into_response()
}

fn signup_view(username: &str, email: &str, error: Option<&str>) -> Markup {
    layout::page(
        Frame {
            title: "Create an account",
            viewer: None,
            nav: Nav::None,
            scripts: &[],
        },
        html! {
            section.narrow.card.auth {
                h1 { "Create an account" }
                p.muted { "Record short videos, and find any moment by what was said." }
                @if let Some(message) = error { (layout::notice(false, message)) }
                form method="post" action="/signup" {
                    div.field {
                        label for="username" { "Username" }
                        input #username name="username" type="text" value=(username) required
                            minlength="3" maxlength="32" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*"
                            autocomplete="username" autocapitalize="none" spellcheck="false"
                            aria-describedby="username-help";
                        p.help #username-help { "3 to 32 letters, digits, dots, dashes or underscores." }
                    }
                    div.field {
                        label for="email" { "Email" }
                        input #email name="email" type="email" value=(email) required autocomplete="email";
                    }
                    div.field {
                        label for="password" { "Password" }
                        input #password name="password" type="password" required minlength="8"
                            autocomplete="new-password" aria-describedby="password-help";
                        p.help #password-help { "At least 8 characters." }
                    }
                    button.primary.wide type="submit" { "Create account" }
                }
                p.muted.center { "Already have one? " a href="/signin" { "Sign in" } }
            }
        },
    )
}

/// POST /signup.
pub async fn signup(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    AnonymousForm(form): AnonymousForm<SignUpForm>,
) -> Response {
    let accounts = context.accounts();
    let signed_up = async {
        let user = accounts
            .register(
                client.as_client(),
                &form.username,
                &form.email,
                &form.password,
            )
            .await?;
        accounts.start_session(&user, client.as_client()).await
    };
    match signed_up.await {
        Ok(session) => (
            add_session_cookies(&context.auth, jar, &session),
            Redirect::to("/"),
        )
            .into_response(),
        Err(error) => {
            let (status, message) = refusal(error);
            (
                status,
                signup_view(&form.username, &form.email, Some(&message)),
            )
                .into_response()
        }
    }
}

/// POST /signout.
pub async fn signout(
    State(context): State<ApiContext>,
    jar: CookieJar,
    posted: Posted<Empty>,
) -> Result<Response, WebError> {
    let current = &posted.viewer.current;
    context
        .accounts()
        .end_session(current.user.id, current.session_id)
        .await
        .map_err(ApiError::from)?;
    Ok((clear_cookies(jar), Redirect::to("/signin?done=signedout")).into_response())
}
