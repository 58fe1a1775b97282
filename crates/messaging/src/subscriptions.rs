//! Typed subscriptions: a service registers one handler per event type, and that registration is
//! all there is. The queue's bindings, the dispatch by type and the `migrate` step's topology are
//! all read from it, so what a service consumes is written once.

use std::{collections::BTreeMap, future::Future};

use common::db::Connection;
use events::{Envelope, Event};

use crate::{HandlerError, handler::HandlerFuture};

/// Handles one event type `E`: implemented by a service's handler state once per event it
/// consumes, and registered with [`Subscriptions::on`].
pub trait Handles<E: Event>: Send + Sync + 'static {
    /// Applies `event` (which arrived in `envelope`) inside `tx`. The runner commits `tx`, with
    /// the inbox record, when this returns `Ok`, and rolls it back otherwise.
    fn handle(
        &self,
        event: E,
        envelope: &Envelope,
        tx: &mut Connection,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Called once the effect of `event` is committed, for in-process notifications (someone in
    /// this process waiting to see it). Never called for duplicates or failures.
    fn committed(&self, _event: &E) {}
}

type Dispatch<H> = for<'a> fn(&'a H, &'a Envelope, &'a mut Connection) -> HandlerFuture<'a>;
type Committed<H> = fn(&H, &Envelope);

struct Route<H> {
    handle: Dispatch<H>,
    committed: Committed<H>,
}

/// The event types a service consumes, each with the handler registered for it.
pub struct Subscriptions<H> {
    routes: BTreeMap<&'static str, Route<H>>,
}

impl<H: Send + Sync + 'static> Default for Subscriptions<H> {
    fn default() -> Self {
        Self { routes: BTreeMap::new() }
    }
}

impl<H: Send + Sync + 'static> Subscriptions<H> {
    /// No subscriptions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes to `E`: its type becomes a binding of the service's queue, and its deliveries
    /// go to `H`'s [`Handles<E>`].
    ///
    /// # Panics
    /// When `E` is registered twice: one event type has one handler.
    pub fn on<E>(mut self) -> Self
    where
        E: Event + Send + 'static,
        H: Handles<E>,
    {
        let route = Route { handle: dispatch::<H, E>, committed: after_commit::<H, E> };
        assert!(self.routes.insert(E::TYPE, route).is_none(), "{} is subscribed to twice", E::TYPE);
        self
    }

    /// The subscribed event types, which are the queue's routing keys.
    pub fn event_types(&self) -> Vec<&'static str> {
        self.routes.keys().copied().collect()
    }

    /// Whether nothing is subscribed (the service runs no consumer).
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Applies `envelope` with the handler of its type. A type nobody registered can only come
    /// from a binding made by hand: it is refused and parked.
    pub(crate) fn handle<'a>(
        &self,
        handlers: &'a H,
        envelope: &'a Envelope,
        tx: &'a mut Connection,
    ) -> HandlerFuture<'a> {
        match self.routes.get(envelope.kind.as_str()) {
            Some(route) => (route.handle)(handlers, envelope, tx),
            None => {
                let kind = envelope.kind.clone();
                Box::pin(async move { Err(HandlerError::Reject(format!("no handler for {kind}"))) })
            }
        }
    }

    pub(crate) fn committed(&self, handlers: &H, envelope: &Envelope) {
        if let Some(route) = self.routes.get(envelope.kind.as_str()) {
            (route.committed)(handlers, envelope);
        }
    }
}

/// Decodes the payload (a payload that does not decode is parked) and hands it on.
fn dispatch<'a, H, E>(handlers: &'a H, envelope: &'a Envelope, tx: &'a mut Connection) -> HandlerFuture<'a>
where
    H: Handles<E>,
    E: Event + Send + 'static,
{
    Box::pin(async move {
        let event: E = envelope.decode()?;
        handlers.handle(event, envelope, tx).await
    })
}

fn after_commit<H, E>(handlers: &H, envelope: &Envelope)
where
    H: Handles<E>,
    E: Event + Send + 'static,
{
    if let Ok(event) = envelope.decode::<E>() {
        handlers.committed(&event);
    }
}
