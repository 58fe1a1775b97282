//! Throttling of sign-in and sign-up: 429 with `Retry-After` once a limit is reached.
//!
//! Two limits, each where it works best:
//!
//! - **Per account, in the database.** Failed sign-ins in a row are counted in the auth schema
//!   (`login_attempts`), so the count holds across every instance behind the load balancer (the
//!   autoscaler adds and removes them) and across restarts; an in-memory count would give an
//!   attacker `limit × instances` guesses and a fresh start with every deploy. After
//!   `AUTH_LOGIN_MAX_FAILURES` the account answers 429 without checking the password until its
//!   window (`AUTH_LOGIN_FAILURE_WINDOW_SECS`) ends; refused attempts do not extend it, so an
//!   attacker gets a few guesses per window and the owner is never locked out for longer than
//!   one window at a time. Other accounts are untouched. Unknown emails are counted the same
//!   way, so a lock tells nothing about whether an account exists.
//! - **Per client address, in memory** (`governor`, per instance). A cheap burst limit that
//!   turns away a flood from one address before it costs a database round trip or an argon2
//!   hash; being approximate across instances is fine for that.
//!
//! `AUTH_RATE_LIMIT=off` turns both off (load tests and benchmarks).

mod address;
mod failures;
mod settings;

use std::{net::IpAddr, time::Duration};

use common::AppError;
use common::db::Pool;
use uuid::Uuid;

pub(crate) use address::ClientAddress;
pub use settings::{AddressQuota, ThrottleSettings};

use address::AddressLimiter;
use failures::{Admission, FailureCounter, Subject};

/// Every limit of one instance; does nothing when throttling is off.
pub(crate) struct Throttle {
    limits: Option<Limits>,
    trusted_proxy_hops: usize,
}

struct Limits {
    login_by_address: AddressLimiter,
    register_by_address: AddressLimiter,
    failures: FailureCounter,
}

/// A sign-in that was let through to the password check.
pub(crate) struct LoginAttempt(Option<Subject>);

impl Throttle {
    /// `secret` keys the hashes accounts are counted under; every instance must pass the same.
    pub(crate) fn new(settings: &ThrottleSettings, secret: &[u8]) -> anyhow::Result<Self> {
        let limits = if settings.enabled {
            Some(Limits {
                login_by_address: AddressLimiter::new(settings.login_per_address),
                register_by_address: AddressLimiter::new(settings.register_per_address),
                failures: FailureCounter::new(
                    secret,
                    settings.login_max_failures.get(),
                    settings.login_failure_window,
                )?,
            })
        } else {
            tracing::warn!("AUTH_RATE_LIMIT=off: sign-in and sign-up are not throttled");
            None
        };
        Ok(Self { limits, trusted_proxy_hops: settings.trusted_proxy_hops })
    }

    pub(crate) fn trusted_proxy_hops(&self) -> usize {
        self.trusted_proxy_hops
    }

    /// One registration from `client`.
    pub(crate) fn register_from(&self, client: ClientAddress) -> Result<(), AppError> {
        match (&self.limits, client.0) {
            (Some(limits), Some(address)) => {
                by_address(&limits.register_by_address, address, "registrations_by_address")
            }
            _ => Ok(()),
        }
    }

    /// One sign-in from `client`, before anything is looked up.
    pub(crate) fn login_from(&self, client: ClientAddress) -> Result<(), AppError> {
        match (&self.limits, client.0) {
            (Some(limits), Some(address)) => {
                by_address(&limits.login_by_address, address, "sign_ins_by_address")
            }
            _ => Ok(()),
        }
    }

    /// Counts a sign-in with `email` (held by `account`, if any) before its password is
    /// checked; 429 when the account is locked.
    pub(crate) async fn login_attempt(
        &self,
        pool: &Pool,
        account: Option<Uuid>,
        email: &str,
    ) -> Result<LoginAttempt, AppError> {
        let Some(limits) = &self.limits else { return Ok(LoginAttempt(None)) };
        let subject = limits.failures.subject(account, email);
        match limits.failures.admit(pool, &subject).await? {
            Admission::Allowed => Ok(LoginAttempt(Some(subject))),
            Admission::Locked { retry_after } => {
                tracing::info!(account = ?account, "sign-in refused: too many failures in a row");
                metrics::counter!(THROTTLED, "limit" => "failures_in_a_row").increment(1);
                Err(AppError::TooManyRequests { retry_after })
            }
        }
    }

    /// The password was right: the failures before it are forgotten.
    pub(crate) async fn login_succeeded(&self, pool: &Pool, attempt: LoginAttempt) -> Result<(), AppError> {
        if let (Some(limits), Some(subject)) = (&self.limits, attempt.0) {
            limits.failures.succeeded(pool, &subject).await?;
        }
        Ok(())
    }
}

/// Requests refused by a limit, by `limit`.
const THROTTLED: &str = "auth_throttled_total";

fn by_address(limiter: &AddressLimiter, address: IpAddr, limit: &'static str) -> Result<(), AppError> {
    limiter.check(address).map_err(|retry_after: Duration| {
        tracing::debug!(client = %address, limit, "too many requests from one address");
        metrics::counter!(THROTTLED, "limit" => limit).increment(1);
        AppError::TooManyRequests { retry_after }
    })
}
