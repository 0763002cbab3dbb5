//! Password hashing with Argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane),
//! always off the async runtime.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

fn hasher() -> Argon2<'static> {
    // 19 MiB, t=2, p=1: OWASP's recommended minimum for Argon2id.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal("password hashing failed", &e))
    })
    .await
    .map_err(|e| AppError::internal("password hashing task failed", &e))?
}

/// Whether `password` matches the PHC string `stored`.
pub async fn verify(password: String, stored: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&stored) {
        Ok(parsed) => Ok(hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()),
        Err(e) => Err(AppError::internal("stored password hash is invalid", &e)),
    })
    .await
    .map_err(|e| AppError::internal("password verification task failed", &e))?
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
