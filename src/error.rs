//! The one error type of the portal, shared by the server and the browser.
//!
//! Every variant carries what the user may read (in French). Causes are never sent
//! to the browser: the server logs them with their whole chain when the error is made.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A message about one form field, shown next to it and in the error summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The `name` of the form field (also the `id` suffix of its input).
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("Vous devez vous connecter pour continuer.")]
    Unauthenticated,
    #[error("Vous n’avez pas accès à cette page.")]
    Forbidden,
    #[error(
        "Confirmez d’abord votre adresse électronique : suivez le lien du courriel que nous vous avons envoyé."
    )]
    EmailNotVerified,
    #[error("Le formulaire contient des erreurs : corrigez les champs signalés.")]
    Validation(Vec<FieldError>),
    /// Like `Validation`, with the values the person typed, so that a form sent without
    /// JavaScript comes back filled in (never passwords).
    #[error("Le formulaire contient des erreurs : corrigez les champs signalés.")]
    Invalid {
        errors: Vec<FieldError>,
        kept: Vec<(String, String)>,
    },
    /// The dossier is transmitted: the citizen can no longer change it (unless the
    /// instructors ask for compléments).
    #[error(
        "Ce dossier a été transmis : vous ne pouvez plus le modifier. Vous pouvez le consulter dans « Mes dossiers »."
    )]
    NotEditable,
    /// Someone else changed the dossier since the page was loaded (optimistic lock).
    #[error(
        "Ce dossier vient d’être modifié par une autre personne : votre action n’a pas été enregistrée. Relisez le dossier à jour, puis recommencez si besoin."
    )]
    Stale,
    /// A link from an email that is expired, already used or unknown.
    #[error("Ce lien n’est plus valide : il a expiré ou a déjà été utilisé.")]
    InvalidLink,
    #[error("Trop de tentatives. Réessayez dans {} minute(s).", retry_after_secs.div_ceil(60).max(1))]
    RateLimited { retry_after_secs: u64 },
    #[error(
        "Une erreur inattendue s’est produite. Réessayez dans quelques instants ; \
         si le problème persiste, contactez le Département."
    )]
    Internal,
    /// The database cannot be reached for now (stopped, restarting, network cut): a
    /// 503 page in French; the portal recovers by itself when it is back.
    #[error("Le service est momentanément indisponible. Réessayez dans quelques instants.")]
    Unavailable,
    /// The request could not reach the server, or its answer could not be read.
    #[error("Le portail ne répond pas. Vérifiez votre connexion et réessayez.")]
    Transport(String),
}

impl AppError {
    pub fn not_found() -> Self {
        AppError::NotFound("La page que vous cherchez n’existe pas ou a été déplacée.".into())
    }

    pub fn field(field: &str, message: &str) -> Self {
        AppError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// Field errors, with the typed values to keep.
    pub fn invalid(errors: Vec<FieldError>, kept: &[(&str, &str)]) -> Self {
        AppError::Invalid {
            errors,
            kept: kept
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// The field errors, if this is a validation error.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Validation(errors) | AppError::Invalid { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The message of one field, for inline display.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.field_errors()
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }

    /// The value the person typed in a field, kept by a validation error.
    pub fn kept_value(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid { kept, .. } => kept
                .iter()
                .find(|(k, _)| k == field)
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }

    /// The HTTP status the error maps to.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::EmailNotVerified => 403,
            AppError::NotEditable | AppError::Stale => 409,
            AppError::Validation(_) | AppError::Invalid { .. } => 422,
            AppError::InvalidLink => 410,
            AppError::RateLimited { .. } => 429,
            AppError::Internal => 500,
            AppError::Unavailable => 503,
            AppError::Transport(_) => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::ServerError(_) => AppError::Internal,
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
    use std::error::Error;

    /// Formats an error with every cause behind it: `a: b: c`.
    pub fn cause_chain(error: &(dyn Error + 'static)) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    impl AppError {
        /// Logs an unexpected error with its cause chain and returns the generic
        /// message for the user.
        pub fn internal(context: &str, error: &(dyn Error + 'static)) -> Self {
            tracing::error!(error.chain = %cause_chain(error), "{context}");
            AppError::Internal
        }

        /// Logs an unexpected condition that has no error value.
        pub fn internal_msg(context: &str) -> Self {
            tracing::error!("{context}");
            AppError::Internal
        }

        /// A failure of the session store. Sessions live in the database: when it
        /// cannot be reached this is `Unavailable` (503), otherwise `Internal`.
        pub fn session(context: &str, error: &tower_sessions::session::Error) -> Self {
            use tower_sessions::session::Error as SessionError;
            use tower_sessions::session_store::Error as StoreError;
            match error {
                SessionError::Store(StoreError::Backend(message))
                    if message.starts_with(crate::server::session::UNREACHABLE) =>
                {
                    tracing::error!(error.chain = %cause_chain(error), "{context}: database unreachable");
                    AppError::Unavailable
                }
                _ => AppError::internal(context, error),
            }
        }
    }

    /// Whether a database error says that the database cannot be reached (connection
    /// refused or dropped, no connection within the pool's timeout, server shutting
    /// down or starting up) rather than that a query went wrong.
    pub fn is_unreachable(error: &sea_orm::DbErr) -> bool {
        use sea_orm::sqlx::Error as Sqlx;
        use sea_orm::{DbErr, RuntimeErr};
        match error {
            DbErr::ConnectionAcquire(_) => true,
            DbErr::Conn(RuntimeErr::SqlxError(e))
            | DbErr::Exec(RuntimeErr::SqlxError(e))
            | DbErr::Query(RuntimeErr::SqlxError(e)) => match &**e {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed => true,
                // SQLSTATE class 08 (connection exception), 57P (operator intervention:
                // shutdown, crash, cannot connect now).
                Sqlx::Database(db) => db
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
                _ => false,
            },
            _ => false,
        }
    }

    impl From<sea_orm::DbErr> for AppError {
        fn from(error: sea_orm::DbErr) -> Self {
            if is_unreachable(&error) {
                tracing::error!(error.chain = %cause_chain(&error), "database unreachable");
                return AppError::Unavailable;
            }
            AppError::internal("database error", &error)
        }
    }

    impl From<sea_orm::TransactionError<AppError>> for AppError {
        fn from(error: sea_orm::TransactionError<AppError>) -> Self {
            match error {
                sea_orm::TransactionError::Connection(db) => db.into(),
                sea_orm::TransactionError::Transaction(app) => app,
            }
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::{cause_chain, is_unreachable};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_message_rounds_up_to_minutes() {
        let e = AppError::RateLimited {
            retry_after_secs: 61,
        };
        assert_eq!(
            e.to_string(),
            "Trop de tentatives. Réessayez dans 2 minute(s)."
        );
    }

    #[test]
    fn transport_errors_are_not_internal() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Request("offline".into()));
        assert!(matches!(e, AppError::Transport(_)));
        assert_eq!(e.status_code(), 502);
    }

    #[test]
    fn field_message_finds_the_field() {
        let e = AppError::field("email", "Saisissez votre adresse électronique.");
        assert_eq!(
            e.field_message("email").as_deref(),
            Some("Saisissez votre adresse électronique.")
        );
        assert_eq!(e.field_message("password"), None);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn an_unreachable_database_is_a_503_not_a_500() {
        use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
        use std::sync::Arc;
        let refused = || {
            sea_orm::sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
        };
        for unreachable in [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::Conn(RuntimeErr::SqlxError(Arc::new(refused()))),
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(refused()))),
        ] {
            let e = AppError::from(unreachable);
            assert_eq!(e, AppError::Unavailable);
            assert_eq!(e.status_code(), 503);
            assert_eq!(
                e.to_string(),
                "Le service est momentanément indisponible. Réessayez dans quelques instants."
            );
        }
        for broken in [
            DbErr::Custom("bad query".into()),
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(
                sea_orm::sqlx::Error::RowNotFound,
            ))),
        ] {
            assert_eq!(AppError::from(broken), AppError::Internal);
        }
    }
}
