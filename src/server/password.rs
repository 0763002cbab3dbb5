//! Password hashing with Argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane),
//! always off the async runtime and behind a bound on concurrent hashes: a burst of
//! sign-ins queues here instead of taking every core from page rendering.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use crate::error::AppError;

/// At most half the cores hash at once (at least one).
static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new((cores / 2).max(1))
});

/// A hash of a random password, verified when the email is unknown so that answering
/// takes as long as for a known one.
static DUMMY: LazyLock<String> = LazyLock::new(|| {
    let mut bytes = [0u8; 24];
    argon2::password_hash::rand_core::RngCore::fill_bytes(&mut OsRng, &mut bytes);
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(&bytes, &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

async fn run_bounded<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let _permit = PERMITS
        .acquire()
        .await
        .map_err(|e| AppError::internal("password hashing semaphore closed", &e))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal("password hashing task failed", &e))?
}

fn hasher() -> Argon2<'static> {
    // 19 MiB, t=2, p=1: OWASP's recommended minimum for Argon2id.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> Result<String, AppError> {
    run_bounded(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal("password hashing failed", &e))
    })
    .await
}

/// Whether `password` matches the PHC string `stored`.
pub async fn verify(password: String, stored: String) -> Result<bool, AppError> {
    run_bounded(move || match PasswordHash::new(&stored) {
        Ok(parsed) => Ok(hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()),
        Err(e) => Err(AppError::internal("stored password hash is invalid", &e)),
    })
    .await
}

/// Verifies against the account's hash, or against a dummy hash when there is no
/// account (or its hash is unusable), so that both take the same time. Only a real
/// account with the right password answers `true`.
pub async fn verify_or_dummy(password: String, stored: Option<String>) -> Result<bool, AppError> {
    let usable = stored.filter(|s| PasswordHash::new(s).is_ok());
    let real = usable.is_some();
    let against = usable.unwrap_or_else(|| DUMMY.clone());
    Ok(verify(password, against).await? && real)
}

/// Hashes a password and throws the result away: the cost of a sign-up, paid when a
/// sign-up must look the same without creating anything.
pub async fn waste_hash(password: String) -> Result<(), AppError> {
    hash(password).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hash_then_verify() {
        let stored = super::hash("correct horse battery staple".into())
            .await
            .expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            super::verify("correct horse battery staple".into(), stored.clone())
                .await
                .expect("verify")
        );
        assert!(!super::verify("wrong".into(), stored).await.expect("verify"));
    }
}
