use std::{sync::Arc, time::Duration};

use events::{Event, UserDeleted};
use messaging::{Outbox, OutboxRelay, RelaySettings};
use testkit::{EventCollector, TcpProxy};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::helpers::*;

fn relay_settings() -> RelaySettings {
    RelaySettings {
        batch_size: 50,
        poll_interval: Duration::from_millis(200),
        max_backoff: Duration::from_millis(300),
        ..Default::default()
    }
}

/// Stages `count` events in one transaction each; commits them unless `rollback`.
async fn stage(schema: &Schema, outbox: &Outbox, count: usize, rollback: bool) {
    for _ in 0..count {
        let mut tx = schema.pool.begin().await.unwrap();
        Outbox::stage(&mut tx, &UserDeleted { user_id: Uuid::now_v7() }).await.unwrap();
        if rollback {
            tx.rollback().await.unwrap();
        } else {
            outbox.commit(tx).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_events_are_published_exactly_once_and_rolled_back_ones_never() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let collector = EventCollector::bind(&names.exchange, &[UserDeleted::TYPE]).await;
    let outbox = Outbox::new();
    let stop = CancellationToken::new();
    let relay = OutboxRelay::new(
        names.service,
        schema.pool.clone(),
        names.broker(&amqp_url()),
        outbox.clone(),
        relay_settings(),
    );
    tokio::spawn(relay.run(stop.clone()));

    stage(&schema, &outbox, 5, true).await;
    stage(&schema, &outbox, 7, false).await;
    eventually("every committed row is marked sent", || async { schema.pending().await == 0 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.cancel();

    let published = collector.drain().await;
    assert_eq!(published.len(), 7);
    let mut ids: Vec<Uuid> = published.iter().map(|e| e.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 7, "an event was published twice");
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(&schema.pool).await.unwrap();
    assert_eq!(stored, 7, "rolled-back events left rows behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_published_in_the_order_they_were_committed() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let collector = EventCollector::bind(&names.exchange, &[UserDeleted::TYPE]).await;
    let outbox = Outbox::new();
    stage(&schema, &outbox, 120, false).await;
    let committed: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM outbox ORDER BY seq").fetch_all(&schema.pool).await.unwrap();

    let stop = CancellationToken::new();
    let relay = OutboxRelay::new(
        names.service,
        schema.pool.clone(),
        names.broker(&amqp_url()),
        outbox,
        relay_settings(),
    );
    tokio::spawn(relay.run(stop.clone()));
    eventually("the backlog drains", || async { schema.pending().await == 0 }).await;
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let published: Vec<Uuid> = collector.drain().await.iter().map(|e| e.id).collect();
    assert_eq!(published, committed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_staged_while_the_broker_is_unreachable_are_published_once_it_is_back() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let collector = EventCollector::bind(&names.exchange, &[UserDeleted::TYPE]).await;
    let proxy = Arc::new(TcpProxy::start(&amqp_address()).await);
    let url = amqp_url().replacen(&amqp_address(), &proxy.address().to_string(), 1);
    let broker = names.broker(&url);
    let outbox = Outbox::new();
    let stop = CancellationToken::new();
    tokio::spawn(
        OutboxRelay::new(
            names.service,
            schema.pool.clone(),
            broker.clone(),
            outbox.clone(),
            relay_settings(),
        )
        .run(stop.clone()),
    );

    stage(&schema, &outbox, 2, false).await;
    eventually("the first events go out", || async { schema.pending().await == 0 }).await;

    proxy.cut();
    stage(&schema, &outbox, 10, false).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(schema.pending().await, 10, "nothing can be published during the outage");
    assert!(!broker.is_connected().await);

    proxy.restore();
    eventually("the backlog is published after the outage", || async { schema.pending().await == 0 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.cancel();
    let published = collector.drain().await;
    let mut ids: Vec<Uuid> = published.iter().map(|e| e.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(published.len(), 12);
    assert_eq!(ids.len(), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_publishes_after_a_commit_without_waiting_for_its_poll() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let collector = EventCollector::bind(&names.exchange, &[UserDeleted::TYPE]).await;
    let outbox = Outbox::new();
    let stop = CancellationToken::new();
    let slow_poll = RelaySettings { poll_interval: Duration::from_secs(30), ..relay_settings() };
    tokio::spawn(
        OutboxRelay::new(
            names.service,
            schema.pool.clone(),
            names.broker(&amqp_url()),
            outbox.clone(),
            slow_poll,
        )
        .run(stop.clone()),
    );
    tokio::time::sleep(Duration::from_millis(500)).await; // the relay is now waiting on its 30 s poll
    stage(&schema, &outbox, 1, false).await;
    eventually("the woken relay publishes", || async { schema.pending().await == 0 }).await;
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(collector.drain().await.len(), 1);
}
