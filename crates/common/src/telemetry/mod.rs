//! Logs and traces, set up once per process.
//!
//! Every process logs (JSON lines for machines, pretty text for people) and keeps an
//! OpenTelemetry span for each request, each query, each published and each consumed message,
//! linked across services by the W3C `traceparent`/`tracestate` headers. The spans are exported
//! over OTLP only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//! set; otherwise a new trace is not sampled, its spans record nothing, and what is left is the
//! trace id that ties the log lines of one flow together and travels on with its events.

mod export;
mod propagation;
mod query_spans;

use std::{
    str::FromStr,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_subscriber::{
    EnvFilter, Layer, Registry, filter::filter_fn, fmt, layer::SubscriberExt, util::SubscriberInitExt,
};

pub use export::{ExportProtocol, ExportSettings};
pub use propagation::{continue_trace, current_trace_id, inject};

use crate::config::{ConfigError, Env};

/// The name of a span that is logged but never traced (health probes, metric scrapes), nor is
/// anything inside it.
pub const PROBE_SPAN: &str = "probe";

/// Whether this process sends its spans anywhere; set once, by the [`init`] that installs.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported: what a span records only for a trace viewer (its OpenTelemetry
/// name, kind, status and HTTP attributes) is left out of spans nobody will see.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Output format of the logs (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line, for log shippers.
    Json,
    /// Human-readable, for a terminal.
    Pretty,
}

impl FromStr for LogFormat {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            _ => Err("expected `json` or `pretty`"),
        }
    }
}

/// How a process logs and traces.
#[derive(Debug, Clone)]
pub struct TelemetrySettings {
    /// `LOG_FORMAT`, `pretty` by default.
    pub format: LogFormat,
    /// `RUST_LOG` directives, `info` by default.
    pub filter: String,
    /// Where spans go, when anywhere (the standard `OTEL_*` variables).
    pub export: Option<ExportSettings>,
}

impl TelemetrySettings {
    /// Reads `LOG_FORMAT`, `RUST_LOG` (checking the filter's syntax) and the OTLP settings.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let filter = env.text("RUST_LOG")?.unwrap_or_else(|| "info".into());
        EnvFilter::try_new(&filter).map_err(|e| ConfigError::invalid("RUST_LOG", e))?;
        Ok(Self {
            format: env.parse_or("LOG_FORMAT", LogFormat::Pretty)?,
            filter,
            export: ExportSettings::from_env(env)?,
        })
    }
}

/// The process's tracer provider; [`Telemetry::shutdown`] sends the spans still queued.
#[must_use = "shut it down before exiting, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends every finished span now (tests, before they read a collector).
    pub fn flush(&self) {
        if let Some(provider) = &self.provider {
            let _ = provider.force_flush();
        }
    }

    /// Sends what is queued, waiting a few seconds at most, and stops exporting.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            let _ = provider.shutdown_with_timeout(Duration::from_secs(5));
        }
    }
}

/// Installs the global subscriber: logs through `RUST_LOG`, when `logs` is true, and spans. `process`
/// names the spans that no service's work encloses (`shopper` for the all-in-one binary). Only the
/// first call in a process installs anything (tests start many services in one process).
pub fn init(settings: &TelemetrySettings, process: &'static str, logs: bool) -> Telemetry {
    let provider = export::provider(settings.export.as_ref(), process);
    let tracer = provider.tracer("shopper");
    let logs = logs.then(|| log_layer(settings));
    // Spans and the events inside them at INFO and above, whatever `RUST_LOG` says: the trace
    // context must not depend on how verbose the logs are.
    let exporting = settings.export.is_some();
    // Unexported spans only carry the trace context from a request into the events it causes
    // (and its id into the logs): their events, source locations, threads, busy and idle times
    // and the context activated on every enter would be work for nobody on every request.
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer.clone())
        .with_location(exporting)
        .with_threads(exporting)
        .with_target(exporting)
        .with_tracked_inactivity(exporting)
        .with_context_activation(exporting)
        .with_filter(filter_fn(move |metadata| traced(metadata) && (exporting || metadata.is_span())));
    let queries = exporting
        .then(|| query_spans::QuerySpans::new(tracer).with_filter(filter_fn(query_spans::is_query_event)));
    let installed = tracing_subscriber::registry().with(logs).with(spans).with(queries).try_init().is_ok();
    if installed {
        EXPORTING.store(exporting, Ordering::Relaxed);
    }
    Telemetry { provider: installed.then_some(provider) }
}

/// What becomes part of a trace: spans and events at INFO and above, except probes and lapin's
/// own spans (its connection's I/O loop would otherwise be a trace every few seconds).
fn traced(metadata: &tracing::Metadata<'_>) -> bool {
    *metadata.level() <= Level::INFO
        && metadata.name() != PROBE_SPAN
        && !metadata.target().starts_with("lapin")
}

fn log_layer(settings: &TelemetrySettings) -> Box<dyn Layer<Registry> + Send + Sync> {
    let filter = EnvFilter::new(&settings.filter);
    match settings.format {
        LogFormat::Json => {
            fmt::layer().json().flatten_event(true).with_current_span(true).with_filter(filter).boxed()
        }
        LogFormat::Pretty => fmt::layer().compact().with_filter(filter).boxed(),
    }
}
