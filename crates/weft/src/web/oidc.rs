//! Single sign-on pages: the start of a sign-in at the operator's OpenID provider, the
//! callback it comes back to, and linking and unlinking an identity from the account page.
//! The rules are the accounts service's (`accounts/sso.rs`); a refusal is a page with a
//! sentence and a way back, never a server error for the provider's mistakes.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use maud::{html, Markup};
use serde::Deserialize;

use super::account::{refused, Section};
use super::layout::{self, Frame, Nav};
use super::session::{safe_next, Posted, WebError};
use super::viewer::Viewer;
use crate::accounts::oidc::{OidcError, LOGIN_MINUTES};
use crate::accounts::sso::{Callback, Finished, SsoError};
use crate::accounts::AuthConfig;
use crate::api::cookies::add_session_cookies;
use crate::api::current::ClientInfo;
use crate::api::{ApiContext, ApiError};
use crate::db::identities::Identity;

/// The cookie that binds a sign-in under way to this browser: it holds the `state`.
const STATE_COOKIE: &str = "weft_oidc";
/// The cookie goes only to the callback.
const STATE_COOKIE_PATH: &str = "/signin/oidc";

/// Query of `GET /signin/oidc`.
#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// What the provider sends back to `GET /signin/oidc/callback`.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// GET /signin/oidc: off to the provider.
pub async fn start(
    State(context): State<ApiContext>,
    jar: CookieJar,
    Query(query): Query<StartQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    match context.accounts().start_sso(None, &next).await {
        Ok(started) => (
            jar.add(state_cookie(&context.auth, started.state)),
            Redirect::to(started.url.as_str()),
        )
            .into_response(),
        Err(error) => refusal(error, false),
    }
}

/// POST /account/oidc/link: off to the provider, to come back linked.
pub async fn link(
    State(context): State<ApiContext>,
    jar: CookieJar,
    posted: Posted<super::auth::Empty>,
) -> Result<Response, WebError> {
    let user = posted.viewer.current.user.id;
    match context.accounts().start_sso(Some(user), "/account").await {
        Ok(started) => Ok((
            jar.add(state_cookie(&context.auth, started.state)),
            Redirect::to(started.url.as_str()),
        )
            .into_response()),
        Err(error) => Ok(refusal(error, true)),
    }
}

/// GET /signin/oidc/callback: the provider's answer.
pub async fn callback(
    State(context): State<ApiContext>,
    client: ClientInfo,
    jar: CookieJar,
    viewer: Result<Viewer, WebError>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let browser_state = jar.get(STATE_COOKIE).map(|c| c.value().to_string());
    // The state answers once, whatever happens now.
    let jar = jar.remove(Cookie::build(STATE_COOKIE).path(STATE_COOKIE_PATH));
    let viewer = viewer.ok().map(|v| v.current.user.id);
    let finished = context
        .accounts()
        .finish_sso(
            client.as_client(),
            browser_state.as_deref(),
            viewer,
            Callback {
                state: query.state.as_deref(),
                code: query.code.as_deref(),
                iss: query.iss.as_deref(),
                error: query.error.as_deref(),
                error_description: query.error_description.as_deref(),
            },
        )
        .await;
    match finished {
        Ok(Finished::SignedIn { session, next, .. }) => (
            add_session_cookies(&context.auth, jar, &session),
            Redirect::to(&next),
        )
            .into_response(),
        Ok(Finished::Linked) => (jar, Redirect::to("/account?done=linked")).into_response(),
        Err(error) => (jar, refusal(error, viewer.is_some())).into_response(),
    }
}

/// POST /account/oidc/unlink.
pub async fn unlink(
    State(context): State<ApiContext>,
    posted: Posted<super::auth::Empty>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    match context.accounts().unlink_sso(viewer.current.user.id).await {
        Ok(()) => Ok(Redirect::to("/account?done=unlinked").into_response()),
        Err(error) => {
            let (status, message) = status_of(&error);
            if status.is_server_error() {
                return Err(WebError::Api(internal(error)));
            }
            let error = ApiError::new(status, "single_sign_on", message);
            refused(&context, &viewer, Section::SignOn, error).await
        }
    }
}

fn state_cookie(config: &AuthConfig, state: String) -> Cookie<'static> {
    Cookie::build((STATE_COOKIE, state))
        .path(STATE_COOKIE_PATH)
        .http_only(true)
        // Lax: sent on the provider's top-level redirect back, not on cross-site subrequests.
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies)
        .max_age(time::Duration::minutes(LOGIN_MINUTES))
        .build()
}

/// The status and sentence of a refusal.
fn status_of(error: &SsoError) -> (StatusCode, String) {
    let status = match error {
        SsoError::NotConfigured => StatusCode::NOT_FOUND,
        SsoError::UnknownState | SsoError::ProviderDeclined(_) => StatusCode::BAD_REQUEST,
        SsoError::Provider(OidcError::Unreachable(..)) => StatusCode::BAD_GATEWAY,
        SsoError::Provider(_) => StatusCode::BAD_REQUEST,
        SsoError::EmailTaken
        | SsoError::Unverified
        | SsoError::NoEmail
        | SsoError::CreationOff
        | SsoError::LinkerChanged => StatusCode::FORBIDDEN,
        SsoError::LinkedElsewhere | SsoError::AccountHasOne | SsoError::LastWayIn(_) => {
            StatusCode::CONFLICT
        }
        SsoError::NotLinked => StatusCode::NOT_FOUND,
        SsoError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        SsoError::Database(_) | SsoError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut message = error.to_string();
    if matches!(
        error,
        SsoError::Provider(OidcError::Untrusted(_) | OidcError::Refused(_))
    ) {
        message.push_str("; start the sign-in again, and tell the operator if it keeps happening");
    }
    (status, message)
}

fn internal(error: SsoError) -> ApiError {
    match error {
        SsoError::Database(error) => error.into(),
        other => anyhow::anyhow!(other.to_string()).into(),
    }
}

/// A refusal as a page with its sentence and a way back (to the account page for a
/// signed-in person, else to the sign-in page). A server error is logged as the API logs it.
fn refusal(error: SsoError, signed_in: bool) -> Response {
    let (status, message) = status_of(&error);
    if status.is_server_error() && status != StatusCode::BAD_GATEWAY {
        return WebError::Api(internal(error)).into_response();
    }
    tracing::info!(%status, reason = %message, "single sign-on refused");
    let (back, back_text) = if signed_in {
        ("/account", "Back to your account")
    } else {
        ("/signin", "Back to sign in")
    };
    let page = layout::page(
        Frame {
            title: "Single sign-on did not work",
            viewer: None,
            nav: Nav::None,
            scripts: &[],
        },
        html! {
            section.narrow.error-page {
                p.code aria-hidden="true" { (status.as_u16()) }
                h1 { "Single sign-on did not work" }
                p { (layout::sentence(&message)) }
                p { a.button href=(back) { (back_text) } }
            }
        },
    );
    (status, page).into_response()
}

/// The sign-in page's button, when single sign-on is set up.
pub fn signin_button(config: &AuthConfig, next: &str) -> Markup {
    let Some(provider) = &config.oidc else {
        return html! {};
    };
    let href = format!(
        "/signin/oidc?next={}",
        super::viewer::encode_component(next)
    );
    html! {
        p.sso {
            a.button.wide.primary[!config.password_signin].secondary[config.password_signin]
                #sso-signin href=(href) {
                "Sign in with " (provider.settings().label)
            }
        }
    }
}

/// The account page's block: the linked identity, and the button to link or unlink it.
pub async fn account_block(
    context: &ApiContext,
    viewer: &Viewer,
    say: Markup,
) -> Result<Markup, WebError> {
    let Some(provider) = &context.auth.oidc else {
        return Ok(html! {});
    };
    let linked: Vec<Identity> = context
        .accounts()
        .sso_identities(viewer.current.user.id)
        .await
        .map_err(internal)?;
    let identity = linked.iter().find(|i| i.issuer == provider.issuer());
    let label = &provider.settings().label;
    Ok(html! {
        section.card aria-labelledby="sso-heading" {
            h2 #sso-heading { "Single sign-on" }
            (say)
            @if let Some(identity) = identity {
                p #sso-linked {
                    "Linked to " (label)
                    @if let Some(email) = &identity.email { " as " (email) }
                    " since " (layout::date(identity.created_at)) "."
                }
                form method="post" action="/account/oidc/unlink" {
                    (layout::csrf_field(viewer))
                    button.secondary type="submit" { "Unlink " (label) }
                }
            } @else {
                p { "Sign in with your " (label) " account instead of a password." }
                form method="post" action="/account/oidc/link" {
                    (layout::csrf_field(viewer))
                    button.primary type="submit" { "Link " (label) }
                }
            }
        }
    })
}
