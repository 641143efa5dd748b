//! HTTP Range requests (RFC 9110 §14) for one byte range, so a player can seek.
//!
//! Weft keeps its own parser: tower-http's `ServeDir` serves files on disk, not the
//! object_store streams Weft's media come from, and the `headers` crate's `Range` yields only
//! the satisfiable ranges, so it cannot tell a 416 from a header to ignore, and it drops a
//! suffix longer than the object (or a position past u64), which RFC 9110 serves whole.

use std::ops::Range;

/// What a `Range` header asks for, against an object of a known size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// No (usable) range: send everything with 200.
    Full,
    /// One satisfiable range: send it with 206.
    Partial(Range<u64>),
    /// The range lies outside the object: 416.
    Unsatisfiable,
}

/// Reads a `Range` header value for an object of `size` bytes. Several ranges at once are
/// answered with the whole object (allowed by the standard, and players ask for one).
pub fn parse(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (start, end) = (start.trim(), end.trim());
    let parsed = if start.is_empty() {
        // Suffix: the last N bytes.
        match position(end) {
            Ok(0) => return RangeRequest::Unsatisfiable,
            Ok(n) => Some(size.saturating_sub(n)..size),
            Err(_) => None,
        }
    } else {
        match (position(start), end) {
            (Ok(first), "") => Some(first..size),
            (Ok(first), last) => match position(last) {
                // The last byte may lie past the end, however far: the range stops there.
                Ok(last) if last >= first => Some(first..last.saturating_add(1).min(size)),
                _ => None,
            },
            _ => None,
        }
    };
    match parsed {
        None => RangeRequest::Full,
        Some(range) if range.start >= size || range.is_empty() => RangeRequest::Unsatisfiable,
        Some(range) => RangeRequest::Partial(range),
    }
}

/// A byte position: digits only, and a number too large for u64 is as good as u64::MAX
/// (no object is that large).
fn position(digits: &str) -> Result<u64, ()> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    Ok(digits.parse::<u64>().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::*;

    #[test]
    fn first_middle_and_open_ended_ranges() {
        assert_eq!(parse(Some("bytes=0-99"), 1000), Partial(0..100));
        assert_eq!(parse(Some("bytes=500-599"), 1000), Partial(500..600));
        assert_eq!(parse(Some("bytes=900-"), 1000), Partial(900..1000));
        assert_eq!(parse(Some("bytes=900-5000"), 1000), Partial(900..1000));
    }

    #[test]
    fn a_last_byte_at_or_past_u64_max_means_to_the_end() {
        for last in [
            "18446744073709551614",
            "18446744073709551615",
            "99999999999999999999999",
        ] {
            let header = format!("bytes=0-{last}");
            assert_eq!(parse(Some(&header), 1000), Partial(0..1000), "{header}");
        }
        assert_eq!(
            parse(Some("bytes=-99999999999999999999999"), 1000),
            Partial(0..1000)
        );
        assert_eq!(parse(Some("bytes=+5-9"), 1000), Full);
    }

    #[test]
    fn suffix_ranges_count_from_the_end() {
        assert_eq!(parse(Some("bytes=-100"), 1000), Partial(900..1000));
        assert_eq!(parse(Some("bytes=-5000"), 1000), Partial(0..1000));
        assert_eq!(parse(Some("bytes=-0"), 1000), Unsatisfiable);
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(parse(Some("bytes=1000-"), 1000), Unsatisfiable);
        assert_eq!(parse(Some("bytes=2000-3000"), 1000), Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-0"), 0), Unsatisfiable);
    }

    #[test]
    fn malformed_or_multiple_ranges_mean_the_whole_file() {
        for header in [
            None,
            Some("items=0-1"),
            Some("bytes=a-b"),
            Some("bytes=5-2"),
            Some("bytes=0-1,5-6"),
        ] {
            assert_eq!(parse(header, 1000), Full, "{header:?}");
        }
    }
}
