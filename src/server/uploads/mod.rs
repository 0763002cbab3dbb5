//! Attachments sent with a dossier (server only).
//!
//! [`sniff`] decides, from the bytes alone and while the upload streams in, whether a
//! file is one of the accepted kinds (PDF, JPEG, PNG, WebP) and explains any refusal in
//! French. Storage and the HTTP handlers build on it.

pub mod sniff;
