//! Server functions of the démarches. They read public information: anyone may call them.

use leptos::prelude::*;

use super::model::{CatalogueQuery, DemarcheCard, DemarcheDetail};
use crate::error::AppError;

/// The démarches of the home page's "Démarches à la Une" banner, in their order.
#[server]
pub async fn featured_demarches() -> Result<Vec<DemarcheCard>, AppError> {
    let state = crate::server::state::app_state()?;
    super::store::featured(&state.db).await
}

/// « Toutes les démarches »: the published démarches matching the words and the
/// audience chosen (both optional).
#[server]
pub async fn search_demarches(query: CatalogueQuery) -> Result<Vec<DemarcheCard>, AppError> {
    let state = crate::server::state::app_state()?;
    super::store::search(&state.db, &query).await
}

/// A published démarche by its slug.
#[server]
pub async fn demarche_by_slug(slug: String) -> Result<DemarcheDetail, AppError> {
    let state = crate::server::state::app_state()?;
    super::store::by_slug(&state.db, &slug).await
}
