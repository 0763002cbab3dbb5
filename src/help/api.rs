use leptos::prelude::*;

use super::model::{ContentDoc, ContentPage};
use crate::error::AppError;

/// An editorial page. Public: anyone may read it.
#[server]
pub async fn get_content_page(page: ContentPage) -> Result<ContentDoc, AppError> {
    Ok(super::store::document(page).clone())
}
