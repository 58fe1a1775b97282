//! A span for each SQL statement. sqlx reports every statement it runs as a `sqlx::query` event
//! when it finishes: its text (with placeholders, never the bound values), the rows it returned
//! or changed, and how long it took. This layer turns each such event into a client span under
//! the span the statement ran in, so no query call site needs instrumenting. It is installed only
//! when spans are exported, because sqlx then formats each statement's text for the event.

use std::time::{Duration, SystemTime};

use opentelemetry::{
    KeyValue,
    trace::{Span as _, SpanKind, TraceContextExt, Tracer as _},
};
use opentelemetry_sdk::trace::SdkTracer;
use tracing::{Event, Metadata, Subscriber, field::Field};
use tracing_subscriber::{Layer, layer::Context, registry::LookupSpan};

/// sqlx's target for its statement events.
const TARGET: &str = "sqlx::query";

/// Whether `metadata` is one of sqlx's statement events (the layer's filter).
pub(super) fn is_query_event(metadata: &Metadata<'_>) -> bool {
    metadata.is_event() && metadata.target() == TARGET
}

pub(super) struct QuerySpans {
    tracer: SdkTracer,
}

impl QuerySpans {
    pub(super) fn new(tracer: SdkTracer) -> Self {
        Self { tracer }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for QuerySpans {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        // The context of the span being polled: the request, message or task the statement is
        // part of. Statements outside any (the relay's polling between batches) make no trace.
        let parent = opentelemetry::Context::current();
        if !parent.has_active_span() {
            return;
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        let end = SystemTime::now();
        let start = end.checked_sub(Duration::from_secs_f64(statement.seconds.max(0.0))).unwrap_or(end);
        let summary = statement.summary.trim_end_matches(" …").to_owned();
        // sqlx leaves the full text empty when the summary already is the whole statement.
        let text = match statement.text.trim() {
            "" => summary.clone(),
            text => text.to_owned(),
        };
        let mut attributes = vec![
            KeyValue::new("db.system.name", "mysql"),
            KeyValue::new("db.query.summary", summary.clone()),
            KeyValue::new("db.query.text", text),
        ];
        if let Some(rows) = statement.rows_returned.filter(|rows| *rows > 0) {
            attributes.push(KeyValue::new("db.response.returned_rows", rows));
        }
        if let Some(rows) = statement.rows_affected.filter(|rows| *rows > 0) {
            attributes.push(KeyValue::new("db.response.affected_rows", rows));
        }
        self.tracer
            .span_builder(summary)
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent)
            .end_with_timestamp(end);
    }
}

/// The fields of one `sqlx::query` event.
#[derive(Default)]
struct Statement {
    summary: String,
    text: String,
    rows_returned: Option<i64>,
    rows_affected: Option<i64>,
    seconds: f64,
}

impl tracing::field::Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => value.clone_into(&mut self.summary),
            "db.statement" => value.clone_into(&mut self.text),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        let value = i64::try_from(value).ok();
        match field.name() {
            "rows_returned" => self.rows_returned = value,
            "rows_affected" => self.rows_affected = value,
            _ => {}
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.seconds = value;
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}
