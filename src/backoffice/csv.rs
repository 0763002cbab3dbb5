//! The CSV export of a démarche's dossiers, which instructors open in a spreadsheet:
//! its columns (fixed ones, then one per question of every version of the form), the
//! cells of one dossier, the protection against formula injection and the bytes of
//! the file, written batch by batch so that the caller can stream it.
//!
//! The file suits Excel and LibreOffice in French:
//! - UTF-8 with a byte order mark ([`BOM`]): without it Excel reads the bytes as
//!   Windows-1252 and the accents come out garbled;
//! - `;` between cells: Excel opens a CSV with the list separator of the system's
//!   locale, which is `;` in French because `,` is the decimal separator (a file
//!   separated by `,` opens with every line in column A);
//! - lines ended by CRLF (RFC 4180); a cell holding `;`, `"` or a line break is quoted
//!   and its `"` doubled, so long texts keep their lines inside one cell.
//!
//! Answers are shown as in « Vérifiez vos réponses » ([`display_lines`]): a choice
//! by its text, « Oui »/« Non », a SIRET as `213 502 388 00019`, an IBAN in groups
//! of 4, a phone as `06 12 34 56 78`. A spreadsheet needs a few differences:
//! - an unanswered question is an empty cell, not « Non renseigné », so that
//!   filters and counts work;
//! - a number is written `1234,5` (no thousands separator, the unit in the header:
//!   « Montant (€) ») so that the spreadsheet reads it as a number;
//! - a date is written `14/07/2026`, which a French spreadsheet reads as a date;
//! - the lines of an address are joined by `, `, ticked options and file names by
//!   ` ; `, and a long text keeps its line breaks.
//!
//! As in the review, the answers and files of hidden pages and fields are left out.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::forms::checks::{THOUSANDS_SEPARATOR, format_number_fr, parse_date, parse_number_fr};
use crate::forms::{
    Answers, Field, FieldKind, FormDefinition, Value, display_lines, item_prefix, prune_hidden,
    visible_attachment_paths,
};

/// The byte order mark that tells Excel the file is UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Between the parts of a group item's header: « Enfants – Enfant 2 – Prénom ».
const HEADER_SEPARATOR: &str = " – ";
/// Between several values in one cell: ticked options, file names, overflowing items.
const LIST_SEPARATOR: &str = " ; ";
/// Between the lines of an address in one cell.
const ADDRESS_SEPARATOR: &str = ", ";

/// One column of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub header: String,
    source: Source,
}

/// Where the cells of a column come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// What the export knows of the dossier besides its answers.
    Meta(Meta),
    /// A top-level question (not a repeated group), by key.
    Field(String),
    /// A question of item `index` (from 0) of a repeated group; `rest` also holds the
    /// items after it, beyond the number of columns of the group.
    Item {
        group: String,
        index: usize,
        field: String,
        rest: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meta {
    Number,
    Status,
    SubmittedAt,
    UpdatedAt,
    DecidedAt,
    Profile,
    ProfileKind,
    Commune,
    Siret,
    Filer,
    FilerEmail,
}

/// The fixed columns, in order.
const FIXED_COLUMNS: [(&str, Meta); 11] = [
    ("Numéro", Meta::Number),
    ("Statut", Meta::Status),
    ("Déposé le", Meta::SubmittedAt),
    ("Dernière modification", Meta::UpdatedAt),
    ("Décidé le", Meta::DecidedAt),
    ("Profil", Meta::Profile),
    ("Type de profil", Meta::ProfileKind),
    ("Commune", Meta::Commune),
    ("SIRET", Meta::Siret),
    ("Déposé par", Meta::Filer),
    ("Courriel du déposant", Meta::FilerEmail),
];

/// What the export knows of one dossier besides its answers, already written as
/// French text by the caller; an empty string gives an empty cell. Write the SIRET
/// with `forms::checks::format_siret` (`213 502 388 00019`): 14 bare digits would
/// become `2,13502E+13` in Excel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowMeta {
    pub number: String,
    pub status: String,
    pub submitted_at: String,
    pub updated_at: String,
    pub decided_at: String,
    pub profile: String,
    pub profile_kind: String,
    pub commune: String,
    pub siret: String,
    pub filer: String,
    pub filer_email: String,
}

impl RowMeta {
    fn get(&self, meta: Meta) -> &str {
        match meta {
            Meta::Number => &self.number,
            Meta::Status => &self.status,
            Meta::SubmittedAt => &self.submitted_at,
            Meta::UpdatedAt => &self.updated_at,
            Meta::DecidedAt => &self.decided_at,
            Meta::Profile => &self.profile,
            Meta::ProfileKind => &self.profile_kind,
            Meta::Commune => &self.commune,
            Meta::Siret => &self.siret,
            Meta::Filer => &self.filer,
            Meta::FilerEmail => &self.filer_email,
        }
    }
}

// ---------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------

/// A top-level question gathered over the versions of the form.
struct Question<'a> {
    /// As in the newest version that has it: its label and unit make the header.
    field: &'a Field,
    /// For a repeated group: its questions over the versions (newest order first,
    /// then those only in older versions) and the most items a version accepts.
    inner: Vec<&'a Field>,
    max_items: usize,
}

/// The columns for a démarche whose dossiers use these form versions (oldest first,
/// newest last).
///
/// First the fixed columns (« Numéro », « Statut »… « Courriel du déposant »), then
/// one column per question of every version: a key in several versions appears once,
/// in the order of the newest version, then the questions found only in older
/// versions (newest first). Sections and explanations give no column; an attachment
/// gives one column with its file names. A question that is a repeated group in one
/// version and not in another gets columns of both kinds.
///
/// A repeated group is flattened: one column per question per item, up to the
/// group's `max_items` (the largest over the versions), headed « Enfants – Enfant 2 –
/// Prénom » (« Enfants 2 – Prénom » when the group has no `item_label`). Items
/// beyond are appended to the last item's cells (see [`record`]).
///
/// A header is the question's label, with the unit of a number: « Montant (€) ».
/// A header that another column already has (a question « Commune », two questions
/// « Nom ») is followed by the key: « Nom (nom_usage) », « Enfants – Enfant 1 –
/// Nom (enfants.nom) »; the fixed columns keep theirs.
pub fn columns(versions: &[FormDefinition]) -> Vec<Column> {
    let mut questions: Vec<Question<'_>> = Vec::new();
    // (key, is a group) → index in `questions`.
    let mut seen: HashMap<(&str, bool), usize> = HashMap::new();
    for def in versions.iter().rev() {
        for field in def.pages.iter().flat_map(|page| &page.fields) {
            if !field.kind.asks() {
                continue;
            }
            let is_group = matches!(field.kind, FieldKind::Group { .. });
            let index = *seen.entry((&field.key, is_group)).or_insert_with(|| {
                questions.push(Question {
                    field,
                    inner: Vec::new(),
                    max_items: 0,
                });
                questions.len() - 1
            });
            if let (
                Some(question),
                FieldKind::Group {
                    fields, max_items, ..
                },
            ) = (questions.get_mut(index), &field.kind)
            {
                question.max_items = question.max_items.max(usize::from(*max_items));
                for inner in fields.iter().filter(|f| f.kind.asks()) {
                    if !question.inner.iter().any(|known| known.key == inner.key) {
                        question.inner.push(inner);
                    }
                }
            }
        }
    }

    let mut columns: Vec<Column> = FIXED_COLUMNS
        .iter()
        .map(|(header, meta)| Column {
            header: (*header).to_owned(),
            source: Source::Meta(*meta),
        })
        .collect();
    for question in &questions {
        let field = question.field;
        match &field.kind {
            FieldKind::Group { item_label, .. } => {
                let group_label = header_label(field);
                let item_label = item_label.split_whitespace().collect::<Vec<_>>().join(" ");
                // At least one item's columns, where overflowing items go.
                let items = question.max_items.max(1);
                for index in 0..items {
                    let number = index + 1;
                    let item = if item_label.is_empty() {
                        format!("{group_label} {number}")
                    } else {
                        format!("{group_label}{HEADER_SEPARATOR}{item_label} {number}")
                    };
                    for inner in &question.inner {
                        columns.push(Column {
                            header: format!("{item}{HEADER_SEPARATOR}{}", header_label(inner)),
                            source: Source::Item {
                                group: field.key.clone(),
                                index,
                                field: inner.key.clone(),
                                rest: index + 1 == items,
                            },
                        });
                    }
                }
            }
            _ => columns.push(Column {
                header: header_label(field),
                source: Source::Field(field.key.clone()),
            }),
        }
    }
    disambiguate(&mut columns);
    columns
}

/// A question's label on one line (its key when blank), with the unit of a number.
fn header_label(field: &Field) -> String {
    let label = field.label.split_whitespace().collect::<Vec<_>>().join(" ");
    let label = if label.is_empty() {
        field.key.clone()
    } else {
        label
    };
    match &field.kind {
        FieldKind::Number {
            unit: Some(unit), ..
        } if !unit.trim().is_empty() => format!("{label} ({})", unit.trim()),
        _ => label,
    }
}

/// Follows every duplicated header of a question with its key (`key`, or
/// `group.key` inside a group). Compared without case: « Commune » and « commune »
/// would be as confusing in a spreadsheet.
fn disambiguate(columns: &mut [Column]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for column in columns.iter() {
        *counts.entry(column.header.to_lowercase()).or_default() += 1;
    }
    for column in columns.iter_mut() {
        if counts
            .get(&column.header.to_lowercase())
            .is_none_or(|count| *count < 2)
        {
            continue;
        }
        let key = match &column.source {
            Source::Meta(_) => continue,
            Source::Field(key) => key.clone(),
            Source::Item { group, field, .. } => format!("{group}.{field}"),
        };
        column.header = format!("{} ({key})", column.header);
    }
}

// ---------------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------------

/// The cells of one dossier, in the order of `columns` (one per column), not yet
/// protected against formula injection: [`write_records`] does that.
///
/// `def` is the version of the form the dossier was filled in: the columns of
/// questions it does not have are empty. `files` gives the original names of the
/// files stored under each field path (`dossier_file.field_path`: the key at top
/// level, `group.INDEX.key` inside item INDEX, from 0, of a repeated group).
///
/// In a group's columns, the last item's cell also holds the items beyond it,
/// separated by ` ; ` (empty values included, so that the positions match from one
/// question to the next), so that nothing is lost.
pub fn record(
    columns: &[Column],
    meta: &RowMeta,
    def: &FormDefinition,
    answers: &Answers,
    files: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let effective = prune_hidden(def, answers);
    let shown_paths: HashSet<String> = visible_attachment_paths(def, answers).into_iter().collect();
    let fields: HashMap<&str, &Field> = def
        .pages
        .iter()
        .flat_map(|page| &page.fields)
        .map(|field| (field.key.as_str(), field))
        .collect();
    let file_names = |path: &str| -> String {
        if !shown_paths.contains(path) {
            return String::new();
        }
        files
            .get(path)
            .map(|names| {
                names
                    .iter()
                    .map(|name| name.trim())
                    .filter(|name| !name.is_empty())
                    .collect::<Vec<_>>()
                    .join(LIST_SEPARATOR)
            })
            .unwrap_or_default()
    };

    columns
        .iter()
        .map(|column| match &column.source {
            Source::Meta(which) => meta.get(*which).trim().to_owned(),
            Source::Field(key) => match fields.get(key.as_str()) {
                Some(field) if matches!(field.kind, FieldKind::Attachment { .. }) => {
                    file_names(key)
                }
                Some(field) => cell(field, effective.get(key)),
                None => String::new(),
            },
            Source::Item {
                group,
                index,
                field,
                rest,
            } => {
                let inner =
                    fields
                        .get(group.as_str())
                        .and_then(|group_field| match &group_field.kind {
                            FieldKind::Group { fields, .. } => {
                                fields.iter().find(|inner| &inner.key == field)
                            }
                            _ => None,
                        });
                let Some(inner) = inner else {
                    return String::new();
                };
                let items = effective.items(group).unwrap_or_default();
                let end = if *rest {
                    items.len().max(index + 1)
                } else {
                    index + 1
                };
                let values: Vec<String> = (*index..end)
                    .map(|i| {
                        if matches!(inner.kind, FieldKind::Attachment { .. }) {
                            file_names(&format!("{}{}", item_prefix(group, i), inner.key))
                        } else {
                            items
                                .get(i)
                                .map(|item| cell(inner, item.get(&inner.key)))
                                .unwrap_or_default()
                        }
                    })
                    .collect();
                if values.iter().all(String::is_empty) {
                    String::new()
                } else {
                    values.join(LIST_SEPARATOR)
                }
            }
        })
        .collect()
}

/// One answer as a cell (see the module's documentation); empty when unanswered.
fn cell(field: &Field, value: Option<&Value>) -> String {
    let Some(value) = value.filter(|value| !value.is_empty()) else {
        return String::new();
    };
    match (&field.kind, value) {
        (
            FieldKind::Section
            | FieldKind::Explanation
            | FieldKind::Attachment { .. }
            | FieldKind::Group { .. },
            _,
        ) => String::new(),
        (FieldKind::Number { .. }, Value::Text(text)) => parse_number_fr(text).map_or_else(
            || text.trim().to_owned(),
            |number| format_number_fr(number).replace(THOUSANDS_SEPARATOR, ""),
        ),
        (FieldKind::Date { .. }, Value::Text(text)) => parse_date(text)
            .and_then(|date| numeric_date(&date))
            .unwrap_or_else(|| text.trim().to_owned()),
        (_, Value::Address { .. }) => display_lines(field, Some(value)).join(ADDRESS_SEPARATOR),
        (_, Value::Many(_)) => display_lines(field, Some(value)).join(LIST_SEPARATOR),
        _ => display_lines(field, Some(value)).join("\n"),
    }
}

/// `2026-07-14` → `14/07/2026`.
fn numeric_date(iso: &str) -> Option<String> {
    let (year, rest) = iso.split_once('-')?;
    let (month, day) = rest.split_once('-')?;
    Some(format!("{day}/{month}/{year}"))
}

// ---------------------------------------------------------------------------------
// Formula injection
// ---------------------------------------------------------------------------------

/// Characters that make a spreadsheet read a cell as a formula (with their
/// full-width forms, which some versions of Excel take for them).
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// Neutralises spreadsheet formula injection (OWASP « CSV Injection »): a cell whose
/// first character is `=`, `+`, `-`, `@`, a tab or a carriage return, or whose first
/// character after spaces is one of the first four (or their full-width forms), gets
/// a leading apostrophe, so that Excel and LibreOffice show it as text
/// (`=HYPERLINK(…)` becomes `'=HYPERLINK(…)`). The apostrophe stays visible when the
/// file is opened: the price of safety.
///
/// Exception: a plain negative number (`-12`, `-1234,5`, `-0.25`: a `-`, digits, at
/// most one `,` or `.` followed by digits, nothing else) is left alone, so that the
/// amounts the portal writes stay numbers; such a cell cannot call anything. A `+`
/// is always neutralised: the portal writes no number with it, and `+33612345678`
/// typed as text would otherwise lose its `+` and become a number in Excel.
///
/// Idempotent: a cell that starts with an apostrophe is left alone.
pub fn safe_cell(s: &str) -> Cow<'_, str> {
    let dangerous = match s.chars().next() {
        None => false,
        Some('\t' | '\r') => true,
        Some(_) => s
            .trim_start()
            .chars()
            .next()
            .is_some_and(|first| FORMULA_STARTS.contains(&first)),
    };
    if dangerous && !is_plain_negative_number(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// `-` then digits, optionally one `,` or `.` and digits, nothing else.
fn is_plain_negative_number(s: &str) -> bool {
    let Some(body) = s.strip_prefix('-') else {
        return false;
    };
    let (whole, fraction) = match body.split_once([',', '.']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

// ---------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------

/// A CSV writer into memory: `;` between cells (see the module's documentation),
/// CRLF after each line, quotes only where needed.
fn writer() -> ::csv::Writer<Vec<u8>> {
    ::csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(Vec::new())
}

/// Writes rows, each cell through [`safe_cell`].
fn write_rows<R: AsRef<[String]>>(
    rows: impl IntoIterator<Item = R>,
) -> Result<Vec<u8>, ::csv::Error> {
    let mut writer = writer();
    for row in rows {
        let cells: Vec<Cow<'_, str>> = row.as_ref().iter().map(|cell| safe_cell(cell)).collect();
        writer.write_record(cells.iter().map(|cell| cell.as_bytes()))?;
    }
    writer
        .into_inner()
        .map_err(|error| ::csv::Error::from(error.into_error()))
}

/// The start of the file: the [`BOM`] and the header line, cells protected by
/// [`safe_cell`].
pub fn header_bytes(columns: &[Column]) -> Result<Vec<u8>, ::csv::Error> {
    let headers: Vec<String> = columns.iter().map(|column| column.header.clone()).collect();
    let line = write_rows([headers])?;
    let mut bytes = Vec::with_capacity(BOM.len() + line.len());
    bytes.extend_from_slice(BOM);
    bytes.extend_from_slice(&line);
    Ok(bytes)
}

/// The lines of a batch of dossiers (from [`record`]), cells protected by
/// [`safe_cell`]. Batches written one after the other, after [`header_bytes`], make
/// the same file as one writer would.
pub fn write_records(rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>, ::csv::Error> {
    write_rows(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A definition from the JSON of its pages (`forms::fixtures` is private to
    /// `forms`).
    fn definition(pages: serde_json::Value) -> FormDefinition {
        serde_json::from_value(json!({ "pages": pages })).expect("test definition")
    }

    fn text(value: &str) -> Value {
        Value::Text(value.to_owned())
    }

    fn headers(columns: &[Column]) -> Vec<&str> {
        columns.iter().map(|c| c.header.as_str()).collect()
    }

    /// The answer columns (after the 11 fixed ones).
    fn answer_headers(columns: &[Column]) -> Vec<&str> {
        headers(columns)[FIXED_COLUMNS.len()..].to_vec()
    }

    /// The cell of the column with this header.
    fn cell_of<'a>(columns: &[Column], row: &'a [String], header: &str) -> &'a str {
        let index = columns
            .iter()
            .position(|c| c.header == header)
            .unwrap_or_else(|| panic!("no column « {header} » in {:?}", headers(columns)));
        &row[index]
    }

    fn old_version() -> FormDefinition {
        definition(json!([
            {"key": "demandeur", "title": "Demandeur", "fields": [
                {"key": "nom", "label": "Nom", "type": "short_text"},
                {"key": "fax", "label": "Télécopie", "type": "phone"},
                {"key": "montant", "label": "Montant", "type": "number", "unit": "€"}
            ]}
        ]))
    }

    fn new_version() -> FormDefinition {
        definition(json!([
            {"key": "demandeur", "title": "Demandeur", "fields": [
                {"key": "identite", "label": "Identité", "type": "section"},
                {"key": "aide", "label": "Cette page vous aide.", "type": "explanation"},
                {"key": "montant", "label": "Montant demandé", "type": "number", "unit": "€"},
                {"key": "nom", "label": "Nom", "type": "short_text"},
                {"key": "nom_usage", "label": "nom", "type": "short_text"},
                {"key": "ville", "label": "Commune", "type": "short_text"},
                {"key": "salaries", "label": "Avez-vous des salariés ?", "type": "yes_no"},
                {"key": "effectif", "label": "Effectif", "type": "number",
                 "condition": {"field": "salaries", "equals": "oui"}},
                {"key": "statut", "label": "Statut juridique", "type": "single_choice",
                 "options": ["Association", "Commune"]},
                {"key": "publics", "label": "Publics", "type": "multiple_choice",
                 "options": ["Jeunes", "Seniors", "Familles"]},
                {"key": "siege", "label": "Siège", "type": "address"},
                {"key": "projet", "label": "Projet", "type": "long_text"},
                {"key": "debut", "label": "Début", "type": "date"},
                {"key": "siret_club", "label": "SIRET du club", "type": "siret"},
                {"key": "statuts", "label": "Statuts", "type": "attachment"},
                {"key": "bilan", "label": "Bilan", "type": "attachment",
                 "condition": {"field": "salaries", "equals": "oui"}}
            ]},
            {"key": "enfants_page", "title": "Enfants", "fields": [
                {"key": "enfants", "label": "Enfants", "type": "group",
                 "add_label": "Ajouter un enfant", "item_label": "Enfant",
                 "min_items": 1, "max_items": 2, "fields": [
                    {"key": "prenom", "label": "Prénom", "type": "short_text"},
                    {"key": "certificat", "label": "Certificat", "type": "attachment"}
                ]},
                {"key": "benevoles", "label": "Bénévoles", "type": "group",
                 "add_label": "Ajouter un bénévole", "item_label": " ",
                 "max_items": 1, "fields": [
                    {"key": "benevole_nom", "label": "Nom", "type": "short_text"}
                ]}
            ]}
        ]))
    }

    #[test]
    fn headers_list_fixed_columns_then_questions_newest_order_first() {
        let columns = columns(&[old_version(), new_version()]);
        assert_eq!(
            headers(&columns)[..FIXED_COLUMNS.len()],
            [
                "Numéro",
                "Statut",
                "Déposé le",
                "Dernière modification",
                "Décidé le",
                "Profil",
                "Type de profil",
                "Commune",
                "SIRET",
                "Déposé par",
                "Courriel du déposant",
            ]
        );
        assert_eq!(
            answer_headers(&columns),
            [
                // The newest label, with the unit.
                "Montant demandé (€)",
                // « Nom » and « nom » (and « Commune ») collide: the key tells them apart.
                "Nom (nom)",
                "nom (nom_usage)",
                "Commune (ville)",
                "Avez-vous des salariés ?",
                "Effectif",
                "Statut juridique",
                "Publics",
                "Siège",
                "Projet",
                "Début",
                "SIRET du club",
                "Statuts",
                "Bilan",
                "Enfants – Enfant 1 – Prénom",
                "Enfants – Enfant 1 – Certificat",
                "Enfants – Enfant 2 – Prénom",
                "Enfants – Enfant 2 – Certificat",
                // No item label: the group's label and the number.
                "Bénévoles 1 – Nom",
                // Only in the old version: last.
                "Télécopie",
            ]
        );
        // The fixed « Commune » keeps its header.
        assert_eq!(
            headers(&columns)
                .iter()
                .filter(|h| **h == "Commune")
                .count(),
            1
        );
    }

    #[test]
    fn a_group_takes_the_most_items_and_questions_of_its_versions() {
        let old = definition(json!([
            {"key": "p", "title": "P", "fields": [
                {"key": "enfants", "label": "Enfants", "type": "group",
                 "add_label": "Ajouter", "item_label": "Enfant", "max_items": 3, "fields": [
                    {"key": "prenom", "label": "Prénom", "type": "short_text"},
                    {"key": "age", "label": "Âge", "type": "number"}
                ]}
            ]}
        ]));
        let new = definition(json!([
            {"key": "p", "title": "P", "fields": [
                {"key": "enfants", "label": "Enfants", "type": "group",
                 "add_label": "Ajouter", "item_label": "Enfant", "max_items": 2, "fields": [
                    {"key": "classe", "label": "Classe", "type": "short_text"},
                    {"key": "prenom", "label": "Prénom", "type": "short_text"}
                ]}
            ]}
        ]));
        let columns = columns(&[old, new]);
        assert_eq!(
            answer_headers(&columns),
            [
                "Enfants – Enfant 1 – Classe",
                "Enfants – Enfant 1 – Prénom",
                "Enfants – Enfant 1 – Âge",
                "Enfants – Enfant 2 – Classe",
                "Enfants – Enfant 2 – Prénom",
                "Enfants – Enfant 2 – Âge",
                "Enfants – Enfant 3 – Classe",
                "Enfants – Enfant 3 – Prénom",
                "Enfants – Enfant 3 – Âge",
            ]
        );
    }

    #[test]
    fn group_items_are_flattened_and_overflow_into_the_last_item() {
        let def = new_version();
        let columns = columns(std::slice::from_ref(&def));
        let child = |name: &str| {
            let mut item = Answers::new();
            if !name.is_empty() {
                item.set("prenom", text(name));
            }
            item
        };
        let mut answers = Answers::new();
        answers.set(
            "enfants",
            Value::Group(vec![child("Léa"), child("Tom"), child(""), child("Zoé")]),
        );
        let mut bob = Answers::new();
        bob.set("benevole_nom", text("Bob"));
        answers.set("benevoles", Value::Group(vec![bob]));
        let files = BTreeMap::from([
            (
                "enfants.0.certificat".to_owned(),
                vec!["lea.pdf".to_owned()],
            ),
            (
                "enfants.1.certificat".to_owned(),
                vec!["tom.pdf".to_owned()],
            ),
            (
                "enfants.3.certificat".to_owned(),
                vec!["zoe-1.pdf".to_owned(), "zoe-2.pdf".to_owned()],
            ),
            // A removed item's leftover: not shown.
            (
                "enfants.7.certificat".to_owned(),
                vec!["vieux.pdf".to_owned()],
            ),
        ]);
        let row = record(&columns, &RowMeta::default(), &def, &answers, &files);
        assert_eq!(row.len(), columns.len());
        let at = |header: &str| cell_of(&columns, &row, header);
        assert_eq!(at("Enfants – Enfant 1 – Prénom"), "Léa");
        assert_eq!(at("Enfants – Enfant 1 – Certificat"), "lea.pdf");
        // Items 2 to 4 share the last columns, their positions kept.
        assert_eq!(at("Enfants – Enfant 2 – Prénom"), "Tom ;  ; Zoé");
        assert_eq!(
            at("Enfants – Enfant 2 – Certificat"),
            "tom.pdf ;  ; zoe-1.pdf ; zoe-2.pdf"
        );
        assert_eq!(at("Bénévoles 1 – Nom"), "Bob");

        // Fewer items than columns: empty cells.
        answers.set("enfants", Value::Group(vec![child("Léa")]));
        let row = record(&columns, &RowMeta::default(), &def, &answers, &files);
        assert_eq!(cell_of(&columns, &row, "Enfants – Enfant 2 – Prénom"), "");
        assert_eq!(
            cell_of(&columns, &row, "Enfants – Enfant 2 – Certificat"),
            ""
        );
    }

    #[test]
    fn values_are_shown_as_in_the_review() {
        let def = new_version();
        let columns = columns(std::slice::from_ref(&def));
        let mut answers = Answers::new();
        answers.set("montant", text("1 234,50 €"));
        answers.set("nom", text("Club de judo ; section « Été »"));
        answers.set("salaries", text("non"));
        // Hidden by « salaries = non »: left out.
        answers.set("effectif", text("12"));
        answers.set("statut", text("Association"));
        answers.set(
            "publics",
            Value::Many(vec!["Jeunes".into(), "Familles".into()]),
        );
        answers.set(
            "siege",
            Value::Address {
                line: "1 rue de l’Église".into(),
                postal_code: "01000".into(),
                commune: "Bourg-en-Bresse".into(),
            },
        );
        answers.set("projet", text("Ligne 1\nLigne 2"));
        answers.set("debut", text("2026-07-14"));
        answers.set("siret_club", text("21350238800019"));
        // A key the definition does not know: left out.
        answers.set("fax", text("01 02 03 04 05"));
        let files = BTreeMap::from([
            (
                "statuts".to_owned(),
                vec!["statuts.pdf".to_owned(), "annexe;1.pdf".to_owned()],
            ),
            // Hidden field: not part of the dossier.
            ("bilan".to_owned(), vec!["bilan.pdf".to_owned()]),
        ]);
        let meta = RowMeta {
            number: "2026-000042".into(),
            status: "En instruction".into(),
            submitted_at: "14/07/2026 10:30".into(),
            profile: "Club de judo".into(),
            profile_kind: "Association".into(),
            commune: "Bourg-en-Bresse".into(),
            siret: "213 502 388 00019".into(),
            filer: "Léa Martin".into(),
            filer_email: "lea@exemple.fr".into(),
            ..RowMeta::default()
        };
        let row = record(&columns, &meta, &def, &answers, &files);
        assert_eq!(
            row[..FIXED_COLUMNS.len()],
            [
                "2026-000042",
                "En instruction",
                "14/07/2026 10:30",
                "",
                "",
                "Club de judo",
                "Association",
                "Bourg-en-Bresse",
                "213 502 388 00019",
                "Léa Martin",
                "lea@exemple.fr",
            ]
        );
        assert_eq!(
            row[FIXED_COLUMNS.len()..],
            [
                "1234,5",
                "Club de judo ; section « Été »",
                "",
                "",
                "Non",
                "",
                "Association",
                "Jeunes ; Familles",
                "1 rue de l’Église, 01000 Bourg-en-Bresse",
                "Ligne 1\nLigne 2",
                "14/07/2026",
                "213 502 388 00019",
                "statuts.pdf ; annexe;1.pdf",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        );

        // Shown again, the hidden answers and files come back; « Oui ».
        answers.set("salaries", text("oui"));
        answers.set("debut", text("31/02/2026"));
        let row = record(&columns, &meta, &def, &answers, &files);
        assert_eq!(cell_of(&columns, &row, "Avez-vous des salariés ?"), "Oui");
        assert_eq!(cell_of(&columns, &row, "Effectif"), "12");
        assert_eq!(cell_of(&columns, &row, "Bilan"), "bilan.pdf");
        // Not a real date: as typed.
        assert_eq!(cell_of(&columns, &row, "Début"), "31/02/2026");
    }

    #[test]
    fn a_question_of_an_old_version_is_filled_for_its_dossiers() {
        let (old, new) = (old_version(), new_version());
        let columns = columns(&[old.clone(), new.clone()]);
        let mut answers = Answers::new();
        answers.set("nom", text("Ancien club"));
        answers.set("fax", text("0102030405"));
        answers.set("montant", text("-12.5"));
        let row = record(
            &columns,
            &RowMeta::default(),
            &old,
            &answers,
            &BTreeMap::new(),
        );
        assert_eq!(cell_of(&columns, &row, "Télécopie"), "01 02 03 04 05");
        assert_eq!(cell_of(&columns, &row, "Nom (nom)"), "Ancien club");
        assert_eq!(cell_of(&columns, &row, "Montant demandé (€)"), "-12,5");
        // Questions of the new version only: empty.
        assert_eq!(cell_of(&columns, &row, "Statut juridique"), "");
        assert_eq!(cell_of(&columns, &row, "Enfants – Enfant 1 – Prénom"), "");
        // And the other way round.
        let row = record(
            &columns,
            &RowMeta::default(),
            &new,
            &answers,
            &BTreeMap::new(),
        );
        assert_eq!(cell_of(&columns, &row, "Télécopie"), "");
    }

    #[test]
    fn a_key_that_changed_kind_keeps_both_columns() {
        let old = definition(json!([
            {"key": "p", "title": "P", "fields": [
                {"key": "enfants", "label": "Enfants", "type": "long_text"}
            ]}
        ]));
        let new = definition(json!([
            {"key": "p", "title": "P", "fields": [
                {"key": "enfants", "label": "Enfants", "type": "group",
                 "add_label": "Ajouter", "item_label": "Enfant", "max_items": 1, "fields": [
                    {"key": "prenom", "label": "Prénom", "type": "short_text"}
                ]}
            ]}
        ]));
        let columns = columns(&[old.clone(), new]);
        assert_eq!(
            answer_headers(&columns),
            ["Enfants – Enfant 1 – Prénom", "Enfants"]
        );
        let mut answers = Answers::new();
        answers.set("enfants", text("Léa et Tom"));
        let row = record(
            &columns,
            &RowMeta::default(),
            &old,
            &answers,
            &BTreeMap::new(),
        );
        assert_eq!(&row[FIXED_COLUMNS.len()..], ["", "Léa et Tom"]);
    }

    #[test]
    fn formulas_are_neutralised_but_negative_numbers_stay_numbers() {
        for cell in [
            "=1+1",
            "=HYPERLINK(\"http://exemple.fr\";\"Cliquez\")",
            "+1",
            "+33612345678",
            "-1+2",
            "-",
            "-12,",
            "--12",
            "@SUM(A1)",
            "\t42",
            "\r42",
            "  =1+1",
            "\u{A0}-cmd",
            "＝1+1",
        ] {
            assert_eq!(safe_cell(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in [
            "",
            "Club",
            "1234,5",
            "-12",
            "-1234,5",
            "-0.25",
            "06 12 34 56 78",
            "Léa ; Tom",
            "a=b",
            "'=déjà protégé",
        ] {
            assert!(
                matches!(safe_cell(cell), Cow::Borrowed(c) if c == cell),
                "{cell:?}"
            );
        }
    }

    #[test]
    fn the_file_is_utf8_with_a_bom_separated_by_semicolons_and_quoted() {
        let def = new_version();
        let columns = columns(std::slice::from_ref(&def));
        let header = header_bytes(&columns).expect("header");
        assert!(header.starts_with(BOM));
        let header = std::str::from_utf8(&header[BOM.len()..]).expect("UTF-8");
        assert!(
            header.starts_with(
                "Numéro;Statut;Déposé le;Dernière modification;Décidé le;Profil;\
                 Type de profil;Commune;SIRET;Déposé par;Courriel du déposant;\
                 Montant demandé (€);"
            ),
            "{header}"
        );
        assert!(header.ends_with("Bénévoles 1 – Nom\r\n"), "{header}");
        assert_eq!(header.matches("\r\n").count(), 1);

        let rows = vec![
            vec![
                "Été « 2026 »".to_owned(),
                "a;b".to_owned(),
                "Ligne 1\nLigne 2".to_owned(),
                "Il a dit \"oui\"".to_owned(),
                "=1+1".to_owned(),
                "-12,5".to_owned(),
                String::new(),
            ],
            vec![
                "2".to_owned(),
                "x".to_owned(),
                "y".to_owned(),
                "z".to_owned(),
                "@a".to_owned(),
                "1234,5".to_owned(),
                "fin".to_owned(),
            ],
        ];
        let bytes = write_records(rows.clone()).expect("records");
        let text = std::str::from_utf8(&bytes).expect("UTF-8");
        assert_eq!(
            text,
            "Été « 2026 »;\"a;b\";\"Ligne 1\nLigne 2\";\"Il a dit \"\"oui\"\"\";'=1+1;-12,5;\r\n\
             2;x;y;z;'@a;1234,5;fin\r\n"
        );
        // Batches make the same file as one writer.
        let first = write_records(rows[..1].to_vec()).expect("first");
        let second = write_records(rows[1..].to_vec()).expect("second");
        assert_eq!([first, second].concat(), bytes);

        // A reader finds the cells back, the accents intact.
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let read: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.expect("record").iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(read[0][0], "Été « 2026 »");
        assert_eq!(read[0][1], "a;b");
        assert_eq!(read[0][2], "Ligne 1\nLigne 2");
        assert_eq!(read[0][3], "Il a dit \"oui\"");
        assert_eq!(read[0][4], "'=1+1");
        assert_eq!(read[1][6], "fin");
        assert!(write_records(Vec::new()).expect("nothing").is_empty());
    }

    #[test]
    fn a_whole_export_reads_back_with_a_dossier_per_line() {
        let def = new_version();
        let columns = columns(std::slice::from_ref(&def));
        let mut answers = Answers::new();
        answers.set("nom", text("=cmd|' /C calc'!A0"));
        answers.set("projet", text("Premier ; second\n« troisième »"));
        let row = record(
            &columns,
            &RowMeta::default(),
            &def,
            &answers,
            &BTreeMap::new(),
        );
        let mut file = header_bytes(&columns).expect("header");
        file.extend(write_records([row.clone(), row]).expect("rows"));
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(&file[BOM.len()..]);
        let header = reader.headers().expect("headers").clone();
        assert_eq!(header.len(), columns.len());
        let records: Vec<::csv::StringRecord> =
            reader.records().map(|r| r.expect("record")).collect();
        assert_eq!(records.len(), 2);
        let at = |name: &str| {
            let index = header.iter().position(|h| h == name).expect("column");
            records[0][index].to_owned()
        };
        assert_eq!(at("Nom (nom)"), "'=cmd|' /C calc'!A0");
        assert_eq!(at("Projet"), "Premier ; second\n« troisième »");
    }
}
