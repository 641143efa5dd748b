//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, six digits, a
//! 30-second step, and one step either side accepted for clocks that drift. Pure functions;
//! the accounts service keeps the secret and the last step used.
//!
//! Home-made on the `hmac` and `sha1` crates rather than `totp-rs`: the algorithm is twenty
//! lines, and this way the secret is plain bytes the database stores, with nothing else
//! pulled in.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds a code is valid for.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// A fresh random secret.
pub fn generate_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// The time step of a moment in unix seconds.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The HOTP value of `secret` at `counter`, with `digits` digits (RFC 4226 section 5.3).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    let value = u64::from(binary) % 10u64.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// The six-digit code of `secret` at time step `step`.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    hotp(secret, step.max(0).unsigned_abs(), DIGITS)
}

/// The step whose code `code` is, among the step of `now` and one either side, newer than
/// `last_step`; `None` when it matches none (or only a step already used).
pub fn verify(secret: &[u8], code: &str, unix_now: i64, last_step: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_now);
    // Newest first, so that a code typed twice in one step is the step just used.
    [now + 1, now, now - 1]
        .into_iter()
        .filter(|step| last_step.is_none_or(|last| *step > last))
        .find(|step| {
            super::token::constant_time_eq(code_at_step(secret, *step).as_bytes(), code.as_bytes())
        })
}

/// RFC 4648 base32 without padding: how authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The `otpauth://` URI an authenticator app reads from the QR code (Key Uri Format).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = url::form_urlencoded::byte_serialize(format!("{issuer}:{account}").as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let issuer = url::form_urlencoded::byte_serialize(issuer.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!(
        "otpauth://totp/{label}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        base32(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 seed and its eight-digit codes.
    const RFC_SEED: &[u8] = b"12345678901234567890";
    const RFC_VECTORS: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn the_rfc_6238_sha1_test_vectors_match() {
        for (time, expected) in RFC_VECTORS {
            let counter = step_at(time).unsigned_abs();
            assert_eq!(hotp(RFC_SEED, counter, 8), expected, "T = {time}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_of_the_rfc_values() {
        for (time, expected) in RFC_VECTORS {
            assert_eq!(code_at_step(RFC_SEED, step_at(time)), &expected[2..]);
        }
    }

    #[test]
    fn the_rfc_4226_hotp_vectors_match() {
        let expected = ["755224", "287082", "359152", "969429", "338314"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SEED, counter as u64, 6), *code);
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_twice() {
        let now = 1_234_567_890;
        let code = code_at_step(RFC_SEED, step_at(now));
        assert_eq!(verify(RFC_SEED, &code, now, None), Some(step_at(now)));
        assert_eq!(verify(RFC_SEED, &code, now + 30, None), Some(step_at(now)));
        assert_eq!(verify(RFC_SEED, &code, now - 30, None), Some(step_at(now)));
        assert_eq!(verify(RFC_SEED, &code, now + 90, None), None);
        assert_eq!(verify(RFC_SEED, &code, now, Some(step_at(now))), None);
        let older = code_at_step(RFC_SEED, step_at(now) - 1);
        assert_eq!(verify(RFC_SEED, &older, now, Some(step_at(now))), None);
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "12345",
            "1234567",
            "12a456",
            "１２３４５６",
            "123\u{0}456",
        ] {
            assert_eq!(verify(RFC_SEED, bad, 59, None), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_follows_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(RFC_SEED), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn the_uri_names_the_issuer_and_account() {
        let uri = otpauth_uri("Weft", "jane doe", RFC_SEED);
        assert!(
            uri.starts_with("otpauth://totp/Weft%3Ajane%20doe?secret=GEZDGNBV"),
            "{uri}"
        );
        assert!(uri.contains("&issuer=Weft&"), "{uri}");
        assert_eq!(generate_secret().len(), SECRET_BYTES);
    }
}
