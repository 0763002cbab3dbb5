//! Dossiers: drafts, their pages and files, submission, « Mes brouillons » and
//! « Mes dossiers », the PDF copy.

pub mod api;
#[cfg(feature = "ssr")]
pub mod handlers;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod pdf;
#[cfg(feature = "ssr")]
pub mod service;
