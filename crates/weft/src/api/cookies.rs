//! The session cookies: the HttpOnly session token and the CSRF token a page's scripts read,
//! set when a session starts and removed when it ends, for the API and the pages alike.

use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;

use super::current::{CSRF_COOKIE, SESSION_COOKIE};
use crate::accounts::{AuthConfig, NewSession};

/// Sets the session and CSRF cookies of a new session.
pub fn add_session_cookies(config: &AuthConfig, jar: CookieJar, session: &NewSession) -> CookieJar {
    jar.add(session_cookie(
        config,
        SESSION_COOKIE,
        session.token.clone(),
        true,
    ))
    .add(session_cookie(
        config,
        CSRF_COOKIE,
        session.csrf_token.clone(),
        false,
    ))
}

fn session_cookie(
    config: &AuthConfig,
    name: &'static str,
    value: String,
    http_only: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(http_only)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies)
        .max_age(time_duration(config.session_ttl))
        .build()
}

fn time_duration(duration: chrono::Duration) -> time::Duration {
    time::Duration::seconds(duration.num_seconds())
}

/// Removes the session cookies from the browser.
pub fn clear_cookies(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"))
        .remove(Cookie::build(CSRF_COOKIE).path("/"))
}
