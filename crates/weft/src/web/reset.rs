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

fn turned_off() -> WebError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "reset_off",
        "password reset links are turned off on this server; ask its operator to set a new \
         password for you",
    )
    .into()
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
) -> Result<Markup, WebError> {
    if !context.auth.reset_links {
        return Err(turned_off());
    }
    let user = context
        .accounts()
        .reset_link_user(&token)
        .await
        .map_err(gone)?;
    Ok(view(&token, &user.username, None))
}

/// POST /reset/{token}.
pub async fn reset(
    State(context): State<ApiContext>,
    Path(token): Path<String>,
    AnonymousForm(form): AnonymousForm<ResetForm>,
) -> Result<Response, WebError> {
    if !context.auth.reset_links {
        return Err(turned_off());
    }
    let accounts = context.accounts();
    let user = accounts.reset_link_user(&token).await.map_err(gone)?;
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
fn gone(error: crate::accounts::AccountError) -> WebError {
    let error = ApiError::from(error);
    if error.status().is_server_error() {
        return error.into();
    }
    ApiError::new(StatusCode::NOT_FOUND, "reset_link_gone", error.message()).into()
}
