//! W3C trace context (`traceparent`) carried from an HTTP request into the events it causes and
//! on into their consumers, so one trace id ties the whole flow together in the logs.
//!
//! The HTTP stack scopes a context per request (the caller's, or a new trace); the consumer
//! runner scopes the child of the one an event carries. Anything inside, such as staging an
//! event, reads it with [`TraceContext::current`].

use std::{fmt, str::FromStr};

tokio::task_local! {
    static CURRENT: TraceContext;
}

/// A trace id and the id of the current span within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: u128,
    span_id: u64,
    sampled: bool,
}

impl TraceContext {
    /// A new trace.
    pub fn new_root() -> Self {
        Self { trace_id: random_nonzero_u128(), span_id: random_nonzero_u64(), sampled: true }
    }

    /// A new span in the same trace.
    pub fn child(&self) -> Self {
        Self { span_id: random_nonzero_u64(), ..*self }
    }

    /// The context scoped around the running task, if any.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(|context| *context).ok()
    }

    /// Runs `future` with `self` as the current context.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }

    /// The trace id as 32 hex digits, for log fields.
    pub fn trace_id(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
}

impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "00-{:032x}-{:016x}-{:02x}", self.trace_id, self.span_id, u8::from(self.sampled))
    }
}

impl FromStr for TraceContext {
    type Err = &'static str;

    /// Parses version 00 of the `traceparent` header; all-zero ids are invalid.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().split('-');
        let (Some(version), Some(trace), Some(span), Some(flags)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("traceparent needs four fields");
        };
        let hex = |part: &str, len: usize| {
            part.len() == len && part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if version != "00" || parts.next().is_some() || !hex(trace, 32) || !hex(span, 16) || !hex(flags, 2) {
            return Err("not a version 00 traceparent");
        }
        let trace_id = u128::from_str_radix(trace, 16).map_err(|_| "bad trace id")?;
        let span_id = u64::from_str_radix(span, 16).map_err(|_| "bad span id")?;
        let flags = u8::from_str_radix(flags, 16).map_err(|_| "bad flags")?;
        if trace_id == 0 || span_id == 0 {
            return Err("all-zero ids are invalid");
        }
        Ok(Self { trace_id, span_id, sampled: flags & 1 == 1 })
    }
}

fn random_nonzero_u128() -> u128 {
    loop {
        let mut bytes = [0u8; 16];
        if aws_lc_rs::rand::fill(&mut bytes).is_ok() {
            let id = u128::from_be_bytes(bytes);
            if id != 0 {
                return id;
            }
        }
    }
}

fn random_nonzero_u64() -> u64 {
    // The low half of a random u128: a span id needs no more.
    (random_nonzero_u128() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_round_trips() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context: TraceContext = header.parse().unwrap();
        assert_eq!(context.to_string(), header);
        assert_eq!(context.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn a_child_keeps_the_trace_and_changes_the_span() {
        let root = TraceContext::new_root();
        let child = root.child();
        assert_eq!(root.trace_id(), child.trace_id());
        assert_ne!(root.to_string(), child.to_string());
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert!(bad.parse::<TraceContext>().is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn the_scoped_context_is_current_inside_only() {
        let context = TraceContext::new_root();
        assert_eq!(TraceContext::current(), None);
        assert_eq!(context.scope(async { TraceContext::current() }).await, Some(context));
    }
}
