//! TOTP second factor (RFC 6238) for instructors and administrators: the pure logic,
//! with no database or HTTP in it.
//!
//! - a 160-bit secret, shown as unpadded upper-case Base32 (RFC 4648), the form that
//!   authenticator apps expect, in an `otpauth://` URI, as an inline SVG QR code, and
//!   in groups of four characters for manual entry;
//! - verification of a 6-digit code, 30-second steps, one step of clock drift either
//!   way, and refusal of any step already used (RFC 6238 §5.2: a code is accepted once);
//! - single-use recovery codes, of which only a SHA-256 is stored.
//!
//! The one-time passwords are computed by the `totp-rs` crate rather than by hand on
//! `hmac` + `sha1`: it is maintained, tested against the RFC vectors, compares tokens
//! in constant time, is built on the RustCrypto `hmac`/`sha1` crates already in our
//! dependency tree, and with only its `alloc` feature it brings in no clock, random
//! generator, URL parser or image encoder. It leaves replay prevention to its caller
//! (see `verify`), and the otpauth URI is written here so that its exact form (issuer,
//! parameters, encoding) is ours; the QR code comes from `qrcode` with its `svg`
//! renderer only.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use rand::Rng;
use rand::RngCore;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Name shown in the authenticator app, as issuer and label prefix.
const ISSUER: &str = "Guichet Vallée-Verte";
/// Length of a step, in seconds (the value every authenticator app uses).
const STEP_SECONDS: u64 = 30;
/// Digits of a code.
const DIGITS: u8 = 6;
/// Steps accepted on either side of the current one, for clock drift.
const DRIFT_STEPS: u64 = 1;
/// 160 bits, the size RFC 4226 §4 recommends.
const SECRET_BYTES: usize = 20;
/// Longest input looked at as a code, spaces included; anything longer is refused.
const MAX_CODE_INPUT: usize = 32;

/// Accessible name of the QR code image.
const QR_ARIA_LABEL: &str = "QR code à scanner avec votre application d’authentification";
/// Width and height at which the QR code is displayed, in CSS pixels.
const QR_DISPLAY_SIZE: u32 = 200;
/// Width of the quiet zone the renderer adds around a (non-micro) QR code, in modules.
const QR_QUIET_ZONE_MODULES: usize = 4;

/// Number of recovery codes given at once.
const RECOVERY_CODE_COUNT: usize = 10;
/// Characters of each group of a recovery code (`XXXX-XXXX-XXXX`).
const RECOVERY_GROUP_LEN: usize = 4;
const RECOVERY_GROUPS: usize = 3;
/// Upper-case letters and digits without the look-alikes 0/O, 1/I/L: 31 symbols, so a
/// 12-character code carries 12 × log2(31) ≈ 59.5 bits.
const RECOVERY_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A new random 160-bit secret, Base32-encoded (RFC 4648, upper case, no padding):
/// 32 characters.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    Secret::new_stack(bytes).to_base32()
}

/// The `otpauth://` URI that authenticator apps import (through the QR code):
/// `otpauth://totp/Guichet%20Vall%C3%A9e-Verte:{email}?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(secret: &str, account_email: &str) -> String {
    let issuer = percent_encode(ISSUER);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account_email),
        secret = percent_encode(&normalize_secret(secret)),
    )
}

/// The QR code of `uri` as an inline SVG element, ready to be put in an HTML page:
/// black modules on white with the standard quiet zone, `role="img"` and an
/// `aria-label`, displayed 200 × 200 (the `viewBox` scales it).
///
/// Returns an empty string if `uri` is too long for a QR code (over 2,000 bytes or
/// so), which an otpauth URI never is.
pub fn qr_svg(uri: &str) -> String {
    let Ok(code) = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M) else {
        return String::new();
    };
    // One user unit per module: the viewBox is the code's size in modules, and the
    // width and height below give its size on screen.
    let rendered = code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(1, 1)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    // Drop the XML prolog, which has no place inside an HTML page.
    let Some(start) = rendered.find("<svg ") else {
        return String::new();
    };
    let side = code.width() + 2 * QR_QUIET_ZONE_MODULES;
    rendered[start..]
        .replacen(
            &format!(r#" width="{side}" height="{side}""#),
            &format!(r#" width="{QR_DISPLAY_SIZE}" height="{QR_DISPLAY_SIZE}""#),
            1,
        )
        .replacen(
            "<svg ",
            &format!(r#"<svg role="img" aria-label="{QR_ARIA_LABEL}" "#),
            1,
        )
}

/// Checks a code typed by the user against `secret` at time `now_unix` (seconds).
///
/// The code is 6 digits; spaces (and other white space) are ignored, anything else is
/// refused. It is accepted for the current 30-second step or the one just before or
/// after (clock drift), except for steps at or before `last_used_step`, so that a code
/// cannot be used twice. Returns the matched step, which the caller stores as the new
/// `last_used_step`; `None` if the code is refused or the secret is not valid.
pub fn verify(secret: &str, code: &str, now_unix: u64, last_used_step: Option<i64>) -> Option<i64> {
    let code = normalize_code(code)?;
    let totp = build_totp(secret, DIGITS)?;
    let current = now_unix / STEP_SECONDS;
    let mut matched = None;
    for step in current.saturating_sub(DRIFT_STEPS)..=current.saturating_add(DRIFT_STEPS) {
        let Ok(step_number) = i64::try_from(step) else {
            continue;
        };
        if last_used_step.is_some_and(|last| step_number <= last) {
            continue;
        }
        let Some(time) = step.checked_mul(STEP_SECONDS) else {
            continue;
        };
        // `totp-rs` compares in constant time; every step of the window is tried, with
        // no early exit, so the time taken does not tell which one matched.
        if totp.check(&code, time).is_some() {
            matched = Some(step_number);
        }
    }
    matched
}

/// The secret in groups of four characters, for typing it into an app by hand:
/// `GEZD GNBV GY3T …`.
pub fn format_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The 6-digit code for `secret` at time `now_unix`, as an authenticator app shows it
/// (for tests and the demo). Empty if the secret is not valid Base32 of at least 128
/// bits.
pub fn current_code(secret: &str, now_unix: u64) -> String {
    build_totp(secret, DIGITS)
        .map(|totp| totp.generate(now_unix).to_string())
        .unwrap_or_default()
}

/// Ten new single-use recovery codes, all different, each `XXXX-XXXX-XXXX` from an
/// alphabet without look-alike characters (no 0/O, 1/I/L).
pub fn new_recovery_codes() -> Vec<String> {
    let mut codes = Vec::with_capacity(RECOVERY_CODE_COUNT);
    while codes.len() < RECOVERY_CODE_COUNT {
        let code = new_recovery_code();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// The hex SHA-256 stored for a recovery code, computed on its normalised form (upper
/// case, without spaces or dashes), so that `abcde fghjk` matches `ABCDE-FGHJK`.
pub fn recovery_hash(code: &str) -> String {
    crate::server::session::hex_sha256(normalize_recovery_code(code).as_bytes())
}

/// A `Totp` for a Base32 secret: SHA-1, 30-second steps, no skew of its own (the
/// window is walked by `verify`). `None` if the secret is not Base32 or shorter than
/// the 128 bits RFC 4226 requires.
fn build_totp(secret: &str, digits: u8) -> Option<Totp> {
    let secret = Secret::try_from_base32(normalize_secret(secret)).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(digits)
        .with_step_duration(STEP_SECONDS)
        .with_skew(0)
        .with_secret(secret)
        .build()
        .ok()
}

/// Tolerates a secret typed or stored with spaces, in lower case or padded.
fn normalize_secret(secret: &str) -> String {
    secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The code without its white space, if what is left is exactly six ASCII digits.
fn normalize_code(code: &str) -> Option<String> {
    if code.len() > MAX_CODE_INPUT {
        return None;
    }
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == usize::from(DIGITS) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

fn new_recovery_code() -> String {
    let mut rng = OsRng;
    let mut code = String::with_capacity(RECOVERY_GROUPS * (RECOVERY_GROUP_LEN + 1));
    for i in 0..RECOVERY_GROUPS * RECOVERY_GROUP_LEN {
        if i > 0 && i % RECOVERY_GROUP_LEN == 0 {
            code.push('-');
        }
        let index = rng.gen_range(0..RECOVERY_ALPHABET.len());
        code.push(char::from(RECOVERY_ALPHABET[index]));
    }
    code
}

fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && !is_dash(*c))
        .flat_map(char::to_uppercase)
        .collect()
}

/// The hyphen and the dashes a keyboard, a phone or a copy from a PDF may produce.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}'
    )
}

/// Percent-encodes everything but the RFC 3986 unreserved characters, byte by byte
/// of the UTF-8 form (`é` → `%C3%A9`, `@` → `%40`, space → `%20`).
fn percent_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret, the ASCII "12345678901234567890", in Base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const NOW: u64 = 1_111_111_111;
    const NOW_STEP: i64 = 37_037_037;

    #[test]
    fn rfc_secret_is_the_ascii_of_the_rfc() {
        let secret = Secret::try_from_base32(RFC_SECRET).unwrap();
        assert_eq!(secret.as_bytes(), b"12345678901234567890");
    }

    #[test]
    fn rfc6238_sha1_vectors_eight_digits() {
        let totp = build_totp(RFC_SECRET, 8).unwrap();
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp.generate(time).to_string(), expected, "time {time}");
        }
    }

    #[test]
    fn rfc6238_sha1_vectors_six_digits() {
        for (time, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(current_code(RFC_SECRET, time), expected, "time {time}");
            assert_eq!(
                verify(RFC_SECRET, expected, time, None),
                Some(i64::try_from(time / 30).unwrap()),
                "time {time}"
            );
        }
    }

    #[test]
    fn new_secret_is_160_bits_of_unpadded_uppercase_base32() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert!(
            secret
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(
            Secret::try_from_base32(&secret).unwrap().as_bytes().len(),
            20
        );
        assert_ne!(secret, new_secret());
        // A fresh secret works end to end.
        let code = current_code(&secret, NOW);
        assert_eq!(code.len(), 6);
        assert_eq!(verify(&secret, &code, NOW, None), Some(NOW_STEP));
    }

    #[test]
    fn current_step_is_accepted_and_returned() {
        let code = current_code(RFC_SECRET, NOW);
        assert_eq!(verify(RFC_SECRET, &code, NOW, None), Some(NOW_STEP));
        // Anywhere within the same 30-second step.
        let step_start = NOW - NOW % 30;
        assert_eq!(verify(RFC_SECRET, &code, step_start, None), Some(NOW_STEP));
        assert_eq!(
            verify(RFC_SECRET, &code, step_start + 29, None),
            Some(NOW_STEP)
        );
    }

    #[test]
    fn one_step_of_drift_is_accepted() {
        let previous = current_code(RFC_SECRET, NOW - 30);
        let next = current_code(RFC_SECRET, NOW + 30);
        assert_eq!(verify(RFC_SECRET, &previous, NOW, None), Some(NOW_STEP - 1));
        assert_eq!(verify(RFC_SECRET, &next, NOW, None), Some(NOW_STEP + 1));
    }

    #[test]
    fn two_steps_of_drift_are_refused() {
        for offset in [-60_i64, 60, -90, 90] {
            let code = current_code(RFC_SECRET, NOW.checked_add_signed(offset).unwrap());
            assert_eq!(
                verify(RFC_SECRET, &code, NOW, None),
                None,
                "offset {offset}"
            );
        }
    }

    #[test]
    fn a_used_step_is_refused() {
        let code = current_code(RFC_SECRET, NOW);
        let step = verify(RFC_SECRET, &code, NOW, None).unwrap();
        // The same code again, even a few seconds later.
        assert_eq!(verify(RFC_SECRET, &code, NOW, Some(step)), None);
        assert_eq!(verify(RFC_SECRET, &code, NOW + 10, Some(step)), None);
        // An older code still inside the drift window.
        let previous = current_code(RFC_SECRET, NOW - 30);
        assert_eq!(verify(RFC_SECRET, &previous, NOW, Some(step)), None);
        // The next step's code is fine.
        let next = current_code(RFC_SECRET, NOW + 30);
        assert_eq!(
            verify(RFC_SECRET, &next, NOW + 30, Some(step)),
            Some(step + 1)
        );
        // A last use long ago does not get in the way.
        assert_eq!(verify(RFC_SECRET, &code, NOW, Some(step - 100)), Some(step));
    }

    #[test]
    fn white_space_in_the_code_is_ignored() {
        for typed in [
            "050 471",
            " 050471 ",
            "05 04 71",
            "050\u{202f}471",
            "050\u{a0}471\n",
        ] {
            assert_eq!(
                verify(RFC_SECRET, typed, NOW, None),
                Some(NOW_STEP),
                "{typed:?}"
            );
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        for typed in [
            "",
            "      ",
            "05047",
            "0504711",
            "05047a",
            "abcdef",
            "+50471",
            "-50471",
            "050-471",
            "０５０４７１",
            "050471                                    ",
        ] {
            assert_eq!(verify(RFC_SECRET, typed, NOW, None), None, "{typed:?}");
        }
        // A well-formed but wrong code.
        assert_eq!(verify(RFC_SECRET, "050472", NOW, None), None);
    }

    #[test]
    fn invalid_secrets_are_refused() {
        let code = current_code(RFC_SECRET, NOW);
        // Not Base32.
        assert_eq!(verify("not base32!", &code, NOW, None), None);
        assert_eq!(current_code("not base32!", NOW), "");
        // Under 128 bits.
        assert_eq!(verify("GEZDGNBV", &code, NOW, None), None);
        assert_eq!(current_code("GEZDGNBV", NOW), "");
        assert_eq!(verify("", &code, NOW, None), None);
    }

    #[test]
    fn secret_formatting_is_tolerated() {
        let code = current_code(RFC_SECRET, NOW);
        let formatted = format_secret(RFC_SECRET);
        assert_eq!(verify(&formatted, &code, NOW, None), Some(NOW_STEP));
        assert_eq!(
            verify(&RFC_SECRET.to_lowercase(), &code, NOW, None),
            Some(NOW_STEP)
        );
    }

    #[test]
    fn time_zero_does_not_underflow() {
        let code = current_code(RFC_SECRET, 0);
        assert_eq!(verify(RFC_SECRET, &code, 0, None), Some(0));
        assert_eq!(verify(RFC_SECRET, &code, 0, Some(0)), None);
    }

    #[test]
    fn otpauth_uri_format() {
        assert_eq!(
            otpauth_uri(RFC_SECRET, "alice@example.fr"),
            "otpauth://totp/Guichet%20Vall%C3%A9e-Verte:alice%40example.fr\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Guichet%20Vall%C3%A9e-Verte\
             &algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn otpauth_uri_encodes_the_account() {
        let uri = otpauth_uri("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "a.b+c:d é@x.fr");
        assert!(uri.starts_with(
            "otpauth://totp/Guichet%20Vall%C3%A9e-Verte:a.b%2Bc%3Ad%20%C3%A9%40x.fr?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"
        ));
        // Exactly one label separator and one query.
        assert_eq!(uri.matches(':').count(), 2);
        assert_eq!(uri.matches('?').count(), 1);
    }

    #[test]
    fn qr_svg_is_an_accessible_inline_svg() {
        let svg = qr_svg(&otpauth_uri(RFC_SECRET, "alice@example.fr"));
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(
            r#"aria-label="QR code à scanner avec votre application d’authentification""#
        ));
        assert!(svg.contains(r#" width="200" height="200""#));
        assert!(svg.contains(r##"fill="#000""##));
        assert!(svg.contains(r##"fill="#fff""##));
        // The viewBox is the code plus its 4-module quiet zone on each side.
        let code = QrCode::with_error_correction_level(
            otpauth_uri(RFC_SECRET, "alice@example.fr"),
            EcLevel::M,
        )
        .unwrap();
        let side = code.width() + 8;
        assert!(svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)));
        // The white background covers the quiet zone too.
        assert!(svg.contains(&format!(
            r##"<rect x="0" y="0" width="{side}" height="{side}" fill="#fff"/>"##
        )));
        assert_eq!(svg.matches("<svg").count(), 1);
    }

    #[test]
    fn qr_svg_of_too_much_data_is_empty() {
        assert_eq!(qr_svg(&"x".repeat(5_000)), "");
    }

    #[test]
    fn secret_is_grouped_by_four() {
        assert_eq!(
            format_secret(RFC_SECRET),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
        assert_eq!(format_secret("ABCDEF"), "ABCD EF");
        assert_eq!(format_secret("ABCD EF"), "ABCD EF");
        assert_eq!(format_secret(""), "");
    }

    #[test]
    fn recovery_codes_are_ten_distinct_unambiguous_codes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 14, "{code}");
            assert_eq!(code.as_bytes()[4], b'-', "{code}");
            assert_eq!(code.as_bytes()[9], b'-', "{code}");
            for (i, b) in code.bytes().enumerate() {
                if i != 4 && i != 9 {
                    assert!(RECOVERY_ALPHABET.contains(&b), "{code}");
                    assert!(!b"0O1IL".contains(&b), "{code}");
                }
            }
        }
        assert_ne!(codes, new_recovery_codes());
    }

    #[test]
    fn recovery_alphabet_is_31_symbols_without_look_alikes() {
        let mut alphabet = RECOVERY_ALPHABET.to_vec();
        alphabet.sort_unstable();
        alphabet.dedup();
        assert_eq!(alphabet.len(), 31);
        // 12 symbols: about 59.5 bits per code.
        let bits = 12.0 * (alphabet.len() as f64).log2();
        assert!(bits > 59.4 && bits < 59.5, "{bits}");
    }

    #[test]
    fn recovery_hash_normalises() {
        let hash = recovery_hash("ABCDE-FGHJK");
        assert_eq!(hash.len(), 64);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(hash, crate::server::session::hex_sha256(b"ABCDEFGHJK"));
        for typed in [
            "abcde-fghjk",
            "ABCDEFGHJK",
            " abcde fghjk ",
            "ABCDE – FGHJK",
            "abcde\u{2011}fghjk",
        ] {
            assert_eq!(recovery_hash(typed), hash, "{typed:?}");
        }
        assert_ne!(recovery_hash("ABCDE-FGHJM"), hash);
    }
}
