//! The event catalogue, generated from the types: `docs/EVENTS.md` is this module's output.

use std::fmt::Write;

use serde_json::Value;

use crate::{
    Event, OrderCancelled, OrderConfirmed, OrderCreated, OrderPaid, OrderRefunded, OrderStatusChanged,
    ProductCreated, ProductDeleted, ProductUpdated, ProductsImported, StockRejected, StockReserved,
    UserDeleted, UserRegistered, UserUpdateRejected, UserUpdated,
};

/// What the catalogue says about one event.
#[derive(Debug, Clone)]
pub struct EventInfo {
    /// Type and routing key.
    pub kind: &'static str,
    /// Payload version.
    pub version: u16,
    /// Publishing service.
    pub producer: &'static str,
    /// Consuming services.
    pub consumers: &'static [&'static str],
    /// The example payload, as JSON.
    pub example: Value,
}

fn info<E: Event>() -> EventInfo {
    EventInfo {
        kind: E::TYPE,
        version: E::VERSION,
        producer: E::PRODUCER,
        consumers: E::CONSUMERS,
        example: serde_json::to_value(E::example()).unwrap_or(Value::Null),
    }
}

/// Every event shopper exchanges.
pub fn catalogue() -> Vec<EventInfo> {
    vec![
        info::<UserRegistered>(),
        info::<UserUpdated>(),
        info::<UserDeleted>(),
        info::<UserUpdateRejected>(),
        info::<ProductCreated>(),
        info::<ProductUpdated>(),
        info::<ProductDeleted>(),
        info::<ProductsImported>(),
        info::<OrderCreated>(),
        info::<StockReserved>(),
        info::<StockRejected>(),
        info::<OrderConfirmed>(),
        info::<OrderCancelled>(),
        info::<OrderStatusChanged>(),
        info::<OrderPaid>(),
        info::<OrderRefunded>(),
    ]
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "integer",
        Value::String(s) if s.parse::<uuid::Uuid>().is_ok() => "uuid",
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => "RFC 3339 time",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn fields(prefix: &str, value: &Value, out: &mut Vec<(String, &'static str)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                out.push((path.clone(), json_type(child)));
                fields(&path, child, out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                fields(&format!("{prefix}[]"), first, out);
            }
        }
        _ => {}
    }
}

/// The catalogue as Markdown, the content of `docs/EVENTS.md`.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Event catalogue\n\n\
         Generated from `crates/events` (`UPDATE_EVENTS_DOC=1 cargo test -p events` rewrites it; a test fails when it\n\
         is stale). Every event is published to the topic exchange `shopper.events` with its type as the routing key,\n\
         inside the envelope `{id, type, version, occurred_at, traceparent?, tracestate?, payload}`; `id` is a UUIDv7 that\n\
         consumers de-duplicate on.\n\n\
         | type | version | producer | consumers |\n|---|---|---|---|\n",
    );
    let events = catalogue();
    for e in &events {
        let consumers = if e.consumers.is_empty() { "none yet".to_owned() } else { e.consumers.join(", ") };
        let _ = writeln!(out, "| `{}` | {} | {} | {} |", e.kind, e.version, e.producer, consumers);
    }
    for e in &events {
        let _ = write!(out, "\n## `{}` (v{})\n\n| field | type |\n|---|---|\n", e.kind, e.version);
        let mut list = Vec::new();
        fields("", &e.example, &mut list);
        for (path, kind) in list {
            let _ = writeln!(out, "| `{path}` | {kind} |");
        }
        let pretty = serde_json::to_string_pretty(&e.example).unwrap_or_default();
        let _ = write!(out, "\nExample payload:\n\n```json\n{pretty}\n```\n");
    }
    out
}
