//! What a handler answers when it did not apply an event.

use std::{future::Future, pin::Pin, time::Duration};

/// Why a handler did not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Might work later (a dependency is down, the provider said "slow down"). Retried, not
    /// sooner than `after` when given.
    #[error("retry: {reason}")]
    Retry {
        /// What went wrong.
        reason: String,
        /// The earliest useful retry, e.g. from a `Retry-After` header.
        after: Option<Duration>,
    },
    /// Can never work (a malformed payload, a permanent refusal). Parked at once.
    #[error("rejected: {0}")]
    Reject(String),
    /// Anything unexpected; retried.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<events::DecodeError> for HandlerError {
    fn from(error: events::DecodeError) -> Self {
        Self::Reject(error.to_string())
    }
}

/// The future a handler returns.
pub(crate) type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;
