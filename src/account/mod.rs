//! Accounts: roles now; sign-up, sign-in and « Mon compte » come next.

pub mod model;
