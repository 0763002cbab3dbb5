//! Types shared by the server and the browser.

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
}

/// Lower-cases and trims an email address: accounts are unique whatever the case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The minimum length of a password (ANSSI: at least 12 characters for a password
/// protected by a slow hash and rate limiting).
pub const PASSWORD_MIN_CHARS: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in [Role::Citizen, Role::Instructor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalize_email("  Camille.Martin@Example.ORG "),
            "camille.martin@example.org"
        );
    }
}
