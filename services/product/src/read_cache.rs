//! `GET /product/{id}` from memory, kept true without the broker.
//!
//! Each replica keeps the products it served lately, rendered (the JSON body and its version, the
//! ETag), for at most [`TIME_TO_LIVE`]. Every change to a product, whichever replica or consumer
//! made it (a PUT, an import, a reservation), sets its `updated_at`; each replica reads the
//! changes of the last moments every [`FOLLOW_EVERY`] (`ix_products_updated`) and drops what it
//! holds of an older version. So a change is served everywhere within about a poll, a replica's
//! own changes at once, and nothing depends on RabbitMQ: with the broker down, reads stay as fresh.
//!
//! Bounds, as operators can rely on them:
//! - A change committed within [`OVERLAP`] of the moment its transaction read the clock (every
//!   write here takes milliseconds) reaches every replica's reads within `FOLLOW_EVERY` plus one
//!   query, well under a second, provided the replicas' clocks agree within a second (NTP).
//! - Any change, even one whose transaction waited longer on a lock, is served for at most
//!   `TIME_TO_LIVE` after its commit: no entry lives longer.
//! - `If-None-Match` is answered from the database, never from memory: a 304 never hides a change.

use std::{sync::Arc, time::Duration};

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use common::db::Pool;
use common::expiring::ExpiringCache;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::store::{indexing, products::Product};

/// No product is served from memory older than this.
pub(crate) const TIME_TO_LIVE: Duration = Duration::from_secs(5);
/// How often each replica reads the catalogue's latest changes.
pub(crate) const FOLLOW_EVERY: Duration = Duration::from_millis(200);
/// How far back each read of the changes reaches before the previous one: covers a transaction
/// that committed a moment after it stamped its change, and clocks a little apart.
const OVERLAP: Duration = Duration::from_secs(2);
/// Changes read at once; more than this since the last read and the whole cache is dropped.
const CHANGES_AT_ONCE: u32 = 5000;

/// A product as `GET /product/{id}` answers it.
pub(crate) struct Rendered {
    pub(crate) version: i64,
    pub(crate) body: Bytes,
}

/// The products this replica served lately; `None` when turned off (`PRODUCT_READ_CACHE_ENTRIES=0`).
#[derive(Clone)]
pub(crate) struct ReadCache(Option<Arc<ExpiringCache<Uuid, Arc<Rendered>>>>);

impl ReadCache {
    pub(crate) fn new(entries: usize) -> Self {
        Self((entries > 0).then(|| Arc::new(ExpiringCache::new(entries, TIME_TO_LIVE))))
    }

    pub(crate) fn get(&self, id: Uuid) -> Option<Arc<Rendered>> {
        self.0.as_ref()?.get(&id)
    }

    /// Renders `product` and keeps it (when on).
    pub(crate) fn keep(&self, product: &Product) -> Result<Arc<Rendered>, serde_json::Error> {
        let rendered =
            Arc::new(Rendered { version: product.version, body: serde_json::to_vec(product)?.into() });
        if let Some(entries) = &self.0 {
            entries.insert(product.id, rendered.clone());
        }
        Ok(rendered)
    }

    /// Drops what is held of `id` if it is older than `version`.
    pub(crate) fn changed(&self, id: Uuid, version: i64) {
        if let Some(entries) = &self.0 {
            entries.remove_if(&id, |held| held.version < version);
        }
    }

    /// Drops what is held of `id`, whatever its version (this replica just changed it).
    pub(crate) fn forget(&self, id: Uuid) {
        if let Some(entries) = &self.0 {
            entries.remove(&id);
        }
    }

    fn clear(&self) {
        if let Some(entries) = &self.0 {
            entries.clear();
        }
    }

    fn is_on(&self) -> bool {
        self.0.is_some()
    }
}

/// Follows the catalogue's changes into one replica's cache.
pub(crate) struct ChangeFollower {
    pub(crate) pool: Pool,
    pub(crate) cache: ReadCache,
}

impl ChangeFollower {
    /// Until `stop`. While the database does not answer, the cache is dropped: without the
    /// changes, nothing held can be trusted beyond what the time to live allows anyway.
    pub(crate) async fn run(self, stop: CancellationToken) {
        if !self.cache.is_on() {
            return;
        }
        let mut since = Utc::now() - OVERLAP;
        let mut failing = false;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(FOLLOW_EVERY) => {}
            }
            let started = Utc::now();
            match self.follow(since).await {
                Ok(()) => {
                    since = started - OVERLAP;
                    failing = false;
                }
                Err(error) => {
                    if !failing {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "cannot read the catalogue's changes; the read cache is dropped"
                        );
                        failing = true;
                    }
                    self.cache.clear();
                }
            }
        }
    }

    async fn follow(&self, since: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let changes = indexing::changes_after(&self.pool, (since, Uuid::nil()), CHANGES_AT_ONCE).await?;
        if changes.len() == CHANGES_AT_ONCE as usize {
            // More changed than is worth comparing one by one (an import): start afresh.
            self.cache.clear();
            return Ok(());
        }
        for change in changes {
            self.cache.changed(change.id, change.version);
        }
        Ok(())
    }
}
