//! `/reset/TOKEN`: setting a new password with a link the operator made
//! (`weft user reset-link NAME`). Using it signs every session out.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::{AnonymousForm, WebError};
use crate::api::{ApiContext, ApiError};
use crate::domain::Secret;

/// A new password, typed twice.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    password: Secret,
    repeat: Secret,
}

fn turned_off() -> Response {
    unavailable(
        "Password reset links are turned off on this server. Ask its operator to set a new \
         password for you.",
    )
}

/// A link that cannot be used: 404, with the sentence that says why and what to do (the
/// general 404 page says only that nothing is here).
fn unavailable(message: &str) -> Response {
    let page = layout::page(
        Frame {
            title: "This link does not work",
            viewer: None,
            nav: Nav::None,
            scripts: &[],
        },
        html! {
            section.narrow.card.auth {
                h1 { "This link does not work" }
                (layout::notice(false, message))
                p.muted.center { a href="/signin" { "Sign in" } }
            }
        },
    );
    (StatusCode::NOT_FOUND, page).into_response()
}

fn view(token: &str, username: &str, error: Option<&str>) -> Markup {
    layout::page(
        Frame {
            title: "Choose a new password",
            viewer: None,
            nav: Nav::None,
            scripts: &[],
        },
        html! {
            section.narrow.card.auth {
                h1 { "Choose a new password" }
                p.muted { "For " strong { (username) } ". Every place you are signed in will be signed out." }
                @if let Some(message) = error { (layout::notice(false, message)) }
                form method="post" action={ "/reset/" (token) } {
                    // Lets password managers store the new password for the right account.
                    input type="hidden" name="username" value=(username) autocomplete="username";
                    div.field {
                        label for="password" { "New password" }
                        input #password name="password" type="password" required minlength="8"
                            autocomplete="new-password" autofocus aria-describedby="password-help";
                        p.help #password-help { "At least 8 characters." }
                    }
                    div.field {
                        label for="repeat" { "New password again" }
                        input #repeat name="repeat" type="password" required minlength="8"
                            autocomplete="new-password";
                    }
                    button.primary.wide type="submit" { "Set new password" }
                }
            }
        },
    )
}

/// GET /reset/{token}.
pub async fn page(
    State(context): State<ApiContext>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if !context.auth.reset_links {
        return Ok(turned_off());
    }
    match context.accounts().reset_link_user(&token).await {
        Ok(user) => Ok(view(&token, &user.username, None).into_response()),
        Err(error) => gone(error),
    }
}

/// POST /reset/{token}.
pub async fn reset(
    State(context): State<ApiContext>,
    Path(token): Path<String>,
    AnonymousForm(form): AnonymousForm<ResetForm>,
) -> Result<Response, WebError> {
    if !context.auth.reset_links {
        return Ok(turned_off());
    }
    let accounts = context.accounts();
    let user = match accounts.reset_link_user(&token).await {
        Ok(user) => user,
        Err(error) => return gone(error),
    };
    let refused = |error: ApiError| {
        let status = error.status();
        let message = error.message().to_string();
        (status, view(&token, &user.username, Some(&message))).into_response()
    };
    if form.password != form.repeat {
        return Ok(refused(ApiError::invalid(
            "repeat",
            "the two new passwords are not the same",
        )));
    }
    match accounts.reset_password(&token, &form.password).await {
        Ok(_) => Ok(Redirect::to("/signin?done=reset").into_response()),
        Err(error) => {
            let error = ApiError::from(error);
            if error.status().is_server_error() {
                return Err(error.into());
            }
            Ok(refused(error))
        }
    }
}

/// A link that is not good (any more) is a page that says so, with 404.
fn gone(error: crate::accounts::AccountError) -> Result<Response, WebError> {
    let error = ApiError::from(error);
    if error.status().is_server_error() {
        return Err(error.into());
    }
    Ok(unavailable(error.message()))
}
