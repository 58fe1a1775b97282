//! Waiting, inside one request, for the saga to settle an order.
//!
//! `POST /order` may wait a short moment so most clients get the final status at once. The
//! consumer that applies the product service's answer rings the waiter in this process right
//! after its commit, and so does the payment job that stores the order's PaymentIntent; another
//! instance's cannot, so waiters also re-read the order at a short interval. Nothing here is
//! needed for correctness: a waiter that gives up answers with the order as it is (202 while
//! pending).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::sync::Notify;
use uuid::Uuid;

/// How often a waiter re-reads when no ring comes (the answer may land on another instance).
pub(crate) const POLL: Duration = Duration::from_millis(200);

/// Orders someone in this process is waiting on.
#[derive(Clone, Default)]
pub(crate) struct Settlements {
    waiting: Arc<Mutex<HashMap<Uuid, Arc<Notify>>>>,
}

impl Settlements {
    /// Starts waiting for `order`; register before the order is committed, so no ring is missed.
    pub(crate) fn watch(&self, order: Uuid) -> Watch {
        let bell = Arc::new(Notify::new());
        self.lock().insert(order, bell.clone());
        Watch { order, bell, settlements: self.clone() }
    }

    /// Rings whoever waits for `order` (a stored permit if they are between two looks).
    pub(crate) fn settled(&self, order: Uuid) {
        if let Some(bell) = self.lock().get(&order) {
            bell.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Notify>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One waiter; stops waiting when dropped.
pub(crate) struct Watch {
    order: Uuid,
    bell: Arc<Notify>,
    settlements: Settlements,
}

impl Watch {
    /// Returns when the order is rung or `at_most` has passed.
    pub(crate) async fn ring(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.bell.notified()).await;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.settlements.lock().remove(&self.order);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn a_ring_before_the_wait_is_not_lost() {
        let settlements = Settlements::default();
        let order = Uuid::now_v7();
        let watch = settlements.watch(order);
        settlements.settled(order);
        let started = Instant::now();
        watch.ring(Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_dropped_watch_is_forgotten() {
        let settlements = Settlements::default();
        let order = Uuid::now_v7();
        drop(settlements.watch(order));
        settlements.settled(order);
        assert!(settlements.lock().is_empty());
    }
}
