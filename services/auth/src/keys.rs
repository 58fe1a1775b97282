//! Which key signs tokens: the configured one, or else one generated once and kept in the auth
//! schema, so restarts and every instance sign with the same key.

use anyhow::Context;
use common::db::Pool;
use common::jwt::SigningKey;

use crate::store::signing_keys;

pub(crate) async fn load_or_create(
    configured: Option<SigningKey>,
    pool: &Pool,
) -> anyhow::Result<SigningKey> {
    if let Some(key) = configured {
        tracing::info!(kid = key.kid(), "signing with the configured key");
        return Ok(key);
    }
    if signing_keys::current(pool).await?.is_none() {
        let fresh = SigningKey::generate()?;
        signing_keys::insert_current_unless_present(pool, fresh.kid(), fresh.pkcs8_der()).await?;
    }
    // Read back: when instances start together, the first insert is the one all of them use.
    let (kid, der) = signing_keys::current(pool).await?.context("no signing key after storing one")?;
    let key = SigningKey::from_pkcs8_der(&der, Some(kid)).context("the stored signing key is unreadable")?;
    tracing::info!(kid = key.kid(), "signing with the stored key");
    Ok(key)
}
