//! Builds a replica's index from the table, then keeps it current from the change feed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::MySqlPool;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{SearchIndex, Shared, documents::Fields};
use crate::store::indexing::{self, Indexable};

/// How often the index reads the catalogue's latest changes.
pub(crate) const FOLLOW_EVERY: Duration = Duration::from_millis(500);
/// How far back each read of the changes reaches before the previous one, as for the read cache:
/// a transaction commits a moment after it stamps its change.
const OVERLAP: Duration = Duration::from_secs(2);
/// The least time between two reads, however often this replica's changes nudge.
const LEAST_GAP: Duration = Duration::from_millis(50);
/// Changes (and rows) read at once.
const BATCH: u32 = 5000;
/// Memory the writer fills before it writes a segment; one indexing thread (two cores serve).
const WRITER_MEMORY_BYTES: usize = 64 << 20;
/// Between attempts while the database does not answer.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Fills and follows one replica's [`SearchIndex`].
pub(crate) struct IndexFollower {
    pub(crate) pool: MySqlPool,
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
            () = follow(self.pool, shared) => {}
        }
    }
}

async fn follow(pool: MySqlPool, shared: Arc<Shared>) {
    let mut indexer = match Indexer::new(&shared) {
        Ok(indexer) => indexer,
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "cannot open the search index; searches use FULLTEXT"
            );
            return;
        }
    };
    // Changes from a moment before the full read began are read again after it.
    let mut since = Utc::now() - OVERLAP;
    let started = Instant::now();
    loop {
        match indexer.build(&pool).await {
            Ok(()) => break,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "cannot read the catalogue into the search index; retrying"
                );
                if let Err(error) = indexer.reset().await {
                    tracing::error!(
                        error = format!("{error:#}"),
                        "cannot empty the search index; searches use FULLTEXT"
                    );
                    return;
                }
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
    if shared.reader.set(indexer.reader.clone()).is_err() {
        return;
    }
    tracing::info!(
        products = indexer.versions.len(),
        seconds = started.elapsed().as_secs_f64(),
        "search index built; searches are answered from memory"
    );
    let mut failing = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(FOLLOW_EVERY) => {}
            () = shared.changed.notified() => tokio::time::sleep(LEAST_GAP).await,
        }
        let read_at = Utc::now();
        match indexer.follow(&pool, since).await {
            Ok(()) => {
                since = read_at - OVERLAP;
                failing = false;
            }
            Err(error) => {
                // What was indexed stays: search lags, and the rows read for a page are current.
                if !failing {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "cannot follow the catalogue's changes into the search index"
                    );
                    failing = true;
                }
            }
        }
    }
}

/// The writing side: the writer, and the version indexed of every product seen.
pub(super) struct Indexer {
    fields: Fields,
    writer: Arc<Mutex<IndexWriter>>,
    pub(super) reader: IndexReader,
    versions: HashMap<Uuid, i64>,
}

impl Indexer {
    pub(super) fn new(shared: &Shared) -> tantivy::Result<Self> {
        let writer = shared.index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        // Reloaded at once after each commit of ours, and by itself when a background merge has
        // replaced segments, so the merged-away ones are freed.
        let reader =
            shared.index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(Self {
            fields: shared.fields,
            writer: Arc::new(Mutex::new(writer)),
            reader,
            versions: HashMap::new(),
        })
    }

    /// Reads every live product into the index.
    async fn build(&mut self, pool: &MySqlPool) -> anyhow::Result<()> {
        let mut rows = indexing::all_live(pool);
        let mut batch = Vec::with_capacity(BATCH as usize);
        while let Some(product) = rows.try_next().await? {
            batch.push(product);
            if batch.len() == BATCH as usize {
                self.put(std::mem::take(&mut batch)).await?;
            }
        }
        self.put(batch).await?;
        self.commit().await
    }

    /// Forgets everything, for a build to start again.
    async fn reset(&mut self) -> anyhow::Result<()> {
        self.versions.clear();
        self.with_writer(|writer| writer.delete_all_documents().map(drop)).await
    }

    /// Indexes the changes after `since`, the products whose version moved, and commits.
    async fn follow(&mut self, pool: &MySqlPool, since: DateTime<Utc>) -> anyhow::Result<()> {
        let mut after = (since, Uuid::nil());
        let mut changed = false;
        loop {
            let changes = indexing::changes_after(pool, after, BATCH).await?;
            let moved: Vec<Uuid> = changes
                .iter()
                .filter(|change| self.versions.get(&change.id).is_none_or(|&held| held < change.version))
                .map(|change| change.id)
                .collect();
            if !moved.is_empty() {
                self.put(indexing::current(pool, &moved).await?).await?;
                changed = true;
            }
            match changes.last() {
                Some(last) if changes.len() == BATCH as usize => after = (last.at, last.id),
                _ => break,
            }
        }
        if changed {
            self.commit().await?;
        }
        Ok(())
    }

    /// Replaces what the index holds of these products (deleted ones leave it).
    pub(super) async fn put(&mut self, products: Vec<Indexable>) -> anyhow::Result<()> {
        for product in &products {
            self.versions.insert(product.id, product.version);
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
