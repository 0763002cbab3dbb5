//! Parses the Markdown files of `src/content/` once, into [`ContentDoc`]s.

use std::sync::OnceLock;

use pulldown_cmark::{Options, Parser, html};

use super::model::{ContentDoc, ContentItem, ContentPage, ContentSection};

const AIDE: &str = include_str!("../content/aide.md");
const ACCESSIBILITE: &str = include_str!("../content/accessibilite.md");
const MENTIONS_LEGALES: &str = include_str!("../content/mentions-legales.md");
const CONDITIONS: &str = include_str!("../content/conditions-utilisation.md");

pub fn document(page: ContentPage) -> &'static ContentDoc {
    static AIDE_DOC: OnceLock<ContentDoc> = OnceLock::new();
    static ACCESSIBILITE_DOC: OnceLock<ContentDoc> = OnceLock::new();
    static MENTIONS_DOC: OnceLock<ContentDoc> = OnceLock::new();
    static CONDITIONS_DOC: OnceLock<ContentDoc> = OnceLock::new();
    match page {
        ContentPage::Aide => AIDE_DOC.get_or_init(|| parse(AIDE)),
        ContentPage::Accessibilite => ACCESSIBILITE_DOC.get_or_init(|| parse(ACCESSIBILITE)),
        ContentPage::MentionsLegales => MENTIONS_DOC.get_or_init(|| parse(MENTIONS_LEGALES)),
        ContentPage::ConditionsUtilisation => CONDITIONS_DOC.get_or_init(|| parse(CONDITIONS)),
    }
}

fn to_html(markdown: &str) -> String {
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(markdown, Options::empty()));
    out
}

/// A stable, readable anchor: lower case ASCII letters and digits joined by dashes.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

fn fold_accent(c: char) -> Vec<char> {
    match c {
        'à' | 'â' | 'ä' | 'À' | 'Â' => vec!['a'],
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => vec!['e'],
        'î' | 'ï' | 'Î' => vec!['i'],
        'ô' | 'ö' | 'Ô' => vec!['o'],
        'ù' | 'û' | 'ü' | 'Û' => vec!['u'],
        'ç' | 'Ç' => vec!['c'],
        'œ' | 'Œ' => vec!['o', 'e'],
        other => vec![other],
    }
}

/// `# Title`, intro, then `## Section` with a body and `### Item`s.
fn parse(markdown: &str) -> ContentDoc {
    let mut doc = ContentDoc {
        title: String::new(),
        intro_html: String::new(),
        sections: Vec::new(),
    };
    let mut buffer = String::new();
    // What the buffer belongs to: the intro, a section body, or an item body.
    enum Target {
        Intro,
        Section,
        Item,
    }
    let mut target = Target::Intro;
    let flush = |doc: &mut ContentDoc, target: &Target, buffer: &mut String| {
        let html = to_html(buffer);
        buffer.clear();
        match target {
            Target::Intro => doc.intro_html.push_str(&html),
            Target::Section => {
                if let Some(s) = doc.sections.last_mut() {
                    s.body_html.push_str(&html);
                }
            }
            Target::Item => {
                if let Some(item) = doc.sections.last_mut().and_then(|s| s.items.last_mut()) {
                    item.body_html.push_str(&html);
                }
            }
        }
    };
    for line in markdown.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            flush(&mut doc, &target, &mut buffer);
            if let Some(section) = doc.sections.last_mut() {
                section.items.push(ContentItem {
                    id: slugify(title),
                    title: title.trim().into(),
                    body_html: String::new(),
                });
                target = Target::Item;
            }
        } else if let Some(title) = line.strip_prefix("## ") {
            flush(&mut doc, &target, &mut buffer);
            doc.sections.push(ContentSection {
                id: slugify(title),
                title: title.trim().into(),
                body_html: String::new(),
                items: Vec::new(),
            });
            target = Target::Section;
        } else if let Some(title) = line.strip_prefix("# ") {
            flush(&mut doc, &target, &mut buffer);
            doc.title = title.trim().into();
            target = Target::Intro;
        } else {
            buffer.push_str(line);
            buffer.push('\n');
        }
    }
    flush(&mut doc, &target, &mut buffer);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aide_keeps_the_faq_structure_and_labels() {
        let doc = document(ContentPage::Aide);
        assert_eq!(doc.title, "Aide");
        let titles: Vec<_> = doc.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Le compte", "Les démarches"]);
        let all: String = doc
            .sections
            .iter()
            .flat_map(|s| s.items.iter().map(|i| i.body_html.as_str()))
            .collect();
        for label in [
            "Mot de passe oublié ?",
            "Soumettre",
            "Mes données personnelles",
            "Composition",
            "Ajouter un partage",
            "Rejoindre un profil existant",
            "Joindre un fichier",
            "Mes documents reçus",
            "Mes brouillons",
            "Mes dossiers",
            "Démarches à la Une",
        ] {
            assert!(all.contains(label), "missing label {label}");
        }
        assert!(doc.sections.iter().all(|s| !s.items.is_empty()));
    }

    #[test]
    fn other_pages_parse() {
        assert_eq!(
            document(ContentPage::Accessibilite).title,
            "Déclaration d’accessibilité"
        );
        assert_eq!(
            document(ContentPage::MentionsLegales).title,
            "Mentions légales"
        );
        assert_eq!(
            document(ContentPage::ConditionsUtilisation).title,
            "Conditions d’utilisation"
        );
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(
            slugify("Où sont mis en avant les appels à projets ?"),
            "ou-sont-mis-en-avant-les-appels-a-projets"
        );
        assert_eq!(slugify("État de conformité"), "etat-de-conformite");
    }
}
