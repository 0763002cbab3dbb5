//! Types shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// Who may file a démarche.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    Particuliers,
    /// Collectivités, associations and entreprises.
    Organisations,
    Tous,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Particuliers => "particuliers",
            Audience::Organisations => "organisations",
            Audience::Tous => "tous",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "particuliers" => Some(Audience::Particuliers),
            "organisations" => Some(Audience::Organisations),
            "tous" => Some(Audience::Tous),
            _ => None,
        }
    }

    /// The label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Audience::Particuliers => "Particuliers",
            Audience::Organisations => "Collectivités, associations et entreprises",
            Audience::Tous => "Particuliers et organisations",
        }
    }
}

/// The life of a démarche: prepared, open to requests, closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemarcheState {
    Brouillon,
    Publiee,
    Close,
}

impl DemarcheState {
    pub fn as_str(self) -> &'static str {
        match self {
            DemarcheState::Brouillon => "brouillon",
            DemarcheState::Publiee => "publiee",
            DemarcheState::Close => "close",
        }
    }
}

/// A démarche as a tile in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemarcheCard {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub audience: Audience,
}

/// A démarche's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemarcheDetail {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Paragraphs of plain text.
    pub description: Vec<String>,
    pub audience: Audience,
}

impl DemarcheCard {
    pub fn href(&self) -> String {
        format!("/demarches/{}", self.slug)
    }
}

/// Splits a description into paragraphs at blank lines.
pub fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.trim().replace('\n', " "))
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_round_trips() {
        for a in [
            Audience::Particuliers,
            Audience::Organisations,
            Audience::Tous,
        ] {
            assert_eq!(Audience::parse(a.as_str()), Some(a));
        }
        assert_eq!(Audience::parse("autre"), None);
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        assert_eq!(
            paragraphs("Un.\nSuite.\n\n\nDeux.\n"),
            vec!["Un. Suite.".to_string(), "Deux.".to_string()]
        );
    }
}
