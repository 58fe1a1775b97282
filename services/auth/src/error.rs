//! The auth service's own failures and the answer each gets, in one place.

use common::AppError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("the email is taken")]
    EmailTaken,
    /// Unknown email, wrong password or disabled account: one answer for all, so the response
    /// tells an attacker nothing about which accounts exist.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Unknown, expired, revoked or already used.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::EmailTaken => AppError::Conflict("an account with this email already exists".into()),
            AuthError::InvalidCredentials => AppError::Unauthorized("the email or password is wrong"),
            AuthError::InvalidRefreshToken => {
                AppError::Unauthorized("the refresh token is invalid or expired")
            }
            AuthError::Internal(cause) => AppError::Internal(cause),
        }
    }
}
