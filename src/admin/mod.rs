//! The administration: démarches and their form builder, notification emails,
//! « Démarches à la Une », instructing services, users and the audit log.

pub mod api;
pub mod builder;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod handlers;
#[cfg(feature = "ssr")]
pub mod service;
