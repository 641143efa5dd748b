//! Filters that the JSON API and the pages read alike from a query string: dates, and a
//! search's tag, dates, scope and order. A bad value is an [`ApiError`] naming its field.

use chrono::{DateTime, NaiveDate, Utc};

use super::ApiError;
use crate::search::{Scope, SearchRequest, Sort};

/// A date (`2026-03-14`, midnight UTC; for an upper bound, the end of that day) or an
/// RFC 3339 time.
pub fn parse_time(raw: &str, field: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::invalid(
            field,
            format!("{field} is a date (2026-03-14) or an RFC 3339 time"),
        )
    })?;
    let date = if end_of_day {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(date.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// The filters of a search, as a page or the API receives them (empty means none), read
/// into a request; a bad value is refused with a message naming the field.
pub struct SearchFilters<'a> {
    pub tag: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub sort: Option<&'a str>,
}

/// A field's value, unless it is missing or blank.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl SearchFilters<'_> {
    /// The search for `q` with these filters.
    pub fn request(
        &self,
        q: String,
        limit: i64,
        cursor: Option<String>,
    ) -> Result<SearchRequest, ApiError> {
        let scope = match given(self.scope) {
            None => Scope::default(),
            Some(name) => Scope::parse(name).ok_or_else(|| {
                ApiError::invalid(
                    "scope",
                    "Choose what to search in: all, transcripts or titles.",
                )
            })?,
        };
        let sort = match given(self.sort) {
            None => Sort::default(),
            Some(name) => Sort::parse(name).ok_or_else(|| {
                ApiError::invalid("sort", "Choose an order: best, newest or oldest.")
            })?,
        };
        let from = given(self.from)
            .map(|v| parse_time(v, "from", false))
            .transpose()?;
        let to = given(self.to)
            .map(|v| parse_time(v, "to", true))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to) {
            if from >= to {
                return Err(ApiError::invalid(
                    "to",
                    "The end date comes before the start date. Swap them or change one.",
                ));
            }
        }
        Ok(SearchRequest {
            q,
            tags: crate::domain::parse_tag_list(given(self.tag).unwrap_or(""))
                .map_err(|e| e.in_field("tag"))?,
            from,
            to,
            limit,
            cursor: cursor.filter(|c| !c.is_empty()),
            scope,
            sort,
            fresh: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_read_as_bounds() {
        let from = parse_time("2026-03-14", "from", false).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-03-14T00:00:00+00:00");
        let to = parse_time("2026-03-14", "to", true).unwrap();
        assert_eq!(to.to_rfc3339(), "2026-03-15T00:00:00+00:00");
        let exact = parse_time("2026-03-14T10:00:00+02:00", "to", true).unwrap();
        assert_eq!(exact.to_rfc3339(), "2026-03-14T08:00:00+00:00");
        assert!(parse_time("yesterday", "from", false).is_err());
    }
}
