use std::{sync::Arc, sync::atomic::Ordering, time::Duration};

use messaging::{Outbox, QueueNames};
use testkit::TcpProxy;
use tracing::Instrument;

use crate::helpers::*;

const ATTEMPT: &str = "x-shopper-attempt";
const PARK_REASON: &str = "x-shopper-park-reason";

fn header(message: &lapin::message::BasicGetMessage, key: &str) -> Option<lapin::types::AMQPValue> {
    message.delivery.properties.headers().as_ref()?.inner().get(key).cloned()
}

fn text(value: lapin::types::AMQPValue) -> String {
    match value {
        lapin::types::AMQPValue::LongString(s) => s.to_string(),
        other => panic!("not a string header: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_delivered_twice_has_one_effect() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let test = TestBroker::connect().await;
    let recorder = Recorder::new(Script::default());
    let stop = spawn_consumer(
        &schema,
        names.broker(&amqp_url()),
        &names,
        recorder.clone(),
        fast_consumer_settings(3),
    );
    test.wait_for_queue(&QueueNames::new(names.service).events).await;

    let channel = test.channel().await;
    let event = deleted_event();
    publish_envelope(&channel, &names.exchange, &event).await;
    publish_envelope(&channel, &names.exchange, &event).await;
    eventually("both deliveries are handled", || async { recorder.calls.load(Ordering::SeqCst) >= 1 }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();
    assert_eq!(schema.effects().await, 1);
    let inbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox").fetch_one(&schema.pool).await.unwrap();
    assert_eq!(inbox, 1);
    // The queue is empty: the duplicate was acknowledged, not left to come back.
    assert!(take(&channel, &QueueNames::new(names.service).events).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_handler_is_retried_and_its_effect_applied_once_it_succeeds() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let test = TestBroker::connect().await;
    let recorder = Recorder::new(Script { failures: 2, ..Default::default() });
    let stop = spawn_consumer(
        &schema,
        names.broker(&amqp_url()),
        &names,
        recorder.clone(),
        fast_consumer_settings(3),
    );
    test.wait_for_queue(&QueueNames::new(names.service).events).await;

    publish_envelope(&test.channel().await, &names.exchange, &deleted_event()).await;
    eventually("the third attempt applies the effect", || async { schema.effects().await == 1 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.cancel();
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 3);
    assert_eq!(schema.effects().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_keeps_failing_is_parked_with_its_reason_after_the_last_attempt() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let queues = QueueNames::new(names.service);
    let test = TestBroker::connect().await;
    let recorder = Recorder::new(Script { failures: usize::MAX, ..Default::default() });
    let stop = spawn_consumer(
        &schema,
        names.broker(&amqp_url()),
        &names,
        recorder.clone(),
        fast_consumer_settings(2),
    );
    test.wait_for_queue(&queues.events).await;

    let event = deleted_event();
    publish_envelope(&test.channel().await, &names.exchange, &event).await;
    let channel = test.channel().await;
    let parked = take_eventually(&channel, &queues.dead, "the message reaches the parking queue").await;
    stop.cancel();
    let body: events::Envelope = serde_json::from_slice(&parked.delivery.data).unwrap();
    assert_eq!(body.id, event.id, "the parked message is the original, intact");
    assert_eq!(header(&parked, ATTEMPT), Some(lapin::types::AMQPValue::LongLongInt(3)));
    let reason = text(header(&parked, PARK_REASON).unwrap());
    assert!(reason.contains("gave up after 3 attempts"), "{reason}");
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 3, "two retries, then parked, never hot-looped");
    assert_eq!(schema.effects().await, 0);
    assert!(queues.dead.contains("dead"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_event_is_parked_at_once_without_retries() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let queues = QueueNames::new(names.service);
    let test = TestBroker::connect().await;
    let recorder = Recorder::new(Script { reject: true, ..Default::default() });
    let stop = spawn_consumer(
        &schema,
        names.broker(&amqp_url()),
        &names,
        recorder.clone(),
        fast_consumer_settings(3),
    );
    test.wait_for_queue(&queues.events).await;

    publish_envelope(&test.channel().await, &names.exchange, &deleted_event()).await;
    let channel = test.channel().await;
    let parked = take_eventually(&channel, &queues.dead, "the message is parked").await;
    stop.cancel();
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 1);
    let reason = text(header(&parked, PARK_REASON).unwrap());
    assert!(reason.contains("can never apply"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_message_is_parked_at_once_and_the_consumer_carries_on() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let queues = QueueNames::new(names.service);
    let test = TestBroker::connect().await;
    let recorder = Recorder::new(Script::default());
    let stop = spawn_consumer(
        &schema,
        names.broker(&amqp_url()),
        &names,
        recorder.clone(),
        fast_consumer_settings(3),
    );
    test.wait_for_queue(&queues.events).await;

    let channel = test.channel().await;
    publish_raw(&channel, &names.exchange, "user.deleted", b"{ this is not an envelope").await;
    publish_envelope(&channel, &names.exchange, &deleted_event()).await;
    let parked = take_eventually(&channel, &queues.dead, "the garbage is parked").await;
    eventually("the good message behind it is applied", || async { schema.effects().await == 1 }).await;
    stop.cancel();
    assert_eq!(parked.delivery.data, b"{ this is not an envelope");
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 1, "the handler never saw the garbage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_cut_off_between_commit_and_ack_gets_the_message_again_and_applies_it_once() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let queues = QueueNames::new(names.service);
    let test = TestBroker::connect().await;
    let proxy = Arc::new(TcpProxy::start(&amqp_address()).await);
    let url = amqp_url().replacen(&amqp_address(), &proxy.address().to_string(), 1);
    // The handler cuts the consumer's connection after writing its effect: the runner then
    // commits (the database is not behind the proxy) but cannot ack.
    let recorder = Recorder::new(Script { cut_on_first_call: Some(proxy.clone()), ..Default::default() });
    let stop =
        spawn_consumer(&schema, names.broker(&url), &names, recorder.clone(), fast_consumer_settings(3));
    test.wait_for_queue(&queues.events).await;

    publish_envelope(&test.channel().await, &names.exchange, &deleted_event()).await;
    eventually("the first delivery is handled", || async { recorder.calls.load(Ordering::SeqCst) == 1 })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.restore();
    eventually("the message is redelivered after the reconnection", || async {
        let inbox_hits: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM inbox").fetch_one(&schema.pool).await.unwrap();
        inbox_hits == 1 && take(&test.channel().await, &queues.events).await.is_none()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();
    assert_eq!(schema.effects().await, 1);
    assert_eq!(
        recorder.calls.load(Ordering::SeqCst),
        1,
        "the redelivery was recognised before the handler ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_context_travels_from_staging_to_the_handler() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let test = TestBroker::connect().await;
    let recorder = Recorder::new(Script::default());
    let broker = names.broker(&amqp_url());
    let stop = spawn_consumer(&schema, broker.clone(), &names, recorder.clone(), fast_consumer_settings(3));
    test.wait_for_queue(&QueueNames::new(names.service).events).await;
    let outbox = Outbox::new();
    tokio::spawn(
        messaging::OutboxRelay::new(
            names.service,
            schema.pool.clone(),
            broker,
            outbox.clone(),
            Default::default(),
        )
        .run(stop.clone()),
    );

    // A request that arrived with a trace context, as the HTTP stack continues it.
    testkit::init_telemetry();
    let request = tracing::info_span!("request", trace_id = tracing::field::Empty);
    let caller = std::collections::HashMap::from([(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    )]);
    common::telemetry::continue_trace(&request, names.service, &caller);
    async {
        let mut tx = schema.pool.begin().await.unwrap();
        Outbox::stage(&mut tx, &events::UserDeleted { user_id: uuid::Uuid::now_v7() }).await.unwrap();
        outbox.commit(tx).await.unwrap();
    }
    .instrument(request)
    .await;
    eventually("the event is handled", || async { schema.effects().await == 1 }).await;
    stop.cancel();
    assert_eq!(
        recorder.traces.lock().unwrap().clone(),
        vec![Some("4bf92f3577b34da6a3ce929d0e0e4736".to_owned())],
        "the handler ran in the caller's trace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_retried_and_the_consumer_keeps_running() {
    let schema = Schema::create().await;
    let names = Names::unique();
    let test = TestBroker::connect().await;
    let recorder = Recorder::new(Script { panic_first: true, ..Default::default() });
    let stop = spawn_consumer(
        &schema,
        names.broker(&amqp_url()),
        &names,
        recorder.clone(),
        fast_consumer_settings(3),
    );
    test.wait_for_queue(&QueueNames::new(names.service).events).await;

    publish_envelope(&test.channel().await, &names.exchange, &deleted_event()).await;
    publish_envelope(&test.channel().await, &names.exchange, &deleted_event()).await;
    eventually("both events are applied", || async { schema.effects().await == 2 }).await;
    stop.cancel();
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 3, "one panic, one retry, one plain success");
}
