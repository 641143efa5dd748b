//! Days and months as people name them: a date (`2026-12-03`) or a month (`2026-12`) read
//! from a request, the shape of a time zone's name, the days in earlier years that "On
//! this day" looks at, and the weeks of a month's calendar. Which day an instant belongs to
//! is the database's work (`AT TIME ZONE`, in `db::days`); this is only the calendar.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::ValidationError;

/// The longest time zone name accepted (the longest IANA name has 32 characters).
pub const MAX_TIME_ZONE_CHARS: usize = 64;

/// Month names, January first.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A month of a year, such as December 2026 (`2026-12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl Month {
    /// `YYYY-MM`, a month of the years 1 to 9999; `field` names it in the refusal.
    pub fn parse(raw: &str, field: &str) -> Result<Month, ValidationError> {
        let refuse = |why: &str| {
            ValidationError::new(
                field,
                format!("{why}Give the month as year and month, such as 2026-12."),
            )
        };
        let digits = numbers(raw, &[4, 2]).ok_or_else(|| refuse(""))?;
        let (year, month) = (digits[0] as i32, digits[1]);
        if year == 0 {
            return Err(refuse("There is no year 0. "));
        }
        if !(1..=12).contains(&month) {
            return Err(refuse(&format!("There is no month {month}. ")));
        }
        Ok(Month { year, month })
    }

    /// The month a date is in.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 to 12.
    pub fn number(self) -> u32 {
        self.month
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The first day of the month after it.
    pub fn end(self) -> NaiveDate {
        self.next().first_day()
    }

    /// The month after it.
    pub fn next(self) -> Month {
        self.plus_months(1)
    }

    /// The month before it.
    pub fn previous(self) -> Month {
        self.plus_months(-1)
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus_months(self, n: i32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 + n;
        Month {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// "December 2026".
    pub fn name(self) -> String {
        format!("{} {}", MONTHS[self.month as usize - 1], self.year)
    }

    /// The weeks of its calendar, Monday first; the days of the months around it are
    /// `None`.
    pub fn weeks(self) -> Vec<[Option<NaiveDate>; 7]> {
        let first = self.first_day();
        let lead = first.weekday().num_days_from_monday() as usize;
        let mut weeks = Vec::new();
        let mut week = [None; 7];
        let mut slot = lead;
        let mut day = Some(first);
        while let Some(date) = day.filter(|d| Month::of(*d) == self) {
            week[slot] = Some(date);
            slot += 1;
            if slot == 7 {
                weeks.push(week);
                week = [None; 7];
                slot = 0;
            }
            day = date.succ_opt();
        }
        if slot > 0 {
            weeks.push(week);
        }
        weeks
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl serde::Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A date written `YYYY-MM-DD`, of the years 1 to 9999; `field` names it in the refusal.
pub fn parse_date(raw: &str, field: &str) -> Result<NaiveDate, ValidationError> {
    let refuse = |why: &str| {
        ValidationError::new(
            field,
            format!("{why}Give the date as year, month and day, such as 2026-12-03."),
        )
    };
    let digits = numbers(raw, &[4, 2, 2]).ok_or_else(|| refuse(""))?;
    let (year, month, day) = (digits[0] as i32, digits[1], digits[2]);
    if year == 0 {
        return Err(refuse("There is no year 0. "));
    }
    if !(1..=12).contains(&month) {
        return Err(refuse(&format!("There is no month {month}. ")));
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        refuse(&format!(
            "There is no {day} {} {year}. ",
            MONTHS[month as usize - 1]
        ))
    })
}

/// The numbers of `raw` when it is exactly groups of ASCII digits of these widths joined by
/// `-` (chrono's own parser also takes `2026-1-5` and signs).
fn numbers(raw: &str, widths: &[usize]) -> Option<Vec<u32>> {
    let groups: Vec<&str> = raw.split('-').collect();
    if groups.len() != widths.len() {
        return None;
    }
    groups
        .iter()
        .zip(widths)
        .map(|(group, &width)| {
            (group.len() == width && group.bytes().all(|b| b.is_ascii_digit()))
                .then(|| group.parse().ok())
                .flatten()
        })
        .collect()
}

/// A time zone's name as typed, trimmed, when it has the shape of an IANA name
/// (`Europe/Lisbon`, `America/Argentina/Buenos_Aires`, `UTC`); `None` for an empty one,
/// which means UTC. Whether the database knows it is checked by the caller.
pub fn time_zone_name(raw: &str, field: &str) -> Result<Option<String>, ValidationError> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let shaped = name.chars().count() <= MAX_TIME_ZONE_CHARS
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    if !shaped {
        return Err(ValidationError::new(
            field,
            "That is not the name of a time zone. Choose one from the list, such as \
             Europe/Lisbon or America/New_York.",
        ));
    }
    Ok(Some(name.to_string()))
}

/// A day in an earlier year that "On this day" shows: the local days from `first` up to,
/// not including, `end` (one day, or two for 28 February, see [`earlier_days`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarlierDay {
    pub years_ago: i32,
    pub first: NaiveDate,
    pub end: NaiveDate,
}

/// The same day as `date` in each earlier year back to `oldest_year`, newest first.
///
/// 29 February is shown once a year: on 28 February of a year without one, the 28th and the
/// 29th of earlier years are shown together; on a 29 February, only the 29ths of earlier
/// leap years (their 28ths were shown the day before).
pub fn earlier_days(date: NaiveDate, oldest_year: i32) -> Vec<EarlierDay> {
    let (month, day) = (date.month(), date.day());
    let leap = |year: i32| NaiveDate::from_ymd_opt(year, 2, 29).is_some();
    let spans_the_29th = month == 2 && day == 28 && !leap(date.year());
    (oldest_year.max(1)..date.year())
        .rev()
        .filter_map(|year| {
            let first = NaiveDate::from_ymd_opt(year, month, day)?;
            let days = if spans_the_29th && leap(year) { 2 } else { 1 };
            Some(EarlierDay {
                years_ago: date.year() - year,
                first,
                end: first.checked_add_days(Days::new(days))?,
            })
        })
        .collect()
}

/// "Tuesday 3 December 2026".
pub fn day_name(date: NaiveDate) -> String {
    let weekday = match date.weekday() {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    };
    format!(
        "{weekday} {} {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// "1 year ago", "3 years ago".
pub fn years_ago(years: i32) -> String {
    if years == 1 {
        "1 year ago".to_string()
    } else {
        format!("{years} years ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_are_read_strictly_and_refused_with_a_sentence() {
        assert_eq!(parse_date("2024-02-29", "date").unwrap(), date(2024, 2, 29));
        for bad in [
            "",
            "2024-2-29",
            "2024-02-29 ",
            "+2024-02-29",
            "24-02-29",
            "2024/02/29",
            "2024-02-2\0",
            "２０２４-02-29",
        ] {
            let error = parse_date(bad, "date").unwrap_err();
            assert_eq!(error.field, "date");
            assert!(
                error.message.ends_with("such as 2026-12-03."),
                "{bad:?}: {error}"
            );
        }
        let month = parse_date("2024-13-01", "date").unwrap_err().message;
        assert!(month.starts_with("There is no month 13. "), "{month}");
        let day = parse_date("2023-02-29", "date").unwrap_err().message;
        assert!(day.starts_with("There is no 29 February 2023. "), "{day}");
        let day = parse_date("2024-02-30", "date").unwrap_err().message;
        assert!(day.starts_with("There is no 30 February 2024. "), "{day}");
        assert!(parse_date("0000-01-01", "date").is_err());
    }

    #[test]
    fn months_are_read_strictly_and_move_across_years() {
        let december = Month::parse("2026-12", "month").unwrap();
        assert_eq!(december.to_string(), "2026-12");
        assert_eq!(december.name(), "December 2026");
        assert_eq!(december.next().to_string(), "2027-01");
        assert_eq!(december.end(), date(2027, 1, 1));
        assert_eq!(Month::parse("2027-01", "m").unwrap().previous(), december);
        assert_eq!(december.plus_months(-12).to_string(), "2025-12");
        for bad in ["", "2026-13", "2026-00", "2026-1", "2026-12-01", "2026-1\0"] {
            assert!(Month::parse(bad, "month").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_month_s_weeks_start_on_monday() {
        // 1 December 2026 is a Tuesday; the 31st a Thursday.
        let weeks = Month::parse("2026-12", "m").unwrap().weeks();
        assert_eq!(weeks.len(), 5);
        assert_eq!(weeks[0][0], None);
        assert_eq!(weeks[0][1], Some(date(2026, 12, 1)));
        assert_eq!(weeks[4][3], Some(date(2026, 12, 31)));
        assert_eq!(weeks[4][4], None);
        // February 2021 starts on a Monday and fills four weeks exactly.
        assert_eq!(Month::parse("2021-02", "m").unwrap().weeks().len(), 4);
    }

    #[test]
    fn earlier_days_go_back_to_the_oldest_year_newest_first() {
        let days = earlier_days(date(2026, 12, 3), 2023);
        let years: Vec<i32> = days.iter().map(|d| d.years_ago).collect();
        assert_eq!(years, [1, 2, 3]);
        assert_eq!(days[0].first, date(2025, 12, 3));
        assert_eq!(days[0].end, date(2025, 12, 4));
        assert!(earlier_days(date(2026, 12, 3), 2026).is_empty());
    }

    #[test]
    fn the_29th_of_february_is_shown_on_the_28th_of_a_year_without_one() {
        let days = earlier_days(date(2025, 2, 28), 2023);
        assert_eq!(days[0].first, date(2024, 2, 28));
        assert_eq!(days[0].end, date(2024, 3, 1), "28 and 29 February 2024");
        assert_eq!(days[1].end, date(2023, 3, 1), "28 February 2023 only");
        // In a leap year the 28th is one day; the 29th shows only earlier 29ths.
        let days = earlier_days(date(2028, 2, 28), 2024);
        assert!(days.iter().all(|d| d.end == d.first.succ_opt().unwrap()));
        let days = earlier_days(date(2028, 2, 29), 2019);
        let years: Vec<i32> = days.iter().map(|d| d.first.year()).collect();
        assert_eq!(years, [2024, 2020]);
    }

    #[test]
    fn time_zone_names_must_look_like_one() {
        assert_eq!(
            time_zone_name(" Asia/Tokyo ", "timeZone")
                .unwrap()
                .as_deref(),
            Some("Asia/Tokyo")
        );
        assert_eq!(time_zone_name("", "timeZone").unwrap(), None);
        for bad in [
            "Asia/To\0kyo",
            "../etc/passwd",
            "Europe/Lisbon;",
            "x".repeat(65).as_str(),
        ] {
            let error = time_zone_name(bad, "timeZone").unwrap_err();
            assert!(error.message.starts_with("That is not"), "{bad:?}");
        }
    }

    #[test]
    fn days_and_years_are_said_in_words() {
        assert_eq!(day_name(date(2026, 12, 1)), "Tuesday 1 December 2026");
        assert_eq!(years_ago(1), "1 year ago");
        assert_eq!(years_ago(3), "3 years ago");
    }
}
