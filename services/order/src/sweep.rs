//! The loop of the order service's sweeps (the pending timeout, the payment window): sweep a batch
//! every interval, at once again while batches come back full, and stop when asked, abandoning a
//! sweep under way (its transaction rolls back), so a sweep waiting on a database that went away
//! never holds up a shutdown.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs `sweep` every `interval` until `stop`; `sweep` answers how many rows it handled, and a
/// full `batch` means more may be waiting. `what` names the sweep in the log.
pub(crate) async fn every<F, Fut>(
    interval: Duration,
    batch: usize,
    what: &str,
    stop: CancellationToken,
    mut sweep: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        loop {
            let swept = tokio::select! {
                swept = sweep() => swept,
                () = stop.cancelled() => return,
            };
            match swept {
                Ok(n) if n == batch => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "cannot {what} yet");
                    break;
                }
            }
        }
    }
}
