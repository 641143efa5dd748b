//! The signed-in user of a request, from `Authorization: Bearer` or the session cookie.
//! Unsafe methods authenticated by cookie must also carry the CSRF token. A personal API
//! token (`weft_pat_…`) is taken only as a Bearer token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum_extra::extract::CookieJar;
use uuid::Uuid;

use crate::accounts::session_cache::ChangingUser;
use crate::accounts::{api_tokens, token, Client};
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::db::api_tokens as db_tokens;
use crate::db::sessions;
use crate::db::users::User;

/// The session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "weft_session";
/// The CSRF cookie, readable by the page's scripts.
pub const CSRF_COOKIE: &str = "weft_csrf";
/// The header that carries the CSRF token back.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Refresh a session's expiry at most this often.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session_id: Uuid,
    /// The user's timeline version when the session was looked up.
    pub timeline_version: i64,
    /// The personal API token the request came with, instead of a session (then
    /// `session_id` is the token's id, which names no session).
    pub api_token: Option<Uuid>,
}

/// The raw session token of a request and whether it came from the cookie.
pub fn session_token(parts: &Parts) -> Option<(String, bool)> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| (token.trim().to_string(), false));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    jar.get(SESSION_COOKIE)
        .map(|c| (c.value().to_string(), true))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<ApiContext> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        context: &ApiContext,
    ) -> Result<Self, Self::Rejection> {
        let (token, via_cookie) = session_token(parts).ok_or_else(ApiError::unauthorized)?;
        if token.is_empty() || token.len() > 256 {
            return Err(ApiError::unauthorized());
        }
        if via_cookie && !is_safe(&parts.method) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !token::constant_time_eq(sent.as_bytes(), token::csrf_for(&token).as_bytes()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "a request signed in by cookie must send the X-CSRF-Token header \
                     (its value is in the weft_csrf cookie)",
                ));
            }
        }
        if !via_cookie && api_tokens::is_api_token(&token) {
            return by_api_token(parts, context, &token).await;
        }
        let hash = token::hash(&token);
        let found = by_session(context, &hash).await?;
        let idle = chrono::Utc::now() - found.last_seen_at;
        if idle.num_seconds() >= TOUCH_EVERY_SECONDS {
            sessions::touch(&context.pool, found.session_id, context.auth.session_ttl).await?;
            // Read again next time, with its new expiry.
            context.sessions.forget_session(&hash);
        }
        note_changing_user(parts, found.user.id);
        Ok(CurrentUser {
            user: found.user,
            session_id: found.session_id,
            timeline_version: found.timeline_version,
            api_token: None,
        })
    }
}

/// The live session of a token hash and its user's timeline version: kept in memory while
/// the server hears the database's change notices (`accounts::session_cache`), else read.
async fn by_session(
    context: &ApiContext,
    hash: &[u8],
) -> Result<sessions::Authenticated, ApiError> {
    let cache = &context.sessions;
    let Some(mut found) = cache.session(hash) else {
        let since = cache.generation();
        let found = sessions::authenticate(&context.pool, hash)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        cache.keep(since, hash, &found);
        return Ok(found);
    };
    found.timeline_version = match cache.version(found.user.id) {
        Some(version) => version,
        None => {
            let since = cache.generation();
            let version = sessions::timeline_version(&context.pool, found.user.id).await?;
            cache.keep_version(since, found.user.id, version);
            version
        }
    };
    Ok(found)
}

/// Names the user of a request that changes something, whose kept entries are dropped
/// when it ends (`server::forget_after_changes`).
fn note_changing_user(parts: &Parts, user_id: Uuid) {
    if let Some(slot) = parts.extensions.get::<ChangingUser>() {
        let _ = slot.0.set(user_id);
    }
}

/// The user of a personal API token; a read-only one may only read.
async fn by_api_token(
    parts: &Parts,
    context: &ApiContext,
    token: &str,
) -> Result<CurrentUser, ApiError> {
    let found = db_tokens::authenticate(&context.pool, &token::hash(token))
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if found.read_only && !matches!(parts.method, Method::GET | Method::HEAD) {
        return Err(ApiError::forbidden(
            "read_only_token",
            "this API token is read-only: it may only read (GET and HEAD). Make a token with \
             full access on your account page to change things",
        ));
    }
    let fresh = found
        .last_used_at
        .is_some_and(|at| (chrono::Utc::now() - at).num_seconds() < TOUCH_EVERY_SECONDS);
    if !fresh {
        db_tokens::touch(&context.pool, found.token_id).await?;
    }
    note_changing_user(parts, found.user.id);
    Ok(CurrentUser {
        user: found.user,
        session_id: found.token_id,
        timeline_version: found.timeline_version,
        api_token: Some(found.token_id),
    })
}

/// Who is asking: the client's address and user agent, for throttling and the session list.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub address: String,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The same, as the accounts service takes it.
    pub fn as_client(&self) -> Client<'_> {
        Client {
            address: &self.address,
            user_agent: self.user_agent.as_deref(),
        }
    }
}

impl FromRequestParts<ApiContext> for ClientInfo {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        context: &ApiContext,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = context
            .auth
            .trust_proxy
            .then(|| parts.headers.get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            // The rightmost entry is the one the trusted proxy added; anything to its left
            // came from the client and may be forged.
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(ClientInfo {
            address: forwarded.or(peer).unwrap_or_else(|| "unknown".into()),
            user_agent,
        })
    }
}
