//! Forms of the démarches: the definition (data), the answers of a dossier, their
//! checks and how they are shown. Shared by the server and the browser (`serde` and
//! `std` only).

pub mod answers;
pub mod checks;
pub mod definition;
pub mod review;
pub mod validate;
pub mod view;

#[cfg(test)]
mod fixtures;

pub use answers::{
    Answers, FileCounts, Value, add_group_item, condition_holds, field_visible, group_item_count,
    group_items, input_id, item_prefix, page_visible, path_after_removal, prune_hidden, read_page,
    remove_group_item, visible_attachment_paths, visible_pages,
};
pub use definition::{ChoiceDisplay, Condition, Field, FieldKind, FormDefinition, FormPage};
pub use review::{ReviewItem, ReviewPage, display_lines, review};
pub use validate::{
    completion, definition_problems, validate_all, validate_page, validate_page_at,
};
