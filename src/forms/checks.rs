//! Checks and formats of the values typed in forms (IBAN, French numbers, dates),
//! shared by the server and the browser: `std` only.

/// The IBAN lengths of the countries people of the département use most; other
/// countries get the generic 15 to 34 characters.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
    // French overseas territories that may use their own code: French format.
    ("BL", 27),
    ("GF", 27),
    ("GP", 27),
    ("MF", 27),
    ("MQ", 27),
    ("NC", 27),
    ("PF", 27),
    ("PM", 27),
    ("RE", 27),
    ("TF", 27),
    ("WF", 27),
    ("YT", 27),
];

/// The shortest and longest IBAN of any country (ISO 13616).
pub const IBAN_GENERIC_LENGTH: std::ops::RangeInclusive<usize> = 15..=34;

/// Why a typed IBAN is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IbanError {
    /// Something else than letters and digits (spaces aside).
    Characters,
    /// It does not start with a country code (2 letters) and 2 check digits.
    Start,
    /// Not the length of its country (`expected`), or outside 15..=34 (`None`).
    Length {
        expected: Option<usize>,
        found: usize,
    },
    /// The check digits do not match (ISO 13616 mod-97).
    Checksum,
}

impl IbanError {
    /// A French message without the question's name.
    pub fn message(self) -> &'static str {
        match self {
            IbanError::Characters => {
                "Un IBAN ne contient que des lettres et des chiffres, par exemple FR76 3000 6000 0112 3456 7890 189."
            }
            IbanError::Start => {
                "Un IBAN commence par le code du pays et 2 chiffres, par exemple FR76."
            }
            IbanError::Length { .. } => {
                "Cet IBAN n’a pas le bon nombre de caractères : vérifiez qu’il est complet."
            }
            IbanError::Checksum => "Cet IBAN n’existe pas : vérifiez chaque caractère.",
        }
    }
}

/// Checks an IBAN and says precisely what is wrong. Whitespace is ignored and
/// letters are upper-cased; returns the compact form (`FR7630006000011234567890189`).
pub fn parse_iban(value: &str) -> Result<String, IbanError> {
    let iban: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(IbanError::Characters);
    }
    let bytes = iban.as_bytes();
    if bytes.len() < 4
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        // 00, 01 and 99 are never issued (the check digits run from 02 to 98).
        || matches!(&iban[2..4], "00" | "01" | "99")
    {
        return Err(IbanError::Start);
    }
    let found = iban.len();
    match IBAN_LENGTHS
        .iter()
        .find(|(country, _)| *country == &iban[..2])
    {
        Some(&(_, expected)) if expected != found => {
            return Err(IbanError::Length {
                expected: Some(expected),
                found,
            });
        }
        None if !IBAN_GENERIC_LENGTH.contains(&found) => {
            return Err(IbanError::Length {
                expected: None,
                found,
            });
        }
        _ => {}
    }
    // ISO 13616: move the first 4 characters to the end, read letters as 10..=35,
    // and the whole number modulo 97 must be 1. The remainder is carried digit by
    // digit so that no big integer is needed.
    let mut remainder: u32 = 0;
    for c in iban[4..].chars().chain(iban[..4].chars()) {
        remainder = match c.to_digit(36) {
            Some(d) if d < 10 => (remainder * 10 + d) % 97,
            Some(d) => (remainder * 100 + d) % 97,
            None => return Err(IbanError::Characters),
        };
    }
    if remainder == 1 {
        Ok(iban)
    } else {
        Err(IbanError::Checksum)
    }
}

/// Checks an IBAN (see [`parse_iban`]); the error is a French message.
pub fn check_iban(value: &str) -> Result<String, &'static str> {
    parse_iban(value).map_err(IbanError::message)
}

/// `FR7630006000011234567890189` → `FR76 3000 6000 0112 3456 7890 189`.
pub fn format_iban(compact: &str) -> String {
    let chars: Vec<char> = compact.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A number as people type it in France: `1 234,50`, `1234.5`, `-3`, `1 500 €`.
/// Spaces (any kind) are ignored, the decimal separator is `,` or `.` (one at most:
/// `1.234,5` is refused as ambiguous), a trailing `€` is allowed.
pub fn parse_number_fr(value: &str) -> Option<f64> {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact.strip_suffix('€').unwrap_or(&compact);
    let (negative, body) = match compact.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest),
        None => (false, compact.strip_prefix('+').unwrap_or(compact)),
    };
    let mut parts = body.split([',', '.']);
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next().unwrap_or_default();
    if parts.next().is_some()
        || (whole.is_empty() && fraction.is_empty())
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole = if whole.is_empty() { "0" } else { whole };
    let number: f64 = format!("{whole}.{fraction}0").parse().ok()?;
    if !number.is_finite() {
        return None;
    }
    Some(if negative { -number } else { number })
}

/// The thousands separator of French numbers: a narrow no-break space.
pub const THOUSANDS_SEPARATOR: char = '\u{202F}';

/// A number the French way: `1 500`, `1 234,5`, `-0,25` (thousands separated by a
/// narrow no-break space, at most 6 decimals, no trailing zeros).
pub fn format_number_fr(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let text = format!("{:.6}", value.abs());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(THOUSANDS_SEPARATOR);
        }
        grouped.push(digit);
    }
    let is_zero = whole.chars().chain(fraction.chars()).all(|c| c == '0');
    let sign = if value < 0.0 && !is_zero { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{fraction}")
    }
}

/// A number with its unit after a no-break space: « 1 500 € », « 12 km »; the number
/// alone without a unit.
pub fn format_number_with_unit(value: f64, unit: Option<&str>) -> String {
    match unit.map(str::trim) {
        Some(unit) if !unit.is_empty() => format!("{}\u{A0}{unit}", format_number_fr(value)),
        _ => format_number_fr(value),
    }
}

/// A SIRET as printed: `21350238800019` → `213 502 388 00019` (SIREN in groups of 3,
/// then the 5 digits of the establishment). Other lengths are returned unchanged.
pub fn format_siret(compact: &str) -> String {
    let digits: Vec<char> = compact.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 14 {
        return compact.to_owned();
    }
    let part = |range: std::ops::Range<usize>| digits[range].iter().collect::<String>();
    format!(
        "{} {} {} {}",
        part(0..3),
        part(3..6),
        part(6..9),
        part(9..14)
    )
}

/// Whether `year` is a leap year (Gregorian calendar).
pub fn is_leap_year(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// The number of days of a month (1 to 12); 0 for another month number.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A date as `<input type="date">` sends it (`2026-07-14`) or as typed by hand
/// (`14/07/2026`, `1/7/2026`, `14.07.2026`) → `YYYY-MM-DD`, if it exists in the
/// calendar. The year has 4 digits, from 1000.
pub fn parse_date(value: &str) -> Option<String> {
    let value = value.trim();
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        (lengths.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let parts: Vec<&str> = value.split('-').collect();
    let (year, month, day) = if let [y, m, d] = parts[..] {
        (digits(y, 4..=4)?, digits(m, 2..=2)?, digits(d, 2..=2)?)
    } else {
        let parts: Vec<&str> = value.split(['/', '.']).collect();
        let [d, m, y] = parts[..] else {
            return None;
        };
        (digits(y, 4..=4)?, digits(m, 1..=2)?, digits(d, 1..=2)?)
    };
    (year >= 1000 && (1..=days_in_month(year, month)).contains(&day))
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ibans_pass_the_mod_97_check() {
        assert_eq!(
            check_iban("FR76 3000 6000 0112 3456 7890 189").as_deref(),
            Ok("FR7630006000011234567890189")
        );
        assert_eq!(
            check_iban(" fr76 3000 6000 0112 3456 7890 189 ").as_deref(),
            Ok("FR7630006000011234567890189")
        );
        for valid in [
            "DE89 3704 0044 0532 0130 00",
            "GB82 WEST 1234 5698 7654 32",
            "BE68 5390 0754 7034",
            "CH93 0076 2011 6238 5295 7",
            "NL91 ABNA 0417 1643 00",
            "ES91 2100 0418 4502 0005 1332",
            "IT60 X054 2811 1010 0000 0123 456",
            "LU28 0019 4006 4475 0000",
            "PT50 0002 0123 1234 5678 9015 4",
            "MC58 1122 2000 0101 2345 6789 030",
        ] {
            assert!(check_iban(valid).is_ok(), "{valid}");
        }
    }

    #[test]
    fn a_changed_character_breaks_the_iban() {
        assert_eq!(
            parse_iban("FR76 3000 6000 0112 3456 7890 188"),
            Err(IbanError::Checksum)
        );
        assert_eq!(
            parse_iban("FR76 3000 6000 0112 3456 7809 189"),
            Err(IbanError::Checksum)
        );
        assert_eq!(
            parse_iban("DE89 3704 0044 0532 0130 01"),
            Err(IbanError::Checksum)
        );
    }

    #[test]
    fn iban_shape_errors() {
        assert_eq!(
            parse_iban("FR76 3000 6000 0112 3456 7890 18"),
            Err(IbanError::Length {
                expected: Some(27),
                found: 26
            })
        );
        assert_eq!(parse_iban("FR76-3000"), Err(IbanError::Characters));
        assert_eq!(
            parse_iban("7630006000011234567890189"),
            Err(IbanError::Start)
        );
        assert_eq!(parse_iban("FR"), Err(IbanError::Start));
        assert_eq!(parse_iban(""), Err(IbanError::Start));
        assert_eq!(
            parse_iban("FR01 3000 6000 0112 3456 7890 189"),
            Err(IbanError::Start)
        );
        assert_eq!(
            parse_iban("XK12 3456"),
            Err(IbanError::Length {
                expected: None,
                found: 8
            })
        );
        // Kosovo is not in the table: generic length, real check digits.
        assert!(check_iban("XK05 1212 0123 4567 8906").is_ok());
        assert!(check_iban("FR76 3000 6000 0112 3456 7890 18É").is_err());
    }

    #[test]
    fn ibans_are_shown_in_groups_of_four() {
        assert_eq!(
            format_iban("FR7630006000011234567890189"),
            "FR76 3000 6000 0112 3456 7890 189"
        );
        assert_eq!(format_iban("BE68539007547034"), "BE68 5390 0754 7034");
        assert_eq!(format_iban(""), "");
    }

    #[test]
    fn french_numbers_are_parsed() {
        assert_eq!(parse_number_fr("1 234,50"), Some(1234.5));
        assert_eq!(parse_number_fr("1\u{202F}234,50"), Some(1234.5));
        assert_eq!(parse_number_fr("1\u{A0}500"), Some(1500.0));
        assert_eq!(parse_number_fr("1234.5"), Some(1234.5));
        assert_eq!(parse_number_fr(" 42 "), Some(42.0));
        assert_eq!(parse_number_fr("-3"), Some(-3.0));
        assert_eq!(parse_number_fr("+3"), Some(3.0));
        assert_eq!(parse_number_fr(",5"), Some(0.5));
        assert_eq!(parse_number_fr("5,"), Some(5.0));
        assert_eq!(parse_number_fr("1 500 €"), Some(1500.0));
        for bad in [
            "", " ", ",", "-", "abc", "1.234,5", "1,2,3", "12a", "1e5", "--3", "€", "NaN", "inf",
        ] {
            assert_eq!(parse_number_fr(bad), None, "{bad}");
        }
    }

    #[test]
    fn french_numbers_are_formatted() {
        assert_eq!(format_number_fr(1500.0), "1\u{202F}500");
        assert_eq!(format_number_fr(1234.5), "1\u{202F}234,5");
        assert_eq!(format_number_fr(1234.50), "1\u{202F}234,5");
        assert_eq!(
            format_number_fr(-1_234_567.25),
            "-1\u{202F}234\u{202F}567,25"
        );
        assert_eq!(format_number_fr(999.0), "999");
        assert_eq!(format_number_fr(100_000.0), "100\u{202F}000");
        assert_eq!(format_number_fr(0.1 + 0.2), "0,3");
        assert_eq!(format_number_fr(0.0), "0");
        assert_eq!(format_number_fr(-0.0), "0");
        assert_eq!(format_number_fr(-0.25), "-0,25");
        assert_eq!(format_number_fr(12.0), "12");
    }

    #[test]
    fn units_and_sirets_are_formatted() {
        assert_eq!(
            format_number_with_unit(1500.0, Some("€")),
            "1\u{202F}500\u{A0}€"
        );
        assert_eq!(format_number_with_unit(2.5, Some(" km ")), "2,5\u{A0}km");
        assert_eq!(format_number_with_unit(3.0, Some("")), "3");
        assert_eq!(format_number_with_unit(3.0, None), "3");
        assert_eq!(format_siret("21350238800019"), "213 502 388 00019");
        assert_eq!(format_siret("123"), "123");
    }

    #[test]
    fn dates_are_real_calendar_dates() {
        assert_eq!(parse_date("2026-07-14").as_deref(), Some("2026-07-14"));
        assert_eq!(parse_date(" 14/07/2026 ").as_deref(), Some("2026-07-14"));
        assert_eq!(parse_date("1/7/2026").as_deref(), Some("2026-07-01"));
        assert_eq!(parse_date("14.07.2026").as_deref(), Some("2026-07-14"));
        assert_eq!(parse_date("29/02/2024").as_deref(), Some("2024-02-29"));
        assert_eq!(parse_date("29/02/2000").as_deref(), Some("2000-02-29"));
        for bad in [
            "29/02/2025",
            "2025-02-29",
            "29/02/1900",
            "31/04/2026",
            "00/01/2026",
            "14/13/2026",
            "14/07/26",
            "2026-7-14",
            "14-07-2026",
            "14/07/0026",
            "2026/07/14",
            "",
            "demain",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
