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
    /// The description rendered from its Markdown on the server (raw HTML escaped).
    pub description_html: String,
    pub audience: Audience,
    /// « 2 mois ».
    pub processing_time: Option<String>,
    pub documents: Vec<String>,
    /// « du 5 janvier 2026 au 30 juin 2027 », « jusqu’au 30 juin 2027 ».
    pub period: Option<String>,
    /// Requests are accepted today.
    pub open: bool,
    /// Shown when closed: « Cette démarche ouvrira le … » or « … est close ».
    pub closed_reason: Option<String>,
}

/// The catalogue's search: words and audience, as typed in the GET form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueQuery {
    pub q: String,
    /// `particuliers`, `organisations` or empty for all.
    pub public: String,
}

/// Lower-cases and strips accents so that « velo » finds « Vélo ».
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' => 'y',
            '’' => '\'',
            c => c,
        })
        .collect()
}

/// Every word of the query appears in the text (accents and case ignored).
pub fn matches_words(text: &str, query: &str) -> bool {
    let text = fold(text);
    fold(query)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1)
        .all(|w| text.contains(w))
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
    fn search_ignores_accents_and_case() {
        assert!(matches_words(
            "Aide au permis de conduire",
            "PERMIS conduire"
        ));
        assert!(matches_words("Transport scolaire adapté", "adapte"));
        assert!(!matches_words("Transport scolaire adapté", "permis"));
        assert!(matches_words("Tout", ""));
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        assert_eq!(
            paragraphs("Un.\nSuite.\n\n\nDeux.\n"),
            vec!["Un. Suite.".to_string(), "Deux.".to_string()]
        );
    }
}
