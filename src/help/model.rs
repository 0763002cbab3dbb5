use serde::{Deserialize, Serialize};

/// The editorial pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContentPage {
    Aide,
    Accessibilite,
    MentionsLegales,
    ConditionsUtilisation,
}

/// A page: a title, an introduction, then sections (`##`) made of a body and items (`###`).
/// HTML fields come from the project's own Markdown files, never from users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentDoc {
    pub title: String,
    pub intro_html: String,
    pub sections: Vec<ContentSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentSection {
    pub id: String,
    pub title: String,
    pub body_html: String,
    pub items: Vec<ContentItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentItem {
    pub id: String,
    pub title: String,
    pub body_html: String,
}
