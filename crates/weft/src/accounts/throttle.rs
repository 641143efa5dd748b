//! Throttling of everything that checks a password or costs a bcrypt hash: too many failed
//! log-ins (or password re-checks of a signed-in account) for one account, or from one
//! address, and too many registrations from one address, inside a window are refused
//! ([`AccountError::Throttled`], 429 with `Retry-After` over HTTP) until the window ends.
//!
//! Weft keeps its own rather than a rate-limiting crate (governor, tower_governor): those
//! count requests in the memory of one process, while this counts failures, in PostgreSQL
//! (`db::throttle`), so every API process shares the count, a restart does not reset it, and
//! a successful log-in clears the account's.

use chrono::Duration;
use sqlx::PgPool;

use super::AccountError;
use crate::db::throttle;

/// Limits for failed log-ins.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    /// Failures allowed per account (login name) in a window.
    pub per_account: i32,
    /// Failures allowed per client address in a window.
    pub per_address: i32,
    pub window: Duration,
    /// Registrations allowed per client address in `registration_window`.
    pub registrations_per_address: i32,
    pub registration_window: Duration,
}

impl ThrottleConfig {
    /// The defaults, which `weft serve`'s flags show and start from.
    pub const DEFAULT: ThrottleConfig = ThrottleConfig {
        per_account: 5,
        per_address: 20,
        window: Duration::minutes(15),
        registrations_per_address: 10,
        registration_window: Duration::hours(1),
    };
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

fn account_key(login: &str) -> String {
    format!("account:{}", login.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("ip:{address}")
}

fn registration_key(address: &str) -> String {
    format!("register:{address}")
}

fn wait(seconds: i64, what: &'static str) -> AccountError {
    AccountError::Throttled {
        seconds: seconds.max(1).unsigned_abs(),
        what,
    }
}

/// Refuses when either the account or the address has used up its failures.
pub async fn check(
    pool: &PgPool,
    config: &ThrottleConfig,
    login: &str,
    address: &str,
) -> Result<(), AccountError> {
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
        Some(seconds) => Err(wait(seconds, "too many failed log-ins")),
        None => Ok(()),
    }
}

/// Refuses when a signed-in account has used up its failures: a password re-check
/// (changing the password, the username or email, deleting the account) counts like a
/// log-in, so a stolen session cannot be used to guess the password.
pub async fn check_account(
    pool: &PgPool,
    config: &ThrottleConfig,
    account: &str,
) -> Result<(), AccountError> {
    let blocked = throttle::blocked_for(
        pool,
        &[account_key(account)],
        config.per_account,
        config.window,
    )
    .await?;
    match blocked {
        Some(seconds) => Err(wait(seconds, "too many wrong passwords")),
        None => Ok(()),
    }
}

/// Counts a wrong password of a signed-in account.
pub async fn failed_account(
    pool: &PgPool,
    config: &ThrottleConfig,
    account: &str,
) -> Result<(), AccountError> {
    throttle::record_failure(pool, &[account_key(account)], config.window).await?;
    Ok(())
}

/// Counts a registration from `address` (each costs a bcrypt hash), or refuses
/// when the address has used up its registrations.
pub async fn register(
    pool: &PgPool,
    config: &ThrottleConfig,
    address: &str,
) -> Result<(), AccountError> {
    let key = [registration_key(address)];
    let window = config.registration_window;
    if let Some(seconds) =
        throttle::blocked_for(pool, &key, config.registrations_per_address, window).await?
    {
        return Err(wait(
            seconds,
            "too many accounts registered from this address",
        ));
    }
    throttle::record_failure(pool, &key, window).await?;
    Ok(())
}

/// Counts a failed log-in against the account and the address.
pub async fn failed(
    pool: &PgPool,
    config: &ThrottleConfig,
    login: &str,
    address: &str,
) -> Result<(), AccountError> {
    throttle::record_failure(
        pool,
        &[account_key(login), address_key(address)],
        config.window,
    )
    .await?;
    Ok(())
}

/// Forgets the account's failures after a successful log-in.
pub async fn succeeded(pool: &PgPool, login: &str) -> Result<(), AccountError> {
    throttle::clear(pool, &account_key(login)).await?;
    Ok(())
}
