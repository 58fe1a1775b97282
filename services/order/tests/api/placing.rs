use events::{Event, OrderCreated, ReservedLine, StockReserved};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::Suite;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placed_order_waits_pending_until_its_stock_is_reserved_then_is_confirmed_at_that_price() {
    let suite = Suite::start().await;
    let created = suite.solo.run.collector(&[OrderCreated::TYPE]).await;
    let (customer, token) = suite.solo.customer();
    let product_id = Uuid::now_v7();

    let placed = suite
        .client
        .post(suite.solo.service.url("/order"))
        .bearer_auth(&token)
        .json(&json!({"items": [{"product_id": product_id, "quantity": 3}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), StatusCode::ACCEPTED);
    let placed: Value = placed.json().await.unwrap();
    assert_eq!(placed["status"], "pending");
    let id = placed["id"].as_str().unwrap().to_owned();

    let published = created.collect(1).await;
    assert_eq!(published.len(), 1, "{published:?}");
    let event: OrderCreated = published[0].decode().unwrap();
    assert_eq!((event.user_id, event.items[0].quantity), (customer, 3));

    let answer = StockReserved {
        order_id: event.order_id,
        items: vec![ReservedLine {
            product_id,
            name: "Enamel mug".into(),
            quantity: 3,
            unit_price_cents: 1250,
        }],
        currency: "USD".into(),
    };
    suite.solo.run.publish_event(&answer).await;
    let order = testkit::eventually_some("the order is confirmed", || async {
        let order: Value = suite.get(&id, &token).await.json().await.ok()?;
        (order["status"] == "confirmed").then_some(order)
    })
    .await;
    assert_eq!(order["total_cents"], 3750);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customers_order_is_not_found_and_an_empty_order_is_refused() {
    let suite = Suite::start().await;
    let (_, owner) = suite.solo.customer();
    let placed: Value = suite
        .client
        .post(suite.solo.service.url("/order"))
        .bearer_auth(&owner)
        .json(&json!({"items": [{"product_id": Uuid::now_v7(), "quantity": 1}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = placed["id"].as_str().unwrap();
    let (_, stranger) = suite.solo.customer();
    assert_eq!(suite.get(id, &stranger).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(suite.get(id, &owner).await.status(), StatusCode::OK);

    let empty = suite
        .client
        .post(suite.solo.service.url("/order"))
        .bearer_auth(&owner)
        .json(&json!({"items": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
