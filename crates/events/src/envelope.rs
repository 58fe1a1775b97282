use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Event;

/// What travels on the wire: the event's identity and context around its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique per event (UUIDv7, so ids sort by time); consumers de-duplicate on it.
    pub id: Uuid,
    /// The event type, e.g. `user.registered`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The payload version.
    pub version: u16,
    /// When the change happened (the producer's clock).
    pub occurred_at: DateTime<Utc>,
    /// W3C trace context (`traceparent`) of the work that caused it, so one trace spans the whole
    /// flow. The relay also sends it, with `tracestate`, as message headers of those names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// W3C `tracestate` that goes with `traceparent`: vendors' entries, passed on untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
    /// The event itself.
    pub payload: serde_json::Value,
}

/// Why an envelope does not hold the event a consumer asked for.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Another type or version than expected.
    #[error("expected {expected} v{expected_version}, got {actual} v{actual_version}")]
    Mismatch {
        /// The type asked for.
        expected: &'static str,
        /// The version asked for.
        expected_version: u16,
        /// The envelope's type.
        actual: String,
        /// The envelope's version.
        actual_version: u16,
    },
    /// The payload does not fit the type.
    #[error("malformed payload: {0}")]
    Payload(#[from] serde_json::Error),
}

impl Envelope {
    /// Wraps `event` with a new id and the current time, and no trace context.
    pub fn new<E: Event>(event: &E) -> Result<Self, serde_json::Error> {
        Ok(Self {
            id: Uuid::now_v7(),
            kind: E::TYPE.to_owned(),
            version: E::VERSION,
            occurred_at: Utc::now(),
            traceparent: None,
            tracestate: None,
            payload: serde_json::to_value(event)?,
        })
    }

    /// The trace context it carries, keyed by the W3C header names (`traceparent`, `tracestate`).
    pub fn trace_context(&self) -> std::collections::HashMap<String, String> {
        [("traceparent", &self.traceparent), ("tracestate", &self.tracestate)]
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value.clone()?)))
            .collect()
    }

    /// The typed event, if this envelope holds an `E` of the expected version.
    pub fn decode<E: Event>(&self) -> Result<E, DecodeError> {
        if self.kind != E::TYPE || self.version != E::VERSION {
            return Err(DecodeError::Mismatch {
                expected: E::TYPE,
                expected_version: E::VERSION,
                actual: self.kind.clone(),
                actual_version: self.version,
            });
        }
        Ok(E::deserialize(&self.payload)?)
    }
}
