//! Password reset by a link the operator makes (`weft user reset-link NAME`) and hands to
//! the person. Not by email: Weft has no mail server it could trust to deliver a secret
//! link, and an operator who can reach the person can hand it over themselves
//! (docs/security.md). A link is single-use and expires; using it signs every session out.

use chrono::Duration;
use sqlx::PgPool;
use uuid::Uuid;

use super::{token, AccountError, Accounts};
use crate::db::users::User;
use crate::db::{reset_links, sessions, users};
use crate::domain::{check_new_password, ValidationError};

/// How long a link lives unless the operator says otherwise.
pub const DEFAULT_HOURS: i64 = 24;

fn gone() -> AccountError {
    ValidationError::new(
        "token",
        "this reset link is not valid: it was used already, it expired, or a newer link \
         replaced it. Ask your server's operator for a new one",
    )
    .into()
}

/// Makes a reset link's token for `user_id` that lives `ttl` (replacing earlier links).
pub async fn create_link(pool: &PgPool, user_id: Uuid, ttl: Duration) -> sqlx::Result<String> {
    let token = token::generate();
    reset_links::create(pool, user_id, &token::hash(&token), ttl).await?;
    Ok(token)
}

impl Accounts<'_> {
    /// The user a reset link is for, while it is good.
    pub async fn reset_link_user(&self, link: &str) -> Result<User, AccountError> {
        if link.is_empty() || link.len() > 256 {
            return Err(gone());
        }
        let user_id = reset_links::user_of(self.pool, &token::hash(link))
            .await?
            .ok_or_else(gone)?;
        users::find(self.pool, user_id).await?.ok_or_else(gone)
    }

    /// Sets a new password with a reset link, spending it and signing every session out.
    pub async fn reset_password(&self, link: &str, new: &str) -> Result<User, AccountError> {
        check_new_password(new, "password")?;
        self.reset_link_user(link).await?;
        let hash = self.config.hash_password(new).await?;
        let mut tx = self.pool.begin().await?;
        let user_id = reset_links::spend(&mut *tx, &token::hash(link))
            .await?
            .ok_or_else(gone)?;
        users::set_password_hash(&mut *tx, user_id, &hash).await?;
        sessions::revoke_others(&mut *tx, user_id, None).await?;
        tx.commit().await?;
        self.sessions.forget_user(user_id);
        tracing::info!(user_id = %user_id, "password reset with a link");
        users::find(self.pool, user_id).await?.ok_or_else(gone)
    }
}
