//! The process-wide Prometheus recorder.
//!
//! The `metrics` facade has one global recorder per process; in the all-in-one binary every
//! service shares it and tells its series apart with a `service` label.

use std::{sync::OnceLock, thread, time::Duration};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The upper bounds (seconds) of every histogram's buckets: from a cached read (about a
/// millisecond) to an order waiting a minute for its stock decision. Buckets, not quantiles,
/// because quantiles of several replicas cannot be combined and buckets can.
const BUCKETS: [f64; 15] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// How often the samples recorded into histograms since the last look are folded into their
/// buckets. Without it they pile up until a scrape, and a replica nobody scrapes grows without end.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the recorder on first use, with its upkeep, and returns its handle.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed; then ours just stays unused.
        let _ = metrics::set_global_recorder(recorder);
        let upkept = handle.clone();
        // A thread rather than a task: the recorder may be installed before any runtime runs.
        let _ = thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
            loop {
                thread::sleep(UPKEEP_EVERY);
                upkept.run_upkeep();
            }
        });
        handle
    })
}

/// The current metrics in the Prometheus text format.
pub fn render() -> String {
    handle().render()
}
