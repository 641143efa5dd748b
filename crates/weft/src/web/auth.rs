//! Sign in, sign up and sign out. The forms call the API's own handlers, so the rules
//! (validation, throttling, cookies) are the API's.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::{safe_next, AnonymousForm, Posted, Viewer, WebError};
use crate::api::ApiJson;
use crate::auth::current::ClientInfo;
use crate::auth::Secret;
use crate::routes::auth::{self as api, LoginRequest, RegisterRequest};
use crate::server::ApiContext;

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
        _ => None,
    };
    signin_view("", &next, message.map(|m| (true, m))).into_response()
}

fn signin_view(login: &str, next: &str, notice: Option<(bool, &str)>) -> Markup {
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
    let request = LoginRequest {
        login: form.login.clone(),
        password: form.password,
    };
    match api::login(State(context), client, jar, ApiJson(request)).await {
        Ok((jar, _)) => (jar, Redirect::to(&next)).into_response(),
        Err(error) => {
            let status = error.status();
            let message = error.message().to_string();
            drop(error.into_response());
            (
                status,
                signin_view(&form.login, &next, Some((false, &message))),
            )
                .into_response()
        }
    }
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
    let request = RegisterRequest {
        username: form.username.clone(),
        email: form.email.clone(),
        password: form.password,
    };
    match api::register(State(context), client, jar, ApiJson(request)).await {
        Ok((_, jar, _)) => (jar, Redirect::to("/")).into_response(),
        Err(error) => {
            let status = error.status();
            let message = error.message().to_string();
            drop(error.into_response());
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
    let (_, jar) = api::logout(State(context), posted.viewer.current, jar).await?;
    Ok((jar, Redirect::to("/signin?done=signedout")).into_response())
}
