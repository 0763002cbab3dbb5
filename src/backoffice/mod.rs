//! The back-office of the instructing services: « Instruction » home, the queues of
//! démarches, a dossier's instruction (actions, messages, annotations, documents),
//! the CSV export; and the citizen's « Mes documents reçus ».

pub mod api;
#[cfg(feature = "ssr")]
pub mod csv;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod handlers;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
