//! Password hashing with Argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane),
//! always off the async runtime and behind a bound on concurrent hashes: a burst of
//! sign-ins queues here instead of taking every core from page rendering.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use std::sync::LazyLock;
use std::sync::mpsc::TrySendError;

use tokio::sync::Semaphore;

use crate::error::AppError;

/// At most half the cores hash at once (at least one).
fn concurrent_hashes() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores / 2).max(1)
}

static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(concurrent_hashes()));

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

/// A hash to compute on a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads, one per permit, fed through one channel (`None`: they could
/// not be started, and hashes run on tokio's blocking pool instead).
///
/// Why threads of their own: each hash allocates its 19 MiB and frees it. On tokio's
/// blocking pool each hash ran on whichever of its 16 threads was free, and the
/// allocator (mimalloc, per-thread heaps) kept freed memory of several threads: in the
/// rush of 200 citizens (`scripts/rush.sh`) the server's peak was 163–180 MB while its
/// live heap never passed 43 MB (heaptrack). On these threads the same memory is used
/// again, already mapped: peak 153–157 MB, and 11–31 % more sign-ins per second.
static WORKERS: LazyLock<Option<std::sync::mpsc::SyncSender<Job>>> = LazyLock::new(|| {
    let threads = concurrent_hashes();
    // Room for a job per thread: with a permit held, a job never waits for room.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(threads);
    let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
    let mut started = 0;
    for i in 0..threads {
        let receiver = receiver.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                loop {
                    // Holding the lock only to take the next job.
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panic ends the job (its caller is told), not the thread.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return,
                    }
                }
            });
        match spawned {
            Ok(_) => started += 1,
            Err(e) => tracing::error!(
                error.chain = %crate::error::cause_chain(&e),
                "password hashing thread not started"
            ),
        }
    }
    (started > 0).then_some(sender)
});

async fn run_bounded<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let _permit = PERMITS
        .acquire()
        .await
        .map_err(|e| AppError::internal("password hashing semaphore closed", &e))?;
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    let job = match WORKERS.as_ref() {
        Some(workers) => match workers.try_send(job) {
            Ok(()) => None,
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => Some(job),
        },
        None => Some(job),
    };
    if let Some(job) = job {
        // No hashing thread to take it: tokio's blocking pool does.
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| AppError::internal("password hashing task failed", &e))?;
    }
    answered
        .await
        .map_err(|e| AppError::internal("password hashing thread failed", &e))?
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

    /// More hashes asked at once than there are hashing threads: they wait for a permit,
    /// each one runs on a hashing thread, and each caller gets its own answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashes_asked_together_each_get_their_answer() {
        let asked = (0..6).map(|i| {
            tokio::spawn(async move {
                let password = format!("mot de passe numéro {i}");
                let stored = super::hash(password.clone()).await.expect("hash");
                let right = super::verify(password, stored.clone())
                    .await
                    .expect("verify");
                let wrong = super::verify(format!("autre {i}"), stored)
                    .await
                    .expect("verify");
                let thread = super::run_bounded(|| {
                    Ok(std::thread::current().name().unwrap_or_default().to_owned())
                })
                .await
                .expect("run");
                (right, wrong, thread)
            })
        });
        for answer in futures::future::join_all(asked).await {
            let (right, wrong, thread) = answer.expect("task");
            assert!(right && !wrong);
            assert!(thread.starts_with("argon2-"), "ran on {thread}");
        }
    }
}
