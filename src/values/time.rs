//! Access-log timestamps: parsing the formats web servers write, and writing
//! UTC in the form Athena and Firehose's Parquet conversion read as TIMESTAMP.
//!
//! ```
//! use firehose_ltsv::Timestamp;
//!
//! let mut out = Vec::new();
//! Timestamp::parse(b"[28/Jun/2021:17:22:48 +0900]").unwrap().write(&mut out);
//! assert_eq!(out, b"2021-06-28 08:22:48");
//! ```

/// Seconds since 0000-01-01T00:00:00Z relative to the Unix epoch, and
/// 9999-12-31T23:59:59Z: the range with four-digit years.
const MIN_SECONDS: i64 = -62_167_219_200;
const MAX_SECONDS: i64 = 253_402_300_799;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// An instant in UTC, with the milliseconds the input carried, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    seconds: i64,
    millis: Option<u16>,
}

/// A UTC date and hour, as used for partition keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateHour {
    /// Four-digit year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
}

impl DateHour {
    /// The hour's place in the stream's S3 layout:
    /// `year=2021/month=06/day=28/hour=08`.
    pub fn partition_path(&self) -> String {
        let mut path = Vec::with_capacity(34);
        path.extend_from_slice(b"year=");
        path.extend_from_slice(&padded::<4>(self.year.into()));
        path.extend_from_slice(b"/month=");
        path.extend_from_slice(&padded::<2>(self.month.into()));
        path.extend_from_slice(b"/day=");
        path.extend_from_slice(&padded::<2>(self.day.into()));
        path.extend_from_slice(b"/hour=");
        path.extend_from_slice(&padded::<2>(self.hour.into()));
        String::from_utf8(path).expect("digits and ASCII")
    }
}

/// The last `N` decimal digits of `n`, zero-padded: the one way dates,
/// times, partition keys and paths write their numbers.
pub(crate) fn padded<const N: usize>(mut n: u32) -> [u8; N] {
    let mut out = [b'0'; N];
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out
}

impl Timestamp {
    /// Parses one of the formats access logs use:
    ///
    /// - Apache `%t`: `[28/Jun/2021:17:22:48 +0900]`;
    /// - nginx `$time_local`: the same without brackets;
    /// - ISO 8601 / RFC 3339 (nginx `$time_iso8601`):
    ///   `2021-06-28T17:22:48+09:00`, with `T` or a space, an optional
    ///   fraction, and an offset of `Z`, `±hh:mm` or `±hhmm` (the last two
    ///   after a space, too, as strftime's `%F %T %z` writes it);
    /// - epoch seconds with an optional fraction (nginx `$msec`):
    ///   `1624868568.123`.
    ///
    /// A time without a UTC offset is rejected, since its zone is unknown.
    /// Fractions keep millisecond precision (further digits are truncated).
    pub fn parse(text: &[u8]) -> Option<Timestamp> {
        match text {
            [b'[', inner @ .., b']'] => parse_common_log(inner),
            [_, _, b'/', ..] => parse_common_log(text),
            [_, _, _, _, b'-', ..] => parse_iso8601(text),
            _ => parse_epoch(text),
        }
    }

    /// Parses a whole number of `per_second`ths of a second since the Unix
    /// epoch, as Apache's `%{msec}t` (1000) and `%{usec}t` (1000000) write
    /// it. Milliseconds are kept; finer digits are truncated.
    pub fn parse_epoch_fraction(text: &[u8], per_second: u32) -> Option<Timestamp> {
        // Up to year 9999, with the fraction's digits.
        let max_digits = 12 + per_second.ilog10() as usize;
        if text.is_empty() || text.len() > max_digits {
            return None;
        }
        let count = digits(text)?;
        let per_second = i64::from(per_second);
        let millis = (count % per_second) * 1000 / per_second;
        Timestamp::new(count / per_second, Some(millis as u16))
    }

    /// The UTC date and hour of this instant.
    pub fn date_hour(&self) -> DateHour {
        let (days, second_of_day) = (
            self.seconds.div_euclid(86_400),
            self.seconds.rem_euclid(86_400),
        );
        let (year, month, day) = civil_from_days(days);
        DateHour {
            // In range: `parse` only builds timestamps with four-digit years.
            year: year as u16,
            month,
            day,
            hour: (second_of_day / 3600) as u8,
        }
    }

    /// The instant `seconds` after the Unix epoch, if its year has four
    /// digits.
    pub fn from_unix_seconds(seconds: i64) -> Option<Timestamp> {
        Timestamp::new(seconds, None)
    }

    /// Reads back what [`write`](Self::write) writes: `YYYY-MM-DD HH:MM:SS`
    /// in UTC, with or without `.fff`.
    pub fn parse_written(text: &[u8]) -> Option<Timestamp> {
        let (date_time, millis) = match text {
            [date_time @ .., b'.', a, b, c] => (date_time, Some(millis(&[*a, *b, *c])?)),
            date_time => (date_time, None),
        };
        let ((year, month, day), [b' ', time @ ..]) = date(date_time)? else {
            return None;
        };
        local_to_timestamp(year, month, day, clock(time)?, 0, millis)
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.seconds * 1000 + i64::from(self.millis.unwrap_or(0))
    }

    /// Microseconds since the Unix epoch (to the millisecond), as Iceberg
    /// stores a timestamp.
    pub fn unix_micros(&self) -> i64 {
        self.unix_millis() * 1000
    }

    /// Appends `YYYY-MM-DD HH:MM:SS`, plus `.fff` when the input had a
    /// fraction.
    pub fn write(&self, out: &mut Vec<u8>) {
        let ([y0, y1, y2, y3], [mo0, mo1], [d0, d1], [h0, h1], [mi0, mi1], [s0, s1]) =
            self.fields();
        out.extend_from_slice(&[
            y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b' ', h0, h1, b':', mi0, mi1, b':', s0,
            s1,
        ]);
        if let Some(millis) = self.millis {
            let [m0, m1, m2] = padded(millis.into());
            out.extend_from_slice(&[b'.', m0, m1, m2]);
        }
    }

    /// Appends ISO 8601's basic form, `YYYYMMDDTHHMMSSZ`, which fits in a
    /// file name.
    pub fn write_basic(&self, out: &mut Vec<u8>) {
        let ([y0, y1, y2, y3], [mo0, mo1], [d0, d1], [h0, h1], [mi0, mi1], [s0, s1]) =
            self.fields();
        out.extend_from_slice(&[
            y0, y1, y2, y3, mo0, mo1, d0, d1, b'T', h0, h1, mi0, mi1, s0, s1, b'Z',
        ]);
    }

    /// The digits of year, month, day, hour, minute and second.
    #[allow(clippy::type_complexity)]
    fn fields(&self) -> ([u8; 4], [u8; 2], [u8; 2], [u8; 2], [u8; 2], [u8; 2]) {
        let DateHour {
            year,
            month,
            day,
            hour,
        } = self.date_hour();
        let second_of_day = self.seconds.rem_euclid(86_400) as u32;
        (
            padded(year.into()),
            padded(month.into()),
            padded(day.into()),
            padded(hour.into()),
            padded(second_of_day / 60 % 60),
            padded(second_of_day % 60),
        )
    }

    fn new(seconds: i64, millis: Option<u16>) -> Option<Timestamp> {
        (MIN_SECONDS..=MAX_SECONDS)
            .contains(&seconds)
            .then_some(Timestamp { seconds, millis })
    }
}

/// `28/Jun/2021:17:22:48 +0900`
fn parse_common_log(text: &[u8]) -> Option<Timestamp> {
    let &[
        d1,
        d2,
        b'/',
        m1,
        m2,
        m3,
        b'/',
        y1,
        y2,
        y3,
        y4,
        b':',
        ref time @ ..,
        b' ',
        sign,
        o1,
        o2,
        o3,
        o4,
    ] = text
    else {
        return None;
    };
    let month = MONTHS.iter().position(|m| **m == [m1, m2, m3])? as u8 + 1;
    let year = digits(&[y1, y2, y3, y4])?;
    let day = digits(&[d1, d2])?;
    let second_of_day = clock(time)?;
    let offset = utc_offset(sign, &[o1, o2], &[o3, o4])?;
    local_to_timestamp(year, month, day, second_of_day, offset, None)
}

/// `2021-06-28T17:22:48.123+09:00`
fn parse_iso8601(text: &[u8]) -> Option<Timestamp> {
    let ((year, month, day), [sep, rest @ ..]) = date(text)? else {
        return None;
    };
    if !matches!(sep, b'T' | b't' | b' ') || rest.len() < 8 {
        return None;
    }
    let (time, rest) = rest.split_at(8);
    let second_of_day = clock(time)?;
    let (millis, zone) = match rest {
        [b'.' | b',', fraction @ ..] => {
            let digits_end = fraction
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(fraction.len());
            let (fraction, zone) = fraction.split_at(digits_end);
            (Some(millis(fraction)?), zone)
        }
        _ => (None, rest),
    };
    let offset = match *zone {
        [b'Z' | b'z'] => 0,
        // strftime's `%T %z`, as Apache's and h2o's `%{…}t` write it, has a
        // space before the offset.
        [sign, h1, h2, b':', m1, m2]
        | [sign, h1, h2, m1, m2]
        | [b' ', sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
        | [b' ', sign @ (b'+' | b'-'), h1, h2, m1, m2] => utc_offset(sign, &[h1, h2], &[m1, m2])?,
        _ => return None,
    };
    local_to_timestamp(year, month, day, second_of_day, offset, millis)
}

/// A year, month and day.
type Date = (i64, u8, i64);

/// `2021-06-28` at the start of `text`, and the rest of `text`.
fn date(text: &[u8]) -> Option<(Date, &[u8])> {
    let &[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, ref rest @ ..] = text else {
        return None;
    };
    let ymd = (
        digits(&[y1, y2, y3, y4])?,
        digits(&[m1, m2])? as u8,
        digits(&[d1, d2])?,
    );
    Some((ymd, rest))
}

/// `1624868568` or `1624868568.123`
fn parse_epoch(text: &[u8]) -> Option<Timestamp> {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    // Twelve digits reach past year 9999; more would only overflow.
    if whole.is_empty() || whole.len() > 12 {
        return None;
    }
    let seconds = digits(whole)?;
    let millis = match fraction {
        Some(fraction) => Some(millis(fraction)?),
        None => None,
    };
    Timestamp::new(seconds, millis)
}

/// `hh:mm:ss` as seconds since midnight.
fn clock(text: &[u8]) -> Option<i64> {
    let &[h1, h2, b':', m1, m2, b':', s1, s2] = text else {
        return None;
    };
    let (hour, minute, second) = (digits(&[h1, h2])?, digits(&[m1, m2])?, digits(&[s1, s2])?);
    (hour < 24 && minute < 60 && second < 60).then_some(hour * 3600 + minute * 60 + second)
}

/// `+hhmm` as seconds east of UTC.
fn utc_offset(sign: u8, hours: &[u8; 2], minutes: &[u8; 2]) -> Option<i64> {
    let (hours, minutes) = (digits(hours)?, digits(minutes)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let seconds = hours * 3600 + minutes * 60;
    match sign {
        b'+' => Some(seconds),
        b'-' => Some(-seconds),
        _ => None,
    }
}

/// A fraction of a second (the digits after the point) as milliseconds.
fn millis(fraction: &[u8]) -> Option<u16> {
    if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut millis = 0;
    for i in 0..3 {
        millis = millis * 10 + fraction.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    Some(millis)
}

/// ASCII digits as a number; `None` for anything else.
fn digits(text: &[u8]) -> Option<i64> {
    text.iter().try_fold(0i64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

fn local_to_timestamp(
    year: i64,
    month: u8,
    day: i64,
    second_of_day: i64,
    offset: i64,
    millis: Option<u16>,
) -> Option<Timestamp> {
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let seconds = days_from_civil(year, month, day as u8) * 86_400 + second_of_day - offset;
    Timestamp::new(seconds, millis)
}

fn days_in_month(year: i64, month: u8) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Option<String> {
        let mut out = Vec::new();
        Timestamp::parse(text.as_bytes())?.write(&mut out);
        Some(String::from_utf8(out).unwrap())
    }

    #[test]
    fn apache_nginx_iso_and_epoch_formats() {
        let expected = Some("2021-06-28 08:22:48".to_owned());
        assert_eq!(utc("[28/Jun/2021:17:22:48 +0900]"), expected);
        assert_eq!(utc("28/Jun/2021:17:22:48 +0900"), expected);
        assert_eq!(utc("2021-06-28T17:22:48+09:00"), expected);
        assert_eq!(utc("2021-06-28T17:22:48+0900"), expected);
        assert_eq!(utc("2021-06-28 17:22:48 +0900"), expected);
        assert_eq!(utc("2021-06-28T17:22:48 +09:00"), expected);
        assert_eq!(utc("2021-06-28 08:22:48Z"), expected);
        assert_eq!(utc("2021-06-28t08:22:48z"), expected);
        assert_eq!(utc("1624868568"), expected);
    }

    #[test]
    fn fractions_keep_milliseconds_only_when_given() {
        assert_eq!(utc("1624868568.123").unwrap(), "2021-06-28 08:22:48.123");
        assert_eq!(utc("1624868568.5").unwrap(), "2021-06-28 08:22:48.500");
        assert_eq!(utc("1624868568.000").unwrap(), "2021-06-28 08:22:48.000");
        assert_eq!(
            utc("2021-06-28T17:22:48.123456+09:00").unwrap(),
            "2021-06-28 08:22:48.123"
        );
        assert_eq!(
            utc("2021-06-28T08:22:48,25Z").unwrap(),
            "2021-06-28 08:22:48.250"
        );
    }

    #[test]
    fn offsets_cross_day_month_and_year_boundaries() {
        assert_eq!(
            utc("[01/Jan/2022:08:59:59 +0900]").unwrap(),
            "2021-12-31 23:59:59"
        );
        assert_eq!(
            utc("31/Dec/2021:20:00:00 -0430").unwrap(),
            "2022-01-01 00:30:00"
        );
        assert_eq!(
            utc("[29/Feb/2024:00:00:00 +0000]").unwrap(),
            "2024-02-29 00:00:00"
        );
        assert_eq!(utc("1970-01-01T00:00:00Z").unwrap(), "1970-01-01 00:00:00");
        assert_eq!(utc("0").unwrap(), "1970-01-01 00:00:00");
    }

    #[test]
    fn rejects_what_is_not_a_valid_instant() {
        for bad in [
            "",
            "-",
            "[28/Jun/2021:17:22:48 +0900",
            "28/Jun/2021:17:22:48",
            "28/jun/2021:17:22:48 +0900",
            "28/Jun/2021:24:00:00 +0900",
            "28/Jun/2021:17:60:48 +0900",
            "28/Jun/2021:17:22:60 +0900",
            "28/Jun/2021:17:22:48 +2400",
            "28/Jun/2021:17:22:48 *0900",
            "29/Feb/2023:00:00:00 +0000",
            "31/Apr/2021:00:00:00 +0000",
            "00/Jan/2021:00:00:00 +0000",
            "2021-06-28T17:22:48",
            "2021-06-28T17:22:48.Z",
            "2021-13-01T00:00:00Z",
            "2021-06-28X17:22:48Z",
            "2021-06-28T17:22:48+09",
            "2021-06-28T17:22:48 Z",
            "2021-06-28T17:22:48  +0900",
            "2021-06-28T17:22:48 0900",
            "1624868568.",
            "1624868568.12a",
            "-1624868568",
            "+1624868568",
            "1e9",
            "1624868568123456",
            "253402300800",
            "[01/Jan/0000:00:00:00 +0100]",
        ] {
            assert_eq!(utc(bad), None, "{bad:?}");
        }
        assert_eq!(utc("253402300799").unwrap(), "9999-12-31 23:59:59");
        assert_eq!(
            utc("[31/Dec/9999:23:59:59 +0000]").unwrap(),
            "9999-12-31 23:59:59"
        );
    }

    #[test]
    fn every_day_from_year_0_to_9999_follows_the_calendar() {
        let first = days_from_civil(0, 1, 1);
        assert_eq!(first * 86_400, MIN_SECONDS);
        let (mut year, mut month, mut day) = (0, 1, 1);
        for days in first..=days_from_civil(9999, 12, 31) {
            assert_eq!(civil_from_days(days), (year, month, day));
            assert_eq!(days_from_civil(year, month, day), days);
            day += 1;
            if i64::from(day) > days_in_month(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
        assert_eq!((year, month, day), (10000, 1, 1));
    }

    #[test]
    fn epoch_milliseconds_and_microseconds() {
        let at = |text: &str, per_second| {
            let mut out = Vec::new();
            Timestamp::parse_epoch_fraction(text.as_bytes(), per_second)?.write(&mut out);
            Some(String::from_utf8(out).unwrap())
        };
        assert_eq!(
            at("1624868568123", 1000).unwrap(),
            "2021-06-28 08:22:48.123"
        );
        assert_eq!(
            at("1624868568000", 1000).unwrap(),
            "2021-06-28 08:22:48.000"
        );
        assert_eq!(
            at("1624868568123456", 1_000_000).unwrap(),
            "2021-06-28 08:22:48.123"
        );
        assert_eq!(at("0", 1000).unwrap(), "1970-01-01 00:00:00.000");
        assert_eq!(
            at("253402300799999", 1000).unwrap(),
            "9999-12-31 23:59:59.999"
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "12a",
            "+1",
            "253402300800000",
            "1234567890123456",
        ] {
            assert_eq!(at(bad, 1000), None, "{bad:?}");
        }
        assert_eq!(at("1234567890123456789", 1_000_000), None);
    }

    #[test]
    fn what_is_written_reads_back_to_the_same_instant() {
        for text in [
            "[28/Jun/2021:17:22:48 +0900]",
            "1624868568.123",
            "0",
            "253402300799",
            "[01/Jan/0000:00:00:00 +0000]",
        ] {
            let time = Timestamp::parse(text.as_bytes()).unwrap();
            let mut written = Vec::new();
            time.write(&mut written);
            assert_eq!(Timestamp::parse_written(&written), Some(time), "{text}");
        }
        let time = Timestamp::parse_written(b"2021-06-28 08:22:48.123").unwrap();
        assert_eq!(time.unix_millis(), 1_624_868_568_123);
        assert_eq!(
            Timestamp::parse_written(b"1970-01-01 00:00:00").map(|t| t.unix_millis()),
            Some(0)
        );
        for bad in [
            "2021-06-28T08:22:48",
            "2021-06-28 08:22:48Z",
            "2021-06-28 08:22:48.12",
            "2021-02-30 08:22:48",
            "2021-06-28 24:00:00",
            "",
        ] {
            assert_eq!(Timestamp::parse_written(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn short_iso_times_are_refused_not_misread() {
        for short in [
            "2021-06-28T17:22",
            "2021-06-28T",
            "2021-06-28 1",
            "2021-06-28T17:22:4",
            "2021-06-28",
        ] {
            assert_eq!(utc(short), None, "{short:?}");
        }
    }

    #[test]
    fn numbers_are_zero_padded_and_cut_to_width() {
        assert_eq!(padded::<4>(7), *b"0007");
        assert_eq!(padded::<2>(31), *b"31");
        assert_eq!(padded::<2>(2021), *b"21");
        assert_eq!(padded::<3>(0), *b"000");
    }

    #[test]
    fn hours_name_their_partition_folder() {
        let hour = |year, month, day, hour| DateHour {
            year,
            month,
            day,
            hour,
        };
        assert_eq!(
            hour(2021, 6, 8, 0).partition_path(),
            "year=2021/month=06/day=08/hour=00"
        );
        assert_eq!(
            hour(999, 12, 31, 23).partition_path(),
            "year=0999/month=12/day=31/hour=23"
        );
    }

    #[test]
    fn the_basic_form_fits_a_file_name() {
        let mut out = Vec::new();
        Timestamp::from_unix_seconds(1_624_868_568)
            .unwrap()
            .write_basic(&mut out);
        assert_eq!(out, b"20210628T082248Z");
        assert_eq!(Timestamp::from_unix_seconds(MAX_SECONDS + 1), None);
        assert_eq!(Timestamp::from_unix_seconds(MIN_SECONDS - 1), None);
    }

    #[test]
    fn date_hour_is_utc() {
        let time = Timestamp::parse(b"[01/Jan/2022:08:59:59 +0900]").unwrap();
        assert_eq!(
            time.date_hour(),
            DateHour {
                year: 2021,
                month: 12,
                day: 31,
                hour: 23
            }
        );
    }
}
