//! Types shared by the server and the browser, and the checks both sides run.

use serde::{Deserialize, Serialize};

/// What a profile stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileKind {
    Particulier,
    Collectivite,
    Association,
    Entreprise,
}

impl ProfileKind {
    /// The kinds a person may create (the personal profile comes with the account).
    pub const CREATABLE: [ProfileKind; 3] = [
        ProfileKind::Collectivite,
        ProfileKind::Association,
        ProfileKind::Entreprise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileKind::Particulier => "particulier",
            ProfileKind::Collectivite => "collectivite",
            ProfileKind::Association => "association",
            ProfileKind::Entreprise => "entreprise",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "particulier" => Some(ProfileKind::Particulier),
            "collectivite" => Some(ProfileKind::Collectivite),
            "association" => Some(ProfileKind::Association),
            "entreprise" => Some(ProfileKind::Entreprise),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProfileKind::Particulier => "Particulier",
            ProfileKind::Collectivite => "Collectivité",
            ProfileKind::Association => "Association",
            ProfileKind::Entreprise => "Entreprise",
        }
    }
}

/// A member's role in a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberRole {
    Manager,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Manager => "manager",
            MemberRole::Member => "member",
        }
    }

    pub fn parse(value: &str) -> Self {
        if value == "manager" {
            MemberRole::Manager
        } else {
            MemberRole::Member
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberRole::Manager => "Gestionnaire",
            MemberRole::Member => "Membre",
        }
    }
}

/// A tile of « Mes profils ».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileCard {
    pub id: i32,
    pub kind: ProfileKind,
    pub name: String,
    pub function: String,
    pub role: MemberRole,
}

/// « Informations » of a profile, as its member sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileDetail {
    pub id: i32,
    pub kind: ProfileKind,
    pub name: String,
    pub siret: String,
    pub address_line: String,
    pub postal_code: String,
    pub commune: String,
    pub my_role: MemberRole,
    pub my_function: String,
    /// I receive the receipts of dossiers filed by the other members.
    pub my_receipts: bool,
}

impl ProfileDetail {
    pub fn is_personal(&self) -> bool {
        self.kind == ProfileKind::Particulier
    }
}

/// A line of « Composition ».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub id: i32,
    pub name: String,
    pub function: String,
    pub role: MemberRole,
    /// `YYYY-MM-DD`.
    pub joined_on: String,
    pub is_me: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareState {
    Active,
    Used,
    Revoked,
    Expired,
}

impl ShareState {
    pub fn label(self) -> &'static str {
        match self {
            ShareState::Active => "Active",
            ShareState::Used => "Utilisée",
            ShareState::Revoked => "Révoquée",
            ShareState::Expired => "Expirée",
        }
    }
}

/// A line of « Partage(s) du profil » (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRow {
    pub id: i32,
    pub created_by: String,
    /// `YYYY-MM-DD HH:MM` (UTC).
    pub created_at: String,
    pub expires_at: String,
    pub state: ShareState,
    /// Who used it, once used.
    pub used_by: Option<String>,
}

/// « Composition »: the members, and the shares for managers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composition {
    pub profile: ProfileDetail,
    pub members: Vec<MemberRow>,
    /// `None` for members who are not managers.
    pub shares: Option<Vec<ShareRow>>,
    pub manager_count: usize,
}

/// A key just generated: shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewShare {
    pub key: String,
    pub expires_at: String,
}

/// The characters of share keys: digits and capitals without 0/O and 1/I, so that a key
/// read aloud or copied by hand is not misread. 32 characters: 5 bits each.
pub const KEY_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// 28 characters: 140 random bits, in 7 groups of 4.
pub const KEY_CHARS: usize = 28;

/// `K7QM…` → `K7QM-…` in groups of 4.
pub fn format_key(raw: &str) -> String {
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// What a person typed → the key's canonical form (capitals, no separators), or `None`
/// when it cannot be a key.
pub fn normalize_key(typed: &str) -> Option<String> {
    let key: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (key.len() == KEY_CHARS && key.bytes().all(|b| KEY_ALPHABET.contains(&b))).then_some(key)
}

/// A SIRET: 14 digits passing the Luhn check, except La Poste's establishments (SIREN
/// 356000000) whose digit sum is a multiple of 5. Spaces are ignored.
pub fn check_siret(value: &str) -> Result<String, &'static str> {
    let siret: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if siret.len() != 14 || !siret.chars().all(|c| c.is_ascii_digit()) {
        return Err("Le numéro SIRET comporte 14 chiffres, par exemple 213 500 007 00019.");
    }
    let digits: Vec<u32> = siret.chars().filter_map(|c| c.to_digit(10)).collect();
    let valid = if siret.starts_with("356000000") {
        digits.iter().sum::<u32>().is_multiple_of(5)
    } else {
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    *d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    };
    if valid {
        Ok(siret)
    } else {
        Err("Ce numéro SIRET n’existe pas : vérifiez les 14 chiffres.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sirets_are_checked_with_luhn() {
        assert_eq!(
            check_siret("213 502 388 00019").as_deref(),
            Ok("21350238800019")
        );
        assert!(check_siret("22350001800013").is_ok());
        assert!(check_siret("21350238800015").is_err());
        assert!(check_siret("2135023880001").is_err());
        assert!(check_siret("2135023880001A").is_err());
    }

    #[test]
    fn la_poste_uses_a_digit_sum() {
        // 356 000 000 00010 fails Luhn; its digit sum (20) is a multiple of 5.
        assert!(check_siret("35600000000010").is_ok());
        assert!(check_siret("35600000000011").is_err());
    }

    #[test]
    fn keys_are_readable_and_normalised() {
        let raw = "K7QMX2ZP9RTD4HWB8NCA5EVJ3GLS";
        assert_eq!(raw.len(), KEY_CHARS);
        let shown = format_key(raw);
        assert_eq!(shown, "K7QM-X2ZP-9RTD-4HWB-8NCA-5EVJ-3GLS");
        assert_eq!(normalize_key(&shown.to_lowercase()).as_deref(), Some(raw));
        assert_eq!(
            normalize_key(" k7qm x2zp 9rtd 4hwb 8nca 5evj 3gls ").as_deref(),
            Some(raw)
        );
        assert_eq!(normalize_key("K7QM-X2ZP-9RTD-4HWB-8NCA-5EVJ-3GL0"), None);
        assert_eq!(normalize_key("short"), None);
        assert!(!KEY_ALPHABET.iter().any(|c| b"01OI".contains(c)));
    }
}
