//! The process-wide Prometheus recorder.
//!
//! The `metrics` facade has one global recorder per process; in the all-in-one binary every
//! service shares it and tells its series apart with a `service` label.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder on first use and returns its handle.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed; then ours just stays unused.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The current metrics in the Prometheus text format.
pub fn render() -> String {
    handle().render()
}
