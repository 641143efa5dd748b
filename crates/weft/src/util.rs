//! Small helpers shared across modules.

use sha2::{Digest, Sha256};

/// The first 12 hex digits of a SHA-256: a short, stable name derived from some bytes.
pub fn short_digest(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..6])
}
