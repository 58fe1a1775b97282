use std::time::Duration;

use events::{Event, OrderCancelled, OrderCreated, OrderLine, RejectionReason, StockRejected, StockReserved};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::Stack;

async fn product(stack: &Stack, admin: &str, sku: &str, stock: i64, price: i64) -> Uuid {
    let body = json!({"sku": sku, "name": format!("Item {sku}"), "description": "For the saga", "price_cents": price, "stock": stock, "category": "test"});
    let response = stack.product_call(Method::POST, "/product", Some(admin), Some(body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().parse().unwrap()
}

async fn stock(stack: &Stack, id: Uuid) -> i64 {
    let product: Value =
        stack.product_call(Method::GET, &format!("/product/{id}"), None, None).await.json().await.unwrap();
    product["stock"].as_i64().unwrap()
}

fn order(lines: &[(Uuid, i64)]) -> OrderCreated {
    OrderCreated {
        order_id: Uuid::now_v7(),
        user_id: Uuid::now_v7(),
        items: lines
            .iter()
            .map(|(product_id, quantity)| OrderLine { product_id: *product_id, quantity: *quantity })
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_orders_of_one_against_a_stock_of_ten_reserve_exactly_ten() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let id = product(&stack, &admin, "HOT-1", 10, 999).await;
    let answers =
        testkit::EventCollector::bind(&stack.exchange, &[StockReserved::TYPE, StockRejected::TYPE]).await;
    let orders: Vec<OrderCreated> = (0..50).map(|_| order(&[(id, 1)])).collect();
    futures_util::future::join_all(orders.iter().map(|o| stack.publish(o))).await;

    let decided = answers.collect(50).await;
    let reserved = decided.iter().filter(|e| e.kind == StockReserved::TYPE).count();
    let rejected: Vec<StockRejected> =
        decided.iter().filter(|e| e.kind == StockRejected::TYPE).map(|e| e.decode().unwrap()).collect();
    assert_eq!(decided.len(), 50, "one answer per order");
    assert_eq!(reserved, 10);
    assert_eq!(rejected.len(), 40);
    assert!(rejected.iter().all(|r| r.lines[0].reason == RejectionReason::Short));
    assert_eq!(stock(&stack, id).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reservation_is_all_or_nothing_with_authoritative_prices_and_a_reason_per_line() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let plenty = product(&stack, &admin, "PLENTY", 10, 250).await;
    let scarce = product(&stack, &admin, "SCARCE", 1, 999).await;
    let gone = product(&stack, &admin, "GONE", 5, 100).await;
    stack.product_call(Method::DELETE, &format!("/product/{gone}"), Some(&admin), None).await;
    let answers =
        testkit::EventCollector::bind(&stack.exchange, &[StockReserved::TYPE, StockRejected::TYPE]).await;

    let unknown = Uuid::now_v7();
    stack.publish(&order(&[(plenty, 2), (scarce, 3), (gone, 1), (unknown, 1)])).await;
    let answer = answers.collect(1).await;
    let rejection: StockRejected = answer[0].decode().unwrap();
    let mut reasons: Vec<(Uuid, RejectionReason)> =
        rejection.lines.iter().map(|l| (l.product_id, l.reason)).collect();
    reasons.sort();
    let mut expected = vec![
        (scarce, RejectionReason::Short),
        (gone, RejectionReason::Deleted),
        (unknown, RejectionReason::Unknown),
    ];
    expected.sort();
    assert_eq!(reasons, expected);
    assert_eq!(stock(&stack, plenty).await, 10, "nothing reserved when any line fails");

    stack.publish(&order(&[(plenty, 2), (scarce, 1)])).await;
    let reserved: StockReserved = answers.collect(1).await[0].decode().unwrap();
    let prices: Vec<(i64, i64)> = {
        let mut lines: Vec<_> = reserved.items.iter().map(|l| (l.unit_price_cents, l.quantity)).collect();
        lines.sort();
        lines
    };
    assert_eq!(prices, [(250, 2), (999, 1)]);
    assert_eq!(reserved.currency, "USD");
    assert_eq!((stock(&stack, plenty).await, stock(&stack, scarce).await), (8, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_order_reserves_once_and_a_duplicate_cancel_releases_once() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let id = product(&stack, &admin, "DUP-1", 10, 500).await;
    let answers =
        testkit::EventCollector::bind(&stack.exchange, &[StockReserved::TYPE, StockRejected::TYPE]).await;
    let created = order(&[(id, 3)]);
    // The same order twice, as two different messages: the inbox cannot catch it, the order id does.
    stack.publish(&created).await;
    stack.publish(&created).await;
    assert_eq!(answers.collect(2).await.len(), 1, "one answer");
    assert_eq!(stock(&stack, id).await, 7);

    let cancel = OrderCancelled { order_id: created.order_id, user_id: created.user_id };
    stack.publish(&cancel).await;
    stack.publish(&cancel).await;
    stack.eventually("the stock is back", || async { stock(&stack, id).await == 10 }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stock(&stack, id).await, 10, "released exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_cancelled_before_it_was_reserved_never_takes_stock() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let id = product(&stack, &admin, "LATE-1", 10, 500).await;
    let created = order(&[(id, 4)]);
    stack.publish(&OrderCancelled { order_id: created.order_id, user_id: created.user_id }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stack.publish(&created).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stock(&stack, id).await, 10);
}
