//! The message headers shopper sets and reads.

use lapin::types::{AMQPValue, FieldTable, LongString};

/// Which attempt this delivery is (absent on the first).
pub(crate) const ATTEMPT: &str = "x-shopper-attempt";
/// Why a message was parked.
pub(crate) const PARK_REASON: &str = "x-shopper-park-reason";
/// W3C trace context.
pub(crate) const TRACEPARENT: &str = "traceparent";

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
