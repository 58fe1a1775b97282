//! Rotating a refresh token: the presented token is spent and its successor issued in one
//! transaction; a spent token presented again (a sign it was stolen) revokes its whole family.

use chrono::{Duration as ChronoDuration, Utc};
use common::AppError;

use crate::{
    error::AuthError,
    state::AppState,
    store::{
        accounts::{self, Account, Status},
        refresh_tokens::{self, NewToken},
    },
    tokens::{self, RefreshToken},
};

/// Spends `presented` and returns its account (read afresh, so a changed role reaches the next
/// access token) with the refresh token that replaces it; 401 for anything not usable.
pub(crate) async fn rotate(state: &AppState, presented: &str) -> Result<(Account, RefreshToken), AppError> {
    let presented = tokens::hash(presented);
    let now = Utc::now();
    let mut tx = state.pool.begin().await?;
    let stored = refresh_tokens::lock(&mut *tx, &presented).await?.ok_or(AuthError::InvalidRefreshToken)?;
    if stored.used_at.is_some() && stored.revoked_at.is_none() {
        // A rotated token came back: whoever holds the family, it is no longer safe.
        let revoked = refresh_tokens::revoke_family(&mut *tx, stored.family_id, now).await?;
        tx.commit().await?;
        tracing::warn!(account = %stored.account_id, revoked, "refresh token reused; session revoked");
        return Err(AuthError::InvalidRefreshToken.into());
    }
    if stored.revoked_at.is_some() || stored.used_at.is_some() || stored.expires_at <= now {
        return Err(AuthError::InvalidRefreshToken.into());
    }
    let account = accounts::find_by_id(&mut *tx, stored.account_id)
        .await?
        .filter(|a| a.status == Status::Active)
        .ok_or(AuthError::InvalidRefreshToken)?;
    let next = RefreshToken::generate()?;
    refresh_tokens::mark_used(&mut *tx, &presented, now).await?;
    let token = NewToken {
        hash: &next.hash,
        family_id: stored.family_id,
        account_id: account.id,
        issued_at: now,
        expires_at: now + refresh_ttl(state),
    };
    refresh_tokens::insert(&mut *tx, token).await?;
    tx.commit().await?;
    Ok((account, next))
}

/// How long a refresh token lives.
pub(crate) fn refresh_ttl(state: &AppState) -> ChronoDuration {
    ChronoDuration::from_std(state.refresh_ttl).unwrap_or(ChronoDuration::days(30))
}
