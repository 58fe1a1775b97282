//! Sign-in attempts per account, counted in the auth schema so every instance sees one count.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use anyhow::Context;
use aws_lc_rs::{hkdf, hmac};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use common::db::Pool;
use uuid::Uuid;

use crate::store::login_attempts;

/// Whom an attempt is counted against: an HMAC of the account id, or of the email when no
/// account has it, so the table holds no email and no id, and an unknown email is locked
/// exactly like a known one.
#[derive(Clone)]
pub(crate) struct Subject([u8; 32]);

/// How many counted attempts pass between prunes of finished windows.
const PRUNE_EVERY: u32 = 256;
/// Rows deleted by one prune at most, so it stays a short statement.
const PRUNE_BATCH: u32 = 1000;

pub(crate) struct FailureCounter {
    key: hmac::Key,
    max_failures: u32,
    window: ChronoDuration,
    counted: AtomicU32,
}

/// The outcome of counting one attempt.
pub(crate) enum Admission {
    /// Go on and check the password.
    Allowed,
    /// Locked: no password is checked until the window ends.
    Locked { retry_after: Duration },
}

impl FailureCounter {
    /// `secret` seeds the HMAC key; every instance must pass the same one.
    pub(crate) fn new(secret: &[u8], max_failures: u32, window: Duration) -> anyhow::Result<Self> {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"shopper auth sign-in attempts");
        let key: hmac::Key = salt
            .extract(secret)
            .expand(&[b"subject v1".as_slice()], hmac::HMAC_SHA256)
            .map_err(|_| anyhow::anyhow!("cannot derive the sign-in attempts key"))?
            .into();
        let window = ChronoDuration::from_std(window).context("the sign-in failure window is too long")?;
        Ok(Self { key, max_failures, window, counted: AtomicU32::new(0) })
    }

    /// The subject for a sign-in with `email`, by `account` when one has that email.
    pub(crate) fn subject(&self, account: Option<Uuid>, email: &str) -> Subject {
        let tag = match account {
            Some(id) => hmac::sign(&self.key, &[b"account:".as_slice(), id.as_bytes().as_slice()].concat()),
            None => hmac::sign(&self.key, format!("email:{}", email.trim().to_lowercase()).as_bytes()),
        };
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(tag.as_ref());
        Subject(bytes)
    }

    /// Counts an attempt before its password is checked, so parallel guesses on any number of
    /// instances cannot get past the limit; a success then clears the count. Attempts refused
    /// while locked do not move the window, so a lock ends at the latest one window after the
    /// first failure.
    pub(crate) async fn admit(&self, pool: &Pool, subject: &Subject) -> anyhow::Result<Admission> {
        let now = Utc::now();
        let stale_before = now - self.window;
        // One past the limit is enough to mean "locked"; the count stops there.
        let cap = i32::try_from(self.max_failures.saturating_add(1)).unwrap_or(i32::MAX);
        login_attempts::count(pool, &subject.0, now, stale_before, cap).await?;
        self.prune_now_and_then(pool, stale_before).await;
        let Some(current) = login_attempts::find(pool, &subject.0).await? else {
            // Cleared by a concurrent success a moment ago.
            return Ok(Admission::Allowed);
        };
        if u32::try_from(current.attempts).unwrap_or(0) <= self.max_failures {
            return Ok(Admission::Allowed);
        }
        Ok(Admission::Locked { retry_after: self.until_window_ends(current.window_started_at, now) })
    }

    /// The password was right: the account starts with a clean slate.
    pub(crate) async fn succeeded(&self, pool: &Pool, subject: &Subject) -> anyhow::Result<()> {
        login_attempts::clear(pool, &subject.0).await?;
        Ok(())
    }

    fn until_window_ends(&self, started: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
        (started + self.window - now).to_std().unwrap_or(Duration::ZERO)
    }

    /// Windows that ended (most of them of unknown emails, which no success ever clears) are
    /// deleted in small batches; a failure here only delays that.
    async fn prune_now_and_then(&self, pool: &Pool, stale_before: DateTime<Utc>) {
        if self.counted.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY != PRUNE_EVERY - 1 {
            return;
        }
        match login_attempts::prune(pool, stale_before, PRUNE_BATCH).await {
            Ok(deleted) => tracing::debug!(deleted, "pruned finished sign-in windows"),
            Err(error) => tracing::warn!(error = %error, "cannot prune finished sign-in windows"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(secret: &[u8]) -> FailureCounter {
        FailureCounter::new(secret, 10, Duration::from_secs(900)).unwrap()
    }

    #[test]
    fn subjects_hide_the_email_and_the_account_id() {
        let counter = counter(b"secret");
        let id = Uuid::now_v7();
        let by_email = counter.subject(None, "ada@example.com");
        let by_account = counter.subject(Some(id), "ada@example.com");
        assert!(!by_email.0.windows(3).any(|w| w == b"ada"));
        assert!(!by_account.0.windows(16).any(|w| w == id.as_bytes()));
        assert_ne!(by_email.0, by_account.0);
    }

    #[test]
    fn an_unknown_email_is_one_subject_in_any_letter_case_and_spacing() {
        let counter = counter(b"secret");
        assert_eq!(counter.subject(None, " Ada@Example.com").0, counter.subject(None, "ada@example.com").0);
        assert_ne!(counter.subject(None, "bob@example.com").0, counter.subject(None, "ada@example.com").0);
    }

    #[test]
    fn instances_with_the_same_secret_agree_and_others_do_not() {
        let id = Uuid::now_v7();
        assert_eq!(counter(b"one").subject(Some(id), "").0, counter(b"one").subject(Some(id), "").0);
        assert_ne!(counter(b"one").subject(Some(id), "").0, counter(b"two").subject(Some(id), "").0);
    }

    #[test]
    fn a_lock_lasts_until_its_window_ends() {
        let counter = counter(b"secret");
        let started = Utc::now();
        let wait = counter.until_window_ends(started, started + ChronoDuration::seconds(100));
        assert_eq!(wait, Duration::from_secs(800));
        assert_eq!(
            counter.until_window_ends(started, started + ChronoDuration::seconds(2000)),
            Duration::ZERO
        );
    }
}
