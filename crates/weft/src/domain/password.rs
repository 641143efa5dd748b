//! Password hashes: bcrypt, run on the blocking pool because a hash takes tens of
//! milliseconds by design, which must not stall the async threads.

/// The lowest bcrypt cost Weft accepts (the design's own value).
pub const MIN_BCRYPT_COST: u32 = 10;

/// Hashes a password at `cost` (at least [`MIN_BCRYPT_COST`]).
pub async fn hash(password: String, cost: u32) -> anyhow::Result<String> {
    let cost = cost.max(MIN_BCRYPT_COST);
    Ok(tokio::task::spawn_blocking(move || bcrypt::hash(password, cost)).await??)
}

/// Checks a password against a bcrypt hash.
pub async fn verify(password: String, hash: String) -> anyhow::Result<bool> {
    Ok(tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash)).await??)
}
