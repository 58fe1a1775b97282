//! Password hashing with argon2id (OWASP parameters: 19 MiB, t=2, p=1).
//!
//! Hashing is CPU-bound for tens of milliseconds, so it runs on the blocking pool behind a
//! semaphore sized to the cores: login bursts queue here instead of starving the runtime.
//! The line is bounded twice: a request that cannot get a slot in time is answered 503 rather
//! than waiting forever, and one that finds the line full is answered 503 at once, since it
//! would time out behind the others anyway.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, anyhow};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Semaphore, TryAcquireError};

use common::AppError;

/// How long a request may wait for a hashing slot before it is turned away.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(5);

/// Requests that may wait per hashing slot: about what one slot gets through in
/// [`QUEUE_TIMEOUT`] (a hash takes some 60 ms on one core).
pub(crate) const WAITING_PER_SLOT: usize = 64;

/// Hashes and verifies passwords off the async runtime.
pub(crate) struct PasswordHashing {
    argon2: Argon2<'static>,
    /// Hashing now or waiting for a slot: full means answer at once.
    admitted: Arc<Semaphore>,
    slots: Arc<Semaphore>,
    /// Verified against when the email is unknown, so both failures cost the same.
    dummy_hash: String,
}

impl PasswordHashing {
    /// `concurrency` hashes at once, and up to `waiting` more requests in line for them.
    pub(crate) fn new(concurrency: usize, waiting: usize) -> anyhow::Result<Self> {
        let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = argon2
            .hash_password(b"a password nobody has")
            .map_err(|e| anyhow!("cannot hash the dummy password: {e}"))?
            .to_string();
        Ok(Self {
            argon2,
            admitted: Arc::new(Semaphore::new(concurrency + waiting)),
            slots: Arc::new(Semaphore::new(concurrency)),
            dummy_hash,
        })
    }

    /// The PHC string of `password`.
    pub(crate) async fn hash(&self, password: SecretString) -> Result<String, AppError> {
        let argon2 = self.argon2.clone();
        self.run(move || {
            argon2
                .hash_password(password.expose_secret().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow!("cannot hash password: {e}"))
        })
        .await
    }

    /// Whether `password` matches `stored`; with no stored hash, checks a dummy one and
    /// answers false, taking as long as a real check.
    pub(crate) async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        let argon2 = self.argon2.clone();
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self
            .run(move || {
                Ok(argon2.verify_password(password.expose_secret().as_bytes(), hash.as_str()).is_ok())
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, AppError> {
        let admission = match self.admitted.clone().try_acquire_owned() {
            Ok(admission) => admission,
            Err(TryAcquireError::NoPermits) => return Err(AppError::Unavailable),
            Err(TryAcquireError::Closed) => return Err(anyhow!("password hashing pool closed").into()),
        };
        let permit = tokio::time::timeout(QUEUE_TIMEOUT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Unavailable)?
            .context("password hashing pool closed")?;
        let result = tokio::task::spawn_blocking(move || {
            let _held = (admission, permit);
            work()
        })
        .await
        .context("password hashing task failed")??;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_finding_the_line_full_is_turned_away_at_once() {
        // One hashing, one waiting: of six at once, four find the line full.
        let hashing = PasswordHashing::new(1, 1).unwrap();
        let hash = |i: u32| hashing.hash(SecretString::from(format!("password number {i}")));
        // Polled in order within one task, so all six ask before the first hash can finish.
        let (a, b, c, d, e, f) = tokio::join!(hash(0), hash(1), hash(2), hash(3), hash(4), hash(5));
        let answers = [a, b, c, d, e, f];
        let hashed = answers.iter().filter(|answer| answer.is_ok()).count();
        let turned_away =
            answers.iter().filter(|answer| matches!(answer, Err(AppError::Unavailable))).count();
        assert_eq!((hashed, turned_away), (2, 4));
        // The line empties: the next request is served.
        assert!(hashing.hash(SecretString::from("one more password")).await.is_ok());
    }
}
