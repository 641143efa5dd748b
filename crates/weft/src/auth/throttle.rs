//! Log-in throttling: too many failures for one account, or from one address, inside a
//! window get 429 with `Retry-After` until the window ends.

use chrono::Duration;
use sqlx::PgPool;

use crate::api::ApiError;
use crate::db::throttle;

/// Limits for failed log-ins.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    /// Failures allowed per account (login name) in a window.
    pub per_account: i32,
    /// Failures allowed per client address in a window.
    pub per_address: i32,
    pub window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: Duration::minutes(15),
        }
    }
}

fn account_key(login: &str) -> String {
    format!("account:{}", login.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("ip:{address}")
}

/// Refuses with 429 when either the account or the address has used up its failures.
pub async fn check(
    pool: &PgPool,
    config: &ThrottleConfig,
    login: &str,
    address: &str,
) -> Result<(), ApiError> {
    let account = throttle::blocked_for(
        pool,
        &[account_key(login)],
        config.per_account,
        config.window,
    )
    .await?;
    let by_address = throttle::blocked_for(
        pool,
        &[address_key(address)],
        config.per_address,
        config.window,
    )
    .await?;
    match account.into_iter().chain(by_address).max() {
        Some(seconds) => Err(ApiError::too_many_requests(
            seconds.max(1) as u64,
            format!(
                "too many failed log-ins; try again in {} seconds",
                seconds.max(1)
            ),
        )),
        None => Ok(()),
    }
}

/// Counts a failed log-in against the account and the address.
pub async fn failed(
    pool: &PgPool,
    config: &ThrottleConfig,
    login: &str,
    address: &str,
) -> Result<(), ApiError> {
    throttle::record_failure(
        pool,
        &[account_key(login), address_key(address)],
        config.window,
    )
    .await?;
    Ok(())
}

/// Forgets the account's failures after a successful log-in.
pub async fn succeeded(pool: &PgPool, login: &str) -> Result<(), ApiError> {
    throttle::clear(pool, &account_key(login)).await?;
    Ok(())
}
