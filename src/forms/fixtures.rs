//! Helpers of the forms tests.

use super::definition::FormDefinition;

/// A definition from the JSON of its pages (the shape stored in the database).
pub fn definition(pages: serde_json::Value) -> FormDefinition {
    serde_json::from_value(serde_json::json!({ "pages": pages })).expect("test definition")
}

/// Posted pairs from string slices.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}
