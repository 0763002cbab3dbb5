//! The names the portal shows everywhere.

/// The département that runs this portal.
pub const DEPARTEMENT: &str = "Département de la Vallée-Verte";
/// The portal's name.
pub const PORTAL: &str = "Guichet";
