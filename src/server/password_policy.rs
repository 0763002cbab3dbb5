//! The password policy (ANSSI and CNIL guidance): at least 12 characters, not one of
//! the common passwords, and a zxcvbn strength score of 3 or more, computed with the
//! person's own name and address as known words.

use std::collections::HashSet;
use std::sync::LazyLock;

use zxcvbn::feedback::Warning;

use crate::account::model::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, PasswordStrength};

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../account/data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Whether the password is a common one, possibly with digits or symbols around it
/// ("Motdepasse2024!" is "motdepasse").
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return true;
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    core.chars().count() >= 4 && COMMON.contains(core)
}

fn warning_fr(warning: Warning) -> &'static str {
    match warning {
        Warning::StraightRowsOfKeysAreEasyToGuess
        | Warning::ShortKeyboardPatternsAreEasyToGuess => {
            "Les suites de touches du clavier sont faciles à deviner."
        }
        Warning::RepeatsLikeAaaAreEasyToGuess
        | Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "Les répétitions (« aaa », « abcabc ») sont faciles à deviner."
        }
        Warning::ThisIsATop10Password
        | Warning::ThisIsATop100Password
        | Warning::ThisIsACommonPassword
        | Warning::ThisIsSimilarToACommonlyUsedPassword => {
            "Ce mot de passe ressemble à un mot de passe très courant."
        }
        Warning::SequencesLikeAbcAreEasyToGuess => {
            "Les suites comme « abc » ou « 6543 » sont faciles à deviner."
        }
        Warning::RecentYearsAreEasyToGuess | Warning::DatesAreOftenEasyToGuess => {
            "Les dates et les années sont faciles à deviner."
        }
        Warning::AWordByItselfIsEasyToGuess => "Un mot seul est facile à deviner.",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
        | Warning::CommonNamesAndSurnamesAreEasyToGuess => {
            "Les noms et prénoms sont faciles à deviner."
        }
    }
}

const SUGGESTION: &str = "Choisissez plutôt une phrase de plusieurs mots sans lien entre eux, facile à retenir pour vous.";

/// Measures a password. `known` holds the words a person's attacker would try first
/// (their name, email, commune).
pub fn strength(password: &str, known: &[&str]) -> PasswordStrength {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return PasswordStrength {
            score: if chars == 0 { 0 } else { 1 },
            acceptable: false,
            advice: Some(format!(
                "Votre mot de passe doit contenir au moins {PASSWORD_MIN_CHARS} caractères."
            )),
        };
    }
    if chars > PASSWORD_MAX_CHARS {
        return PasswordStrength {
            score: 0,
            acceptable: false,
            advice: Some(format!(
                "Votre mot de passe doit contenir au plus {PASSWORD_MAX_CHARS} caractères."
            )),
        };
    }
    if is_common(password) {
        return PasswordStrength {
            score: 0,
            acceptable: false,
            advice: Some(
                "Ce mot de passe fait partie des plus courants : choisissez-en un autre.".into(),
            ),
        };
    }
    let known: Vec<&str> = known
        .iter()
        .flat_map(|k| k.split(|c: char| !c.is_alphanumeric()))
        .filter(|k| k.chars().count() >= 3)
        .collect();
    let entropy = zxcvbn::zxcvbn(password, &known);
    let score = u8::from(entropy.score());
    if score >= 3 {
        return PasswordStrength {
            score,
            acceptable: true,
            advice: None,
        };
    }
    let warning = entropy
        .feedback()
        .and_then(|f| f.warning())
        .map(warning_fr)
        .unwrap_or("Ce mot de passe est trop facile à deviner.");
    PasswordStrength {
        score,
        acceptable: false,
        advice: Some(format!("{warning} {SUGGESTION}")),
    }
}

/// The message to show next to the field when the password is refused.
pub fn check(password: &str, known: &[&str]) -> Result<(), String> {
    let s = strength(password, known);
    if s.acceptable {
        Ok(())
    } else {
        Err(s
            .advice
            .unwrap_or_else(|| "Ce mot de passe est trop facile à deviner.".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        assert!(check("Court-2026!", &[]).is_err());
    }

    #[test]
    fn common_passwords_are_refused_even_with_digits() {
        for p in [
            "azertyuiop123",
            "Motdepasse2024!",
            "password1234",
            "123456789012",
        ] {
            assert!(check(p, &[]).is_err(), "{p} accepted");
        }
        assert!(is_common("MOTDEPASSE"));
    }

    #[test]
    fn personal_words_weaken_a_password() {
        assert!(check("camillemartin", &["Camille", "Martin"]).is_err());
    }

    #[test]
    fn passphrases_are_accepted() {
        assert!(check("cheval agrafe batterie correcte", &[]).is_ok());
        assert!(check("Instruction-Demo-2026", &[]).is_ok());
        let s = strength("cheval agrafe batterie correcte", &[]);
        assert!(s.score >= 3);
        assert_eq!(s.advice, None);
    }
}
