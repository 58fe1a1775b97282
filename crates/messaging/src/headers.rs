//! The message headers shopper sets and reads.

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use opentelemetry::propagation::{Extractor, Injector};

/// Which attempt this delivery is (absent on the first).
pub(crate) const ATTEMPT: &str = "x-shopper-attempt";
/// Why a message was parked.
pub(crate) const PARK_REASON: &str = "x-shopper-park-reason";

pub(crate) fn get_i64(table: Option<&FieldTable>, key: &str) -> Option<i64> {
    match table?.inner().get(key)? {
        AMQPValue::LongLongInt(v) => Some(*v),
        AMQPValue::LongInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortInt(v) => Some(i64::from(*v)),
        AMQPValue::LongUInt(v) => Some(i64::from(*v)),
        _ => None,
    }
}

pub(crate) fn long_string(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value.as_bytes().to_vec()))
}

/// A message's headers as the trace propagator reads them (`traceparent`, `tracestate`).
pub(crate) struct TraceHeaders<'a>(pub(crate) &'a FieldTable);

impl Extractor for TraceHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match self.0.inner().get(key)? {
            AMQPValue::LongString(value) => std::str::from_utf8(value.as_bytes()).ok(),
            AMQPValue::ShortString(value) => Some(value.as_str()),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        self.0.inner().keys().map(ShortString::as_str).collect()
    }
}

/// A message's headers as the trace propagator writes them.
pub(crate) struct TraceHeadersMut<'a>(pub(crate) &'a mut FieldTable);

impl Injector for TraceHeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.into(), long_string(&value));
    }
}
