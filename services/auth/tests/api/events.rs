//! What auth tells the other services: `user.registered`, exactly once per account, even when
//! the broker is away.

use std::sync::Arc;

use events::{Event, UserRegistered};
use reqwest::StatusCode;
use serde_json::Value;
use testkit::{EventCollector, TcpProxy};

use crate::helpers::{PASSWORD, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_publishes_one_user_registered_event_with_the_account() {
    let app = TestApp::spawn().await;
    let collector = app.collector(&["#"]).await;
    let account: Value = app.register("Ada@Example.com", PASSWORD).await.json().await.unwrap();

    let published = collector.collect(1).await;
    assert_eq!(published.len(), 1, "{published:?}");
    let envelope = &published[0];
    assert_eq!(envelope.kind, "user.registered");
    let event: UserRegistered = envelope.decode().unwrap();
    assert_eq!(event.user_id.to_string(), account["id"].as_str().unwrap());
    assert_eq!(event.email, "ada@example.com");
    assert_eq!(event.name, "Test User");
    assert_eq!(event.role, "customer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_registrations_publish_nothing() {
    let app = TestApp::spawn().await;
    let collector = app.collector(&["#"]).await;
    app.register("ada@example.com", PASSWORD).await;
    assert_eq!(app.register("ada@example.com", PASSWORD).await.status(), StatusCode::CONFLICT);
    assert_eq!(app.register("bob@example.com", "short").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let published = collector.collect(2).await;
    assert_eq!(published.len(), 1, "only the account that exists is announced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_during_a_broker_outage_succeed_and_their_events_follow_exactly_once() {
    let proxy = Arc::new(TcpProxy::start(&amqp_address()).await);
    let url = testkit::amqp_url().replacen(&amqp_address(), &proxy.address().to_string(), 1);
    let app = TestApp::spawn_with(&[("AMQP_URL", &url)]).await;
    let collector = app.collector(&[UserRegistered::TYPE]).await;
    wait_for_readiness(&app, StatusCode::OK).await;

    proxy.cut();
    wait_for_readiness(&app, StatusCode::SERVICE_UNAVAILABLE).await;
    let ready: Value = app.get("/health/ready").await.json().await.unwrap();
    assert_eq!(ready["checks"]["broker"], "down");
    assert_eq!(ready["checks"]["database"], "up");

    let mut registered = Vec::new();
    for i in 0..10 {
        let response = app.register(&format!("outage{i}@example.com"), PASSWORD).await;
        assert_eq!(response.status(), StatusCode::CREATED, "registration works without the broker");
        let body: Value = response.json().await.unwrap();
        registered.push(body["id"].as_str().unwrap().to_owned());
    }
    assert!(collector.drain().await.is_empty(), "nothing can have been published yet");

    proxy.restore();
    wait_for_readiness(&app, StatusCode::OK).await;
    let published = collector.collect(10).await;
    let mut ids: Vec<String> =
        published.iter().map(|e| e.decode::<UserRegistered>().unwrap().user_id.to_string()).collect();
    ids.sort();
    registered.sort();
    assert_eq!(ids, registered, "each account announced exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_trace_context_reaches_the_event() {
    let app = TestApp::spawn().await;
    let collector = app.collector(&["#"]).await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let body = serde_json::json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"});
    app.client
        .post(app.url("/auth/register"))
        .header("traceparent", traceparent)
        .json(&body)
        .send()
        .await
        .unwrap();
    let published = collector.collect(1).await;
    let carried = published[0].traceparent.as_deref().unwrap();
    assert!(carried.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{carried}");
    assert_ne!(carried, traceparent, "the event is a child span of the request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrapped_admin_is_announced_once() {
    let exchange = format!("test.events.{}", uuid::Uuid::now_v7().simple());
    let collector = EventCollector::bind(&exchange, &[UserRegistered::TYPE]).await;
    let settings = [
        ("AMQP_EXCHANGE", exchange.as_str()),
        ("SHOPPER_ADMIN_EMAIL", "root@example.com"),
        ("SHOPPER_ADMIN_PASSWORD", "admin password 1"),
    ];
    let first = TestApp::spawn_with(&settings).await;
    let _again = TestApp::spawn_on(&first.schema, &settings).await;
    let published = collector.collect(2).await;
    assert_eq!(published.len(), 1, "{published:?}");
    let event: UserRegistered = published[0].decode().unwrap();
    assert_eq!((event.email.as_str(), event.role.as_str()), ("root@example.com", "admin"));
}

fn amqp_address() -> String {
    let uri: lapin::uri::AMQPUri = testkit::amqp_url().parse().unwrap();
    format!("{}:{}", uri.authority.host, uri.authority.port)
}

async fn wait_for_readiness(app: &TestApp, wanted: StatusCode) {
    testkit::eventually(&format!("readiness becomes {wanted}"), || async {
        app.get("/health/ready").await.status() == wanted
    })
    .await;
}
