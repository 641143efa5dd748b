//! Personal API tokens on the account page: the list (with revoke buttons), the form that
//! makes one, and the page that shows a new token this once.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::account::{refused, Section};
use super::layout::{self, Frame, Nav};
use super::session::{Posted, WebError};
use super::viewer::Viewer;
use crate::api::{ApiContext, ApiError};
use crate::db::api_tokens::ApiToken;

/// A new token: its name, access and lifetime.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    name: String,
    /// `read` or `full`.
    access: String,
    /// Days, or `never`.
    expires: String,
}

/// The account page's section: the list and the form.
pub fn section(viewer: &Viewer, tokens: &[ApiToken], notice: Markup) -> Markup {
    let now = chrono::Utc::now();
    html! {
        section.card.wide.tokens aria-labelledby="tokens-heading" {
            h2 #tokens-heading { "API tokens" }
            (notice)
            p.help {
                "For scripts and phone shortcuts: send one as "
                code { "Authorization: Bearer …" } ". A read-only token can only read."
            }
            @if tokens.is_empty() {
                p.muted { "You have no API tokens." }
            } @else {
                ul.sessions.token-list {
                    @for token in tokens {
                        li { div.session {
                            div {
                                p.device {
                                    (token.name) " "
                                    @if token.read_only { span.badge { "Read-only" } }
                                    @else { span.badge { "Full access" } }
                                    @if token.expires_at.is_some_and(|at| at <= now) {
                                        " " span.badge.status-failed { "Expired" }
                                    }
                                }
                                p.meta {
                                    "Made " (layout::date(token.created_at))
                                    " · "
                                    @match token.expires_at {
                                        Some(at) => { "expires " (layout::date(at)) }
                                        None => { "never expires" }
                                    }
                                    " · "
                                    @match token.last_used_at {
                                        Some(at) => { "last used " (layout::date(at)) }
                                        None => { "never used" }
                                    }
                                }
                            }
                            form method="post" action={ "/account/tokens/" (token.id) "/revoke" } {
                                (layout::csrf_field(viewer))
                                button.secondary.small type="submit" {
                                    "Revoke" span.visually-hidden { " the token " (token.name) }
                                }
                            }
                        } }
                    }
                }
            }
            h3 { "Make a token" }
            form method="post" action="/account/tokens" {
                (layout::csrf_field(viewer))
                div.field {
                    label for="token-name" { "Name" }
                    input #token-name name="name" type="text" required maxlength="100"
                        placeholder="Backup script" autocomplete="off";
                }
                div.field {
                    label for="token-access" { "Access" }
                    select #token-access name="access" {
                        option value="read" { "Read-only" }
                        option value="full" { "Full access" }
                    }
                }
                div.field {
                    label for="token-expires" { "Expires" }
                    select #token-expires name="expires" {
                        option value="30" { "In 30 days" }
                        option value="90" { "In 90 days" }
                        option value="365" { "In a year" }
                        option value="never" { "Never" }
                    }
                }
                button.primary type="submit" { "Make token" }
            }
        }
    }
}

/// POST /account/tokens: the new token, shown this once.
pub async fn create(
    State(context): State<ApiContext>,
    posted: Posted<TokenForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    let read_only = match form.access.as_str() {
        "read" => true,
        "full" => false,
        _ => {
            let error = ApiError::invalid("access", "choose read-only or full access");
            return refused(&context, &viewer, Section::Tokens, error).await;
        }
    };
    let days = match form.expires.as_str() {
        "never" => None,
        days => match days.parse::<i64>() {
            Ok(days) => Some(days),
            Err(_) => {
                let error = ApiError::invalid("expires", "choose when the token expires");
                return refused(&context, &viewer, Section::Tokens, error).await;
            }
        },
    };
    let made = context
        .accounts()
        .create_api_token(viewer.current.user.id, &form.name, read_only, days)
        .await;
    let made = match made {
        Ok(made) => made,
        Err(error) => return refused(&context, &viewer, Section::Tokens, error.into()).await,
    };
    Ok(layout::page(
        Frame {
            title: "Your new API token",
            viewer: Some(&viewer),
            nav: Nav::Account,
            scripts: &[],
        },
        html! {
            div.page-head { h1 { "Your new API token" } }
            section.card.wide.tokens aria-labelledby="new-token-heading" {
                h2 #new-token-heading { (made.token.name) }
                (layout::notice(true, "Copy it now: it is shown only this once."))
                p { code.token-secret #new-token { (made.secret) } }
                p.help { "Send it as " code { "Authorization: Bearer " (made.secret) } "." }
                p { a.button.primary href="/account#tokens-heading" { "Done" } }
            }
        },
    )
    .into_response())
}

/// POST /account/tokens/{id}/revoke.
pub async fn revoke(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    posted: Posted<super::auth::Empty>,
) -> Result<Response, WebError> {
    let user = posted.viewer.current.user.id;
    let id = crate::api::parse_id(&id).ok_or_else(|| ApiError::not_found("token"))?;
    if !context
        .accounts()
        .revoke_api_token(user, id)
        .await
        .map_err(ApiError::from)?
    {
        return Err(ApiError::not_found("token").into());
    }
    Ok(Redirect::to("/account?done=token-revoked").into_response())
}
