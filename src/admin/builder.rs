//! The administrators' form builder: pure edits of a [`FormDefinition`] (add, move,
//! remove and set pages and fields), shared by the server and the browser (`serde`
//! and `std` only).
//!
//! Keys are made from labels (« Nom de l’association » gives `nom_de_l_association`)
//! and kept unique in the whole form. The settings typed in a field's editor
//! ([`FieldSettings`]) are checked here and written only when all of them are right;
//! conditions may only name a yes/no or choice question that comes earlier, outside
//! repeated groups, so that what is built here passes
//! [`definition_problems`](crate::forms::definition_problems) once every page asks
//! something.

use std::collections::BTreeSet;

use crate::admin::model::{ConditionChoice, FIELD_TYPES, FieldSettings, PageEditor};
use crate::error::FieldError;
use crate::forms::checks::{THOUSANDS_SEPARATOR, format_number_fr, parse_number_fr};
use crate::forms::validate::MAX_FILES_LIMIT;
use crate::forms::{ChoiceDisplay, Condition, Field, FieldKind, FormDefinition, FormPage};

/// The longest label of a field or title of a page, in characters.
pub const LABEL_MAX: u32 = 300;
/// The text of an explanation (a paragraph).
pub const EXPLANATION_MAX: u32 = 3000;
/// The longest help text of a field or introduction of a page, in characters.
pub const HELP_MAX: u32 = 1000;
/// The longest field key, in characters.
pub const KEY_MAX: u32 = 60;
/// The largest `max_length` a text field may be given.
pub const MAX_LENGTH_LIMIT: u32 = 100_000;
/// The largest `min_items` or `max_items` a repeated group may be given.
pub const GROUP_ITEMS_LIMIT: u8 = 50;

/// The longest key made from a label.
const SLUG_MAX: usize = 40;
/// The files an attachment field accepts when nothing else is said.
const DEFAULT_MAX_FILES: u8 = 3;
/// The label of the field a new group starts with.
const GROUP_CHILD_LABEL: &str = "Nom";
/// The title of a page added without one.
const NEW_PAGE_TITLE: &str = "Nouvelle page";

const PAGE_GONE: &str = "Cette page n’existe plus.";
const FIELD_GONE: &str = "Ce champ n’existe plus.";
const LABEL_MISSING: &str = "Saisissez le libellé du champ.";
const PAGE_CONDITION_ELSEWHERE: &str =
    "Cette question ne peut pas servir de condition : elle doit figurer sur une page précédente.";
const FIELD_CONDITION_ELSEWHERE: &str = "Cette question ne peut pas servir de condition : elle doit précéder ce champ, hors d’un groupe répétable.";

// ---------------------------------------------------------------- keys

/// A lower-case ASCII key from a French label: accents folded (`é` → `e`, `œ` →
/// `oe`), anything else than letters and digits turned into single `_`, at most 40
/// characters; `champ` when nothing is left, `c_` before a leading digit.
///
/// « Nom de l’association » gives `nom_de_l_association`, « 2e enfant » `c_2e_enfant`.
pub fn slug_key(label: &str) -> String {
    let mut key = slug(label, '_');
    if key.is_empty() {
        return "champ".to_owned();
    }
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        key.insert_str(0, "c_");
        cut(&mut key, '_');
    }
    key
}

/// [`slug_key`] made unique in the whole form (groups' inner fields included) by a
/// suffix: `nom`, `nom_2`, `nom_3`…
pub fn unique_field_key(def: &FormDefinition, label: &str) -> String {
    let keys: BTreeSet<String> = all_keys(def).into_iter().collect();
    unique(slug_key(label), '_', |candidate| keys.contains(candidate))
}

/// A page key from a title, unique among the pages: `pieces-justificatives`,
/// `pieces-justificatives-2`… (`page` when the title has no letter nor digit).
pub fn unique_page_key(def: &FormDefinition, title: &str) -> String {
    let mut base = slug(title, '-');
    if base.is_empty() {
        base = "page".to_owned();
    }
    unique(base, '-', |candidate| {
        def.pages.iter().any(|page| page.key == candidate)
    })
}

/// Every field key of the form in form order, groups' inner fields right after their
/// group.
pub fn all_keys(def: &FormDefinition) -> Vec<String> {
    let mut keys = Vec::new();
    for page in &def.pages {
        collect_keys(&page.fields, &mut keys);
    }
    keys
}

fn collect_keys(fields: &[Field], keys: &mut Vec<String>) {
    for field in fields {
        keys.push(field.key.clone());
        if let FieldKind::Group { fields: inner, .. } = &field.kind {
            collect_keys(inner, keys);
        }
    }
}

/// The lower-case ASCII letters and digits of `label`, other characters turned into
/// single `sep`, without `sep` at either end, cut to [`SLUG_MAX`] characters.
fn slug(label: &str, sep: char) -> String {
    let mut out = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
            'œ' => out.push_str("oe"),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            // Combining accents of decomposed text (`e` + U+0301): the letter is kept.
            '\u{300}'..='\u{36f}' => {}
            _ if !out.is_empty() && !out.ends_with(sep) => out.push(sep),
            _ => {}
        }
    }
    cut(&mut out, sep);
    out
}

/// Cuts an ASCII slug to [`SLUG_MAX`] characters and drops the separators at its end.
fn cut(slug: &mut String, sep: char) {
    slug.truncate(SLUG_MAX);
    while slug.ends_with(sep) {
        slug.pop();
    }
}

/// `base` if free, else the first free `base{sep}2`, `base{sep}3`…
fn unique(base: String, sep: char, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&base) {
        return base;
    }
    let mut number = 2u32;
    loop {
        let candidate = format!("{base}{sep}{number}");
        if !taken(&candidate) {
            return candidate;
        }
        number += 1;
    }
}

/// Letters without accents, digits and `_` (the rule of the form's validation).
fn valid_field_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------- finding

/// Where a field sits in the form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldLocation<'a> {
    /// The index of its page.
    pub page: usize,
    /// The repeated group holding it, if any.
    pub group: Option<&'a Field>,
    /// Its index in its page's fields, or in its group's fields.
    pub index: usize,
    pub field: &'a Field,
}

/// Where a field sits, by indices.
#[derive(Debug, Clone, Copy)]
struct Position {
    page: usize,
    /// The index of its group in the page's fields.
    group: Option<usize>,
    /// Its index in the page's fields, or in its group's fields.
    index: usize,
}

/// The first field named `key`, groups' inner fields included.
fn position(def: &FormDefinition, key: &str) -> Option<Position> {
    for (page, p) in def.pages.iter().enumerate() {
        for (index, field) in p.fields.iter().enumerate() {
            if field.key == key {
                return Some(Position {
                    page,
                    group: None,
                    index,
                });
            }
            if let FieldKind::Group { fields, .. } = &field.kind
                && let Some(inner) = fields.iter().position(|f| f.key == key)
            {
                return Some(Position {
                    page,
                    group: Some(index),
                    index: inner,
                });
            }
        }
    }
    None
}

/// The field named `key` (groups' inner fields included) and where it sits.
pub fn find_field<'a>(def: &'a FormDefinition, key: &str) -> Option<FieldLocation<'a>> {
    let at = position(def, key)?;
    let fields = &def.pages.get(at.page)?.fields;
    match at.group {
        None => Some(FieldLocation {
            page: at.page,
            group: None,
            index: at.index,
            field: fields.get(at.index)?,
        }),
        Some(group_index) => {
            let group = fields.get(group_index)?;
            let FieldKind::Group { fields: inner, .. } = &group.kind else {
                return None;
            };
            Some(FieldLocation {
                page: at.page,
                group: Some(group),
                index: at.index,
                field: inner.get(at.index)?,
            })
        }
    }
}

/// The list holding the field named `key` (its page's fields or its group's fields)
/// and its index there.
fn container_mut<'a>(
    def: &'a mut FormDefinition,
    key: &str,
) -> Option<(&'a mut Vec<Field>, usize)> {
    let at = position(def, key)?;
    let fields = &mut def.pages.get_mut(at.page)?.fields;
    match at.group {
        None => Some((fields, at.index)),
        Some(group_index) => match &mut fields.get_mut(group_index)?.kind {
            FieldKind::Group { fields: inner, .. } => Some((inner, at.index)),
            _ => None,
        },
    }
}

fn field_mut<'a>(def: &'a mut FormDefinition, key: &str) -> Option<&'a mut Field> {
    let (fields, index) = container_mut(def, key)?;
    fields.get_mut(index)
}

fn page_index(def: &FormDefinition, key: &str) -> Option<usize> {
    def.pages.iter().position(|page| page.key == key)
}

// ---------------------------------------------------------------- adding

/// A new field of type `kind` (a slug of [`FIELD_TYPES`]) with sensible settings;
/// `None` for an unknown type. Questions are required, titles and explanations not.
/// A group starts with one short text « Nom », whose key is unique in `def` and
/// differs from `key`: a group without a question could not be published.
pub fn new_field(def: &FormDefinition, kind: &str, label: &str, key: String) -> Option<Field> {
    if !FIELD_TYPES.iter().any(|(name, _)| *name == kind) {
        return None;
    }
    let kind = match kind {
        "short_text" => FieldKind::ShortText { max_length: None },
        "long_text" => FieldKind::LongText { max_length: None },
        "number" => FieldKind::Number {
            min: None,
            max: None,
            integer: false,
            unit: None,
        },
        "date" => FieldKind::Date { past_only: false },
        "email" => FieldKind::Email,
        "phone" => FieldKind::Phone,
        "yes_no" => FieldKind::YesNo,
        "single_choice" => FieldKind::SingleChoice {
            options: default_options(),
            display: ChoiceDisplay::Radio,
        },
        "multiple_choice" => FieldKind::MultipleChoice {
            options: default_options(),
        },
        "address" => FieldKind::Address,
        "siret" => FieldKind::Siret,
        "iban" => FieldKind::Iban,
        "attachment" => FieldKind::Attachment {
            max_files: DEFAULT_MAX_FILES,
            max_size_mb: None,
        },
        "section" => FieldKind::Section,
        "explanation" => FieldKind::Explanation,
        "group" => {
            let keys = all_keys(def);
            let child_key = unique(slug_key(GROUP_CHILD_LABEL), '_', |candidate| {
                candidate == key || keys.iter().any(|k| k.as_str() == candidate)
            });
            let child = Field {
                key: child_key,
                label: GROUP_CHILD_LABEL.to_owned(),
                help: None,
                required: true,
                condition: None,
                kind: FieldKind::ShortText { max_length: None },
            };
            FieldKind::Group {
                fields: vec![child],
                add_label: "Ajouter un élément".to_owned(),
                item_label: "Élément".to_owned(),
                min_items: 1,
                max_items: 10,
            }
        }
        _ => return None,
    };
    Some(Field {
        key,
        label: label.trim().to_owned(),
        help: None,
        required: kind.asks(),
        condition: None,
        kind,
    })
}

fn default_options() -> Vec<String> {
    vec!["Première réponse".to_owned(), "Deuxième réponse".to_owned()]
}

/// Appends a page without fields; returns its key. An empty title becomes
/// « Nouvelle page ».
pub fn add_page(def: &mut FormDefinition, title: &str) -> String {
    let title = match title.trim() {
        "" => NEW_PAGE_TITLE,
        title => title,
    };
    let key = unique_page_key(def, title);
    def.pages.push(FormPage {
        key: key.clone(),
        title: title.to_owned(),
        intro: None,
        condition: None,
        fields: Vec::new(),
    });
    key
}

/// Appends a new field of type `kind` (a slug of [`FIELD_TYPES`]) to the page
/// `page_key`, or to the repeated group `group_key` of that page; returns its key,
/// made from the label.
pub fn add_field(
    def: &mut FormDefinition,
    page_key: &str,
    group_key: Option<&str>,
    kind: &str,
    label: &str,
) -> Result<String, FieldError> {
    let page = page_index(def, page_key).ok_or_else(|| error("page", PAGE_GONE))?;
    let group = match group_key {
        None => None,
        Some(group_key) => Some(
            def.pages[page]
                .fields
                .iter()
                .position(|f| f.key == group_key && matches!(f.kind, FieldKind::Group { .. }))
                .ok_or_else(|| error("page", PAGE_GONE))?,
        ),
    };
    let label = label.trim();
    if label.is_empty() {
        return Err(error("label", LABEL_MISSING));
    }
    if too_long(label, LABEL_MAX) {
        return Err(error("label", label_too_long()));
    }
    if group.is_some() && kind == "group" {
        return Err(error(
            "kind",
            "Un groupe répétable ne peut pas contenir un autre groupe.",
        ));
    }
    let key = unique_field_key(def, label);
    let field = new_field(def, kind, label, key.clone())
        .ok_or_else(|| error("kind", "Choisissez le type du champ."))?;
    let fields = &mut def.pages[page].fields;
    let fields = match group {
        None => fields,
        Some(group) => match fields.get_mut(group).map(|f| &mut f.kind) {
            Some(FieldKind::Group { fields: inner, .. }) => inner,
            _ => return Err(error("page", PAGE_GONE)),
        },
    };
    fields.push(field);
    Ok(key)
}

// ---------------------------------------------------------------- removing, moving

/// Removes a page and its fields; `false` when there is no such page. Conditions
/// naming its fields are left for [`definition_problems`](crate::forms::definition_problems)
/// to report.
pub fn remove_page(def: &mut FormDefinition, key: &str) -> bool {
    match page_index(def, key) {
        Some(index) => {
            def.pages.remove(index);
            true
        }
        None => false,
    }
}

/// Removes a field (inside a group too); `false` when there is no such field.
/// Conditions naming it are left for
/// [`definition_problems`](crate::forms::definition_problems) to report.
pub fn remove_field(def: &mut FormDefinition, key: &str) -> bool {
    match container_mut(def, key) {
        Some((fields, index)) => {
            fields.remove(index);
            true
        }
        None => false,
    }
}

/// Moves a page to position `to` (the last one at most); `false` when there is no
/// such page.
pub fn move_page(def: &mut FormDefinition, key: &str, to: usize) -> bool {
    match page_index(def, key) {
        Some(from) => move_within(&mut def.pages, from, to),
        None => false,
    }
}

/// Moves a page by `delta` places (« Monter » : -1, « Descendre » : 1); `false` when
/// there is no such page or it would leave the form.
pub fn move_page_by(def: &mut FormDefinition, key: &str, delta: i32) -> bool {
    let Some(from) = page_index(def, key) else {
        return false;
    };
    match shifted(from, delta, def.pages.len()) {
        Some(to) => move_within(&mut def.pages, from, to),
        None => false,
    }
}

/// Moves a field to position `to` (the last one at most) within its page, or its
/// group; `false` when there is no such field.
pub fn move_field(def: &mut FormDefinition, key: &str, to: usize) -> bool {
    match container_mut(def, key) {
        Some((fields, from)) => move_within(fields, from, to),
        None => false,
    }
}

/// Moves a field by `delta` places within its page, or its group; `false` when there
/// is no such field or it would leave its list.
pub fn move_field_by(def: &mut FormDefinition, key: &str, delta: i32) -> bool {
    let Some((fields, from)) = container_mut(def, key) else {
        return false;
    };
    match shifted(from, delta, fields.len()) {
        Some(to) => move_within(fields, from, to),
        None => false,
    }
}

/// Moves `items[from]` to `min(to, last)`.
fn move_within<T>(items: &mut Vec<T>, from: usize, to: usize) -> bool {
    if from >= items.len() {
        return false;
    }
    let to = to.min(items.len() - 1);
    let item = items.remove(from);
    items.insert(to, item);
    true
}

/// `from + delta` when it is another index of a list of `len`.
fn shifted(from: usize, delta: i32, len: usize) -> Option<usize> {
    if delta == 0 {
        return None;
    }
    let to = i64::try_from(from).ok()? + i64::from(delta);
    let to = usize::try_from(to).ok()?;
    (to < len).then_some(to)
}

// ---------------------------------------------------------------- conditions

/// The questions a field's condition may name: yes/no and choice questions before
/// it in form order (on earlier pages, or earlier on its page), outside repeated
/// groups. For a field inside a group, those before the group. Empty for an
/// unknown field.
pub fn condition_choices(def: &FormDefinition, field_key: &str) -> Vec<ConditionChoice> {
    match position(def, field_key) {
        Some(at) => choices_before(def, at.page, at.group.unwrap_or(at.index)),
        None => Vec::new(),
    }
}

/// The questions a page's condition may name: yes/no and choice questions of
/// earlier pages, outside repeated groups. Empty for an unknown page.
pub fn page_condition_choices(def: &FormDefinition, page_key: &str) -> Vec<ConditionChoice> {
    match page_index(def, page_key) {
        Some(page) => choices_before(def, page, 0),
        None => Vec::new(),
    }
}

/// The comparable top-level fields of the pages before `page`, and of `page` before
/// `index`.
fn choices_before(def: &FormDefinition, page: usize, index: usize) -> Vec<ConditionChoice> {
    def.pages
        .iter()
        .take(page.saturating_add(1))
        .enumerate()
        .flat_map(|(i, p)| {
            let end = if i == page { index } else { p.fields.len() };
            p.fields.iter().take(end)
        })
        .filter_map(choice_of)
        .collect()
}

/// A field a condition may name, with its possible answers (`oui` and `non` for a
/// yes/no question, as the answers store them).
fn choice_of(field: &Field) -> Option<ConditionChoice> {
    let values = match &field.kind {
        FieldKind::YesNo => vec!["oui".to_owned(), "non".to_owned()],
        FieldKind::SingleChoice { options, .. } | FieldKind::MultipleChoice { options } => options
            .iter()
            .map(|option| option.trim())
            .filter(|option| !option.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => return None,
    };
    Some(ConditionChoice {
        key: field.key.clone(),
        label: field.label.clone(),
        values,
    })
}

/// The condition typed as `field` and `equals`: `None` without a field; an error on
/// `condition_field` (`not_allowed`) when the field is not among `choices`, on
/// `condition_equals` (`missing_answer`) when the answer is not one of its values.
fn read_condition(
    field: &str,
    equals: &str,
    choices: &[ConditionChoice],
    missing_answer: &str,
    not_allowed: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Condition> {
    let field = field.trim();
    let equals = equals.trim();
    if field.is_empty() {
        return None;
    }
    let Some(choice) = choices.iter().find(|choice| choice.key == field) else {
        errors.push(error("condition_field", not_allowed));
        return None;
    };
    if equals.is_empty() || !choice.values.iter().any(|value| value.as_str() == equals) {
        errors.push(error("condition_equals", missing_answer));
        return None;
    }
    Some(Condition {
        field: field.to_owned(),
        equals: equals.to_owned(),
    })
}

/// Makes the conditions naming `old` (of pages and fields) name `new`.
fn rename_conditions(def: &mut FormDefinition, old: &str, new: &str) {
    for page in &mut def.pages {
        rename_in(&mut page.condition, old, new);
        for field in &mut page.fields {
            rename_in(&mut field.condition, old, new);
            if let FieldKind::Group { fields, .. } = &mut field.kind {
                for inner in fields {
                    rename_in(&mut inner.condition, old, new);
                }
            }
        }
    }
}

fn rename_in(condition: &mut Option<Condition>, old: &str, new: &str) {
    if let Some(condition) = condition
        && condition.field == old
    {
        condition.field = new.to_owned();
    }
}

// ---------------------------------------------------------------- pages

/// Writes a page's title, introduction and condition from its editor (its key does
/// not change). Nothing is written when there is an error.
pub fn update_page(
    def: &mut FormDefinition,
    key: &str,
    editor: &PageEditor,
) -> Result<(), Vec<FieldError>> {
    let Some(index) = page_index(def, key) else {
        return Err(vec![error("page", PAGE_GONE)]);
    };
    let mut errors = Vec::new();
    let title = editor.title.trim();
    if title.is_empty() {
        errors.push(error("title", "Saisissez le titre de la page."));
    } else if too_long(title, LABEL_MAX) {
        errors.push(error(
            "title",
            format!("Le titre de la page doit contenir au plus {LABEL_MAX} caractères."),
        ));
    }
    let intro = optional_text(&editor.intro);
    if intro
        .as_deref()
        .is_some_and(|intro| too_long(intro, HELP_MAX))
    {
        errors.push(error(
            "intro",
            format!(
                "L’introduction doit contenir au plus {} caractères.",
                format_number_fr(f64::from(HELP_MAX))
            ),
        ));
    }
    let condition = read_condition(
        &editor.condition_field,
        &editor.condition_equals,
        &page_condition_choices(def, key),
        "Choisissez la réponse qui affiche cette page.",
        PAGE_CONDITION_ELSEWHERE,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let page = &mut def.pages[index];
    page.title = title.to_owned();
    page.intro = intro;
    page.condition = condition;
    Ok(())
}

// ---------------------------------------------------------------- field settings

/// A field's settings as its editor shows them: numbers written plainly (`1500`,
/// `0,5`), one option per line, ticked boxes as `on`.
pub fn settings_of(field: &Field) -> FieldSettings {
    let mut s = FieldSettings {
        key: field.key.clone(),
        label: field.label.clone(),
        help: field.help.clone().unwrap_or_default(),
        required: on(field.required),
        condition_field: field
            .condition
            .as_ref()
            .map(|c| c.field.clone())
            .unwrap_or_default(),
        condition_equals: field
            .condition
            .as_ref()
            .map(|c| c.equals.clone())
            .unwrap_or_default(),
        ..FieldSettings::default()
    };
    match &field.kind {
        FieldKind::ShortText { max_length } | FieldKind::LongText { max_length } => {
            s.max_length = max_length.map(|n| n.to_string()).unwrap_or_default();
        }
        FieldKind::Number {
            min,
            max,
            integer,
            unit,
        } => {
            s.min = min.map(plain_number).unwrap_or_default();
            s.max = max.map(plain_number).unwrap_or_default();
            s.integer = on(*integer);
            s.unit = unit.clone().unwrap_or_default();
        }
        FieldKind::Date { past_only } => s.past_only = on(*past_only),
        FieldKind::SingleChoice { options, display } => {
            s.options = options.join("\n");
            s.display = match display {
                ChoiceDisplay::Radio => "radio",
                ChoiceDisplay::List => "list",
            }
            .to_owned();
        }
        FieldKind::MultipleChoice { options } => s.options = options.join("\n"),
        FieldKind::Attachment {
            max_files,
            max_size_mb,
        } => {
            s.max_files = max_files.to_string();
            s.max_size_mb = max_size_mb.map(|n| n.to_string()).unwrap_or_default();
        }
        FieldKind::Group {
            add_label,
            item_label,
            min_items,
            max_items,
            ..
        } => {
            s.add_label = add_label.clone();
            s.item_label = item_label.clone();
            s.min_items = min_items.to_string();
            s.max_items = max_items.to_string();
        }
        FieldKind::Email
        | FieldKind::Phone
        | FieldKind::YesNo
        | FieldKind::Address
        | FieldKind::Siret
        | FieldKind::Iban
        | FieldKind::Section
        | FieldKind::Explanation => {}
    }
    s
}

/// Checks the settings typed for the field `key` and writes them; returns its key,
/// new when it was changed (conditions naming the old key then name the new one).
/// Errors name the [`FieldSettings`] inputs; all are returned, and nothing is
/// written when there is one. `portal_max_mb` is the portal's largest file, in
/// megabytes. A group keeps its inner fields; titles and explanations are never
/// required.
pub fn apply_settings(
    def: &mut FormDefinition,
    key: &str,
    s: &FieldSettings,
    portal_max_mb: u64,
) -> Result<String, Vec<FieldError>> {
    let Some(old_kind) = find_field(def, key).map(|at| at.field.kind.clone()) else {
        return Err(vec![error("key", FIELD_GONE)]);
    };
    let mut errors = Vec::new();

    let label = s.label.trim();
    // An explanation is a paragraph, not a question: it may be longer.
    let label_max = if matches!(old_kind, FieldKind::Explanation) {
        EXPLANATION_MAX
    } else {
        LABEL_MAX
    };
    if label.is_empty() {
        errors.push(error("label", LABEL_MISSING));
    } else if too_long(label, label_max) {
        errors.push(error(
            "label",
            format!("Le libellé doit contenir au plus {label_max} caractères."),
        ));
    }

    let new_key = s.key.trim();
    if new_key.is_empty() {
        errors.push(error(
            "key",
            "Saisissez la clé du champ, par exemple nom_association.",
        ));
    } else if !valid_field_key(new_key) {
        errors.push(error(
            "key",
            "La clé ne peut contenir que des lettres sans accent, des chiffres et « _ », par exemple nom_association.",
        ));
    } else if too_long(new_key, KEY_MAX) {
        errors.push(error(
            "key",
            format!("La clé doit contenir au plus {KEY_MAX} caractères."),
        ));
    } else {
        let same = all_keys(def)
            .iter()
            .filter(|k| k.as_str() == new_key)
            .count();
        if same > usize::from(new_key == key) {
            errors.push(error(
                "key",
                format!("Un autre champ a déjà la clé « {new_key} »."),
            ));
        }
    }

    let help = optional_text(&s.help);
    if help.as_deref().is_some_and(|help| too_long(help, HELP_MAX)) {
        errors.push(error(
            "help",
            format!(
                "L’aide doit contenir au plus {} caractères.",
                format_number_fr(f64::from(HELP_MAX))
            ),
        ));
    }

    let condition = read_condition(
        &s.condition_field,
        &s.condition_equals,
        &condition_choices(def, key),
        "Choisissez la réponse qui affiche ce champ.",
        FIELD_CONDITION_ELSEWHERE,
        &mut errors,
    );
    let required = old_kind.asks() && ticked(s.required.as_deref());
    let kind = read_kind(&old_kind, s, portal_max_mb, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }

    let Some(field) = field_mut(def, key) else {
        return Err(vec![error("key", FIELD_GONE)]);
    };
    field.key = new_key.to_owned();
    field.label = label.to_owned();
    field.help = help;
    field.required = required;
    field.condition = condition;
    field.kind = kind;
    if new_key != key {
        rename_conditions(def, key, new_key);
    }
    Ok(new_key.to_owned())
}

/// The kind's settings read from `s` (the kind itself does not change).
fn read_kind(
    old: &FieldKind,
    s: &FieldSettings,
    portal_max_mb: u64,
    errors: &mut Vec<FieldError>,
) -> FieldKind {
    match old {
        FieldKind::ShortText { .. } => FieldKind::ShortText {
            max_length: read_max_length(&s.max_length, errors),
        },
        FieldKind::LongText { .. } => FieldKind::LongText {
            max_length: read_max_length(&s.max_length, errors),
        },
        FieldKind::Number { .. } => {
            let min = read_number("min", &s.min, errors);
            let max = read_number("max", &s.max, errors);
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                errors.push(error(
                    "max",
                    "Le minimum doit être inférieur ou égal au maximum.",
                ));
            }
            FieldKind::Number {
                min,
                max,
                integer: ticked(s.integer.as_deref()),
                unit: optional_text(&s.unit),
            }
        }
        FieldKind::Date { .. } => FieldKind::Date {
            past_only: ticked(s.past_only.as_deref()),
        },
        FieldKind::SingleChoice { .. } => FieldKind::SingleChoice {
            options: read_options(&s.options, errors),
            display: if s.display.trim() == "list" {
                ChoiceDisplay::List
            } else {
                ChoiceDisplay::Radio
            },
        },
        FieldKind::MultipleChoice { .. } => FieldKind::MultipleChoice {
            options: read_options(&s.options, errors),
        },
        FieldKind::Attachment { .. } => FieldKind::Attachment {
            max_files: read_max_files(&s.max_files, errors),
            max_size_mb: read_max_size(&s.max_size_mb, portal_max_mb, errors),
        },
        FieldKind::Group { fields, .. } => {
            let add_label = s.add_label.trim();
            if add_label.is_empty() {
                errors.push(error(
                    "add_label",
                    "Saisissez le texte du bouton d’ajout, par exemple « Ajouter un enfant ».",
                ));
            } else if too_long(add_label, LABEL_MAX) {
                errors.push(error(
                    "add_label",
                    format!("Le texte du bouton doit contenir au plus {LABEL_MAX} caractères."),
                ));
            }
            let item_label = s.item_label.trim();
            if item_label.is_empty() {
                errors.push(error(
                    "item_label",
                    "Saisissez le nom d’un élément, par exemple « Enfant ».",
                ));
            } else if too_long(item_label, LABEL_MAX) {
                errors.push(error(
                    "item_label",
                    format!("Le nom d’un élément doit contenir au plus {LABEL_MAX} caractères."),
                ));
            }
            let min_items = read_items("min_items", &s.min_items, errors);
            let max_items = read_items("max_items", &s.max_items, errors);
            if let Some(max) = max_items {
                if max == 0 {
                    errors.push(error(
                        "max_items",
                        "Un groupe répétable doit accepter au moins un élément.",
                    ));
                } else if min_items.is_some_and(|min| min > max) {
                    errors.push(error(
                        "max_items",
                        "Le nombre minimum d’éléments doit être inférieur ou égal au maximum.",
                    ));
                }
            }
            FieldKind::Group {
                fields: fields.clone(),
                add_label: add_label.to_owned(),
                item_label: item_label.to_owned(),
                min_items: min_items.unwrap_or(1),
                max_items: max_items.unwrap_or(10),
            }
        }
        FieldKind::Email
        | FieldKind::Phone
        | FieldKind::YesNo
        | FieldKind::Address
        | FieldKind::Siret
        | FieldKind::Iban
        | FieldKind::Section
        | FieldKind::Explanation => old.clone(),
    }
}

/// A text field's longest answer: `None` when empty.
fn read_max_length(text: &str, errors: &mut Vec<FieldError>) -> Option<u32> {
    if text.trim().is_empty() {
        return None;
    }
    match read_whole(text).map(u32::try_from) {
        Some(Ok(n)) if (1..=MAX_LENGTH_LIMIT).contains(&n) => Some(n),
        Some(_) => {
            errors.push(error(
                "max_length",
                format!(
                    "Saisissez un nombre de caractères entre 1 et {}.",
                    format_number_fr(f64::from(MAX_LENGTH_LIMIT))
                ),
            ));
            None
        }
        None => {
            errors.push(error(
                "max_length",
                "Saisissez un nombre entier de caractères, par exemple 200.",
            ));
            None
        }
    }
}

/// A number's bound: `None` when empty.
fn read_number(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    if text.trim().is_empty() {
        return None;
    }
    let number = parse_number_fr(text);
    if number.is_none() {
        errors.push(error(
            field,
            format!(
                "Saisissez un nombre, par exemple {}.",
                format_number_fr(1500.0)
            ),
        ));
    }
    number
}

/// The options of a choice, one a line: trimmed, without empty lines, at least one,
/// none twice.
fn read_options(text: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    let options: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if options.is_empty() {
        errors.push(error(
            "options",
            "Saisissez au moins une réponse, une par ligne.",
        ));
    }
    {
        let mut seen = BTreeSet::new();
        if let Some(twice) = options.iter().find(|option| !seen.insert(option.as_str())) {
            errors.push(error(
                "options",
                format!("La réponse « {twice} » figure deux fois."),
            ));
        }
    }
    options
}

/// An attachment's number of files, 1 to [`MAX_FILES_LIMIT`].
fn read_max_files(text: &str, errors: &mut Vec<FieldError>) -> u8 {
    match read_whole(text).and_then(|n| u8::try_from(n).ok()) {
        Some(n) if (1..=MAX_FILES_LIMIT).contains(&n) => n,
        _ => {
            errors.push(error(
                "max_files",
                format!("Un champ accepte de 1 à {MAX_FILES_LIMIT} fichiers."),
            ));
            DEFAULT_MAX_FILES
        }
    }
}

/// An attachment's largest file in megabytes, within the portal's: `None` when empty.
fn read_max_size(text: &str, portal_max_mb: u64, errors: &mut Vec<FieldError>) -> Option<u32> {
    if text.trim().is_empty() {
        return None;
    }
    match read_whole(text) {
        Some(n) if (1..=portal_max_mb).contains(&n) => u32::try_from(n).ok(),
        Some(_) => {
            errors.push(error(
                "max_size_mb",
                format!(
                    "La taille maximale d’un fichier est de {portal_max_mb} Mo sur ce portail."
                ),
            ));
            None
        }
        None => {
            errors.push(error(
                "max_size_mb",
                "Saisissez un nombre entier de mégaoctets, par exemple 5.",
            ));
            None
        }
    }
}

/// A group's number of items, 0 to [`GROUP_ITEMS_LIMIT`].
fn read_items(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<u8> {
    match read_whole(text).and_then(|n| u8::try_from(n).ok()) {
        Some(n) if n <= GROUP_ITEMS_LIMIT => Some(n),
        _ => {
            errors.push(error(
                field,
                format!("Saisissez un nombre entier d’éléments, de 0 à {GROUP_ITEMS_LIMIT}."),
            ));
            None
        }
    }
}

/// A whole, non-negative number as typed (`12`, `1 000`); `None` otherwise.
fn read_whole(text: &str) -> Option<u64> {
    let number = parse_number_fr(text)?;
    if number < 0.0 || number.fract() != 0.0 || number > 1e15 {
        return None;
    }
    Some(number as u64)
}

/// A number without thousands separators, with a decimal comma: `1500`, `0,5`.
fn plain_number(number: f64) -> String {
    format_number_fr(number).replace(THOUSANDS_SEPARATOR, "")
}

/// A trimmed text, `None` when empty.
fn optional_text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A ticked box: `on` (any non-empty value but `false`).
fn ticked(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.trim().is_empty() && v.trim() != "false")
}

fn on(flag: bool) -> Option<String> {
    flag.then(|| "on".to_owned())
}

fn too_long(text: &str, max: u32) -> bool {
    text.chars().count() > max as usize
}

fn label_too_long() -> String {
    format!("Le libellé doit contenir au plus {LABEL_MAX} caractères.")
}

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The settings posted by a field editor (`settings[label]`…) read from form pairs.
pub fn settings_from_pairs(pairs: &[(String, String)]) -> FieldSettings {
    let mut s = FieldSettings::default();
    for (name, value) in pairs {
        let Some(key) = name
            .strip_prefix("settings[")
            .and_then(|rest| rest.strip_suffix(']'))
        else {
            continue;
        };
        let value = value.clone();
        match key {
            "key" => s.key = value,
            "label" => s.label = value,
            "help" => s.help = value,
            "required" => s.required = Some(value),
            "condition_field" => s.condition_field = value,
            "condition_equals" => s.condition_equals = value,
            "max_length" => s.max_length = value,
            "min" => s.min = value,
            "max" => s.max = value,
            "integer" => s.integer = Some(value),
            "unit" => s.unit = value,
            "past_only" => s.past_only = Some(value),
            "options" => s.options = value,
            "display" => s.display = value,
            "max_files" => s.max_files = value,
            "max_size_mb" => s.max_size_mb = value,
            "add_label" => s.add_label = value,
            "item_label" => s.item_label = value,
            "min_items" => s.min_items = value,
            "max_items" => s.max_items = value,
            _ => {}
        }
    }
    s
}

/// The field `base` with the settings being typed (form pairs), for the editor's live
/// preview: alone in a form, without its condition and with its own key; `None` while
/// a setting is invalid.
pub fn preview_field(base: &Field, pairs: &[(String, String)]) -> Option<Field> {
    let mut settings = settings_from_pairs(pairs);
    settings.key = base.key.clone();
    settings.condition_field = String::new();
    settings.condition_equals = String::new();
    let mut alone = base.clone();
    alone.condition = None;
    let mut def = FormDefinition {
        pages: vec![FormPage {
            key: "apercu".into(),
            title: "Aperçu".into(),
            intro: None,
            condition: None,
            fields: vec![alone],
        }],
    };
    apply_settings(&mut def, &base.key, &settings, u64::from(u32::MAX)).ok()?;
    def.pages.pop()?.fields.pop()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::definition_problems;

    const PORTAL_MB: u64 = 20;

    /// Three pages built with the builder: a name, a yes/no and a choice; the
    /// children in a group; an attachment.
    fn sample() -> FormDefinition {
        let mut def = FormDefinition::default();
        let demandeur = add_page(&mut def, "Demandeur");
        let enfants = add_page(&mut def, "Vos enfants");
        let pieces = add_page(&mut def, "Pièces justificatives");
        for (page, group, kind, label) in [
            (&demandeur, None, "short_text", "Nom de famille"),
            (&demandeur, None, "yes_no", "Avez-vous des enfants ?"),
            (&demandeur, None, "single_choice", "Situation"),
            (&enfants, None, "group", "Enfants"),
            (&enfants, Some("enfants"), "date", "Date de naissance"),
            (&pieces, None, "attachment", "Justificatif de domicile"),
        ] {
            add_field(&mut def, page, group, kind, label).expect("field added");
        }
        def
    }

    fn field<'a>(def: &'a FormDefinition, key: &str) -> &'a Field {
        find_field(def, key).expect("field").field
    }

    fn settings(def: &FormDefinition, key: &str) -> FieldSettings {
        settings_of(field(def, key))
    }

    fn names(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn messages(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.message.as_str()).collect()
    }

    fn page_keys(def: &FormDefinition) -> Vec<&str> {
        def.pages.iter().map(|p| p.key.as_str()).collect()
    }

    fn field_keys(fields: &[Field]) -> Vec<&str> {
        fields.iter().map(|f| f.key.as_str()).collect()
    }

    fn group_keys<'a>(def: &'a FormDefinition, key: &str) -> Vec<&'a str> {
        match &field(def, key).kind {
            FieldKind::Group { fields, .. } => field_keys(fields),
            other => panic!("not a group: {other:?}"),
        }
    }

    fn choice_keys(choices: &[ConditionChoice]) -> Vec<&str> {
        choices.iter().map(|c| c.key.as_str()).collect()
    }

    fn page_editor(title: &str, field: &str, equals: &str) -> PageEditor {
        PageEditor {
            demarche_id: 1,
            demarche_title: "Aide".into(),
            key: String::new(),
            title: title.into(),
            intro: String::new(),
            condition_field: field.into(),
            condition_equals: equals.into(),
            condition_choices: Vec::new(),
        }
    }

    /// Applies settings expecting errors; checks nothing was written.
    fn refused(def: &FormDefinition, key: &str, s: &FieldSettings) -> Vec<FieldError> {
        let mut copy = def.clone();
        let errors = apply_settings(&mut copy, key, s, PORTAL_MB).expect_err("refused");
        assert_eq!(&copy, def, "nothing is written when there is an error");
        errors
    }

    /// Adds a field expecting an error; checks nothing was written.
    fn add_refused(
        def: &mut FormDefinition,
        page: &str,
        group: Option<&str>,
        kind: &str,
        label: &str,
    ) -> FieldError {
        let before = def.clone();
        let refused = add_field(def, page, group, kind, label).expect_err("refused");
        assert_eq!(*def, before, "nothing is written when there is an error");
        refused
    }

    #[test]
    fn keys_are_slugged_from_french_labels() {
        assert_eq!(slug_key("Nom de l’association"), "nom_de_l_association");
        assert_eq!(
            slug_key("  Œuvre à Besançon — été ! "),
            "oeuvre_a_besancon_ete"
        );
        assert_eq!(slug_key("ÉLÈVE n°1"), "eleve_n_1");
        assert_eq!(slug_key("e\u{301}te\u{301}"), "ete");
        assert_eq!(slug_key("Straße, Ærø"), "strasse_aero");
        assert_eq!(slug_key("2e enfant"), "c_2e_enfant");
        assert_eq!(slug_key(""), "champ");
        assert_eq!(slug_key("?!…"), "champ");
        assert_eq!(slug_key(&"a".repeat(50)), "a".repeat(40));
        assert_eq!(
            slug_key(&"abcdefghi ".repeat(5)),
            "abcdefghi_abcdefghi_abcdefghi_abcdefghi",
            "cut to 40 characters, without a trailing separator"
        );
        let long_digit = slug_key(&"1".repeat(45));
        assert_eq!(long_digit.len(), 40);
        assert!(long_digit.starts_with("c_1"));
        for label in ["Nom", "Date d’effet", "2026", "Ça coûte ?"] {
            assert!(valid_field_key(&slug_key(label)), "{label}");
        }
    }

    #[test]
    fn keys_are_unique_in_the_whole_form() {
        let mut def = sample();
        // « nom » is the key of the group's first field.
        assert_eq!(group_keys(&def, "enfants"), ["nom", "date_de_naissance"]);
        assert_eq!(unique_field_key(&def, "Nom"), "nom_2");
        assert_eq!(unique_field_key(&def, "Prénom"), "prenom");
        let key = add_field(&mut def, "demandeur", None, "short_text", "Nom").expect("nom");
        assert_eq!(key, "nom_2");
        assert_eq!(unique_field_key(&def, "Nom"), "nom_3");
        assert_eq!(
            all_keys(&def),
            [
                "nom_de_famille",
                "avez_vous_des_enfants",
                "situation",
                "nom_2",
                "enfants",
                "nom",
                "date_de_naissance",
                "justificatif_de_domicile",
            ]
        );

        assert_eq!(
            page_keys(&def),
            ["demandeur", "vos-enfants", "pieces-justificatives"]
        );
        assert_eq!(add_page(&mut def, "Demandeur"), "demandeur-2");
        assert_eq!(add_page(&mut def, "Demandeur"), "demandeur-3");
        assert_eq!(add_page(&mut def, "   "), "nouvelle-page");
        assert_eq!(def.pages[5].title, "Nouvelle page");
        assert_eq!(unique_page_key(&def, "…"), "page");
        assert!(def.pages[5].fields.is_empty());
    }

    #[test]
    fn new_fields_have_sensible_defaults() {
        let def = sample();
        for (kind, _) in FIELD_TYPES {
            let field = new_field(&def, kind, " Question ", "question".into()).expect(kind);
            assert_eq!(field.label, "Question");
            assert_eq!(field.required, !matches!(kind, "section" | "explanation"));
        }
        assert_eq!(new_field(&def, "inconnu", "Question", "q".into()), None);

        let group =
            new_field(&FormDefinition::default(), "group", "Noms", "nom".into()).expect("group");
        let FieldKind::Group {
            fields,
            add_label,
            item_label,
            min_items,
            max_items,
        } = &group.kind
        else {
            panic!("a group");
        };
        assert_eq!(
            field_keys(fields),
            ["nom_2"],
            "differs from the group's key"
        );
        assert_eq!(fields[0].label, "Nom");
        assert!(fields[0].required);
        assert_eq!(add_label, "Ajouter un élément");
        assert_eq!(item_label, "Élément");
        assert_eq!((*min_items, *max_items), (1, 10));

        let choice = new_field(&def, "single_choice", "Choix", "choix".into()).expect("choice");
        assert_eq!(
            choice.kind,
            FieldKind::SingleChoice {
                options: vec!["Première réponse".into(), "Deuxième réponse".into()],
                display: ChoiceDisplay::Radio,
            }
        );
        let attachment = new_field(&def, "attachment", "PJ", "pj".into()).expect("attachment");
        assert_eq!(
            attachment.kind,
            FieldKind::Attachment {
                max_files: 3,
                max_size_mb: None,
            }
        );
    }

    #[test]
    fn fields_are_added_to_pages_and_groups() {
        let mut def = sample();
        let key = add_field(
            &mut def,
            "vos-enfants",
            Some("enfants"),
            "yes_no",
            "Scolarisé ?",
        )
        .expect("in group");
        assert_eq!(key, "scolarise");
        assert_eq!(
            group_keys(&def, "enfants"),
            ["nom", "date_de_naissance", "scolarise"]
        );
        let at = find_field(&def, "scolarise").expect("found");
        assert_eq!((at.page, at.index), (1, 2));
        assert_eq!(at.group.map(|g| g.key.as_str()), Some("enfants"));
        let at = find_field(&def, "situation").expect("found");
        assert_eq!((at.page, at.group, at.index), (0, None, 2));
        assert!(find_field(&def, "inconnu").is_none());

        assert_eq!(
            add_refused(&mut def, "inconnue", None, "yes_no", "Q"),
            error("page", "Cette page n’existe plus.")
        );
        assert_eq!(
            add_refused(&mut def, "vos-enfants", Some("inconnu"), "yes_no", "Q"),
            error("page", "Cette page n’existe plus.")
        );
        assert_eq!(
            add_refused(&mut def, "demandeur", Some("situation"), "yes_no", "Q"),
            error("page", "Cette page n’existe plus."),
            "not a group"
        );
        assert_eq!(
            add_refused(&mut def, "demandeur", Some("enfants"), "yes_no", "Q"),
            error("page", "Cette page n’existe plus."),
            "the group is on another page"
        );
        assert_eq!(
            add_refused(&mut def, "demandeur", None, "yes_no", "  "),
            error("label", "Saisissez le libellé du champ.")
        );
        assert_eq!(
            add_refused(&mut def, "demandeur", None, "yes_no", &"x".repeat(301)).field,
            "label"
        );
        assert_eq!(
            add_refused(&mut def, "demandeur", None, "signature", "Q"),
            error("kind", "Choisissez le type du champ.")
        );
        assert_eq!(
            add_refused(&mut def, "vos-enfants", Some("enfants"), "group", "Q"),
            error(
                "kind",
                "Un groupe répétable ne peut pas contenir un autre groupe."
            )
        );
    }

    #[test]
    fn pages_move_and_are_removed() {
        let mut def = sample();
        assert!(move_page(&mut def, "demandeur", 99));
        assert_eq!(
            page_keys(&def),
            ["vos-enfants", "pieces-justificatives", "demandeur"]
        );
        assert!(!move_page_by(&mut def, "demandeur", 1), "already last");
        assert!(!move_page_by(&mut def, "vos-enfants", -1), "already first");
        assert!(!move_page_by(&mut def, "vos-enfants", 0));
        assert!(!move_page_by(&mut def, "inconnue", 1));
        assert!(!move_page(&mut def, "inconnue", 0));
        assert!(move_page_by(&mut def, "demandeur", -2));
        assert_eq!(
            page_keys(&def),
            ["demandeur", "vos-enfants", "pieces-justificatives"]
        );
        assert!(move_page_by(&mut def, "vos-enfants", 1));
        assert_eq!(
            page_keys(&def),
            ["demandeur", "pieces-justificatives", "vos-enfants"]
        );
        assert!(move_page(&mut def, "vos-enfants", 1));
        assert_eq!(
            page_keys(&def),
            ["demandeur", "vos-enfants", "pieces-justificatives"]
        );

        assert!(remove_page(&mut def, "vos-enfants"));
        assert!(!remove_page(&mut def, "vos-enfants"));
        assert_eq!(page_keys(&def), ["demandeur", "pieces-justificatives"]);
        assert!(!all_keys(&def).iter().any(|k| k == "date_de_naissance"));
        assert!(find_field(&def, "enfants").is_none());
    }

    #[test]
    fn fields_move_within_their_page_or_group() {
        let mut def = sample();
        assert!(move_field(&mut def, "situation", 0));
        assert_eq!(
            field_keys(&def.pages[0].fields),
            ["situation", "nom_de_famille", "avez_vous_des_enfants"]
        );
        assert!(!move_field_by(&mut def, "situation", -1), "already first");
        assert!(
            !move_field_by(&mut def, "avez_vous_des_enfants", 1),
            "already last"
        );
        assert!(!move_field_by(&mut def, "inconnu", 1));
        assert!(!move_field(&mut def, "inconnu", 0));
        assert!(move_field_by(&mut def, "nom_de_famille", 1));
        assert_eq!(
            field_keys(&def.pages[0].fields),
            ["situation", "avez_vous_des_enfants", "nom_de_famille"]
        );
        assert!(move_field(&mut def, "situation", 10));
        assert_eq!(
            field_keys(&def.pages[0].fields),
            ["avez_vous_des_enfants", "nom_de_famille", "situation"]
        );

        assert!(move_field(&mut def, "date_de_naissance", 0));
        assert_eq!(group_keys(&def, "enfants"), ["date_de_naissance", "nom"]);
        assert!(!move_field_by(&mut def, "nom", 1), "last of its group");
        assert!(!move_field_by(&mut def, "date_de_naissance", -1));
        assert!(move_field_by(&mut def, "date_de_naissance", 1));
        assert_eq!(group_keys(&def, "enfants"), ["nom", "date_de_naissance"]);
        assert_eq!(field_keys(&def.pages[1].fields), ["enfants"]);
    }

    #[test]
    fn fields_are_removed_inside_groups_too() {
        let mut def = sample();
        assert!(remove_field(&mut def, "nom"));
        assert_eq!(group_keys(&def, "enfants"), ["date_de_naissance"]);
        assert!(!remove_field(&mut def, "nom"));
        assert!(remove_field(&mut def, "situation"));
        assert_eq!(
            field_keys(&def.pages[0].fields),
            ["nom_de_famille", "avez_vous_des_enfants"]
        );
        assert!(remove_field(&mut def, "enfants"));
        assert!(def.pages[1].fields.is_empty());
        assert!(find_field(&def, "date_de_naissance").is_none());
    }

    #[test]
    fn condition_choices_come_before_outside_groups() {
        let mut def = sample();
        add_field(
            &mut def,
            "vos-enfants",
            Some("enfants"),
            "yes_no",
            "Scolarisé ?",
        )
        .expect("in group");
        add_field(&mut def, "vos-enfants", None, "yes_no", "Garde alternée ?").expect("after");
        add_field(
            &mut def,
            "pieces-justificatives",
            None,
            "multiple_choice",
            "Aides",
        )
        .expect("multiple");

        assert!(condition_choices(&def, "nom_de_famille").is_empty());
        assert!(
            condition_choices(&def, "avez_vous_des_enfants").is_empty(),
            "not a short text, not itself"
        );
        let choices = condition_choices(&def, "situation");
        assert_eq!(choice_keys(&choices), ["avez_vous_des_enfants"]);
        assert_eq!(choices[0].values, ["oui", "non"]);
        assert_eq!(choices[0].label, "Avez-vous des enfants ?");
        assert_eq!(
            choice_keys(&condition_choices(&def, "enfants")),
            ["avez_vous_des_enfants", "situation"]
        );
        // Inside the group: what precedes the group, never its own fields.
        assert_eq!(
            choice_keys(&condition_choices(&def, "date_de_naissance")),
            ["avez_vous_des_enfants", "situation"]
        );
        assert_eq!(
            choice_keys(&condition_choices(&def, "garde_alternee")),
            ["avez_vous_des_enfants", "situation"]
        );
        let choices = condition_choices(&def, "aides");
        assert_eq!(
            choice_keys(&choices),
            ["avez_vous_des_enfants", "situation", "garde_alternee"]
        );
        assert_eq!(choices[1].values, ["Première réponse", "Deuxième réponse"]);
        assert!(condition_choices(&def, "inconnu").is_empty());

        assert!(page_condition_choices(&def, "demandeur").is_empty());
        assert_eq!(
            choice_keys(&page_condition_choices(&def, "vos-enfants")),
            ["avez_vous_des_enfants", "situation"]
        );
        assert_eq!(
            choice_keys(&page_condition_choices(&def, "pieces-justificatives")),
            ["avez_vous_des_enfants", "situation", "garde_alternee"]
        );
        assert!(page_condition_choices(&def, "inconnue").is_empty());
    }

    #[test]
    fn pages_are_updated_from_their_editor() {
        let mut def = sample();
        let mut editor = page_editor(" Vos enfants à charge ", "avez_vous_des_enfants", "oui");
        editor.intro = "  Un bloc par enfant.  ".into();
        assert_eq!(update_page(&mut def, "vos-enfants", &editor), Ok(()));
        let page = &def.pages[1];
        assert_eq!(page.key, "vos-enfants", "the key does not change");
        assert_eq!(page.title, "Vos enfants à charge");
        assert_eq!(page.intro.as_deref(), Some("Un bloc par enfant."));
        assert_eq!(
            page.condition,
            Some(Condition {
                field: "avez_vous_des_enfants".into(),
                equals: "oui".into(),
            })
        );

        // An answer without a question is ignored: no condition.
        let editor = page_editor("Vos enfants", " ", "oui");
        assert_eq!(update_page(&mut def, "vos-enfants", &editor), Ok(()));
        assert_eq!(def.pages[1].condition, None);
        assert_eq!(def.pages[1].intro, None);

        let page_refused = |def: &FormDefinition, key: &str, editor: &PageEditor| {
            let mut copy = def.clone();
            let errors = update_page(&mut copy, key, editor).expect_err("refused");
            assert_eq!(&copy, def);
            errors
        };
        let errors = page_refused(&def, "vos-enfants", &page_editor(" ", "", ""));
        assert_eq!(names(&errors), ["title"]);
        assert_eq!(errors[0].message, "Saisissez le titre de la page.");
        let errors = page_refused(
            &def,
            "vos-enfants",
            &page_editor("T", "avez_vous_des_enfants", ""),
        );
        assert_eq!(names(&errors), ["condition_equals"]);
        assert_eq!(
            errors[0].message,
            "Choisissez la réponse qui affiche cette page."
        );
        let errors = page_refused(
            &def,
            "vos-enfants",
            &page_editor("T", "avez_vous_des_enfants", "peut-être"),
        );
        assert_eq!(names(&errors), ["condition_equals"]);
        let errors = page_refused(&def, "demandeur", &page_editor("T", "situation", "x"));
        assert_eq!(names(&errors), ["condition_field"]);
        assert_eq!(
            errors[0].message,
            "Cette question ne peut pas servir de condition : elle doit figurer sur une page précédente."
        );
        let errors = page_refused(&def, "vos-enfants", &page_editor("", "nom_de_famille", "x"));
        assert_eq!(names(&errors), ["title", "condition_field"]);
        let errors = page_refused(&def, "inconnue", &page_editor("T", "", ""));
        assert_eq!(names(&errors), ["page"]);
    }

    #[test]
    fn settings_round_trip() {
        let mut def = sample();
        add_field(&mut def, "demandeur", None, "number", "Montant").expect("number");
        add_field(&mut def, "demandeur", None, "section", "Titre").expect("section");
        let mut s = settings(&def, "montant");
        s.min = "0,5".into();
        s.max = "1 500".into();
        s.integer = Some("on".into());
        s.unit = " € ".into();
        s.help = "  En euros. ".into();
        assert_eq!(
            apply_settings(&mut def, "montant", &s, PORTAL_MB),
            Ok("montant".into())
        );
        let montant = field(&def, "montant");
        assert_eq!(montant.help.as_deref(), Some("En euros."));
        assert_eq!(
            montant.kind,
            FieldKind::Number {
                min: Some(0.5),
                max: Some(1500.0),
                integer: true,
                unit: Some("€".into()),
            }
        );
        let s = settings(&def, "montant");
        assert_eq!((s.min.as_str(), s.max.as_str()), ("0,5", "1500"));
        assert_eq!(s.integer.as_deref(), Some("on"));
        assert_eq!(s.required.as_deref(), Some("on"));
        assert_eq!(s.help, "En euros.");

        let s = settings(&def, "situation");
        assert_eq!(s.options, "Première réponse\nDeuxième réponse");
        assert_eq!(s.display, "radio");
        let s = settings(&def, "justificatif_de_domicile");
        assert_eq!((s.max_files.as_str(), s.max_size_mb.as_str()), ("3", ""));
        let s = settings(&def, "enfants");
        assert_eq!((s.min_items.as_str(), s.max_items.as_str()), ("1", "10"));
        assert_eq!(settings(&def, "titre").required, None);

        // Applying a field's own settings changes nothing.
        for key in all_keys(&def) {
            let mut copy = def.clone();
            let s = settings(&def, &key);
            assert_eq!(
                apply_settings(&mut copy, &key, &s, PORTAL_MB),
                Ok(key.clone())
            );
            assert_eq!(copy, def, "{key}");
        }
    }

    #[test]
    fn settings_are_written_per_kind() {
        let mut def = sample();
        add_field(&mut def, "demandeur", None, "long_text", "Projet").expect("long");
        add_field(&mut def, "demandeur", None, "date", "Date d’effet").expect("date");
        add_field(&mut def, "demandeur", None, "explanation", "Lisez bien.").expect("text");

        let mut s = settings(&def, "projet");
        s.max_length = " 1 000 ".into();
        s.required = None;
        apply_settings(&mut def, "projet", &s, PORTAL_MB).expect("long text");
        let projet = field(&def, "projet");
        assert_eq!(
            projet.kind,
            FieldKind::LongText {
                max_length: Some(1000)
            }
        );
        assert!(!projet.required);

        let mut s = settings(&def, "date_d_effet");
        s.past_only = Some("on".into());
        apply_settings(&mut def, "date_d_effet", &s, PORTAL_MB).expect("date");
        assert_eq!(
            field(&def, "date_d_effet").kind,
            FieldKind::Date { past_only: true }
        );

        let mut s = settings(&def, "situation");
        s.options = " Salarié \r\n\r\nRetraité\n  Autre  \n".into();
        s.display = "list".into();
        apply_settings(&mut def, "situation", &s, PORTAL_MB).expect("choice");
        assert_eq!(
            field(&def, "situation").kind,
            FieldKind::SingleChoice {
                options: vec!["Salarié".into(), "Retraité".into(), "Autre".into()],
                display: ChoiceDisplay::List,
            }
        );

        let mut s = settings(&def, "justificatif_de_domicile");
        s.max_files = "10".into();
        s.max_size_mb = "5".into();
        apply_settings(&mut def, "justificatif_de_domicile", &s, PORTAL_MB).expect("pj");
        assert_eq!(
            field(&def, "justificatif_de_domicile").kind,
            FieldKind::Attachment {
                max_files: 10,
                max_size_mb: Some(5),
            }
        );
        s.max_size_mb = " ".into();
        apply_settings(&mut def, "justificatif_de_domicile", &s, PORTAL_MB).expect("pj");
        assert_eq!(
            field(&def, "justificatif_de_domicile").kind,
            FieldKind::Attachment {
                max_files: 10,
                max_size_mb: None,
            }
        );

        let mut s = settings(&def, "enfants");
        s.add_label = "Ajouter un enfant".into();
        s.item_label = "Enfant".into();
        s.min_items = "0".into();
        s.max_items = "6".into();
        s.label = "Vos enfants".into();
        apply_settings(&mut def, "enfants", &s, PORTAL_MB).expect("group");
        let enfants = field(&def, "enfants");
        assert_eq!(enfants.label, "Vos enfants");
        let FieldKind::Group {
            fields,
            add_label,
            item_label,
            min_items,
            max_items,
        } = &enfants.kind
        else {
            panic!("a group");
        };
        assert_eq!(field_keys(fields), ["nom", "date_de_naissance"]);
        assert_eq!(
            (
                add_label.as_str(),
                item_label.as_str(),
                *min_items,
                *max_items
            ),
            ("Ajouter un enfant", "Enfant", 0, 6)
        );

        // Titles and explanations are never required; they may have a condition.
        let mut s = settings(&def, "lisez_bien");
        s.required = Some("on".into());
        s.label = "Lisez bien les conditions.".into();
        s.condition_field = "avez_vous_des_enfants".into();
        s.condition_equals = "non".into();
        apply_settings(&mut def, "lisez_bien", &s, PORTAL_MB).expect("explanation");
        let text = field(&def, "lisez_bien");
        assert!(!text.required);
        assert_eq!(text.label, "Lisez bien les conditions.");
        assert_eq!(
            text.condition.as_ref().map(|c| c.equals.as_str()),
            Some("non")
        );
        assert_eq!(definition_problems(&def), Vec::<String>::new());
    }

    #[test]
    fn common_settings_errors() {
        let def = sample();
        let base = settings(&def, "situation");

        let mut s = base.clone();
        s.label = "  ".into();
        let errors = refused(&def, "situation", &s);
        assert_eq!(names(&errors), ["label"]);
        assert_eq!(messages(&errors), ["Saisissez le libellé du champ."]);
        s.label = "é".repeat(301);
        assert_eq!(
            messages(&refused(&def, "situation", &s)),
            ["Le libellé doit contenir au plus 300 caractères."]
        );
        s.label = "é".repeat(300);
        let mut copy = def.clone();
        assert!(apply_settings(&mut copy, "situation", &s, PORTAL_MB).is_ok());

        for bad in ["", "clé", "deux mots", "tiret-6"] {
            let mut s = base.clone();
            s.key = bad.into();
            assert_eq!(names(&refused(&def, "situation", &s)), ["key"], "{bad}");
        }
        let mut s = base.clone();
        s.key = "x".repeat(61);
        assert_eq!(names(&refused(&def, "situation", &s)), ["key"]);
        s.key = "nom_de_famille".into();
        assert_eq!(
            messages(&refused(&def, "situation", &s)),
            ["Un autre champ a déjà la clé « nom_de_famille »."]
        );
        s.key = "date_de_naissance".into();
        assert_eq!(
            names(&refused(&def, "situation", &s)),
            ["key"],
            "groups' fields count"
        );

        let mut s = base.clone();
        s.help = "x".repeat(1001);
        assert_eq!(names(&refused(&def, "situation", &s)), ["help"]);

        let mut s = base.clone();
        s.condition_field = "avez_vous_des_enfants".into();
        s.condition_equals = String::new();
        let errors = refused(&def, "situation", &s);
        assert_eq!(names(&errors), ["condition_equals"]);
        assert_eq!(
            errors[0].message,
            "Choisissez la réponse qui affiche ce champ."
        );
        s.condition_equals = "peut-être".into();
        assert_eq!(names(&refused(&def, "situation", &s)), ["condition_equals"]);
        for (key, named) in [
            ("avez_vous_des_enfants", "situation"),
            ("situation", "situation"),
            ("situation", "nom_de_famille"),
            ("situation", "inconnu"),
        ] {
            let mut s = settings(&def, key);
            s.condition_field = named.into();
            s.condition_equals = "oui".into();
            let errors = refused(&def, key, &s);
            assert_eq!(names(&errors), ["condition_field"], "{key} on {named}");
            assert_eq!(
                errors[0].message,
                "Cette question ne peut pas servir de condition : elle doit précéder ce champ, hors d’un groupe répétable."
            );
        }

        // Every error at once, nothing written.
        let mut s = base.clone();
        s.label = String::new();
        s.key = "clé".into();
        s.options = String::new();
        assert_eq!(
            names(&refused(&def, "situation", &s)),
            ["label", "key", "options"]
        );

        let mut copy = def.clone();
        assert_eq!(
            apply_settings(&mut copy, "inconnu", &base, PORTAL_MB)
                .map_err(|errors| names(&errors).join(",")),
            Err("key".into())
        );
    }

    #[test]
    fn kind_settings_errors() {
        let mut def = sample();
        add_field(&mut def, "demandeur", None, "short_text", "Commune").expect("text");
        add_field(&mut def, "demandeur", None, "number", "Montant").expect("number");
        add_field(&mut def, "demandeur", None, "multiple_choice", "Aides").expect("multiple");

        for bad in ["deux cents", "12,5", "-3", "0", "100001"] {
            let mut s = settings(&def, "commune");
            s.max_length = bad.into();
            assert_eq!(
                names(&refused(&def, "commune", &s)),
                ["max_length"],
                "{bad}"
            );
        }
        let mut s = settings(&def, "commune");
        s.max_length = "abc".into();
        assert_eq!(
            messages(&refused(&def, "commune", &s)),
            ["Saisissez un nombre entier de caractères, par exemple 200."]
        );

        let mut s = settings(&def, "montant");
        s.min = "beaucoup".into();
        s.max = "1,2,3".into();
        let errors = refused(&def, "montant", &s);
        assert_eq!(names(&errors), ["min", "max"]);
        assert_eq!(
            errors[0].message,
            "Saisissez un nombre, par exemple 1\u{202F}500."
        );
        s.min = "10".into();
        s.max = "2".into();
        let errors = refused(&def, "montant", &s);
        assert_eq!(names(&errors), ["max"]);
        assert_eq!(
            errors[0].message,
            "Le minimum doit être inférieur ou égal au maximum."
        );

        let mut s = settings(&def, "aides");
        s.options = " \n\n ".into();
        assert_eq!(
            messages(&refused(&def, "aides", &s)),
            ["Saisissez au moins une réponse, une par ligne."]
        );
        s.options = "Loyer\nCantine\n Loyer ".into();
        assert_eq!(
            messages(&refused(&def, "aides", &s)),
            ["La réponse « Loyer » figure deux fois."]
        );

        for bad in ["", "0", "11", "deux", "2,5"] {
            let mut s = settings(&def, "justificatif_de_domicile");
            s.max_files = bad.into();
            assert_eq!(
                messages(&refused(&def, "justificatif_de_domicile", &s)),
                ["Un champ accepte de 1 à 10 fichiers."],
                "{bad}"
            );
        }
        for bad in ["0", "21", "1000"] {
            let mut s = settings(&def, "justificatif_de_domicile");
            s.max_size_mb = bad.into();
            assert_eq!(
                messages(&refused(&def, "justificatif_de_domicile", &s)),
                ["La taille maximale d’un fichier est de 20 Mo sur ce portail."],
                "{bad}"
            );
        }
        let mut s = settings(&def, "justificatif_de_domicile");
        s.max_size_mb = "cinq".into();
        assert_eq!(
            names(&refused(&def, "justificatif_de_domicile", &s)),
            ["max_size_mb"]
        );

        let mut s = settings(&def, "enfants");
        s.add_label = " ".into();
        s.item_label = String::new();
        s.min_items = "51".into();
        s.max_items = "beaucoup".into();
        let errors = refused(&def, "enfants", &s);
        assert_eq!(
            names(&errors),
            ["add_label", "item_label", "min_items", "max_items"]
        );
        assert_eq!(
            errors[0].message,
            "Saisissez le texte du bouton d’ajout, par exemple « Ajouter un enfant »."
        );
        assert_eq!(
            errors[1].message,
            "Saisissez le nom d’un élément, par exemple « Enfant »."
        );
        let mut s = settings(&def, "enfants");
        s.min_items = "3".into();
        s.max_items = "2".into();
        assert_eq!(names(&refused(&def, "enfants", &s)), ["max_items"]);
        s.min_items = "0".into();
        s.max_items = "0".into();
        assert_eq!(names(&refused(&def, "enfants", &s)), ["max_items"]);
        s.max_items = "-1".into();
        assert_eq!(names(&refused(&def, "enfants", &s)), ["max_items"]);
    }

    #[test]
    fn a_new_key_keeps_conditions_working() {
        let mut def = sample();
        update_page(
            &mut def,
            "vos-enfants",
            &page_editor("Vos enfants", "avez_vous_des_enfants", "oui"),
        )
        .expect("page");
        for key in ["situation", "date_de_naissance"] {
            let mut s = settings(&def, key);
            s.condition_field = "avez_vous_des_enfants".into();
            s.condition_equals = "oui".into();
            apply_settings(&mut def, key, &s, PORTAL_MB).expect("condition");
        }

        let mut s = settings(&def, "avez_vous_des_enfants");
        s.key = " enfants_a_charge ".into();
        assert_eq!(
            apply_settings(&mut def, "avez_vous_des_enfants", &s, PORTAL_MB),
            Ok("enfants_a_charge".into())
        );
        assert!(find_field(&def, "avez_vous_des_enfants").is_none());
        assert_eq!(field(&def, "enfants_a_charge").kind, FieldKind::YesNo);
        let named = |c: &Option<Condition>| c.as_ref().map(|c| c.field.clone());
        assert_eq!(
            named(&def.pages[1].condition).as_deref(),
            Some("enfants_a_charge")
        );
        for key in ["situation", "date_de_naissance"] {
            assert_eq!(
                named(&field(&def, key).condition).as_deref(),
                Some("enfants_a_charge"),
                "{key}"
            );
        }
        assert_eq!(definition_problems(&def), Vec::<String>::new());

        // A field inside a group may be renamed too.
        let mut s = settings(&def, "nom");
        s.key = "prenom".into();
        assert_eq!(
            apply_settings(&mut def, "nom", &s, PORTAL_MB),
            Ok("prenom".into())
        );
        assert_eq!(group_keys(&def, "enfants"), ["prenom", "date_de_naissance"]);
    }

    #[test]
    fn a_form_built_here_can_be_published() {
        let mut def = sample();
        update_page(
            &mut def,
            "vos-enfants",
            &page_editor("Vos enfants", "avez_vous_des_enfants", "oui"),
        )
        .expect("page condition");
        let mut s = settings(&def, "justificatif_de_domicile");
        s.condition_field = "situation".into();
        s.condition_equals = "Première réponse".into();
        s.max_size_mb = "10".into();
        apply_settings(&mut def, "justificatif_de_domicile", &s, PORTAL_MB)
            .expect("field condition");
        assert_eq!(def.pages.len(), 3);
        assert!(def.pages[1].condition.is_some());
        assert!(field(&def, "justificatif_de_domicile").condition.is_some());
        assert_eq!(definition_problems(&def), Vec::<String>::new());

        add_page(&mut def, "Vide");
        assert_eq!(
            definition_problems(&def),
            ["La page « Vide » ne pose aucune question."]
        );
        add_field(&mut def, "vide", None, "section", "Un titre").expect("section");
        assert_eq!(
            definition_problems(&def),
            ["La page « Vide » ne pose aucune question."],
            "a title asks nothing"
        );
        add_field(&mut def, "vide", None, "email", "Courriel").expect("email");
        assert_eq!(definition_problems(&def), Vec::<String>::new());
    }

    #[test]
    fn the_live_preview_reads_the_settings_being_typed() {
        let base = Field {
            key: "nom".into(),
            label: "Nom".into(),
            help: None,
            required: true,
            condition: Some(Condition {
                field: "autre".into(),
                equals: "oui".into(),
            }),
            kind: FieldKind::ShortText { max_length: None },
        };
        let pairs = |label: &str| {
            vec![
                ("id".to_owned(), "3".to_owned()),
                ("settings[label]".to_owned(), label.to_owned()),
                ("settings[key]".to_owned(), "ignored".to_owned()),
                ("settings[help]".to_owned(), "Aide".to_owned()),
                ("settings[max_length]".to_owned(), "20".to_owned()),
            ]
        };
        let field = preview_field(&base, &pairs("Nom de famille")).expect("valid settings");
        assert_eq!(field.label, "Nom de famille");
        assert_eq!(field.key, "nom");
        assert_eq!(field.help.as_deref(), Some("Aide"));
        assert!(!field.required, "the box is not ticked");
        assert_eq!(field.condition, None);
        assert_eq!(
            field.kind,
            FieldKind::ShortText {
                max_length: Some(20)
            }
        );
        assert_eq!(
            preview_field(&base, &pairs("")),
            None,
            "a label is required"
        );
    }
}
