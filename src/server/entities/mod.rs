//! sea-orm entities (server only).

pub mod account;
pub mod account_token;
pub mod demarche;
pub mod demarche_service;
pub mod demarche_version;
pub mod document_read;
pub mod dossier;
pub mod dossier_annotation;
pub mod dossier_event;
pub mod dossier_file;
pub mod dossier_follower;
pub mod dossier_message;
pub mod message_file;
pub mod outbox;
pub mod profile;
pub mod profile_event;
pub mod profile_member;
pub mod profile_share;
pub mod rate_limit;
pub mod received_document;
pub mod recovery_code;
pub mod service;
pub mod service_member;
pub mod session;
pub mod trusted_device;
