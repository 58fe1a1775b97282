//! Password hashing with argon2id (OWASP parameters: 19 MiB, t=2, p=1).
//!
//! Hashing is CPU-bound for tens of milliseconds, so it runs on the blocking pool behind a
//! semaphore sized to the cores: login bursts queue here instead of starving the runtime,
//! and a request that cannot get a slot in time is answered 503 rather than waiting forever.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, anyhow};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use common::AppError;

/// How long a request may wait for a hashing slot before it is turned away.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(5);

/// Hashes and verifies passwords off the async runtime.
pub(crate) struct PasswordHashing {
    argon2: Argon2<'static>,
    slots: Arc<Semaphore>,
    /// Verified against when the email is unknown, so both failures cost the same.
    dummy_hash: String,
}

impl PasswordHashing {
    pub(crate) fn new(concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = argon2
            .hash_password(b"a password nobody has")
            .map_err(|e| anyhow!("cannot hash the dummy password: {e}"))?
            .to_string();
        Ok(Self { argon2, slots: Arc::new(Semaphore::new(concurrency)), dummy_hash })
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
        let permit = tokio::time::timeout(QUEUE_TIMEOUT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Unavailable)?
            .context("password hashing pool closed")?;
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .context("password hashing task failed")??;
        Ok(result)
    }
}
