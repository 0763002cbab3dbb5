//! The form definition of a démarche: data, not code. Stored in the database as JSON
//! (one frozen copy per published version), seeded from TOML files, read by the
//! server and the browser alike.

use serde::{Deserialize, Serialize};

/// A whole form: its pages in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FormDefinition {
    pub pages: Vec<FormPage>,
}

/// One page of the form, shown alone with the stepper « Étape 2 sur 5 : … ».
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormPage {
    /// Unique in the form; used in URLs and error anchors.
    pub key: String,
    pub title: String,
    /// An optional sentence under the page title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    /// The page is shown (and its fields asked) only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    pub fields: Vec<Field>,
}

/// A field: what every kind shares, and the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Unique in the whole form (repeated groups included); letters, digits, `_`.
    pub key: String,
    /// The question; for `section` the heading, for `explanation` the text.
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(default)]
    pub required: bool,
    /// The field is shown (and asked) only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// "Show this when the answer to `field` is `equals`". For yes/no the values are
/// `oui` and `non`; for a multiple choice, "is among the ticked options". A
/// condition may only name a field of an earlier page, or earlier on the same page
/// (outside repeated groups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub equals: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceDisplay {
    #[default]
    Radio,
    List,
}

/// The kinds of field. In TOML: `type = "short_text"` beside the common keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    ShortText {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    LongText {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        /// Whole numbers only (a count of people, of licences…).
        #[serde(default)]
        integer: bool,
        /// Shown after the input: « € », « km », « élèves ».
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
    Date {
        /// The date cannot be in the future (a birth date, a past event).
        #[serde(default)]
        past_only: bool,
    },
    Email,
    Phone,
    YesNo,
    SingleChoice {
        options: Vec<String>,
        #[serde(default)]
        display: ChoiceDisplay,
    },
    MultipleChoice {
        options: Vec<String>,
    },
    /// Three inputs: street line, postal code, commune.
    Address,
    Siret,
    Iban,
    Attachment {
        /// How many files this field accepts (default 3).
        #[serde(default = "default_max_files")]
        max_files: u8,
        /// The largest file in megabytes, within the portal's limit (`None`: the portal's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_size_mb: Option<u32>,
    },
    /// A heading inside a page; asks nothing.
    Section,
    /// A paragraph of explanation; asks nothing.
    Explanation,
    /// Fields repeated as many times as needed: « Ajouter un enfant ».
    Group {
        fields: Vec<Field>,
        /// The button: « Ajouter un enfant ».
        add_label: String,
        /// The heading of one item: « Enfant » gives « Enfant 1 », « Enfant 2 ».
        item_label: String,
        #[serde(default = "default_group_min")]
        min_items: u8,
        #[serde(default = "default_group_max")]
        max_items: u8,
    },
}

fn default_max_files() -> u8 {
    3
}

fn default_group_min() -> u8 {
    1
}

fn default_group_max() -> u8 {
    10
}

impl FieldKind {
    /// Section titles and explanations show something but ask nothing.
    pub fn asks(&self) -> bool {
        !matches!(self, FieldKind::Section | FieldKind::Explanation)
    }
}
