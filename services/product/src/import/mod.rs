//! Loading a catalogue: NDJSON, one product per line, with the fields and rules of
//! `POST /product`. A line whose sku exists replaces that product as `PUT` does (its version
//! bumped); one identical to the product changes nothing, so an import sent again, or resumed
//! after a cut, is harmless.
//!
//! The body is read as it arrives and applied in batches of [`BATCH_LINES`], each in one
//! transaction with one `product.imported` event staged in it: a large import is a few thousand
//! messages, and what else is queued (a reservation, a PUT) is never stuck behind a million.
//! An import is not one transaction: a batch that committed stays committed if a later line
//! cuts the body off (over the limit, or the client going away).

mod lines;

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::Utc;
use common::{AppError, db, http::decode_json};
use events::{ProductUpdated, ProductsImported};
use messaging::Outbox;
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use uuid::Uuid;

pub(crate) use lines::{Cut, Limits, Line, Lines};

use crate::{
    domain::{ProductInput, ProductSpec},
    state::AppState,
    store::imports::{self, Current, Row},
};

/// Lines applied per transaction (and per `product.imported` event).
pub(crate) const BATCH_LINES: usize = 1000;
/// Rejected lines the answer lists; the rest are counted.
const LISTED_REJECTIONS: usize = 100;
/// A batch that meets a deadlock or a concurrent write of the same sku is applied again.
const BATCH_ATTEMPTS: u32 = 3;

/// What an import did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub(crate) struct Report {
    pub(crate) created: u64,
    pub(crate) updated: u64,
    /// Lines identical to the product they name.
    pub(crate) unchanged: u64,
    pub(crate) rejected: u64,
    /// The first 100 rejected lines.
    pub(crate) rejections: Vec<Rejection>,
}

/// A line that was not applied, and why.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Rejection {
    /// Counting from 1, blank lines included.
    pub(crate) line: u64,
    pub(crate) errors: Vec<LineError>,
}

/// One reason a line was not applied.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LineError {
    /// The field at fault; `null` when the line as a whole is.
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl LineError {
    fn line(message: impl Into<String>) -> Self {
        Self { field: None, message: message.into() }
    }
}

impl Report {
    fn reject(&mut self, line: u64, errors: Vec<LineError>) {
        self.rejected += 1;
        if self.rejections.len() < LISTED_REJECTIONS {
            self.rejections.push(Rejection { line, errors });
        }
    }

    /// The reader's report (lines that did not parse) with the writer's (what the batches did,
    /// and the lines they refused): the first rejected lines of both, in line order.
    fn merge(mut self, written: Report) -> Report {
        self.rejections.extend(written.rejections);
        self.rejections.sort_by_key(|r| r.line);
        self.rejections.truncate(LISTED_REJECTIONS);
        Report {
            created: written.created,
            updated: written.updated,
            unchanged: written.unchanged,
            rejected: self.rejected + written.rejected,
            rejections: self.rejections,
        }
    }
}

/// How an import ended early; what it applied before stays applied.
#[derive(Debug)]
pub(crate) enum Stopped {
    Cut(Cut, Report),
    Failed(AppError),
}

impl From<AppError> for Stopped {
    fn from(error: AppError) -> Self {
        Stopped::Failed(error)
    }
}

/// Reads `lines` to their end and applies them. Reading and parsing go on while the previous
/// batch is written (two futures of one task, so nothing outlives the request): the database's
/// work overlaps the parsing instead of following it.
pub(crate) async fn run(state: &AppState, mut lines: Lines) -> Result<Report, Stopped> {
    let (batches, mut received) = mpsc::channel::<Vec<(u64, ProductSpec)>>(1);
    let writing = async move {
        let mut written = Report::default();
        while let Some(batch) = received.recv().await {
            apply(state, &batch, &mut written).await?;
        }
        Ok::<_, AppError>(written)
    };
    let ((read, cut), written) = tokio::join!(read(&mut lines, batches), writing);
    let report = read.merge(written?);
    match cut {
        Some(cut) => Err(Stopped::Cut(cut, report)),
        None => Ok(report),
    }
}

/// Parses every line, sending the valid ones on in batches; counts the rest. Stops early at a
/// cut (the lines before it are still sent) or when the writer has stopped.
async fn read(lines: &mut Lines, batches: mpsc::Sender<Vec<(u64, ProductSpec)>>) -> (Report, Option<Cut>) {
    let line_bytes = lines.line_bytes();
    let mut report = Report::default();
    let mut batch = Batch::default();
    let cut = loop {
        let line = match lines.next().await {
            Ok(Some(line)) => line,
            Ok(None) => break None,
            Err(cut) => break Some(cut),
        };
        let (number, spec) = match parse(line, line_bytes) {
            Ok(parsed) => parsed,
            Err((number, errors)) => {
                report.reject(number, errors);
                continue;
            }
        };
        // The same sku twice in one batch: the later line applies to what the first made.
        let full = batch.skus.contains(&spec.sku) || batch.lines.len() == BATCH_LINES;
        if full && batches.send(batch.take()).await.is_err() {
            return (report, None);
        }
        batch.push(number, spec);
    };
    if !batch.lines.is_empty() {
        // A writer that has stopped has its own error to tell.
        let _ = batches.send(batch.take()).await;
    }
    (report, cut)
}

fn parse(line: Line, line_bytes: usize) -> Result<(u64, ProductSpec), (u64, Vec<LineError>)> {
    let (number, bytes) = match line {
        Line::Text { number, bytes } => (number, bytes),
        Line::TooLong { number } => {
            return Err((number, vec![LineError::line(format!("is longer than {line_bytes} bytes"))]));
        }
    };
    let input: ProductInput = decode_json(&bytes).map_err(|error| (number, line_errors(error)))?;
    let spec = ProductSpec::parse(input).map_err(|errors| {
        let errors = errors.into_iter().map(|e| LineError { field: Some(e.field), message: e.message });
        (number, errors.collect())
    })?;
    Ok((number, spec))
}

fn line_errors(error: AppError) -> Vec<LineError> {
    match error {
        AppError::Validation(errors) => {
            errors.into_iter().map(|e| LineError { field: Some(e.field), message: e.message }).collect()
        }
        AppError::BadRequest(message) => vec![LineError::line(message.replace("the body", "the line"))],
        _ => vec![LineError::line("is not a product")],
    }
}

/// Lines waiting to be applied together.
#[derive(Default)]
struct Batch {
    lines: Vec<(u64, ProductSpec)>,
    skus: HashSet<String>,
}

impl Batch {
    fn push(&mut self, number: u64, spec: ProductSpec) {
        self.skus.insert(spec.sku.clone());
        self.lines.push((number, spec));
    }

    fn take(&mut self) -> Vec<(u64, ProductSpec)> {
        self.skus.clear();
        std::mem::take(&mut self.lines)
    }
}

/// Applies one batch, retrying it when it lost a race.
async fn apply(state: &AppState, batch: &[(u64, ProductSpec)], report: &mut Report) -> Result<(), AppError> {
    let mut attempt = 1;
    let outcome = loop {
        match apply_once(state, batch).await {
            Err(error) if attempt < BATCH_ATTEMPTS && error.downcast_ref().is_some_and(db::is_retryable) => {
                attempt += 1;
            }
            outcome => break outcome.context("applying a batch of imported lines")?,
        }
    };
    report.created += outcome.created;
    report.updated += outcome.updated;
    report.unchanged += outcome.unchanged;
    for (line, message) in outcome.refused {
        report.reject(line, vec![LineError { field: Some("sku".into()), message: message.into() }]);
    }
    Ok(())
}

/// What one batch did.
#[derive(Default)]
struct Applied {
    created: u64,
    updated: u64,
    unchanged: u64,
    refused: Vec<(u64, &'static str)>,
}

/// One transaction: lock the skus the batch names, write every change in one statement, stage
/// one event for them, commit.
async fn apply_once(state: &AppState, lines: &[(u64, ProductSpec)]) -> anyhow::Result<Applied> {
    let now = Utc::now();
    let mut tx = state.pool.begin().await?;
    let skus: Vec<&str> = lines.iter().map(|(_, spec)| spec.sku.as_str()).collect();
    let current: HashMap<String, imports::Current> =
        imports::lock_by_sku(&mut tx, &skus).await?.into_iter().map(|c| (c.product.sku.clone(), c)).collect();
    let mut applied = Applied::default();
    let mut rows = Vec::with_capacity(lines.len());
    for (number, spec) in lines {
        match current.get(&spec.sku) {
            None => {
                applied.created += 1;
                rows.push(Row { id: Uuid::now_v7(), spec, version: 1 });
            }
            Some(now_held) if now_held.withdrawn => {
                applied.refused.push((*number, "belongs to a withdrawn product"));
            }
            Some(now_held) if now_held.is(spec) => applied.unchanged += 1,
            Some(Current { product, .. }) => {
                applied.updated += 1;
                rows.push(Row { id: product.id, spec, version: product.version + 1 });
            }
        }
    }
    imports::write(&mut tx, &rows, now).await?;
    if !rows.is_empty() {
        let products = rows.iter().map(announced).collect();
        Outbox::stage(&mut tx, &ProductsImported { products }).await?;
    }
    state.outbox.commit(tx).await?;
    Ok(applied)
}

fn announced(row: &Row<'_>) -> ProductUpdated {
    let spec = row.spec;
    ProductUpdated {
        product_id: row.id,
        sku: spec.sku.clone(),
        name: spec.name.clone(),
        price_cents: spec.price_cents,
        currency: spec.currency.clone(),
        stock: spec.stock,
        category: spec.category.clone(),
        version: row.version,
    }
}
