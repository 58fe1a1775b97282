//! Two replicas of the product service, each with its read cache: a change made through one is
//! read through the other within a second, also while the other cannot reach RabbitMQ, and a
//! conditional read never answers 304 for a version that has changed.

use std::time::{Duration, Instant};

use product::ProductService;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use testkit::{Solo, TcpProxy};

fn lamp(price_cents: i64) -> Value {
    json!({"sku": "LAMP-1", "name": "Walnut lamp", "description": "Oiled.", "price_cents": price_cents, "stock": 3, "category": "lighting"})
}

async fn read(client: &Client, url: &str) -> (String, Value) {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tag = response.headers()["etag"].to_str().unwrap().to_owned();
    (tag, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_replica_is_read_through_the_other_within_a_second_without_the_broker() {
    let first = Solo::start::<ProductService>(&[]).await;
    let broker = TcpProxy::start("127.0.0.1:5672").await;
    let through_proxy = testkit::amqp_url().replace("127.0.0.1:5672", &broker.address().to_string());
    let jwks = first.mint.jwks_url();
    let settings = [("AUTH_JWKS_URL", jwks.as_str()), ("AMQP_URL", through_proxy.as_str())];
    let second = first.run.spawn_with::<ProductService>(&settings).await;
    let (client, admin) = (Client::new(), first.admin());

    let creating = client.post(first.service.url("/product")).bearer_auth(&admin).json(&lamp(4000));
    let created: Value = creating.send().await.unwrap().json().await.unwrap();
    let path = format!("/product/{}", created["id"].as_str().unwrap());
    let (old_tag, held) = read(&client, &second.url(&path)).await;
    assert_eq!(held["price_cents"], 4000);
    assert_eq!(read(&client, &second.url(&path)).await.0, old_tag, "served again, from memory");

    broker.cut();
    let changed =
        client.put(first.service.url(&path)).bearer_auth(&admin).json(&lamp(4500)).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let changed_at = Instant::now();

    // Asked with the old ETag, the other replica answers from the database: never a stale 304.
    let conditional = client.get(second.url(&path)).header("if-none-match", &old_tag).send().await.unwrap();
    assert_eq!(conditional.status(), StatusCode::OK);
    assert_ne!(conditional.headers()["etag"].to_str().unwrap(), old_tag);

    loop {
        let (tag, seen) = read(&client, &second.url(&path)).await;
        if seen["price_cents"] == 4500 {
            assert_ne!(tag, old_tag);
            break;
        }
        assert!(
            changed_at.elapsed() < Duration::from_secs(1),
            "the other replica still serves the old product"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    broker.restore();
}
