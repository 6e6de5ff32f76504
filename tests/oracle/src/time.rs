//! Times as README.md describes them ("Time"), with chrono as the
//! calendar: Apache `%t`, nginx `$time_local`, ISO 8601 with an offset,
//! and epoch seconds, each read into a UTC instant; and whole milliseconds
//! or microseconds since the epoch (`time_msec`, `time_usec`).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike};

use crate::settings::Type;

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// An instant with a four-digit UTC year, and the milliseconds of its
/// fraction when the text had one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    /// The instant, in UTC.
    pub utc: NaiveDateTime,
    /// The first three digits of the fraction, padded with zeros.
    pub millis: Option<u32>,
}

impl Time {
    /// Reads one of the formats:
    ///
    /// - `[dd/Mon/yyyy:HH:MM:SS ±hhmm]` (Apache `%t`), or the same without
    ///   brackets (nginx `$time_local`);
    /// - `yyyy-mm-ddTHH:MM:SS`, with `T`, `t` or a space between date and
    ///   time, an optional fraction after `.` or `,`, and an offset `Z`,
    ///   `z`, `±hh:mm` or `±hhmm`, the last two after one space too
    ///   (ISO 8601, nginx `$time_iso8601`, strftime's `%F %T %z`);
    /// - up to twelve digits of seconds since the Unix epoch, with an
    ///   optional fraction after `.` (nginx `$msec`).
    ///
    /// Offsets are at most 23 hours and 59 minutes; the date must exist,
    /// the clock be at most 23:59:59, and the UTC year have four digits.
    pub fn parse(text: &[u8]) -> Option<Time> {
        if let [b'[', inner @ .., b']'] = text {
            return common_log(inner);
        }
        common_log(text)
            .or_else(|| iso8601(text))
            .or_else(|| epoch(text))
    }

    /// Reads a value of a time type: [`Time::parse`] for `time`,
    /// [`Time::from_epoch_units`] in milliseconds or microseconds for
    /// `time_msec` and `time_usec`.
    pub fn parse_as(ty: Type, text: &[u8]) -> Option<Time> {
        match ty {
            Type::TimeMsec => Time::from_epoch_units(text, 1_000),
            Type::TimeUsec => Time::from_epoch_units(text, 1_000_000),
            _ => Time::parse(text),
        }
    }

    /// A whole number of `per_second`ths of a second since the Unix epoch:
    /// ASCII digits only (no sign, point or exponent), as many as the
    /// instants up to 9999-12-31 need (15 for milliseconds, 18 for
    /// microseconds), and within the four-digit years. The milliseconds
    /// are always written; finer digits are dropped, not rounded.
    pub fn from_epoch_units(text: &[u8], per_second: u64) -> Option<Time> {
        let max_digits = 12 + per_second.ilog10() as usize;
        if text.len() > max_digits {
            return None;
        }
        let units = number(text)?;
        let seconds = i64::try_from(units / per_second).ok()?;
        let millis = u32::try_from(units % per_second * 1_000 / per_second).ok()?;
        utc(
            DateTime::from_timestamp(seconds, 0)?.naive_utc(),
            0,
            Some(millis),
        )
    }

    /// `YYYY-MM-DD HH:MM:SS`, with `.fff` when the text had a fraction.
    pub fn text(&self) -> String {
        let mut text = self.utc.format("%Y-%m-%d %H:%M:%S").to_string();
        if let Some(millis) = self.millis {
            text.push_str(&format!(".{millis:03}"));
        }
        text
    }

    /// The UTC year, month, day and hour, as partition keys write them.
    pub fn date_hour(&self) -> [String; 4] {
        let utc = self.utc;
        [
            format!("{:04}", utc.year()),
            format!("{:02}", utc.month()),
            format!("{:02}", utc.day()),
            format!("{:02}", utc.hour()),
        ]
    }
}

/// `dd/Mon/yyyy:HH:MM:SS ±hhmm`
fn common_log(text: &[u8]) -> Option<Time> {
    let [
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
        clock @ ..,
    ] = text
    else {
        return None;
    };
    let [clock @ .., b' ', sign, oh1, oh2, om1, om2] = clock else {
        return None;
    };
    let month = MONTHS.iter().position(|m| *m == [*m1, *m2, *m3])? + 1;
    let date = date(number(&[*y1, *y2, *y3, *y4])?, month, number(&[*d1, *d2])?)?;
    let offset = offset(*sign, &[*oh1, *oh2], &[*om1, *om2])?;
    utc(date.and_time(time_of_day(clock)?), offset, None)
}

/// `yyyy-mm-ddTHH:MM:SS[.fff]±hh:mm`
fn iso8601(text: &[u8]) -> Option<Time> {
    let [
        y1,
        y2,
        y3,
        y4,
        b'-',
        mo1,
        mo2,
        b'-',
        d1,
        d2,
        b'T' | b't' | b' ',
        h1,
        h2,
        b':',
        mi1,
        mi2,
        b':',
        s1,
        s2,
        rest @ ..,
    ] = text
    else {
        return None;
    };
    let date = date(
        number(&[*y1, *y2, *y3, *y4])?,
        number(&[*mo1, *mo2])? as usize,
        number(&[*d1, *d2])?,
    )?;
    let clock = time_of_day(&[*h1, *h2, b':', *mi1, *mi2, b':', *s1, *s2])?;
    let (millis, zone) = match rest {
        [b'.' | b',', fraction @ ..] => {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            (Some(millis(&fraction[..digits])?), &fraction[digits..])
        }
        _ => (None, rest),
    };
    // A numeric offset may follow one space (strftime's `%T %z`).
    let zone = match zone {
        [b' ', rest @ ..] if rest.len() >= 5 => rest,
        zone => zone,
    };
    let offset = match *zone {
        [b'Z' | b'z'] => 0,
        [sign, h1, h2, b':', m1, m2] | [sign, h1, h2, m1, m2] => {
            offset(sign, &[h1, h2], &[m1, m2])?
        }
        _ => return None,
    };
    utc(date.and_time(clock), offset, millis)
}

/// `1624868568` or `1624868568.123`
fn epoch(text: &[u8]) -> Option<Time> {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    if !(1..=12).contains(&whole.len()) {
        return None;
    }
    let seconds = i64::try_from(number(whole)?).ok()?;
    let millis = match fraction {
        Some(fraction) => Some(millis(fraction)?),
        None => None,
    };
    utc(DateTime::from_timestamp(seconds, 0)?.naive_utc(), 0, millis)
}

/// ASCII digits as a number; `None` for anything else, signs included.
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn date(year: u64, month: usize, day: u64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )
}

/// `HH:MM:SS`, up to 23:59:59.
fn time_of_day(clock: &[u8]) -> Option<chrono::NaiveTime> {
    let [h1, h2, b':', m1, m2, b':', s1, s2] = *clock else {
        return None;
    };
    let [hour, minute, second] = [[h1, h2], [m1, m2], [s1, s2]]
        .map(|pair| number(&pair).and_then(|n| u32::try_from(n).ok()));
    chrono::NaiveTime::from_hms_opt(hour?, minute?, second?)
}

/// `±hhmm` as seconds east of UTC: hours up to 23, minutes up to 59.
fn offset(sign: u8, hours: &[u8; 2], minutes: &[u8; 2]) -> Option<i64> {
    let (hours, minutes) = (number(hours)?, number(minutes)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let seconds = i64::try_from(hours * 3600 + minutes * 60).ok()?;
    match sign {
        b'+' => Some(seconds),
        b'-' => Some(-seconds),
        _ => None,
    }
}

/// The first three digits of a fraction as milliseconds: at least one
/// digit, and any number of them, the finer ones dropped, not rounded.
fn millis(fraction: &[u8]) -> Option<u32> {
    if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let padded: Vec<u8> = fraction.iter().copied().chain([b'0'; 3]).take(3).collect();
    u32::try_from(number(&padded)?).ok()
}

/// The UTC instant of a local time `offset` seconds east of UTC, if its
/// year has four digits.
fn utc(local: NaiveDateTime, offset: i64, millis: Option<u32>) -> Option<Time> {
    let utc = local.checked_sub_signed(TimeDelta::seconds(offset))?;
    (0..=9999)
        .contains(&utc.year())
        .then_some(Time { utc, millis })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Option<String> {
        Time::parse(text.as_bytes()).map(|time| time.text())
    }

    #[test]
    fn each_format_gives_its_utc_instant() {
        for text in [
            "[28/Jun/2021:17:22:48 +0900]",
            "28/Jun/2021:17:22:48 +0900",
            "2021-06-28T17:22:48+09:00",
            "2021-06-28t17:22:48+0900",
            "2021-06-28 17:22:48 +0900",
            "2021-06-28 08:22:48Z",
            "2021-06-28T03:22:48-05:00",
            "1624868568",
        ] {
            assert_eq!(
                parsed(text).as_deref(),
                Some("2021-06-28 08:22:48"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_fraction_keeps_three_digits() {
        for (text, written) in [
            ("1624868568.5", "2021-06-28 08:22:48.500"),
            ("1624868568.1239", "2021-06-28 08:22:48.123"),
            ("2021-06-28T17:22:48,05+09:00", "2021-06-28 08:22:48.050"),
            ("2021-06-28T17:22:48.000Z", "2021-06-28 17:22:48.000"),
            // Any number of digits: more than a u64 holds, too.
            (
                "1624868568.12162486824868568123456",
                "2021-06-28 08:22:48.121",
            ),
            (
                "2021-06-28T17:22:48.99999999999999999999999+09:00",
                "2021-06-28 08:22:48.999",
            ),
        ] {
            assert_eq!(parsed(text).as_deref(), Some(written), "{text}");
        }
    }

    #[test]
    fn offsets_cross_days_and_years() {
        assert_eq!(
            parsed("[01/Jan/2022:08:30:00 +0900]").as_deref(),
            Some("2021-12-31 23:30:00")
        );
        assert_eq!(
            parsed("[29/Feb/2024:12:00:00 -1200]").as_deref(),
            Some("2024-03-01 00:00:00")
        );
        assert_eq!(
            Time::parse(b"2021-12-31T20:15:00-04:00")
                .unwrap()
                .date_hour(),
            ["2022", "01", "01", "00"]
        );
    }

    #[test]
    fn the_four_digit_years_are_the_range() {
        assert_eq!(
            parsed("[01/Jan/0000:00:00:00 +0000]").as_deref(),
            Some("0000-01-01 00:00:00")
        );
        assert_eq!(parsed("[01/Jan/0000:00:00:00 +0001]"), None);
        assert_eq!(
            parsed("253402300799").as_deref(),
            Some("9999-12-31 23:59:59")
        );
        assert_eq!(parsed("253402300800"), None);
        assert_eq!(parsed("[31/Dec/9999:23:59:59 -0001]"), None);
    }

    #[test]
    fn epoch_units_are_whole_milliseconds_or_microseconds() {
        let at = |text: &str, per_second| {
            Time::from_epoch_units(text.as_bytes(), per_second).map(|time| time.text())
        };
        for (text, per_second, written) in [
            ("1624868568123", 1_000, "2021-06-28 08:22:48.123"),
            ("1624868568000", 1_000, "2021-06-28 08:22:48.000"),
            ("1624868568123999", 1_000_000, "2021-06-28 08:22:48.123"),
            ("0", 1_000, "1970-01-01 00:00:00.000"),
            ("999", 1_000_000, "1970-01-01 00:00:00.000"),
            ("000000000000001", 1_000, "1970-01-01 00:00:00.001"),
            ("253402300799999", 1_000, "9999-12-31 23:59:59.999"),
            ("253402300799999999", 1_000_000, "9999-12-31 23:59:59.999"),
        ] {
            assert_eq!(at(text, per_second).as_deref(), Some(written), "{text}");
        }
        for (text, per_second) in [
            ("", 1_000),
            ("-1", 1_000),
            ("+1", 1_000),
            ("1.5", 1_000),
            ("1e3", 1_000),
            (" 1", 1_000),
            ("١", 1_000),
            ("253402300800000", 1_000),
            ("0000000000000001", 1_000),
            ("253402300800000000", 1_000_000),
            ("0000000000000000001", 1_000_000),
            ("99999999999999999999999", 1_000_000),
        ] {
            assert_eq!(at(text, per_second), None, "{text:?}");
        }
        assert_eq!(
            Time::parse_as(Type::TimeUsec, b"1624868568123456")
                .unwrap()
                .date_hour(),
            ["2021", "06", "28", "08"]
        );
        assert_eq!(
            Time::parse_as(Type::TimeMsec, b"1624868568"),
            Time::from_epoch_units(b"1624868568", 1_000)
        );
        assert_eq!(Time::parse_as(Type::Time, b"1624868568123"), None);
    }

    #[test]
    fn what_is_not_a_time() {
        for text in [
            "",
            "soon",
            "[31/Apr/2021:00:00:00 +0000]",
            "[29/Feb/2021:00:00:00 +0000]",
            "[28/jun/2021:17:22:48 +0900]",
            "[28/Jun/2021:24:00:00 +0900]",
            "[28/Jun/2021:23:60:00 +0900]",
            "[28/Jun/2021:23:59:60 +0900]",
            "[28/Jun/2021:17:22:48 +2400]",
            "[28/Jun/2021:17:22:48 +0060]",
            "[28/Jun/2021:17:22:48 0900]",
            "[28/Jun/2021:17:22:48]",
            "[28/Jun/2021:17:22:48 +0900",
            "28/Jun/2021:17:22:48 +0900]",
            "[2021-06-28T17:22:48+09:00]",
            // ISO 8601 needs an offset, and the whole clock.
            "2021-06-28T17:22:48",
            "2021-06-28T17:22:48 Z",
            "2021-06-28T17:22:48  +0900",
            "2021-06-28T17:22",
            "2021-06-28T",
            "2021-06-28 1",
            "2021-06-28T17:22:48.+09:00",
            "2021-06-28T17:22:48+9:00",
            "2021-06-28T17:22:48+09",
            "+2021-06-28T17:22:48Z",
            // Epoch seconds: digits, at most twelve, no sign.
            "-1",
            "+1",
            "1e3",
            "1624868568.",
            ".5",
            "0000000000001",
            "1624868568.1.2",
            "١٢",
        ] {
            assert_eq!(parsed(text), None, "{text:?}");
        }
    }
}
