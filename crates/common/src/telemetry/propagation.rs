//! The W3C trace context (`traceparent`, `tracestate`) read from what arrives (HTTP headers,
//! message headers) and written into what leaves (staged events), through OpenTelemetry's
//! propagator.

use opentelemetry::{
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::{TraceContextExt, TraceId},
};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Which service's work a context is: every span started in it is reported under that name.
#[derive(Debug, Clone, Copy)]
pub(super) struct ServiceName(pub(super) &'static str);

/// Makes `span` continue the trace `carrier` holds (a new one when it holds none or a malformed
/// one) as `service`'s work, and records the trace id in the span's `trace_id` field for the logs.
pub fn continue_trace(span: &tracing::Span, service: &'static str, carrier: &dyn Extractor) {
    let parent = TraceContextPropagator::new().extract(carrier).with_value(ServiceName(service));
    // Fails only when no OpenTelemetry layer is installed; the span then simply has no context.
    let _ = span.set_parent(parent);
    if let Some(trace_id) = trace_id(span) {
        span.record("trace_id", tracing::field::display(trace_id));
    }
}

/// Writes `span`'s context into `carrier`, so the work it causes elsewhere (an event's consumers)
/// continues its trace.
pub fn inject(span: &tracing::Span, carrier: &mut dyn Injector) {
    TraceContextPropagator::new().inject_context(&span.context(), carrier);
}

/// The current span's trace id, as 32 hex digits.
pub fn current_trace_id() -> Option<String> {
    trace_id(&tracing::Span::current()).map(|id| id.to_string())
}

/// `span`'s trace id, if it has a valid context.
fn trace_id(span: &tracing::Span) -> Option<TraceId> {
    let context = span.context();
    let otel_span = context.span();
    let span_context = otel_span.span_context();
    span_context.is_valid().then(|| span_context.trace_id())
}
