//! Builds a replica's index from the table, then keeps it current from the change feed.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use common::db::Pool;
use futures_util::TryStreamExt;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{SearchIndex, Searching, Shared, documents::Fields};
use crate::store::indexing::{self, Indexable};

/// How often the index reads the catalogue's latest changes.
pub(crate) const FOLLOW_EVERY: Duration = Duration::from_millis(500);
/// How far back each read of the changes reaches before the previous one, as for the read cache:
/// a transaction commits a moment after it stamps its change.
const OVERLAP: Duration = Duration::from_secs(2);
/// How often a read reaches back [`LATE_COMMITS`] instead: for the change whose transaction
/// waited on locks after stamping it (InnoDB gives up waiting after 50 s by default), which the
/// overlap alone would miss for good.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
const LATE_COMMITS: Duration = Duration::from_secs(90);
/// The least time between two reads, however often this replica's changes nudge.
const LEAST_GAP: Duration = Duration::from_millis(50);
/// Changes (and rows) read at once.
const BATCH: u32 = 5000;
/// Memory the writer fills before it writes a segment; one indexing thread (two cores serve).
const WRITER_MEMORY_BYTES: usize = 64 << 20;
/// Between attempts to build while the database does not answer or the index fails.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Fills and follows one replica's [`SearchIndex`].
pub(crate) struct IndexFollower {
    pub(crate) pool: Pool,
    pub(crate) index: SearchIndex,
}

impl IndexFollower {
    /// Until `stop`.
    pub(crate) async fn run(self, stop: CancellationToken) {
        let Some(shared) = self.index.0.clone() else {
            return;
        };
        tokio::select! {
            () = stop.cancelled() => {}
            () = serve(self.pool, shared) => {}
        }
    }
}

/// Why a step failed: the database (try again, nothing is lost) or the index itself (build anew).
enum Failure {
    Database(sqlx::Error),
    Index(anyhow::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error)
    }
}

fn broken(error: impl Into<anyhow::Error>) -> Failure {
    Failure::Index(error.into())
}

/// Builds an index, publishes it, follows the changes into it; should it fail, searches go to
/// FULLTEXT again while a new one is built.
async fn serve(pool: Pool, shared: Arc<Shared>) {
    loop {
        let (mut indexer, since) = build(&pool).await;
        shared.publish(Some(indexer.searching()));
        let error = follow(&pool, &shared, &mut indexer, since).await;
        shared.publish(None);
        tracing::error!(
            error = format!("{error:#}"),
            "the search index failed; searches use FULLTEXT until it is rebuilt"
        );
    }
}

/// A new index holding every live product, and the time the changes after it are to be read from.
async fn build(pool: &Pool) -> (Indexer, DateTime<Utc>) {
    loop {
        // Changes from a moment before the full read began are read again after it.
        let since = Utc::now() - OVERLAP;
        let started = Instant::now();
        match Indexer::filled(pool).await {
            Ok(indexer) => {
                tracing::info!(
                    products = indexer.held.len(),
                    seconds = started.elapsed().as_secs_f64(),
                    "search index built; searches are answered from memory"
                );
                return (indexer, since);
            }
            Err(Failure::Database(error)) => tracing::warn!(
                error = format!("{error:#}"),
                "cannot read the catalogue into the search index; retrying"
            ),
            Err(Failure::Index(error)) => {
                tracing::error!(error = format!("{error:#}"), "cannot build the search index; retrying")
            }
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

/// Follows the changes until the index fails; a database that does not answer only delays it.
async fn follow(
    pool: &Pool,
    shared: &Shared,
    indexer: &mut Indexer,
    mut since: DateTime<Utc>,
) -> anyhow::Error {
    let (mut swept, mut failing) = (Instant::now(), false);
    loop {
        tokio::select! {
            () = tokio::time::sleep(FOLLOW_EVERY) => {}
            () = shared.changed.notified() => tokio::time::sleep(LEAST_GAP).await,
        }
        let read_at = Utc::now();
        let sweeping = swept.elapsed() >= SWEEP_EVERY;
        let from = if sweeping { since.min(read_at - LATE_COMMITS) } else { since };
        match indexer.follow(pool, from).await {
            Ok(()) => {
                since = read_at - OVERLAP;
                failing = false;
                if sweeping {
                    swept = Instant::now();
                }
            }
            // Nothing indexed is lost, and `since` stays: the next read reaches as far back.
            Err(Failure::Database(error)) => {
                if !failing {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "cannot follow the catalogue's changes into the search index"
                    );
                    failing = true;
                }
            }
            Err(Failure::Index(error)) => return error,
        }
    }
}

/// What the index holds of one product: its version, and a fingerprint of the fields searched,
/// so that a change to stock alone (every reservation) costs the index nothing.
#[derive(Clone, Copy)]
struct Held {
    version: i64,
    fields: u64,
}

impl Held {
    fn of(product: &Indexable) -> Self {
        let mut hasher = DefaultHasher::new();
        (&product.name, &product.description, &product.category, product.price_cents, product.live)
            .hash(&mut hasher);
        Self { version: product.version, fields: hasher.finish() }
    }
}

/// The writing side of one index: the writer, its reader, and what it holds of every product seen.
pub(super) struct Indexer {
    fields: Fields,
    writer: Arc<Mutex<IndexWriter>>,
    reader: IndexReader,
    held: HashMap<Uuid, Held>,
}

impl Indexer {
    pub(super) fn new() -> tantivy::Result<Self> {
        let (index, fields) = Fields::create_index();
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        // Reloaded at once after each commit of ours, and by itself when a background merge has
        // replaced segments, so the merged-away ones are freed.
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(Self { fields, writer: Arc::new(Mutex::new(writer)), reader, held: HashMap::new() })
    }

    pub(super) fn searching(&self) -> Searching {
        Searching { reader: self.reader.clone(), fields: self.fields }
    }

    /// A new index of every live product.
    async fn filled(pool: &Pool) -> Result<Self, Failure> {
        let mut indexer = Self::new().map_err(broken)?;
        let mut rows = indexing::all_live(pool);
        let mut batch = Vec::with_capacity(BATCH as usize);
        while let Some(product) = rows.try_next().await? {
            batch.push(product);
            if batch.len() == BATCH as usize {
                indexer.put(std::mem::take(&mut batch)).await.map_err(broken)?;
            }
        }
        indexer.put(batch).await.map_err(broken)?;
        indexer.commit().await.map_err(broken)?;
        Ok(indexer)
    }

    /// Indexes the changes after `since` whose searched fields moved, and commits. What it holds
    /// is updated only once the commit is done, so a failed read is read again in full.
    async fn follow(&mut self, pool: &Pool, since: DateTime<Utc>) -> Result<(), Failure> {
        let mut after = (since, Uuid::nil());
        let (mut seen, mut changed) = (Vec::new(), Vec::new());
        loop {
            let changes = indexing::changes_after(pool, after, BATCH).await?;
            let moved: Vec<Uuid> = changes
                .iter()
                .filter(|change| self.held.get(&change.id).is_none_or(|held| held.version < change.version))
                .map(|change| change.id)
                .collect();
            for product in indexing::current(pool, &moved).await? {
                let held = Held::of(&product);
                if self.held.get(&product.id).is_none_or(|before| before.fields != held.fields) {
                    changed.push(product.clone());
                }
                seen.push((product.id, held));
            }
            match changes.last() {
                Some(last) if changes.len() == BATCH as usize => after = (last.at, last.id),
                _ => break,
            }
        }
        if !changed.is_empty() {
            self.put(changed).await.map_err(broken)?;
            self.commit().await.map_err(broken)?;
        }
        self.held.extend(seen);
        Ok(())
    }

    /// Replaces what the index holds of these products (deleted ones leave it); searchable once
    /// committed.
    pub(super) async fn put(&mut self, products: Vec<Indexable>) -> anyhow::Result<()> {
        for product in &products {
            self.held.insert(product.id, Held::of(product));
        }
        let fields = self.fields;
        self.with_writer(move |writer| {
            for product in &products {
                writer.delete_term(fields.id_term(product.id));
                if product.live {
                    writer.add_document(fields.document(product))?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Makes what was put searchable.
    pub(super) async fn commit(&mut self) -> anyhow::Result<()> {
        self.with_writer(|writer| writer.commit().map(drop)).await?;
        self.reader.reload()?;
        let products = self.reader.searcher().num_docs();
        metrics::gauge!("search_index_products", "service" => "product").set(products as f64);
        Ok(())
    }

    /// Runs `work` on the writer, off the threads that serve requests: adding documents waits
    /// when the indexing thread is behind, and a commit waits for it to write its segment.
    async fn with_writer(
        &self,
        work: impl FnOnce(&mut IndexWriter) -> tantivy::Result<()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || work(&mut writer.lock().unwrap_or_else(PoisonError::into_inner)))
            .await??;
        Ok(())
    }
}
