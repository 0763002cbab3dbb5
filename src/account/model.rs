//! Types shared by the server and the browser, and the checks both sides run.

use serde::{Deserialize, Serialize};

/// What an account may do. Every account is a citizen first; instructors handle the
/// dossiers of their services, administrators run the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Citizen,
    Instructor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Instructor => "instructor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "citizen" => Some(Role::Citizen),
            "instructor" => Some(Role::Instructor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Role::Citizen => "Usager",
            Role::Instructor => "Instructeur",
            Role::Admin => "Administrateur",
        }
    }

    /// Whether this role may do what `other` may: administrators include instructors.
    pub fn includes(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Role::Citizen => 0,
            Role::Instructor => 1,
            Role::Admin => 2,
        }
    }
}

/// The signed-in person, as the pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: Role,
    pub email_verified: bool,
}

impl CurrentUser {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// How a person is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Civilite {
    Madame,
    Monsieur,
}

impl Civilite {
    pub const ALL: [Civilite; 2] = [Civilite::Madame, Civilite::Monsieur];

    pub fn as_str(self) -> &'static str {
        match self {
            Civilite::Madame => "Mme",
            Civilite::Monsieur => "M.",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "Mme" => Some(Civilite::Madame),
            "M." => Some(Civilite::Monsieur),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Civilite::Madame => "Madame",
            Civilite::Monsieur => "Monsieur",
        }
    }
}

/// Everything « Mes données personnelles » shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    pub civilite: String,
    pub last_name: String,
    pub first_name: String,
    /// `YYYY-MM-DD`, empty when not given.
    pub birth_date: String,
    pub address_line: String,
    pub postal_code: String,
    pub commune: String,
    pub phone: String,
    pub email: String,
    pub email_verified: bool,
    /// The address an email change waits to move to, if any.
    pub pending_email: Option<String>,
}

/// The parts of « Mes données personnelles » that are edited one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersonalField {
    Civilite,
    LastName,
    FirstName,
    BirthDate,
    Address,
    Phone,
    Email,
    Password,
}

impl PersonalField {
    pub const ALL: [PersonalField; 8] = [
        PersonalField::Civilite,
        PersonalField::LastName,
        PersonalField::FirstName,
        PersonalField::BirthDate,
        PersonalField::Address,
        PersonalField::Phone,
        PersonalField::Email,
        PersonalField::Password,
    ];

    /// The value of `?modifier=` in the page address.
    pub fn slug(self) -> &'static str {
        match self {
            PersonalField::Civilite => "civilite",
            PersonalField::LastName => "nom",
            PersonalField::FirstName => "prenom",
            PersonalField::BirthDate => "date-de-naissance",
            PersonalField::Address => "adresse",
            PersonalField::Phone => "telephone",
            PersonalField::Email => "email",
            PersonalField::Password => "mot-de-passe",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            PersonalField::Civilite => "Civilité",
            PersonalField::LastName => "Nom",
            PersonalField::FirstName => "Prénom",
            PersonalField::BirthDate => "Date de naissance",
            PersonalField::Address => "Adresse postale",
            PersonalField::Phone => "Téléphone",
            PersonalField::Email => "Adresse électronique",
            PersonalField::Password => "Mot de passe",
        }
    }

    /// « votre téléphone », for « Modifier votre téléphone » and « … a été modifié ».
    pub fn possessive(self) -> &'static str {
        match self {
            PersonalField::Civilite => "votre civilité",
            PersonalField::LastName => "votre nom",
            PersonalField::FirstName => "votre prénom",
            PersonalField::BirthDate => "votre date de naissance",
            PersonalField::Address => "votre adresse postale",
            PersonalField::Phone => "votre téléphone",
            PersonalField::Email => "votre adresse électronique",
            PersonalField::Password => "votre mot de passe",
        }
    }

    /// « Votre téléphone a été modifié. »
    pub fn saved_message(self) -> String {
        let feminine = matches!(
            self,
            PersonalField::Civilite | PersonalField::BirthDate | PersonalField::Address
        );
        let mut text = self.possessive().to_owned();
        if let Some(first) = text.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        format!(
            "{text} a été {}.",
            if feminine { "modifiée" } else { "modifié" }
        )
    }
}

/// How strong a password is, for the meter under password fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordStrength {
    /// 0 (very weak) to 4 (very strong); 3 is the minimum accepted.
    pub score: u8,
    /// Whether the portal accepts it.
    pub acceptable: bool,
    /// What to change, in French, when it is refused.
    pub advice: Option<String>,
}

impl PasswordStrength {
    pub fn label(&self) -> &'static str {
        match self.score {
            0 | 1 => "Très faible",
            2 => "Faible",
            3 => "Correct",
            _ => "Robuste",
        }
    }
}

/// Lower-cases and trims an email address: accounts are unique whatever the case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The minimum length of a password (ANSSI: at least 12 characters for a password
/// protected by a slow hash and rate limiting).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// A maximum, so that nobody makes the server hash megabytes.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// The advice of the help page, shown next to every password field.
pub const PASSWORD_ADVICE: &str = "Un mot de passe est personnel : choisissez-en un qui ne soit pas facile à deviner par un pirate informatique. Nous ne vous demanderons jamais de nous fournir votre mot de passe, même pour une opération de maintenance. Refusez toujours de le communiquer à qui que ce soit.";

/// A plausible email address: one `@`, something before it, a dotted domain after it.
/// (The mail library checks the exact syntax again before sending.)
pub fn check_email(email: &str) -> Result<String, &'static str> {
    let email = normalize_email(email);
    if email.is_empty() {
        return Err("Saisissez votre adresse électronique.");
    }
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    if valid {
        Ok(email)
    } else {
        Err("Saisissez une adresse électronique valide, par exemple prenom.nom@exemple.fr.")
    }
}

/// A name (nom, prénom): required, at most 100 characters, letters and their usual marks.
pub fn check_name(value: &str, empty: &'static str) -> Result<String, &'static str> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        return Err(empty);
    }
    if value.chars().count() > 100 {
        return Err("Ce champ doit contenir au plus 100 caractères.");
    }
    if !value
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
    {
        return Err("Utilisez uniquement des lettres, des espaces, des tirets et des apostrophes.");
    }
    Ok(value)
}

/// A French phone number (10 digits, or +33 and 9 digits), stored as `0X XX XX XX XX`;
/// other international numbers (`+` and 8 to 15 digits) are kept as typed. Empty clears.
pub fn check_phone(value: &str) -> Result<String, &'static str> {
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    if compact.is_empty() {
        return Ok(String::new());
    }
    let message =
        "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78.";
    let national = if let Some(rest) = compact.strip_prefix("+33") {
        format!("0{}", rest.trim_start_matches('0'))
    } else if let Some(rest) = compact.strip_prefix("0033") {
        format!("0{}", rest.trim_start_matches('0'))
    } else if let Some(rest) = compact.strip_prefix('+') {
        if (8..=15).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_digit()) {
            return Ok(compact);
        }
        return Err(message);
    } else {
        compact
    };
    if national.len() == 10
        && national.starts_with('0')
        && national.chars().all(|c| c.is_ascii_digit())
        && !national.starts_with("00")
    {
        let pairs: Vec<&str> = (0..5).map(|i| &national[i * 2..i * 2 + 2]).collect();
        Ok(pairs.join(" "))
    } else {
        Err(message)
    }
}

/// A French postal code: 5 digits.
pub fn check_postal_code(value: &str) -> Result<String, &'static str> {
    let value = value.trim();
    if value.len() == 5 && value.chars().all(|c| c.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err("Saisissez un code postal de 5 chiffres, par exemple 75001.")
    }
}

/// A birth date typed as day, month and year (the GOV.UK pattern: three small fields).
/// `today` is `(year, month, day)`. Returns `YYYY-MM-DD`.
pub fn check_birth_date(
    day: &str,
    month: &str,
    year: &str,
    today: (i32, u32, u32),
) -> Result<String, &'static str> {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return Err("Saisissez votre date de naissance.");
    }
    let parse = |s: &str| s.parse::<u32>().ok();
    let (Some(d), Some(m), Some(y)) = (parse(day), parse(month), parse(year)) else {
        return Err("Saisissez une date de naissance valide, par exemple 27 3 1985.");
    };
    if year.len() != 4 {
        return Err("L’année doit comporter 4 chiffres, par exemple 1985.");
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if d == 0 || d > days_in_month {
        return Err("Cette date n’existe pas : vérifiez le jour et le mois.");
    }
    let y = y as i32;
    if (y, m, d) > today {
        return Err("La date de naissance doit être dans le passé.");
    }
    if y < today.0 - 130 {
        return Err("Vérifiez l’année de naissance.");
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

/// `YYYY-MM-DD` → « 27 mars 1985 ».
pub fn format_date_fr(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let mut parts = date.split('-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => match (m.parse::<usize>(), d.parse::<u32>()) {
            (Ok(m), Ok(d)) if (1..=12).contains(&m) => format!("{d} {} {y}", MONTHS[m - 1]),
            _ => date.to_owned(),
        },
        _ => date.to_owned(),
    }
}

/// Where to go after signing in: only an address of this site (`/…`, not `//…`).
pub fn safe_return_path(value: &str) -> Option<String> {
    let value = value.trim();
    (value.starts_with('/') && !value.starts_with("//") && !value.contains('\\'))
        .then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_include() {
        for role in [Role::Citizen, Role::Instructor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Admin.includes(Role::Instructor));
        assert!(!Role::Citizen.includes(Role::Instructor));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email("  Camille.Martin@Example.ORG "),
            "camille.martin@example.org"
        );
        assert_eq!(check_email(" A@B.fr ").as_deref(), Ok("a@b.fr"));
        for bad in [
            "", "a", "a@b", "a@@b.fr", "@b.fr", "a b@c.fr", "a@b..fr", "a@.b.fr",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_are_normalised() {
        assert_eq!(check_phone("0612345678").as_deref(), Ok("06 12 34 56 78"));
        assert_eq!(
            check_phone("+33 6 12 34 56 78").as_deref(),
            Ok("06 12 34 56 78")
        );
        assert_eq!(
            check_phone("06.12.34.56.78").as_deref(),
            Ok("06 12 34 56 78")
        );
        assert_eq!(check_phone("+4930123456").as_deref(), Ok("+4930123456"));
        assert_eq!(check_phone("").as_deref(), Ok(""));
        assert!(check_phone("12345").is_err());
        assert!(check_phone("06123456789").is_err());
        assert!(check_phone("06 12 34 56 7a").is_err());
    }

    #[test]
    fn birth_dates_are_checked() {
        let today = (2026, 11, 30);
        assert_eq!(
            check_birth_date("27", "3", "1985", today).as_deref(),
            Ok("1985-03-27")
        );
        assert!(check_birth_date("29", "2", "2023", today).is_err());
        assert_eq!(
            check_birth_date("29", "2", "2024", today).as_deref(),
            Ok("2024-02-29")
        );
        assert!(check_birth_date("1", "12", "2026", today).is_err());
        assert!(check_birth_date("1", "1", "85", today).is_err());
        assert!(check_birth_date("", "", "", today).is_err());
        assert!(check_birth_date("x", "1", "1985", today).is_err());
        assert_eq!(format_date_fr("1985-03-27"), "27 mars 1985");
    }

    #[test]
    fn names_and_postal_codes() {
        assert_eq!(check_name("  Le   Goff ", "x").as_deref(), Ok("Le Goff"));
        assert_eq!(
            check_name("N’Diaye-Éloïse", "x").as_deref(),
            Ok("N’Diaye-Éloïse")
        );
        assert_eq!(check_name("", "vide"), Err("vide"));
        assert!(check_name("<script>", "x").is_err());
        assert!(check_postal_code("75001").is_ok());
        assert!(check_postal_code("7500").is_err());
    }

    #[test]
    fn only_local_return_paths() {
        assert_eq!(
            safe_return_path("/mon-compte").as_deref(),
            Some("/mon-compte")
        );
        assert_eq!(safe_return_path("//evil.example"), None);
        assert_eq!(safe_return_path("https://evil.example"), None);
        assert_eq!(safe_return_path("/\\evil.example"), None);
    }

    #[test]
    fn field_messages() {
        assert_eq!(
            PersonalField::Phone.saved_message(),
            "Votre téléphone a été modifié."
        );
        assert_eq!(
            PersonalField::Address.saved_message(),
            "Votre adresse postale a été modifiée."
        );
        for f in PersonalField::ALL {
            assert_eq!(PersonalField::from_slug(f.slug()), Some(f));
        }
    }
}
