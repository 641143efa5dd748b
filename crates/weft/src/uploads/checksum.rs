//! `Upload-Checksum` (tus checksum extension): `ALGORITHM BASE64-DIGEST` of one PATCH's
//! body. A PATCH whose bytes do not match counts for nothing (the answer is 460).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The algorithms accepted, as `Tus-Checksum-Algorithm` lists them.
pub const ALGORITHMS: &str = "sha1,sha256";

#[derive(Debug, Clone)]
enum Hasher {
    Sha1(Sha1),
    Sha256(Sha256),
}

/// A checksum being computed over a PATCH's body, and the digest it must reach.
#[derive(Debug, Clone)]
pub struct Checksum {
    hasher: Hasher,
    expected: Vec<u8>,
}

impl Checksum {
    /// Parses the header's value; the error says what is wrong with it.
    pub fn parse(header: &str) -> Result<Checksum, String> {
        let (algorithm, digest) = header.trim().split_once(' ').ok_or_else(|| {
            "Upload-Checksum must be an algorithm and a base64 digest, such as `sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=`".to_string()
        })?;
        let expected = STANDARD
            .decode(digest.trim())
            .map_err(|_| "the digest in Upload-Checksum is not base64".to_string())?;
        let hasher = match algorithm.to_ascii_lowercase().as_str() {
            "sha1" => Hasher::Sha1(Sha1::new()),
            "sha256" => Hasher::Sha256(Sha256::new()),
            other => {
                return Err(format!(
                    "Upload-Checksum algorithm `{other}` is not supported; use one of {ALGORITHMS}"
                ))
            }
        };
        Ok(Checksum { hasher, expected })
    }

    /// Adds bytes of the body.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.hasher {
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    /// Whether the body so far has the expected digest.
    pub fn matches(self) -> bool {
        let digest = match self.hasher {
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        };
        digest == self.expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_of_the_body_is_compared() {
        // sha1("hello") in base64.
        let mut good = Checksum::parse("sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=").unwrap();
        good.update(b"hel");
        good.update(b"lo");
        assert!(good.matches());
        let mut bad = Checksum::parse("sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=").unwrap();
        bad.update(b"hello!");
        assert!(!bad.matches());
        assert!(Checksum::parse("md5 qvTGHdzF6KLavt4PO0gs2a6pQ00=").is_err());
        assert!(Checksum::parse("sha1").is_err());
        assert!(Checksum::parse("sha1 ***").is_err());
    }
}
