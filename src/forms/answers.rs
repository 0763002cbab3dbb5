//! The answers of a dossier, how they are read from a posted page, and which pages
//! and fields the conditions show. Shared by the server and the browser.
//!
//! Input names (the same in the HTML form and in the browser's `FormData`):
//! - a simple field: `key`; a multiple choice: `key` repeated (one per ticked box);
//! - an address: `key.ligne`, `key.code_postal`, `key.commune`;
//! - inside item `i` (from 0) of a repeated group: the prefix `group.i.`
//!   (`enfants.0.prenom`, `enfants.1.adresse.ligne`);
//! - the number of items of a group: the hidden input `group.items`.
//!
//! Input ids are `champ-` and the name with dots replaced by `-` ([`input_id`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::definition::{Condition, Field, FieldKind, FormDefinition, FormPage};

/// The answers of a form (or of one item of a repeated group), by field key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Answers(pub BTreeMap<String, Value>);

/// One answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Value {
    /// Short and long text, number (as typed, trimmed), date (`YYYY-MM-DD` or as
    /// typed), email, phone, yes/no (`oui`/`non`), single choice (the option's
    /// text), SIRET, IBAN.
    Text(String),
    /// Multiple choice: the ticked options.
    Many(Vec<String>),
    Address {
        line: String,
        postal_code: String,
        commune: String,
    },
    /// A repeated group: one `Answers` per item, keyed by the group's inner keys.
    Group(Vec<Answers>),
}

/// How many files are attached, by field path: the field key at top level,
/// `group.INDEX.key` inside a repeated group item (INDEX from 0).
pub type FileCounts = BTreeMap<String, usize>;

/// The suffix of an address's street input: `key.ligne`.
pub const ADDRESS_LINE: &str = "ligne";
/// The suffix of an address's postal code input: `key.code_postal`.
pub const ADDRESS_POSTAL_CODE: &str = "code_postal";
/// The suffix of an address's commune input: `key.commune`.
pub const ADDRESS_COMMUNE: &str = "commune";
/// The suffix of a group's hidden input holding its number of items: `key.items`.
pub const GROUP_ITEMS: &str = "items";
/// The most items read from a post, whatever the hidden input says.
const MAX_ITEMS_READ: usize = u8::MAX as usize;

impl Value {
    /// Whether nothing was given: blank text, nothing ticked, a blank address, a
    /// group whose items are all empty.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Text(text) => text.trim().is_empty(),
            Value::Many(values) => values.iter().all(|v| v.trim().is_empty()),
            Value::Address {
                line,
                postal_code,
                commune,
            } => [line, postal_code, commune]
                .iter()
                .all(|part| part.trim().is_empty()),
            Value::Group(items) => items.iter().all(Answers::is_empty),
        }
    }

    /// The text, for a `Text` value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl Answers {
    pub fn new() -> Self {
        Self::default()
    }

    /// The answer to a field, whatever its kind.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The answer to a text-like field (`Value::Text`).
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_text)
    }

    /// The ticked options of a multiple choice.
    pub fn many(&self, key: &str) -> Option<&[String]> {
        match self.get(key) {
            Some(Value::Many(values)) => Some(values),
            _ => None,
        }
    }

    /// The items of a repeated group, as stored.
    pub fn items(&self, key: &str) -> Option<&[Answers]> {
        match self.get(key) {
            Some(Value::Group(items)) => Some(items),
            _ => None,
        }
    }

    /// Sets an answer.
    pub fn set(&mut self, key: impl Into<String>, value: Value) {
        self.0.insert(key.into(), value);
    }

    /// Removes an answer, returning it.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key)
    }

    /// Whether no answer has any content.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(Value::is_empty)
    }
}

/// The HTML id of an input: `champ-` and the name with dots replaced by `-`
/// (`enfants.1.adresse.ligne` → `champ-enfants-1-adresse-ligne`).
pub fn input_id(name: &str) -> String {
    format!("champ-{}", name.replace('.', "-"))
}

/// The prefix of the input names of a group item: `enfants.0.`.
pub fn item_prefix(group_key: &str, index: usize) -> String {
    format!("{group_key}.{index}.")
}

/// The name of the input an error or a « Modifier » link points to: the street line
/// for an address (`key.ligne`), the name itself for everything else. `name` is the
/// field's name (`key` or `group.i.key`).
pub fn first_input_name(field: &Field, name: &str) -> String {
    match field.kind {
        FieldKind::Address => format!("{name}.{ADDRESS_LINE}"),
        _ => name.to_owned(),
    }
}

// ---------------------------------------------------------------------------------
// Reading a posted page
// ---------------------------------------------------------------------------------

/// The posted pairs, by name.
struct Posted<'a>(BTreeMap<&'a str, Vec<&'a str>>);

impl<'a> Posted<'a> {
    fn new(pairs: &'a [(String, String)]) -> Self {
        let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, value) in pairs {
            map.entry(name.as_str()).or_default().push(value.as_str());
        }
        Posted(map)
    }

    fn first(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).and_then(|values| values.first().copied())
    }

    fn all(&self, name: &str) -> &[&'a str] {
        self.0.get(name).map(Vec::as_slice).unwrap_or_default()
    }
}

/// Replaces the answers of every field of `page` with what was posted: the inputs of
/// shown and hidden fields alike, so that what was typed is never lost (the view must
/// therefore render hidden fields with `hidden`, not `disabled`).
///
/// Values are trimmed; a long text keeps its inner newlines (`\r\n` becomes `\n`). An
/// empty value removes the answer. By kind, when the name is absent from the post:
/// - text-like fields and addresses keep their stored answer (their input was not in
///   the form);
/// - a multiple choice becomes `Many(vec![])` (no box ticked);
/// - yes/no and single choice lose their answer (no radio chosen);
/// - a group keeps its stored number of items, at least `min_items`, when
///   `group.items` is absent; its items `0..count` are read with the prefix
///   `group.i.` and items beyond `count` are dropped.
///
/// Attachments are not answers: files are stored by the caller.
pub fn read_page(page: &FormPage, pairs: &[(String, String)], answers: &mut Answers) {
    let posted = Posted::new(pairs);
    for field in &page.fields {
        read_field(field, "", &posted, answers);
    }
}

fn set_text(answers: &mut Answers, key: &str, text: String) {
    if text.is_empty() {
        answers.0.remove(key);
    } else {
        answers.0.insert(key.to_owned(), Value::Text(text));
    }
}

/// Trims a long text and normalises its line ends to `\n`.
fn normalise_long_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_owned()
}

fn read_field(field: &Field, prefix: &str, posted: &Posted<'_>, answers: &mut Answers) {
    let key = field.key.as_str();
    let name = format!("{prefix}{key}");
    match &field.kind {
        FieldKind::Section | FieldKind::Explanation | FieldKind::Attachment { .. } => {}
        FieldKind::LongText { .. } => {
            if let Some(value) = posted.first(&name) {
                set_text(answers, key, normalise_long_text(value));
            }
        }
        FieldKind::ShortText { .. }
        | FieldKind::Number { .. }
        | FieldKind::Date { .. }
        | FieldKind::Email
        | FieldKind::Phone
        | FieldKind::Siret
        | FieldKind::Iban => {
            if let Some(value) = posted.first(&name) {
                set_text(answers, key, value.trim().to_owned());
            }
        }
        FieldKind::YesNo | FieldKind::SingleChoice { .. } => {
            let value = posted.first(&name).unwrap_or_default();
            set_text(answers, key, value.trim().to_owned());
        }
        FieldKind::MultipleChoice { .. } => {
            let mut ticked: Vec<String> = Vec::new();
            for value in posted.all(&name) {
                let value = value.trim();
                if !value.is_empty() && !ticked.iter().any(|t| t == value) {
                    ticked.push(value.to_owned());
                }
            }
            answers.0.insert(key.to_owned(), Value::Many(ticked));
        }
        FieldKind::Address => {
            let part = |suffix: &str| posted.first(&format!("{name}.{suffix}"));
            let parts = [
                part(ADDRESS_LINE),
                part(ADDRESS_POSTAL_CODE),
                part(ADDRESS_COMMUNE),
            ];
            if parts.iter().all(Option::is_none) {
                return;
            }
            let [line, postal_code, commune] =
                parts.map(|p| p.unwrap_or_default().trim().to_owned());
            let value = Value::Address {
                line,
                postal_code,
                commune,
            };
            if value.is_empty() {
                answers.0.remove(key);
            } else {
                answers.0.insert(key.to_owned(), value);
            }
        }
        FieldKind::Group {
            fields, min_items, ..
        } => {
            let stored = match answers.0.remove(key) {
                Some(Value::Group(items)) => items,
                _ => Vec::new(),
            };
            let count = posted
                .first(&format!("{name}.{GROUP_ITEMS}"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or_else(|| stored.len().max(usize::from(*min_items)))
                .min(MAX_ITEMS_READ);
            let mut stored = stored.into_iter();
            let items = (0..count)
                .map(|index| {
                    let mut item = stored.next().unwrap_or_default();
                    let prefix = format!("{name}.{index}.");
                    for inner in fields {
                        read_field(inner, &prefix, posted, &mut item);
                    }
                    item
                })
                .collect();
            answers.0.insert(key.to_owned(), Value::Group(items));
        }
    }
}

// ---------------------------------------------------------------------------------
// Repeated groups
// ---------------------------------------------------------------------------------

/// The number of items a group shows: the stored items, at least `min_items`.
/// 0 for a field that is not a group.
pub fn group_item_count(group: &Field, answers: &Answers) -> usize {
    match &group.kind {
        FieldKind::Group { min_items, .. } => answers
            .items(&group.key)
            .map_or(0, <[Answers]>::len)
            .max(usize::from(*min_items)),
        _ => 0,
    }
}

/// The items a group shows: the stored ones, completed with empty items up to
/// `min_items`.
pub fn group_items(group: &Field, answers: &Answers) -> Vec<Answers> {
    let mut items = answers.items(&group.key).unwrap_or_default().to_vec();
    items.resize_with(group_item_count(group, answers), Answers::default);
    items
}

/// « Ajouter un enfant »: appends an empty item to the group (after completing it up
/// to `min_items`). Returns `false`, changing nothing, when the group already has
/// `max_items` items or `group` is not a group.
///
/// Call it after [`read_page`], so that what was typed in the page is kept.
pub fn add_group_item(group: &Field, answers: &mut Answers) -> bool {
    let FieldKind::Group { max_items, .. } = &group.kind else {
        return false;
    };
    let mut items = group_items(group, answers);
    if items.len() >= usize::from(*max_items) {
        return false;
    }
    items.push(Answers::default());
    answers.set(group.key.clone(), Value::Group(items));
    true
}

/// « Retirer »: removes item `index` of a group; later items move up by one.
/// Returns `false` when there is no such item. It does not look at `min_items`: the
/// view offers « Retirer » only above it, and [`group_item_count`] shows empty items
/// up to it anyway.
///
/// Attachments are the caller's: files of the removed item must be deleted and files
/// of later items renamed (see [`path_after_removal`]).
pub fn remove_group_item(answers: &mut Answers, group_key: &str, index: usize) -> bool {
    match answers.0.get_mut(group_key) {
        Some(Value::Group(items)) if index < items.len() => {
            items.remove(index);
            true
        }
        _ => false,
    }
}

/// Where the files of `path` go when item `removed` of `group_key` is removed:
/// `None` for the files of the removed item, the index moved up by one for later
/// items (`enfants.2.piece` → `enfants.1.piece`), unchanged otherwise.
pub fn path_after_removal(path: &str, group_key: &str, removed: usize) -> Option<String> {
    let Some(rest) = path
        .strip_prefix(group_key)
        .and_then(|rest| rest.strip_prefix('.'))
    else {
        return Some(path.to_owned());
    };
    let (index, inner) = rest.split_once('.').unwrap_or((rest, ""));
    match index.parse::<usize>() {
        Ok(i) if i == removed => None,
        Ok(i) if i > removed => Some(format!("{group_key}.{}.{inner}", i - 1)),
        _ => Some(path.to_owned()),
    }
}

// ---------------------------------------------------------------------------------
// Conditions and visibility
// ---------------------------------------------------------------------------------

/// Whether a condition holds: the text answer equals `equals`, or the multiple choice
/// has it ticked. A missing answer (or an answer of another kind) never holds.
pub fn condition_holds(condition: &Condition, answers: &Answers) -> bool {
    match answers.get(&condition.field) {
        Some(Value::Text(text)) => text.trim() == condition.equals.trim(),
        Some(Value::Many(values)) => values.iter().any(|v| v.trim() == condition.equals.trim()),
        _ => false,
    }
}

/// Whether a page is shown with these answers (no condition: always).
///
/// Conditions are read in `answers` as given: to follow chains (a condition on a
/// field that is itself hidden), pass [`prune_hidden`]'s result, as every function
/// taking the whole definition does.
pub fn page_visible(page: &FormPage, answers: &Answers) -> bool {
    page.condition
        .as_ref()
        .is_none_or(|condition| condition_holds(condition, answers))
}

/// Whether a field is shown with these answers (no condition: always). For the inner
/// fields of a group, `answers` are the top-level answers (a condition may only name
/// a top-level field). See [`page_visible`] about chains.
pub fn field_visible(field: &Field, answers: &Answers) -> bool {
    field
        .condition
        .as_ref()
        .is_none_or(|condition| condition_holds(condition, answers))
}

/// A copy of the answers without those of hidden pages and fields, nor of keys the
/// definition does not know. Conditions are followed in the form's order, so a field
/// whose condition names a hidden field is hidden too. Used at submission, and to
/// decide visibility everywhere.
pub fn prune_hidden(def: &FormDefinition, answers: &Answers) -> Answers {
    let mut kept = Answers::default();
    for page in &def.pages {
        if !page_visible(page, &kept) {
            continue;
        }
        for field in &page.fields {
            if !field.kind.asks() || !field_visible(field, &kept) {
                continue;
            }
            if let Some(value) = answers.get(&field.key) {
                let value = prune_value(field, value, &kept);
                kept.set(field.key.clone(), value);
            }
        }
    }
    kept
}

/// A group's items keep only their shown inner fields; other values are unchanged.
fn prune_value(field: &Field, value: &Value, top: &Answers) -> Value {
    match (&field.kind, value) {
        (FieldKind::Group { fields, .. }, Value::Group(items)) => Value::Group(
            items
                .iter()
                .map(|item| {
                    let mut kept = Answers::default();
                    for inner in fields {
                        if inner.kind.asks()
                            && field_visible(inner, top)
                            && let Some(value) = item.get(&inner.key)
                        {
                            kept.set(inner.key.clone(), prune_value(inner, value, top));
                        }
                    }
                    kept
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// The indices of the shown pages, in order: the stepper « Étape 2 sur 4 » counts
/// only these.
pub fn visible_pages(def: &FormDefinition, answers: &Answers) -> Vec<usize> {
    let effective = prune_hidden(def, answers);
    def.pages
        .iter()
        .enumerate()
        .filter(|(_, page)| page_visible(page, &effective))
        .map(|(index, _)| index)
        .collect()
}

/// The paths (`key`, `group.i.key`) of the shown attachment fields: files under other
/// paths belong to hidden fields or removed items and are not sent.
pub fn visible_attachment_paths(def: &FormDefinition, answers: &Answers) -> Vec<String> {
    let effective = prune_hidden(def, answers);
    let mut paths = Vec::new();
    for page in def.pages.iter().filter(|p| page_visible(p, &effective)) {
        for field in page.fields.iter().filter(|f| field_visible(f, &effective)) {
            match &field.kind {
                FieldKind::Attachment { .. } => paths.push(field.key.clone()),
                FieldKind::Group { fields, .. } => {
                    for index in 0..effective.items(&field.key).map_or(0, <[Answers]>::len) {
                        for inner in fields {
                            if matches!(inner.kind, FieldKind::Attachment { .. })
                                && field_visible(inner, &effective)
                            {
                                paths.push(format!(
                                    "{}{}",
                                    item_prefix(&field.key, index),
                                    inner.key
                                ));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::fixtures::{definition, pairs};

    fn sample() -> FormDefinition {
        definition(serde_json::json!([
            {"key": "demandeur", "title": "Demandeur", "fields": [
                {"key": "nom", "label": "Nom", "type": "short_text", "required": true},
                {"key": "projet", "label": "Projet", "type": "long_text"},
                {"key": "salarie", "label": "Avez-vous des salariés ?", "type": "yes_no"},
                {"key": "statut", "label": "Statut", "type": "single_choice",
                 "options": ["Association", "Commune"]},
                {"key": "publics", "label": "Publics", "type": "multiple_choice",
                 "options": ["Jeunes", "Seniors", "Familles"]},
                {"key": "siege", "label": "Siège", "type": "address"},
                {"key": "statuts", "label": "Statuts", "type": "attachment"}
            ]},
            {"key": "salaries", "title": "Salariés", "condition": {"field": "salarie", "equals": "oui"},
             "fields": [
                {"key": "effectif", "label": "Effectif", "type": "number", "required": true},
                {"key": "convention", "label": "Convention collective", "type": "yes_no"}
            ]},
            {"key": "convention_page", "title": "Convention",
             "condition": {"field": "convention", "equals": "oui"},
             "fields": [{"key": "idcc", "label": "IDCC", "type": "short_text", "required": true}]},
            {"key": "jeunes", "title": "Jeunes", "condition": {"field": "publics", "equals": "Jeunes"},
             "fields": [{"key": "ages", "label": "Âges", "type": "short_text"}]},
            {"key": "enfants_page", "title": "Enfants", "fields": [
                {"key": "enfants", "label": "Enfants", "type": "group",
                 "add_label": "Ajouter un enfant", "item_label": "Enfant",
                 "min_items": 1, "max_items": 3, "fields": [
                    {"key": "prenom", "label": "Prénom", "type": "short_text", "required": true},
                    {"key": "sports", "label": "Sports", "type": "multiple_choice",
                     "options": ["Judo", "Foot"]},
                    {"key": "adresse", "label": "Adresse", "type": "address"},
                    {"key": "certificat", "label": "Certificat", "type": "attachment"},
                    {"key": "salaire", "label": "Salaire", "type": "number",
                     "condition": {"field": "salarie", "equals": "oui"}}
                ]}
            ]}
        ]))
    }

    #[test]
    fn values_round_trip_as_tagged_json() {
        let mut answers = Answers::new();
        answers.set("nom", Value::Text("Club".into()));
        answers.set("publics", Value::Many(vec!["Jeunes".into()]));
        answers.set(
            "enfants",
            Value::Group(vec![Answers(BTreeMap::from([(
                "prenom".to_owned(),
                Value::Text("Léa".into()),
            )]))]),
        );
        let json = serde_json::to_string(&answers).expect("serialise");
        assert!(json.contains(r#""nom":{"t":"text","v":"Club"}"#), "{json}");
        let back: Answers = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, answers);
    }

    #[test]
    fn emptiness() {
        assert!(Value::Text("  ".into()).is_empty());
        assert!(Value::Many(vec![]).is_empty());
        assert!(
            Value::Address {
                line: String::new(),
                postal_code: " ".into(),
                commune: String::new()
            }
            .is_empty()
        );
        assert!(Value::Group(vec![Answers::new()]).is_empty());
        assert!(!Value::Text("x".into()).is_empty());
    }

    #[test]
    fn ids_and_prefixes() {
        assert_eq!(input_id("nom"), "champ-nom");
        assert_eq!(
            input_id("enfants.1.adresse.ligne"),
            "champ-enfants-1-adresse-ligne"
        );
        assert_eq!(item_prefix("enfants", 2), "enfants.2.");
    }

    #[test]
    fn a_page_is_read_trimmed() {
        let def = sample();
        let mut answers = Answers::new();
        read_page(
            &def.pages[0],
            &pairs(&[
                ("nom", "  Club de judo  "),
                ("projet", " Ligne 1\r\nLigne 2\r\n\r\n"),
                ("salarie", "oui"),
                ("statut", "Association"),
                ("publics", "Jeunes"),
                ("publics", "Familles"),
                ("publics", "Jeunes"),
                ("siege.ligne", " 1 rue Haute "),
                ("siege.code_postal", "75001"),
                ("siege.commune", "Paris"),
                ("inconnu", "ignoré"),
            ]),
            &mut answers,
        );
        assert_eq!(answers.text("nom"), Some("Club de judo"));
        assert_eq!(answers.text("projet"), Some("Ligne 1\nLigne 2"));
        assert_eq!(answers.text("salarie"), Some("oui"));
        assert_eq!(
            answers.many("publics"),
            Some(&["Jeunes".to_owned(), "Familles".to_owned()][..])
        );
        assert_eq!(
            answers.get("siege"),
            Some(&Value::Address {
                line: "1 rue Haute".into(),
                postal_code: "75001".into(),
                commune: "Paris".into()
            })
        );
        assert_eq!(answers.get("inconnu"), None);
        assert_eq!(answers.get("statuts"), None);
    }

    #[test]
    fn unticked_and_unchosen_inputs_clear_their_answers() {
        let def = sample();
        let mut answers = Answers::new();
        answers.set("nom", Value::Text("Club".into()));
        answers.set("salarie", Value::Text("oui".into()));
        answers.set("statut", Value::Text("Commune".into()));
        answers.set("publics", Value::Many(vec!["Jeunes".into()]));
        read_page(&def.pages[0], &pairs(&[("nom", "")]), &mut answers);
        assert_eq!(answers.get("publics"), Some(&Value::Many(vec![])));
        assert_eq!(answers.get("salarie"), None);
        assert_eq!(answers.get("statut"), None);
        // An emptied text is removed.
        assert_eq!(answers.get("nom"), None);
    }

    #[test]
    fn absent_text_inputs_keep_their_answers() {
        let def = sample();
        let mut answers = Answers::new();
        answers.set("nom", Value::Text("Club".into()));
        answers.set(
            "siege",
            Value::Address {
                line: "1 rue Haute".into(),
                postal_code: "75001".into(),
                commune: "Paris".into(),
            },
        );
        read_page(&def.pages[0], &[], &mut answers);
        assert_eq!(answers.text("nom"), Some("Club"));
        assert!(matches!(answers.get("siege"), Some(Value::Address { .. })));
    }

    #[test]
    fn group_items_are_read_with_prefixed_names() {
        let def = sample();
        let mut answers = Answers::new();
        read_page(
            &def.pages[4],
            &pairs(&[
                ("enfants.items", "2"),
                ("enfants.0.prenom", " Léa "),
                ("enfants.0.sports", "Judo"),
                ("enfants.1.prenom", "Tom"),
                ("enfants.1.adresse.code_postal", "75002"),
                ("enfants.2.prenom", "Ignoré"),
            ]),
            &mut answers,
        );
        let items = answers.items("enfants").expect("group");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].text("prenom"), Some("Léa"));
        assert_eq!(items[0].many("sports"), Some(&["Judo".to_owned()][..]));
        assert_eq!(items[1].text("prenom"), Some("Tom"));
        assert_eq!(items[1].many("sports"), Some(&[][..]));
        assert_eq!(
            items[1].get("adresse"),
            Some(&Value::Address {
                line: String::new(),
                postal_code: "75002".into(),
                commune: String::new()
            })
        );
    }

    #[test]
    fn a_missing_item_count_keeps_the_stored_one_at_least_the_minimum() {
        let def = sample();
        let mut answers = Answers::new();
        read_page(&def.pages[4], &[], &mut answers);
        assert_eq!(answers.items("enfants").map(<[Answers]>::len), Some(1));

        let item = |name: &str| {
            Answers(BTreeMap::from([(
                "prenom".to_owned(),
                Value::Text(name.into()),
            )]))
        };
        answers.set("enfants", Value::Group(vec![item("A"), item("B")]));
        read_page(
            &def.pages[4],
            &pairs(&[("enfants.1.prenom", "C")]),
            &mut answers,
        );
        let items = answers.items("enfants").expect("group");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].text("prenom"), Some("A"));
        assert_eq!(items[1].text("prenom"), Some("C"));

        read_page(
            &def.pages[4],
            &pairs(&[("enfants.items", "9999")]),
            &mut answers,
        );
        assert_eq!(answers.items("enfants").map(<[Answers]>::len), Some(255));
    }

    #[test]
    fn items_are_added_up_to_the_maximum_and_removed() {
        let def = sample();
        let group = &def.pages[4].fields[0];
        let mut answers = Answers::new();
        assert_eq!(group_item_count(group, &answers), 1);
        assert!(add_group_item(group, &mut answers));
        assert_eq!(group_item_count(group, &answers), 2);
        assert!(add_group_item(group, &mut answers));
        assert!(!add_group_item(group, &mut answers));
        assert_eq!(group_item_count(group, &answers), 3);
        assert!(!add_group_item(&def.pages[0].fields[0], &mut answers));

        if let Some(Value::Group(items)) = answers.0.get_mut("enfants") {
            items[1].set("prenom", Value::Text("Deux".into()));
            items[2].set("prenom", Value::Text("Trois".into()));
        }
        assert!(remove_group_item(&mut answers, "enfants", 1));
        let items = answers.items("enfants").expect("group");
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].text("prenom"), Some("Trois"));
        assert!(!remove_group_item(&mut answers, "enfants", 5));
        assert!(!remove_group_item(&mut answers, "nom", 0));
    }

    #[test]
    fn file_paths_follow_a_removal() {
        assert_eq!(
            path_after_removal("enfants.1.certificat", "enfants", 1),
            None
        );
        assert_eq!(
            path_after_removal("enfants.2.certificat", "enfants", 1).as_deref(),
            Some("enfants.1.certificat")
        );
        assert_eq!(
            path_after_removal("enfants.0.certificat", "enfants", 1).as_deref(),
            Some("enfants.0.certificat")
        );
        assert_eq!(
            path_after_removal("enfants_bis.2.x", "enfants", 1).as_deref(),
            Some("enfants_bis.2.x")
        );
        assert_eq!(
            path_after_removal("statuts", "enfants", 0).as_deref(),
            Some("statuts")
        );
    }

    #[test]
    fn conditions_compare_texts_and_ticked_options() {
        let mut answers = Answers::new();
        answers.set("salarie", Value::Text("oui".into()));
        answers.set(
            "publics",
            Value::Many(vec!["Jeunes".into(), "Seniors".into()]),
        );
        let cond = |field: &str, equals: &str| Condition {
            field: field.into(),
            equals: equals.into(),
        };
        assert!(condition_holds(&cond("salarie", "oui"), &answers));
        assert!(!condition_holds(&cond("salarie", "non"), &answers));
        assert!(condition_holds(&cond("publics", "Seniors"), &answers));
        assert!(!condition_holds(&cond("publics", "Familles"), &answers));
        assert!(!condition_holds(&cond("absent", ""), &answers));
    }

    #[test]
    fn conditions_change_the_shown_pages() {
        let def = sample();
        let mut answers = Answers::new();
        assert_eq!(visible_pages(&def, &answers), vec![0, 4]);
        answers.set("salarie", Value::Text("oui".into()));
        assert_eq!(visible_pages(&def, &answers), vec![0, 1, 4]);
        answers.set("convention", Value::Text("oui".into()));
        answers.set("publics", Value::Many(vec!["Jeunes".into()]));
        assert_eq!(visible_pages(&def, &answers), vec![0, 1, 2, 3, 4]);
        // Hiding page 1 hides page 2 too, although « convention » is still stored.
        answers.set("salarie", Value::Text("non".into()));
        assert_eq!(visible_pages(&def, &answers), vec![0, 3, 4]);
        assert!(page_visible(&def.pages[2], &answers));
        assert!(!page_visible(&def.pages[2], &prune_hidden(&def, &answers)));
    }

    #[test]
    fn hidden_answers_are_pruned() {
        let def = sample();
        let mut answers = Answers::new();
        answers.set("nom", Value::Text("Club".into()));
        answers.set("salarie", Value::Text("non".into()));
        answers.set("effectif", Value::Text("3".into()));
        answers.set("convention", Value::Text("oui".into()));
        answers.set("idcc", Value::Text("1234".into()));
        answers.set("ancien", Value::Text("clé d’une version précédente".into()));
        let mut item = Answers::new();
        item.set("prenom", Value::Text("Léa".into()));
        item.set("salaire", Value::Text("1000".into()));
        answers.set("enfants", Value::Group(vec![item]));

        let pruned = prune_hidden(&def, &answers);
        assert_eq!(
            pruned.0.keys().map(String::as_str).collect::<Vec<_>>(),
            ["enfants", "nom", "salarie"]
        );
        let items = pruned.items("enfants").expect("group");
        assert_eq!(items[0].text("prenom"), Some("Léa"));
        assert_eq!(items[0].get("salaire"), None);

        answers.set("salarie", Value::Text("oui".into()));
        let pruned = prune_hidden(&def, &answers);
        assert_eq!(pruned.text("idcc"), Some("1234"));
        assert_eq!(
            pruned.items("enfants").expect("group")[0].text("salaire"),
            Some("1000")
        );
    }

    #[test]
    fn attachment_paths_of_shown_fields() {
        let def = sample();
        let mut answers = Answers::new();
        answers.set(
            "enfants",
            Value::Group(vec![Answers::new(), Answers::new()]),
        );
        assert_eq!(
            visible_attachment_paths(&def, &answers),
            ["statuts", "enfants.0.certificat", "enfants.1.certificat"]
        );
    }
}
