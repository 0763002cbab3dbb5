//! Answers as people read them: « Vérifiez vos réponses », the PDF copy of a dossier
//! and the instructors' view. Stored values are never changed; they are only shown
//! in their usual French form.

use serde::{Deserialize, Serialize};

use super::answers::{Answers, Value, field_visible, first_input_name, page_visible, prune_hidden};
use super::checks::{
    check_iban, format_iban, format_number_with_unit, format_siret, parse_date, parse_number_fr,
};
use super::definition::{Field, FieldKind, FormDefinition};
use crate::account::model::{check_email, check_phone, format_date_fr};
use crate::profiles::model::check_siret;

/// What an unanswered question shows.
pub const NOT_ANSWERED: &str = "Non renseigné";

/// One shown page of the form, with its answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPage {
    /// The page's index in the definition (0-based).
    pub index: usize,
    pub key: String,
    pub title: String,
    pub items: Vec<ReviewItem>,
}

/// A line of a reviewed page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewItem {
    /// A section of the page, or an item of a repeated group (« Enfant 1 »).
    Heading(String),
    Answer {
        /// The question.
        label: String,
        /// The input the « Modifier » link points to (`key`, `key.ligne` for an
        /// address, `enfants.0.prenom` inside a group): its id is `input_id(name)`.
        name: String,
        /// The field's path (`key` or `group.i.key`), the key of `FileCounts` and of
        /// the stored files.
        path: String,
        /// An attachment field: `lines` is empty and the caller adds the names of the
        /// files stored under `path` (or « Non renseigné » when there are none).
        attachment: bool,
        /// The answer, one line each (an address on two lines, one ticked option per
        /// line, a long text's lines), or « Non renseigné ».
        lines: Vec<String>,
    },
}

/// How one answer is shown, one line each: dates as « 14 juillet 2026 », IBANs in
/// groups of 4, SIRETs as `213 502 388 00019`, phones as `06 12 34 56 78`, numbers
/// the French way with their unit, addresses on two lines, ticked options one per
/// line, « Oui »/« Non »; an empty answer is « Non renseigné ». A value that does
/// not pass its check is shown as typed. Sections, explanations and attachments give
/// no line; a group gives its items' headings (see [`review`] for their answers).
pub fn display_lines(field: &Field, value: Option<&Value>) -> Vec<String> {
    if matches!(
        field.kind,
        FieldKind::Section | FieldKind::Explanation | FieldKind::Attachment { .. }
    ) {
        return Vec::new();
    }
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return vec![NOT_ANSWERED.to_owned()];
    };
    match value {
        Value::Text(text) => text_lines(&field.kind, text.trim()),
        Value::Many(values) => values
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect(),
        Value::Address {
            line,
            postal_code,
            commune,
        } => {
            let town = format!("{} {}", postal_code.trim(), commune.trim());
            [line.trim(), town.trim()]
                .into_iter()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        }
        Value::Group(items) => {
            let label = match &field.kind {
                FieldKind::Group { item_label, .. } => item_label.as_str(),
                _ => "Élément",
            };
            (1..=items.len()).map(|n| format!("{label} {n}")).collect()
        }
    }
}

fn text_lines(kind: &FieldKind, text: &str) -> Vec<String> {
    let shown = match kind {
        FieldKind::LongText { .. } => return text.lines().map(str::to_owned).collect(),
        FieldKind::Number { unit, .. } => {
            parse_number_fr(text).map(|n| format_number_with_unit(n, unit.as_deref()))
        }
        FieldKind::Date { .. } => parse_date(text).map(|date| format_date_fr(&date)),
        FieldKind::Email => check_email(text).ok(),
        FieldKind::Phone => check_phone(text).ok(),
        FieldKind::YesNo => match text {
            "oui" => Some("Oui".to_owned()),
            "non" => Some("Non".to_owned()),
            _ => None,
        },
        FieldKind::Siret => check_siret(text).ok().map(|siret| format_siret(&siret)),
        FieldKind::Iban => check_iban(text).ok().map(|iban| format_iban(&iban)),
        _ => None,
    };
    vec![shown.unwrap_or_else(|| text.to_owned())]
}

/// The shown pages and fields with their answers, for « Vérifiez vos réponses » and
/// the PDF copy. Sections become headings, explanations are left out, each group
/// item becomes a heading (« Enfant 1 ») followed by its answers (a group without
/// items: one « Non renseigné » answer named after the group's key).
pub fn review(def: &FormDefinition, answers: &Answers) -> Vec<ReviewPage> {
    let effective = prune_hidden(def, answers);
    def.pages
        .iter()
        .enumerate()
        .filter(|(_, page)| page_visible(page, &effective))
        .map(|(index, page)| {
            let mut items = Vec::new();
            for field in page.fields.iter().filter(|f| field_visible(f, &effective)) {
                push_items(
                    field,
                    &field.key,
                    effective.get(&field.key),
                    &effective,
                    &mut items,
                );
            }
            ReviewPage {
                index,
                key: page.key.clone(),
                title: page.title.clone(),
                items,
            }
        })
        .collect()
}

fn push_items(
    field: &Field,
    path: &str,
    value: Option<&Value>,
    top: &Answers,
    items: &mut Vec<ReviewItem>,
) {
    match &field.kind {
        FieldKind::Explanation => {}
        FieldKind::Section => items.push(ReviewItem::Heading(field.label.clone())),
        FieldKind::Group {
            fields, item_label, ..
        } => {
            let list: &[Answers] = match value {
                Some(Value::Group(list)) => list,
                _ => &[],
            };
            if list.is_empty() {
                items.push(ReviewItem::Answer {
                    label: field.label.clone(),
                    name: path.to_owned(),
                    path: path.to_owned(),
                    attachment: false,
                    lines: vec![NOT_ANSWERED.to_owned()],
                });
            }
            for (index, item) in list.iter().enumerate() {
                items.push(ReviewItem::Heading(format!("{item_label} {}", index + 1)));
                for inner in fields.iter().filter(|f| field_visible(f, top)) {
                    let inner_path = format!("{path}.{index}.{}", inner.key);
                    push_items(inner, &inner_path, item.get(&inner.key), top, items);
                }
            }
        }
        kind => items.push(ReviewItem::Answer {
            label: field.label.clone(),
            name: first_input_name(field, path),
            path: path.to_owned(),
            attachment: matches!(kind, FieldKind::Attachment { .. }),
            lines: display_lines(field, value),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::fixtures::definition;
    use serde_json::json;

    fn field(kind: serde_json::Value) -> Field {
        let mut object = json!({"key": "k", "label": "Question"});
        if let (Some(target), Some(source)) = (object.as_object_mut(), kind.as_object()) {
            target.extend(source.clone());
        }
        serde_json::from_value(object).expect("test field")
    }

    fn text(value: &str) -> Value {
        Value::Text(value.to_owned())
    }

    #[test]
    fn answers_are_shown_the_french_way() {
        let date = field(json!({"type": "date"}));
        assert_eq!(
            display_lines(&date, Some(&text("2026-07-14"))),
            ["14 juillet 2026"]
        );
        assert_eq!(
            display_lines(&date, Some(&text("14/07/2026"))),
            ["14 juillet 2026"]
        );
        let iban = field(json!({"type": "iban"}));
        assert_eq!(
            display_lines(&iban, Some(&text("fr7630006000011234567890189"))),
            ["FR76 3000 6000 0112 3456 7890 189"]
        );
        let siret = field(json!({"type": "siret"}));
        assert_eq!(
            display_lines(&siret, Some(&text("21350238800019"))),
            ["213 502 388 00019"]
        );
        let phone = field(json!({"type": "phone"}));
        assert_eq!(
            display_lines(&phone, Some(&text("+33612345678"))),
            ["06 12 34 56 78"]
        );
        let amount = field(json!({"type": "number", "unit": "€"}));
        assert_eq!(
            display_lines(&amount, Some(&text("1234,50"))),
            ["1\u{202F}234,5\u{A0}€"]
        );
        let yes_no = field(json!({"type": "yes_no"}));
        assert_eq!(display_lines(&yes_no, Some(&text("non"))), ["Non"]);
        let long = field(json!({"type": "long_text"}));
        assert_eq!(
            display_lines(&long, Some(&text("Un\nDeux"))),
            ["Un", "Deux"]
        );
        let address = field(json!({"type": "address"}));
        assert_eq!(
            display_lines(
                &address,
                Some(&Value::Address {
                    line: "1 rue Haute".into(),
                    postal_code: "75001".into(),
                    commune: "Paris".into()
                })
            ),
            ["1 rue Haute", "75001 Paris"]
        );
        let many = field(json!({"type": "multiple_choice", "options": ["A", "B"]}));
        assert_eq!(
            display_lines(&many, Some(&Value::Many(vec!["A".into(), "B".into()]))),
            ["A", "B"]
        );
        assert_eq!(
            display_lines(&many, Some(&Value::Many(vec![]))),
            [NOT_ANSWERED]
        );
        assert_eq!(display_lines(&date, None), [NOT_ANSWERED]);
        // What does not pass its check is shown as typed.
        assert_eq!(display_lines(&iban, Some(&text("FR00 12"))), ["FR00 12"]);
        let attachment = field(json!({"type": "attachment"}));
        assert!(display_lines(&attachment, None).is_empty());
    }

    #[test]
    fn the_review_lists_shown_pages_fields_and_group_items() {
        let def = definition(json!([
            {"key": "demandeur", "title": "Demandeur", "fields": [
                {"key": "identite", "label": "Identité", "type": "section"},
                {"key": "aide", "label": "Cette page vous aide.", "type": "explanation"},
                {"key": "nom", "label": "Nom", "type": "short_text"},
                {"key": "salaries", "label": "Salariés ?", "type": "yes_no"},
                {"key": "effectif", "label": "Effectif", "type": "number",
                 "condition": {"field": "salaries", "equals": "oui"}},
                {"key": "siege", "label": "Siège", "type": "address"}
            ]},
            {"key": "emploi", "title": "Emploi", "condition": {"field": "salaries", "equals": "oui"},
             "fields": [{"key": "convention", "label": "Convention", "type": "short_text"}]},
            {"key": "enfants_page", "title": "Enfants", "fields": [
                {"key": "enfants", "label": "Enfants", "type": "group",
                 "add_label": "Ajouter un enfant", "item_label": "Enfant", "fields": [
                    {"key": "prenom", "label": "Prénom", "type": "short_text"},
                    {"key": "certificat", "label": "Certificat", "type": "attachment"}
                ]}
            ]}
        ]));
        let mut answers = Answers::new();
        answers.set("nom", text("Club"));
        answers.set("salaries", text("non"));
        answers.set("effectif", text("12"));
        answers.set("convention", text("Sport"));
        let mut first = Answers::new();
        first.set("prenom", text("Léa"));
        answers.set("enfants", Value::Group(vec![first, Answers::new()]));

        let pages = review(&def, &answers);
        assert_eq!(pages.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 2]);
        let answer = |label: &str, name: &str, path: &str, attachment: bool, lines: &[&str]| {
            ReviewItem::Answer {
                label: label.into(),
                name: name.into(),
                path: path.into(),
                attachment,
                lines: lines.iter().map(|l| (*l).to_owned()).collect(),
            }
        };
        assert_eq!(
            pages[0].items,
            [
                ReviewItem::Heading("Identité".into()),
                answer("Nom", "nom", "nom", false, &["Club"]),
                answer("Salariés ?", "salaries", "salaries", false, &["Non"]),
                answer("Siège", "siege.ligne", "siege", false, &[NOT_ANSWERED]),
            ]
        );
        assert_eq!(
            pages[1].items,
            [
                ReviewItem::Heading("Enfant 1".into()),
                answer(
                    "Prénom",
                    "enfants.0.prenom",
                    "enfants.0.prenom",
                    false,
                    &["Léa"]
                ),
                answer(
                    "Certificat",
                    "enfants.0.certificat",
                    "enfants.0.certificat",
                    true,
                    &[]
                ),
                ReviewItem::Heading("Enfant 2".into()),
                answer(
                    "Prénom",
                    "enfants.1.prenom",
                    "enfants.1.prenom",
                    false,
                    &[NOT_ANSWERED]
                ),
                answer(
                    "Certificat",
                    "enfants.1.certificat",
                    "enfants.1.certificat",
                    true,
                    &[]
                ),
            ]
        );
        let json = serde_json::to_string(&pages).expect("serialise");
        let back: Vec<ReviewPage> = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, pages);

        answers.remove("enfants");
        let pages = review(&def, &answers);
        assert_eq!(
            pages[1].items,
            [answer(
                "Enfants",
                "enfants",
                "enfants",
                false,
                &[NOT_ANSWERED]
            )]
        );
    }
}
