//! Checking answers against the definition (on the server at every step and at
//! submission, in the browser before posting), how complete a draft is, and checking
//! a definition itself.
//!
//! Messages name the question (« Renseignez « Nom de l’association ». »); inside a
//! repeated group they add the item: « Renseignez « Prénom » (Enfant 2). ».

use std::collections::{BTreeMap, BTreeSet};

use super::answers::{
    ADDRESS_COMMUNE, ADDRESS_LINE, ADDRESS_POSTAL_CODE, Answers, FileCounts, Value, field_visible,
    page_visible, prune_hidden,
};
use super::checks::{
    IbanError, format_number_fr, format_number_with_unit, parse_date, parse_iban, parse_number_fr,
};
use super::definition::{Condition, Field, FieldKind, FormDefinition, FormPage};
use crate::account::model::{check_email, check_phone, check_postal_code};
use crate::error::FieldError;
use crate::profiles::model::check_siret;

/// The longest short text when the definition sets none.
pub const SHORT_TEXT_MAX: u32 = 200;
/// The longest long text when the definition sets none.
pub const LONG_TEXT_MAX: u32 = 5000;
/// The most files an attachment field may accept.
pub const MAX_FILES_LIMIT: u8 = 10;

/// The messages of the shown fields of one page, in page order. Conditions are read
/// in `answers` as given (see [`validate_page_at`] to follow chains through hidden
/// pages). `today` is `YYYY-MM-DD`, for dates that must be past.
pub fn validate_page(
    page: &FormPage,
    answers: &Answers,
    files: &FileCounts,
    today: &str,
) -> Vec<FieldError> {
    let mut checker = Checker::new(files, today);
    for field in &page.fields {
        if field_visible(field, answers) {
            checker.field(field, &field.key, None, answers.get(&field.key), answers);
        }
    }
    checker.errors
}

/// [`validate_page`] for page `index` of `def`, with conditions followed through
/// hidden pages and fields; nothing for a hidden or unknown page.
pub fn validate_page_at(
    def: &FormDefinition,
    index: usize,
    answers: &Answers,
    files: &FileCounts,
    today: &str,
) -> Vec<FieldError> {
    let effective = prune_hidden(def, answers);
    match def.pages.get(index) {
        Some(page) if page_visible(page, &effective) => {
            validate_page(page, &effective, files, today)
        }
        _ => Vec::new(),
    }
}

/// The first shown page with errors (its index in `def.pages`) and its messages;
/// `None` when the form can be sent.
pub fn validate_all(
    def: &FormDefinition,
    answers: &Answers,
    files: &FileCounts,
    today: &str,
) -> Option<(usize, Vec<FieldError>)> {
    let effective = prune_hidden(def, answers);
    def.pages
        .iter()
        .enumerate()
        .filter(|(_, page)| page_visible(page, &effective))
        .map(|(index, page)| (index, validate_page(page, &effective, files, today)))
        .find(|(_, errors)| !errors.is_empty())
}

/// How complete a draft is: (required questions answered without error, required
/// questions), over the shown pages and fields. A repeated group counts as one
/// question when it is required or has `min_items` ≥ 1, answered when it has no
/// error at all.
pub fn completion(
    def: &FormDefinition,
    answers: &Answers,
    files: &FileCounts,
    today: &str,
) -> (usize, usize) {
    let effective = prune_hidden(def, answers);
    let (mut done, mut total) = (0, 0);
    for page in def.pages.iter().filter(|p| page_visible(p, &effective)) {
        for field in &page.fields {
            let counted = field.kind.asks()
                && (field.required
                    || matches!(field.kind, FieldKind::Group { min_items, .. } if min_items > 0));
            if !counted || !field_visible(field, &effective) {
                continue;
            }
            total += 1;
            let mut checker = Checker::new(files, today);
            checker.field(
                field,
                &field.key,
                None,
                effective.get(&field.key),
                &effective,
            );
            if checker.errors.is_empty() {
                done += 1;
            }
        }
    }
    (done, total)
}

/// « « Prénom » » or, inside a group item, « « Prénom » (Enfant 2) ».
fn quoted(field: &Field, item: Option<(&str, usize)>) -> String {
    match item {
        Some((label, number)) => format!("« {} » ({label} {number})", field.label),
        None => format!("« {} »", field.label),
    }
}

/// « 1 fichier », « 3 fichiers ».
fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count <= 1 {
        format!("{count} {singular}")
    } else {
        format!("{count} {plural}")
    }
}

/// Collects the messages of fields.
struct Checker<'a> {
    files: &'a FileCounts,
    /// `None` when the given day is not a date: past-only checks are skipped.
    today: Option<String>,
    errors: Vec<FieldError>,
}

impl<'a> Checker<'a> {
    fn new(files: &'a FileCounts, today: &str) -> Self {
        Checker {
            files,
            today: parse_date(today),
            errors: Vec::new(),
        }
    }

    fn error(&mut self, field: impl Into<String>, message: String) {
        self.errors.push(FieldError {
            field: field.into(),
            message,
        });
    }

    /// Checks one shown field. `name` is its input name (`key` or `group.i.key`),
    /// `item` the item label and number inside a group, `top` the top-level answers
    /// (for the conditions of a group's inner fields).
    fn field(
        &mut self,
        field: &Field,
        name: &str,
        item: Option<(&str, usize)>,
        value: Option<&Value>,
        top: &Answers,
    ) {
        let q = quoted(field, item);
        let text = match value {
            Some(Value::Text(text)) => text.trim(),
            _ => "",
        };
        let required = field.required;
        match &field.kind {
            FieldKind::Section | FieldKind::Explanation => {}
            FieldKind::ShortText { max_length } => {
                self.text(
                    name,
                    &q,
                    required,
                    text,
                    max_length.unwrap_or(SHORT_TEXT_MAX),
                );
            }
            FieldKind::LongText { max_length } => {
                self.text(
                    name,
                    &q,
                    required,
                    text,
                    max_length.unwrap_or(LONG_TEXT_MAX),
                );
            }
            FieldKind::Number {
                min,
                max,
                integer,
                unit,
            } => self.number(
                name,
                &q,
                required,
                text,
                (*min, *max),
                *integer,
                unit.as_deref(),
            ),
            FieldKind::Date { past_only } => {
                if text.is_empty() {
                    self.missing(name, &q, required);
                } else {
                    match parse_date(text) {
                        None => self.error(
                            name,
                            format!("Saisissez une date valide pour {q}, par exemple 14/07/2026."),
                        ),
                        Some(date) => {
                            if *past_only && self.today.as_ref().is_some_and(|today| date > *today)
                            {
                                self.error(
                                    name,
                                    format!(
                                        "La date indiquée pour {q} doit être passée : elle ne peut pas être dans le futur."
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            FieldKind::Email => {
                if text.is_empty() {
                    self.missing(name, &q, required);
                } else if check_email(text).is_err() {
                    self.error(
                        name,
                        format!(
                            "Saisissez une adresse électronique valide pour {q}, par exemple prenom.nom@exemple.fr."
                        ),
                    );
                }
            }
            FieldKind::Phone => {
                if text.is_empty() {
                    self.missing(name, &q, required);
                } else if check_phone(text).is_err() {
                    self.error(
                        name,
                        format!(
                            "Saisissez un numéro de téléphone valide pour {q}, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78."
                        ),
                    );
                }
            }
            FieldKind::Siret => {
                if text.is_empty() {
                    self.missing(name, &q, required);
                } else if check_siret(text).is_err() {
                    let digits: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
                    let message = if digits.len() == 14 && digits.iter().all(char::is_ascii_digit) {
                        format!(
                            "Le numéro SIRET saisi pour {q} n’existe pas : vérifiez les 14 chiffres."
                        )
                    } else {
                        format!(
                            "Saisissez un numéro SIRET de 14 chiffres pour {q}, par exemple 213 500 007 00019."
                        )
                    };
                    self.error(name, message);
                }
            }
            FieldKind::Iban => {
                if text.is_empty() {
                    self.missing(name, &q, required);
                } else if let Err(problem) = parse_iban(text) {
                    let message = match problem {
                        IbanError::Characters | IbanError::Start => format!(
                            "Saisissez un IBAN valide pour {q}, par exemple FR76 3000 6000 0112 3456 7890 189."
                        ),
                        IbanError::Length {
                            expected: Some(expected),
                            found,
                        } => format!(
                            "L’IBAN saisi pour {q} comporte {found} caractères au lieu de {expected} : vérifiez qu’il est complet."
                        ),
                        IbanError::Length {
                            expected: None,
                            found,
                        } => format!(
                            "L’IBAN saisi pour {q} comporte {found} caractères : un IBAN en comporte de 15 à 34."
                        ),
                        IbanError::Checksum => format!(
                            "L’IBAN saisi pour {q} n’existe pas : vérifiez chaque caractère."
                        ),
                    };
                    self.error(name, message);
                }
            }
            FieldKind::YesNo => {
                if text.is_empty() {
                    if required {
                        self.error(name, format!("Choisissez une réponse pour {q}."));
                    }
                } else if text != "oui" && text != "non" {
                    self.error(name, format!("Choisissez « Oui » ou « Non » pour {q}."));
                }
            }
            FieldKind::SingleChoice { options, .. } => {
                if text.is_empty() {
                    if required {
                        self.error(name, format!("Choisissez une réponse pour {q}."));
                    }
                } else if !options.iter().any(|option| option.trim() == text) {
                    self.error(
                        name,
                        format!("Choisissez une des réponses proposées pour {q}."),
                    );
                }
            }
            FieldKind::MultipleChoice { options } => {
                let ticked: Vec<&str> = match value {
                    Some(Value::Many(values)) => values
                        .iter()
                        .map(|v| v.trim())
                        .filter(|v| !v.is_empty())
                        .collect(),
                    _ => Vec::new(),
                };
                if ticked.is_empty() {
                    if required {
                        self.error(name, format!("Cochez au moins une réponse pour {q}."));
                    }
                } else if !ticked
                    .iter()
                    .all(|v| options.iter().any(|option| option.trim() == *v))
                {
                    self.error(
                        name,
                        format!("Cochez uniquement des réponses proposées pour {q}."),
                    );
                }
            }
            FieldKind::Address => self.address(name, &q, required, value),
            FieldKind::Attachment { max_files, .. } => {
                let count = self.files.get(name).copied().unwrap_or(0);
                if count == 0 && required {
                    self.error(name, format!("Joignez au moins un fichier pour {q}."));
                } else if count > usize::from(*max_files) {
                    self.error(
                        name,
                        format!(
                            "Vous pouvez joindre au plus {} pour {q} : retirez-en {}.",
                            plural(usize::from(*max_files), "fichier", "fichiers"),
                            count - usize::from(*max_files)
                        ),
                    );
                }
            }
            FieldKind::Group {
                fields,
                add_label,
                item_label,
                min_items,
                max_items,
            } => {
                let items: &[Answers] = match value {
                    Some(Value::Group(items)) => items,
                    _ => &[],
                };
                let min = usize::from(*min_items).max(usize::from(required));
                let max = usize::from(*max_items);
                if items.len() < min {
                    let what = if min == 1 {
                        "un élément".to_owned()
                    } else {
                        format!("{min} éléments")
                    };
                    self.error(
                        name,
                        format!("Ajoutez au moins {what} pour {q} avec le bouton « {add_label} »."),
                    );
                } else if items.len() > max {
                    self.error(
                        name,
                        format!(
                            "Vous pouvez indiquer au plus {} pour {q} : retirez-en {}.",
                            plural(max, "élément", "éléments"),
                            items.len() - max
                        ),
                    );
                }
                for (index, item) in items.iter().enumerate() {
                    for inner in fields {
                        if field_visible(inner, top) {
                            let inner_name = format!("{name}.{index}.{}", inner.key);
                            self.field(
                                inner,
                                &inner_name,
                                Some((item_label, index + 1)),
                                item.get(&inner.key),
                                top,
                            );
                        }
                    }
                }
            }
        }
    }

    /// « Renseignez « … ». » when an empty field is required.
    fn missing(&mut self, name: &str, q: &str, required: bool) {
        if required {
            self.error(name, format!("Renseignez {q}."));
        }
    }

    fn text(&mut self, name: &str, q: &str, required: bool, text: &str, max_length: u32) {
        if text.is_empty() {
            self.missing(name, q, required);
            return;
        }
        let length = text.chars().count();
        if length > max_length as usize {
            self.error(
                name,
                format!(
                    "Votre réponse à {q} doit contenir au plus {} caractères (elle en contient {}).",
                    format_number_fr(f64::from(max_length)),
                    format_number_fr(length as f64)
                ),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn number(
        &mut self,
        name: &str,
        q: &str,
        required: bool,
        text: &str,
        (min, max): (Option<f64>, Option<f64>),
        integer: bool,
        unit: Option<&str>,
    ) {
        if text.is_empty() {
            self.missing(name, q, required);
            return;
        }
        let Some(number) = parse_number_fr(text) else {
            self.error(
                name,
                format!(
                    "Saisissez un nombre pour {q}, par exemple {}.",
                    format_number_fr(1500.0)
                ),
            );
            return;
        };
        if integer && number.fract() != 0.0 {
            self.error(
                name,
                format!("Saisissez un nombre entier, sans virgule, pour {q}."),
            );
            return;
        }
        let noun = if unit.is_some_and(|u| u.contains('€')) {
            "un montant"
        } else {
            "un nombre"
        };
        let too_small = min.is_some_and(|min| number < min);
        let too_big = max.is_some_and(|max| number > max);
        let message = match (min, max) {
            (Some(min), Some(max)) if too_small || too_big => Some(format!(
                "Saisissez {noun} entre {} et {} pour {q}.",
                format_number_with_unit(min, unit),
                format_number_with_unit(max, unit)
            )),
            (Some(min), _) if too_small => Some(format!(
                "Saisissez {noun} d’au moins {} pour {q}.",
                format_number_with_unit(min, unit)
            )),
            (_, Some(max)) if too_big => Some(format!(
                "Saisissez {noun} d’au plus {} pour {q}.",
                format_number_with_unit(max, unit)
            )),
            _ => None,
        };
        if let Some(message) = message {
            self.error(name, message);
        }
    }

    /// One message per wrong part, on that part's input. Once any part is given, all
    /// three are needed.
    fn address(&mut self, name: &str, q: &str, required: bool, value: Option<&Value>) {
        let (line, postal_code, commune) = match value {
            Some(Value::Address {
                line,
                postal_code,
                commune,
            }) => (line.trim(), postal_code.trim(), commune.trim()),
            _ => ("", "", ""),
        };
        let needed = required || !(line.is_empty() && postal_code.is_empty() && commune.is_empty());
        if !needed {
            return;
        }
        if line.is_empty() {
            self.error(
                format!("{name}.{ADDRESS_LINE}"),
                format!("Renseignez le numéro et la voie pour {q}."),
            );
        }
        if postal_code.is_empty() {
            self.error(
                format!("{name}.{ADDRESS_POSTAL_CODE}"),
                format!("Renseignez le code postal pour {q}."),
            );
        } else if check_postal_code(postal_code).is_err() {
            self.error(
                format!("{name}.{ADDRESS_POSTAL_CODE}"),
                format!("Saisissez un code postal de 5 chiffres pour {q}, par exemple 75001."),
            );
        }
        if commune.is_empty() {
            self.error(
                format!("{name}.{ADDRESS_COMMUNE}"),
                format!("Renseignez la commune pour {q}."),
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Checking a definition
// ---------------------------------------------------------------------------------

/// A field of the definition and where it sits.
struct Entry<'a> {
    field: &'a Field,
    page: usize,
    /// Its position in the whole form (groups' inner fields right after their group).
    order: usize,
    /// The position of the top-level field it belongs to (itself, or its group).
    top_order: usize,
    in_group: bool,
}

fn collect_entries<'a>(
    fields: &'a [Field],
    page: usize,
    top_order: Option<usize>,
    entries: &mut Vec<Entry<'a>>,
) {
    for field in fields {
        let order = entries.len();
        entries.push(Entry {
            field,
            page,
            order,
            top_order: top_order.unwrap_or(order),
            in_group: top_order.is_some(),
        });
        if let FieldKind::Group { fields: inner, .. } = &field.kind {
            collect_entries(inner, page, Some(top_order.unwrap_or(order)), entries);
        }
    }
}

fn valid_field_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_page_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// What is wrong with a definition, in French; empty when it can be published.
///
/// Checks: at least one page; every page asks something; page keys and field keys
/// (groups' inner fields included) are unique and well formed (field keys: ASCII
/// letters, digits, `_`; page keys may also hold `-`); conditions name an existing,
/// earlier, top-level field whose answer can be compared, with a possible value;
/// choices have distinct, non-empty options; attachments accept 1 to 10 files;
/// groups ask something, accept at least one item, have `min_items` ≤ `max_items`
/// and contain no group; numbers have `min` ≤ `max`.
pub fn definition_problems(def: &FormDefinition) -> Vec<String> {
    let mut problems = Vec::new();
    if def.pages.is_empty() {
        problems.push("Le formulaire ne contient aucune page.".to_owned());
        return problems;
    }

    let mut page_keys = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for page in &def.pages {
        if !valid_page_key(&page.key) {
            problems.push(format!(
                "La clé « {} » de la page « {} » n’est pas valide : utilisez des lettres sans accent, des chiffres, « _ » ou « - ».",
                page.key, page.title
            ));
        }
        if !page_keys.insert(page.key.as_str()) && reported.insert(page.key.as_str()) {
            problems.push(format!("Plusieurs pages ont la clé « {} ».", page.key));
        }
        if !page.fields.iter().any(|f| f.kind.asks()) {
            problems.push(format!(
                "La page « {} » ne pose aucune question.",
                page.title
            ));
        }
    }

    let mut entries = Vec::new();
    for (index, page) in def.pages.iter().enumerate() {
        collect_entries(&page.fields, index, None, &mut entries);
    }
    let mut by_key: BTreeMap<&str, &Entry<'_>> = BTreeMap::new();
    let mut reported = BTreeSet::new();
    for entry in &entries {
        let key = entry.field.key.as_str();
        if !valid_field_key(key) {
            problems.push(format!(
                "La clé « {key} » du champ « {} » n’est pas valide : utilisez des lettres sans accent, des chiffres et « _ ».",
                entry.field.label
            ));
        }
        if by_key.contains_key(key) {
            if reported.insert(key) {
                problems.push(format!("Plusieurs champs ont la clé « {key} »."));
            }
        } else {
            by_key.insert(key, entry);
        }
    }

    for (index, page) in def.pages.iter().enumerate() {
        if let Some(condition) = &page.condition {
            let subject = format!("La condition de la page « {} »", page.title);
            let earlier = |e: &Entry<'_>| e.page < index;
            condition_problems(
                &subject,
                condition,
                &by_key,
                earlier,
                "n’est pas sur une page précédente",
                &mut problems,
            );
        }
    }
    for entry in &entries {
        let field = entry.field;
        let key = &field.key;
        if let Some(condition) = &field.condition {
            let subject = format!("La condition du champ « {key} »");
            let anchor = entry.top_order;
            let earlier = |e: &Entry<'_>| e.order < anchor;
            condition_problems(
                &subject,
                condition,
                &by_key,
                earlier,
                "ne le précède pas",
                &mut problems,
            );
        }
        match &field.kind {
            FieldKind::SingleChoice { options, .. } | FieldKind::MultipleChoice { options } => {
                if options.is_empty() {
                    problems.push(format!("Le champ « {key} » ne propose aucune réponse."));
                }
                let mut seen = BTreeSet::new();
                for option in options {
                    let option = option.trim();
                    if option.is_empty() {
                        problems.push(format!("Le champ « {key} » propose une réponse vide."));
                    } else if !seen.insert(option) {
                        problems.push(format!(
                            "Le champ « {key} » propose deux fois la réponse « {option} »."
                        ));
                    }
                }
            }
            FieldKind::Attachment { max_files, .. }
                if *max_files == 0 || *max_files > MAX_FILES_LIMIT =>
            {
                problems.push(format!(
                    "Le champ « {key} » doit accepter de 1 à {MAX_FILES_LIMIT} fichiers (et non {max_files})."
                ));
            }
            FieldKind::Number {
                min: Some(min),
                max: Some(max),
                ..
            } if min > max => {
                problems.push(format!(
                    "Le champ « {key} » a un minimum ({}) supérieur à son maximum ({}).",
                    format_number_fr(*min),
                    format_number_fr(*max)
                ));
            }
            FieldKind::Group {
                fields,
                min_items,
                max_items,
                ..
            } => {
                if !fields.iter().any(|f| f.kind.asks()) {
                    problems.push(format!("Le groupe « {key} » ne pose aucune question."));
                }
                if *max_items == 0 {
                    problems.push(format!(
                        "Le groupe « {key} » doit accepter au moins un élément."
                    ));
                } else if min_items > max_items {
                    problems.push(format!(
                        "Le groupe « {key} » demande au moins {min_items} éléments mais en accepte au plus {max_items}."
                    ));
                }
                if entry.in_group {
                    problems.push(format!(
                        "Le groupe « {key} » est dans un autre groupe : un groupe répétable ne peut pas en contenir un autre."
                    ));
                }
            }
            _ => {}
        }
    }
    problems
}

/// The problems of one condition. `earlier` says whether the named field comes early
/// enough; `not_earlier` ends the message when it does not.
fn condition_problems(
    subject: &str,
    condition: &Condition,
    by_key: &BTreeMap<&str, &Entry<'_>>,
    earlier: impl Fn(&Entry<'_>) -> bool,
    not_earlier: &str,
    problems: &mut Vec<String>,
) {
    let named = &condition.field;
    let Some(entry) = by_key.get(named.as_str()) else {
        problems.push(format!(
            "{subject} porte sur le champ « {named} », qui n’existe pas."
        ));
        return;
    };
    if entry.in_group {
        problems.push(format!(
            "{subject} porte sur le champ « {named} », qui fait partie d’un groupe répétable."
        ));
        return;
    }
    if !earlier(entry) {
        problems.push(format!(
            "{subject} porte sur le champ « {named} », qui {not_earlier}."
        ));
    }
    let equals = condition.equals.trim();
    match &entry.field.kind {
        FieldKind::YesNo if equals != "oui" && equals != "non" => problems.push(format!(
            "{subject} attend « {equals} » : les réponses de « {named} » sont « oui » et « non »."
        )),
        FieldKind::SingleChoice { options, .. } | FieldKind::MultipleChoice { options }
            if !options.iter().any(|o| o.trim() == equals) =>
        {
            problems.push(format!(
                "{subject} attend « {equals} », qui n’est pas une réponse proposée par « {named} »."
            ));
        }
        FieldKind::Address
        | FieldKind::Attachment { .. }
        | FieldKind::Group { .. }
        | FieldKind::Section
        | FieldKind::Explanation => problems.push(format!(
            "{subject} porte sur le champ « {named} », dont la réponse ne peut pas être comparée à un texte."
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::answers::{read_page, visible_pages};
    use crate::forms::fixtures::{definition, pairs};
    use serde_json::json;

    const TODAY: &str = "2026-11-30";
    const NONE: Vec<FieldError> = Vec::new();

    fn names(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn messages(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.message.as_str()).collect()
    }

    fn one_page(fields: serde_json::Value) -> FormDefinition {
        definition(json!([{ "key": "p", "title": "Page", "fields": fields }]))
    }

    fn answers(list: &[(&str, &str)]) -> Answers {
        let mut answers = Answers::new();
        for (key, value) in list {
            answers.set(*key, Value::Text((*value).to_owned()));
        }
        answers
    }

    fn check(def: &FormDefinition, answers: &Answers) -> Vec<FieldError> {
        validate_page(&def.pages[0], answers, &FileCounts::new(), TODAY)
    }

    #[test]
    fn required_fields_are_named_in_page_order() {
        let def = one_page(json!([
            {"key": "intro", "label": "Votre association", "type": "section"},
            {"key": "nom", "label": "Nom de l’association", "type": "short_text", "required": true},
            {"key": "site", "label": "Site", "type": "short_text"},
            {"key": "affiliee", "label": "Affiliée ?", "type": "yes_no", "required": true},
            {"key": "sports", "label": "Sports", "type": "multiple_choice", "required": true,
             "options": ["Judo", "Foot"]},
            {"key": "statuts", "label": "Statuts", "type": "attachment", "required": true},
            {"key": "siege", "label": "Siège", "type": "address", "required": true}
        ]));
        let errors = check(&def, &Answers::new());
        assert_eq!(
            names(&errors),
            [
                "nom",
                "affiliee",
                "sports",
                "statuts",
                "siege.ligne",
                "siege.code_postal",
                "siege.commune"
            ]
        );
        assert_eq!(
            messages(&errors)[..4],
            [
                "Renseignez « Nom de l’association ».",
                "Choisissez une réponse pour « Affiliée ? ».",
                "Cochez au moins une réponse pour « Sports ».",
                "Joignez au moins un fichier pour « Statuts ».",
            ]
        );
        let files = FileCounts::from([("statuts".to_owned(), 1)]);
        let mut filled = answers(&[("nom", "Club"), ("affiliee", "non")]);
        filled.set("sports", Value::Many(vec!["Judo".into()]));
        filled.set(
            "siege",
            Value::Address {
                line: "1 rue Haute".into(),
                postal_code: "75001".into(),
                commune: "Paris".into(),
            },
        );
        assert_eq!(validate_page(&def.pages[0], &filled, &files, TODAY), NONE);
    }

    #[test]
    fn an_unticked_required_multiple_choice_is_an_error() {
        let def = one_page(json!([
            {"key": "sports", "label": "Sports", "type": "multiple_choice", "required": true,
             "options": ["Judo", "Foot"]}
        ]));
        let mut answers = Answers::new();
        answers.set("sports", Value::Many(vec!["Judo".into()]));
        read_page(&def.pages[0], &pairs(&[]), &mut answers);
        assert_eq!(names(&check(&def, &answers)), ["sports"]);
        answers.set("sports", Value::Many(vec!["Judo".into(), "Tennis".into()]));
        assert_eq!(
            messages(&check(&def, &answers)),
            ["Cochez uniquement des réponses proposées pour « Sports »."]
        );
    }

    #[test]
    fn texts_have_a_maximum_length() {
        let def = one_page(json!([
            {"key": "court", "label": "Court", "type": "short_text"},
            {"key": "limite", "label": "Limité", "type": "short_text", "max_length": 5},
            {"key": "long", "label": "Long", "type": "long_text"}
        ]));
        let ok = answers(&[
            ("court", &"é".repeat(200)),
            ("limite", "abcde"),
            ("long", &"x".repeat(5000)),
        ]);
        assert_eq!(check(&def, &ok), NONE);
        let too_long = answers(&[
            ("court", &"é".repeat(201)),
            ("limite", "abcdef"),
            ("long", &"x".repeat(5001)),
        ]);
        let errors = check(&def, &too_long);
        assert_eq!(names(&errors), ["court", "limite", "long"]);
        assert_eq!(
            errors[2].message,
            "Votre réponse à « Long » doit contenir au plus 5\u{202F}000 caractères (elle en contient 5\u{202F}001)."
        );
    }

    #[test]
    fn numbers_are_french_and_bounded() {
        let def = one_page(json!([
            {"key": "montant", "label": "Montant demandé", "type": "number",
             "min": 100, "unit": "€"},
            {"key": "eleves", "label": "Élèves", "type": "number", "integer": true,
             "min": 1, "max": 1500},
            {"key": "km", "label": "Distance", "type": "number", "max": 50, "unit": "km"}
        ]));
        assert_eq!(
            check(
                &def,
                &answers(&[("montant", "1 234,50"), ("eleves", "1 500"), ("km", "49.5")])
            ),
            NONE
        );
        let errors = check(
            &def,
            &answers(&[("montant", "99,99"), ("eleves", "12,5"), ("km", "50,1")]),
        );
        assert_eq!(
            messages(&errors),
            [
                "Saisissez un montant d’au moins 100\u{A0}€ pour « Montant demandé ».",
                "Saisissez un nombre entier, sans virgule, pour « Élèves ».",
                "Saisissez un nombre d’au plus 50\u{A0}km pour « Distance ».",
            ]
        );
        let errors = check(&def, &answers(&[("montant", "cent"), ("eleves", "2000")]));
        assert_eq!(
            messages(&errors),
            [
                "Saisissez un nombre pour « Montant demandé », par exemple 1\u{202F}500.",
                "Saisissez un nombre entre 1 et 1\u{202F}500 pour « Élèves ».",
            ]
        );
    }

    #[test]
    fn dates_are_real_and_past_when_asked() {
        let def = one_page(json!([
            {"key": "naissance", "label": "Date de naissance", "type": "date", "past_only": true},
            {"key": "debut", "label": "Début", "type": "date"}
        ]));
        assert_eq!(
            check(
                &def,
                &answers(&[("naissance", "30/11/2026"), ("debut", "2027-01-15")])
            ),
            NONE
        );
        let errors = check(
            &def,
            &answers(&[("naissance", "2026-12-01"), ("debut", "29/02/2025")]),
        );
        assert_eq!(names(&errors), ["naissance", "debut"]);
        assert_eq!(
            errors[1].message,
            "Saisissez une date valide pour « Début », par exemple 14/07/2026."
        );
    }

    #[test]
    fn identifiers_are_checked() {
        let def = one_page(json!([
            {"key": "courriel", "label": "Courriel", "type": "email"},
            {"key": "tel", "label": "Téléphone", "type": "phone"},
            {"key": "siret", "label": "SIRET", "type": "siret"},
            {"key": "iban", "label": "IBAN", "type": "iban"},
            {"key": "siege", "label": "Siège", "type": "address"}
        ]));
        let mut good = answers(&[
            ("courriel", "Camille@Exemple.fr"),
            ("tel", "06 12 34 56 78"),
            ("siret", "213 502 388 00019"),
            ("iban", "FR76 3000 6000 0112 3456 7890 189"),
        ]);
        assert_eq!(check(&def, &good), NONE);
        good = answers(&[
            ("courriel", "camille@"),
            ("tel", "12"),
            ("siret", "21350238800015"),
            ("iban", "FR76 3000 6000 0112 3456 7890 188"),
        ]);
        good.set(
            "siege",
            Value::Address {
                line: String::new(),
                postal_code: "7500".into(),
                commune: "Paris".into(),
            },
        );
        let errors = check(&def, &good);
        assert_eq!(
            names(&errors),
            [
                "courriel",
                "tel",
                "siret",
                "iban",
                "siege.ligne",
                "siege.code_postal"
            ]
        );
        assert_eq!(
            errors[2].message,
            "Le numéro SIRET saisi pour « SIRET » n’existe pas : vérifiez les 14 chiffres."
        );
        assert_eq!(
            errors[3].message,
            "L’IBAN saisi pour « IBAN » n’existe pas : vérifiez chaque caractère."
        );
    }

    #[test]
    fn choices_must_be_among_the_options() {
        let def = one_page(json!([
            {"key": "statut", "label": "Statut", "type": "single_choice",
             "options": ["Association", "Commune"]},
            {"key": "ok", "label": "D’accord ?", "type": "yes_no"}
        ]));
        assert_eq!(
            check(&def, &answers(&[("statut", "Commune"), ("ok", "oui")])),
            NONE
        );
        let errors = check(
            &def,
            &answers(&[("statut", "Entreprise"), ("ok", "peut-être")]),
        );
        assert_eq!(names(&errors), ["statut", "ok"]);
    }

    #[test]
    fn attachments_have_a_maximum() {
        let def = one_page(json!([
            {"key": "devis", "label": "Devis", "type": "attachment"},
            {"key": "rib", "label": "RIB", "type": "attachment", "max_files": 1}
        ]));
        let files = FileCounts::from([("devis".to_owned(), 4), ("rib".to_owned(), 1)]);
        let errors = validate_page(&def.pages[0], &Answers::new(), &files, TODAY);
        assert_eq!(
            messages(&errors),
            ["Vous pouvez joindre au plus 3 fichiers pour « Devis » : retirez-en 1."]
        );
    }

    fn group_def() -> FormDefinition {
        one_page(json!([
            {"key": "aide", "label": "Aide ?", "type": "yes_no"},
            {"key": "enfants", "label": "Enfants", "type": "group",
             "add_label": "Ajouter un enfant", "item_label": "Enfant",
             "min_items": 2, "max_items": 3, "fields": [
                {"key": "prenom", "label": "Prénom", "type": "short_text", "required": true},
                {"key": "adresse", "label": "Adresse", "type": "address"},
                {"key": "certificat", "label": "Certificat", "type": "attachment", "required": true},
                {"key": "montant", "label": "Montant", "type": "number", "required": true,
                 "condition": {"field": "aide", "equals": "oui"}}
            ]}
        ]))
    }

    #[test]
    fn group_items_are_counted_and_checked_with_prefixed_names() {
        let def = group_def();
        let mut answers = Answers::new();
        read_page(
            &def.pages[0],
            &pairs(&[
                ("enfants.items", "2"),
                ("enfants.0.prenom", "Léa"),
                ("enfants.1.adresse.code_postal", "7500"),
            ]),
            &mut answers,
        );
        let files = FileCounts::from([("enfants.0.certificat".to_owned(), 1)]);
        let errors = validate_page(&def.pages[0], &answers, &files, TODAY);
        assert_eq!(
            names(&errors),
            [
                "enfants.1.prenom",
                "enfants.1.adresse.ligne",
                "enfants.1.adresse.code_postal",
                "enfants.1.adresse.commune",
                "enfants.1.certificat"
            ]
        );
        assert_eq!(errors[0].message, "Renseignez « Prénom » (Enfant 2).");

        // Inner conditions read the top-level answers.
        answers.set("aide", Value::Text("oui".into()));
        let errors = validate_page(&def.pages[0], &answers, &files, TODAY);
        assert!(names(&errors).contains(&"enfants.0.montant"));

        read_page(
            &def.pages[0],
            &pairs(&[("enfants.items", "1")]),
            &mut answers,
        );
        let errors = validate_page(&def.pages[0], &answers, &files, TODAY);
        assert_eq!(names(&errors)[0], "enfants");
        assert_eq!(
            errors[0].message,
            "Ajoutez au moins 2 éléments pour « Enfants » avec le bouton « Ajouter un enfant »."
        );

        read_page(
            &def.pages[0],
            &pairs(&[("enfants.items", "4")]),
            &mut answers,
        );
        let errors = validate_page(&def.pages[0], &answers, &files, TODAY);
        assert_eq!(
            errors[0].message,
            "Vous pouvez indiquer au plus 3 éléments pour « Enfants » : retirez-en 1."
        );
    }

    fn conditional_def() -> FormDefinition {
        definition(json!([
            {"key": "situation", "title": "Situation", "fields": [
                {"key": "salaries", "label": "Avez-vous des salariés ?", "type": "yes_no", "required": true}
            ]},
            {"key": "emploi", "title": "Emploi", "condition": {"field": "salaries", "equals": "oui"},
             "fields": [
                {"key": "effectif", "label": "Effectif", "type": "number", "required": true},
                {"key": "accord", "label": "Accord d’entreprise ?", "type": "yes_no"}
            ]},
            {"key": "accord_page", "title": "Accord", "condition": {"field": "accord", "equals": "oui"},
             "fields": [{"key": "date_accord", "label": "Date de l’accord", "type": "date", "required": true}]},
            {"key": "fin", "title": "Fin", "fields": [
                {"key": "commentaire", "label": "Commentaire", "type": "long_text"},
                {"key": "detail", "label": "Détail", "type": "short_text", "required": true,
                 "condition": {"field": "salaries", "equals": "oui"}}
            ]}
        ]))
    }

    #[test]
    fn a_required_field_of_a_hidden_page_is_not_required() {
        let def = conditional_def();
        let files = FileCounts::new();
        let mut answers = answers(&[("salaries", "non")]);
        assert_eq!(validate_all(&def, &answers, &files, TODAY), None);
        assert_eq!(completion(&def, &answers, &files, TODAY), (1, 1));

        answers.set("salaries", Value::Text("oui".into()));
        let (page, errors) = validate_all(&def, &answers, &files, TODAY).expect("errors");
        assert_eq!(page, 1);
        assert_eq!(names(&errors), ["effectif"]);
        assert_eq!(completion(&def, &answers, &files, TODAY), (1, 3));

        // Chains: « accord » was answered, then its page was hidden.
        answers.set("effectif", Value::Text("3".into()));
        answers.set("accord", Value::Text("oui".into()));
        answers.set("detail", Value::Text("x".into()));
        assert_eq!(visible_pages(&def, &answers), [0, 1, 2, 3]);
        assert_eq!(
            validate_all(&def, &answers, &files, TODAY).map(|(p, _)| p),
            Some(2)
        );
        assert_eq!(completion(&def, &answers, &files, TODAY), (3, 4));
        answers.set("salaries", Value::Text("non".into()));
        assert_eq!(validate_all(&def, &answers, &files, TODAY), None);
        assert_eq!(validate_page_at(&def, 2, &answers, &files, TODAY), NONE);
        assert_eq!(
            validate_page(&def.pages[2], &answers, &files, TODAY).len(),
            1,
            "without pruning, the page's own check still asks"
        );
    }

    #[test]
    fn completion_counts_required_questions_answered_without_error() {
        let def = one_page(json!([
            {"key": "nom", "label": "Nom", "type": "short_text", "required": true},
            {"key": "courriel", "label": "Courriel", "type": "email", "required": true},
            {"key": "note", "label": "Note", "type": "short_text"},
            {"key": "rib", "label": "RIB", "type": "attachment", "required": true},
            {"key": "enfants", "label": "Enfants", "type": "group",
             "add_label": "Ajouter", "item_label": "Enfant", "fields": [
                {"key": "prenom", "label": "Prénom", "type": "short_text", "required": true}
            ]}
        ]));
        let mut files = FileCounts::new();
        let mut answers = answers(&[("nom", "Club"), ("courriel", "pas-un-courriel")]);
        assert_eq!(completion(&def, &answers, &files, TODAY), (1, 4));
        answers.set("courriel", Value::Text("a@b.fr".into()));
        files.insert("rib".into(), 1);
        let mut item = Answers::new();
        item.set("prenom", Value::Text("Léa".into()));
        answers.set("enfants", Value::Group(vec![item]));
        assert_eq!(completion(&def, &answers, &files, TODAY), (4, 4));
    }

    fn has(problems: &[String], needle: &str) -> bool {
        problems.iter().any(|p| p.contains(needle))
    }

    #[test]
    fn a_good_definition_has_no_problem() {
        assert_eq!(
            definition_problems(&conditional_def()),
            Vec::<String>::new()
        );
        assert_eq!(definition_problems(&group_def()), Vec::<String>::new());
    }

    #[test]
    fn definition_problems_are_found() {
        assert_eq!(
            definition_problems(&FormDefinition::default()),
            ["Le formulaire ne contient aucune page."]
        );
        let def = definition(json!([
            {"key": "un", "title": "Un", "condition": {"field": "plus_tard", "equals": "oui"},
             "fields": [
                {"key": "a", "label": "A", "type": "yes_no",
                 "condition": {"field": "inconnu", "equals": "oui"}},
                {"key": "b", "label": "B", "type": "short_text",
                 "condition": {"field": "a", "equals": "peut-être"}},
                {"key": "c", "label": "C", "type": "short_text",
                 "condition": {"field": "c", "equals": "x"}},
                {"key": "choix", "label": "Choix", "type": "single_choice", "options": []},
                {"key": "cases", "label": "Cases", "type": "multiple_choice",
                 "options": ["X", "Y", "X", " "]},
                {"key": "a", "label": "A bis", "type": "short_text"},
                {"key": "clé-invalide", "label": "Invalide", "type": "short_text"},
                {"key": "pieces", "label": "Pièces", "type": "attachment", "max_files": 0},
                {"key": "photos", "label": "Photos", "type": "attachment", "max_files": 11},
                {"key": "g", "label": "G", "type": "group", "add_label": "+", "item_label": "G",
                 "min_items": 4, "max_items": 2, "fields": [
                    {"key": "dans_g", "label": "Dans G", "type": "yes_no"},
                    {"key": "a", "label": "A ter", "type": "short_text"},
                    {"key": "sous", "label": "Sous", "type": "group", "add_label": "+",
                     "item_label": "S", "fields": [{"key": "s", "label": "S", "type": "email"}]}
                ]},
                {"key": "d", "label": "D", "type": "short_text",
                 "condition": {"field": "dans_g", "equals": "oui"}},
                {"key": "e", "label": "E", "type": "short_text",
                 "condition": {"field": "cases", "equals": "Z"}},
                {"key": "f", "label": "F", "type": "short_text",
                 "condition": {"field": "pieces", "equals": "x"}},
                {"key": "n", "label": "N", "type": "number", "min": 10, "max": 1}
            ]},
            {"key": "un", "title": "Deux", "fields": [
                {"key": "plus_tard", "label": "Plus tard", "type": "yes_no"}
            ]},
            {"key": "trois page", "title": "Trois", "fields": [
                {"key": "titre", "label": "Titre", "type": "section"}
            ]},
            {"key": "quatre", "title": "Quatre", "condition": {"field": "a", "equals": "oui"},
             "fields": [{"key": "vide", "label": "Vide", "type": "group", "add_label": "+",
                         "item_label": "V", "max_items": 0,
                         "fields": [{"key": "t", "label": "T", "type": "explanation"}]}]}
        ]));
        let problems = definition_problems(&def);
        let expected = [
            "La clé « trois page » de la page « Trois » n’est pas valide",
            "Plusieurs pages ont la clé « un ».",
            "La page « Trois » ne pose aucune question.",
            "La clé « clé-invalide » du champ « Invalide » n’est pas valide",
            "Plusieurs champs ont la clé « a ».",
            "La condition de la page « Un » porte sur le champ « plus_tard », qui n’est pas sur une page précédente.",
            "La condition du champ « a » porte sur le champ « inconnu », qui n’existe pas.",
            "La condition du champ « b » attend « peut-être » : les réponses de « a » sont « oui » et « non ».",
            "La condition du champ « c » porte sur le champ « c », qui ne le précède pas.",
            "Le champ « choix » ne propose aucune réponse.",
            "Le champ « cases » propose deux fois la réponse « X ».",
            "Le champ « cases » propose une réponse vide.",
            "Le champ « pieces » doit accepter de 1 à 10 fichiers (et non 0).",
            "Le champ « photos » doit accepter de 1 à 10 fichiers (et non 11).",
            "Le groupe « g » demande au moins 4 éléments mais en accepte au plus 2.",
            "Le groupe « sous » est dans un autre groupe",
            "La condition du champ « d » porte sur le champ « dans_g », qui fait partie d’un groupe répétable.",
            "La condition du champ « e » attend « Z », qui n’est pas une réponse proposée par « cases ».",
            "La condition du champ « f » porte sur le champ « pieces », dont la réponse ne peut pas être comparée à un texte.",
            "Le champ « n » a un minimum (10) supérieur à son maximum (1).",
            "Le groupe « vide » ne pose aucune question.",
            "Le groupe « vide » doit accepter au moins un élément.",
        ];
        for needle in expected {
            assert!(
                has(&problems, needle),
                "missing « {needle} » in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    }
}
