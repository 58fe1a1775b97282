//! A JWKS client: fetches the public keys auth serves, caches them, and refetches when a token
//! names a `kid` it does not know (key rotation), at most once per cooldown so forged kids
//! cannot make it hammer auth.

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use jsonwebtoken::{
    DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet},
};
use tokio::sync::{Mutex, RwLock};

use super::KeySource;
use crate::tls::ClientTls;

/// Keys older than this are refetched on the next lookup.
const MAX_AGE: Duration = Duration::from_secs(300);
/// Least time between two fetches triggered by unknown kids.
const COOLDOWN: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Arc<DecodingKey>>,
    fetched_at: Option<Instant>,
}

/// Public keys fetched from a JWKS URL.
pub struct JwksClient {
    http: reqwest::Client,
    url: String,
    cache: RwLock<Cache>,
    fetching: Mutex<()>,
}

impl JwksClient {
    /// A client for `url`, e.g. `http://auth:8081/.well-known/jwks.json`; an `https` URL is
    /// verified against the platform's roots.
    pub fn new(url: impl Into<String>) -> anyhow::Result<Self> {
        Self::with_tls(url, &ClientTls::default())
    }

    /// A client for `url` that also trusts the extra roots of `tls` (`TLS_CA_FILE`: auth's
    /// certificate may come from an internal CA).
    pub fn with_tls(url: impl Into<String>, tls: &ClientTls) -> anyhow::Result<Self> {
        let http = tls
            .client_builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .context("cannot build the JWKS HTTP client")?;
        Ok(Self { http, url: url.into(), cache: RwLock::default(), fetching: Mutex::new(()) })
    }

    async fn lookup(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        {
            let cache = self.cache.read().await;
            let fresh = cache.fetched_at.is_some_and(|at| at.elapsed() < MAX_AGE);
            if let Some(key) = cache.keys.get(kid).filter(|_| fresh) {
                return Some(key.clone());
            }
        }
        self.refresh().await;
        self.cache.read().await.keys.get(kid).cloned()
    }

    async fn refresh(&self) {
        // One fetch at a time; whoever waited finds the cache just refreshed.
        let _guard = self.fetching.lock().await;
        if self.cache.read().await.fetched_at.is_some_and(|at| at.elapsed() < COOLDOWN) {
            return;
        }
        match self.fetch().await {
            Ok(keys) => {
                *self.cache.write().await = Cache { keys, fetched_at: Some(Instant::now()) };
            }
            // Keep the keys we had: an auth outage should not log everyone out.
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), url = %self.url, "cannot refresh JWKS")
            }
        }
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, Arc<DecodingKey>>> {
        let set: JwkSet = self.http.get(&self.url).send().await?.error_for_status()?.json().await?;
        Ok(set.keys.iter().filter_map(usable_key).collect())
    }
}

impl KeySource for JwksClient {
    fn key<'a>(
        &'a self,
        kid: &'a str,
    ) -> Pin<Box<dyn Future<Output = Option<Arc<DecodingKey>>> + Send + 'a>> {
        Box::pin(self.lookup(kid))
    }
}

/// The kid and key of a JWK shopper can verify with: Ed25519 with a kid; others are skipped.
pub(super) fn usable_key(jwk: &Jwk) -> Option<(String, Arc<DecodingKey>)> {
    let AlgorithmParameters::OctetKeyPair(params) = &jwk.algorithm else {
        return None;
    };
    if params.curve != EllipticCurve::Ed25519 {
        return None;
    }
    let kid = jwk.common.key_id.clone()?;
    let key = DecodingKey::from_ed_components(&params.x).ok()?;
    Some((kid, Arc::new(key)))
}
