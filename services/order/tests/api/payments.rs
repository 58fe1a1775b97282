use aws_lc_rs::hmac;
use events::{Event, OrderCancelled, OrderCreated, OrderPaid, OrderRefunded, ReservedLine, StockReserved};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, header_exists, method, path},
};

use crate::helpers::Suite;

const WEBHOOK_SECRET: &str = "whsec_test_secret";

/// Stripe's `POST /v1/payment_intents`.
fn intent_creation() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/v1/payment_intents"))
}

/// The intent Stripe answers with.
fn intent_pi_1() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"id": "pi_1", "client_secret": "pi_1_secret_abc"}))
}

/// Stripe as its documentation describes it, for the calls shopper makes.
async fn stripe() -> MockServer {
    let stripe = MockServer::start().await;
    intent_creation()
        .and(header("authorization", "Bearer sk_test_key"))
        .and(header_exists("idempotency-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "pi_1", "object": "payment_intent", "client_secret": "pi_1_secret_abc",
            "amount": 3750, "currency": "usd", "status": "requires_payment_method"
        })))
        .mount(&stripe)
        .await;
    stripe
}

/// Stripe cancelling `pi_1`, which it must be asked to do exactly once.
async fn cancels_pi_1_once(stripe: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents/pi_1/cancel"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "pi_1", "status": "canceled"})))
        .expect(1)
        .mount(stripe)
        .await;
}

/// Stripe refunding; each test counts the refunds it was asked for.
async fn refunds(stripe: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "re_1", "status": "succeeded"})))
        .mount(stripe)
        .await;
}

/// Waits until shopper has asked `stripe` to cancel `pi_1`.
async fn intent_cancelled_at(stripe: &MockServer) {
    testkit::eventually("the intent is cancelled at Stripe", || async {
        stripe
            .received_requests()
            .await
            .unwrap()
            .iter()
            .any(|r| r.url.path() == "/v1/payment_intents/pi_1/cancel")
    })
    .await;
}

async fn paying_suite(stripe: &MockServer, window_secs: &str) -> Suite {
    paying_suite_with(stripe, &[("ORDER_PAYMENT_WINDOW_SECS", window_secs)]).await
}

/// The order service taking payments through `stripe`, with `extra` settings.
async fn paying_suite_with(stripe: &MockServer, extra: &[(&str, &str)]) -> Suite {
    let uri = stripe.uri();
    let mut settings = vec![
        ("PAYMENT_PROVIDER", "stripe"),
        ("STRIPE_BASE_URL", uri.as_str()),
        ("STRIPE_API_KEY", "sk_test_key"),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ];
    settings.extend_from_slice(extra);
    Suite::with(&settings).await
}

/// Places an order of `quantity` units and answers for its stock as the product service would,
/// at `unit_price_cents`; returns the order's id.
async fn reserved(suite: &Suite, token: &str, quantity: i64, unit_price_cents: i64) -> String {
    let created = suite.solo.run.collector(&[OrderCreated::TYPE]).await;
    let product_id = Uuid::now_v7();
    let body = json!({"items": [{"product_id": product_id, "quantity": quantity}]});
    let placed: Value = suite.call(Method::POST, "/order", token, Some(body)).await.json().await.unwrap();
    let id = placed["id"].as_str().unwrap().to_owned();
    let order: OrderCreated = created.collect(1).await[0].decode().unwrap();
    let answer = StockReserved {
        order_id: order.order_id,
        items: vec![ReservedLine { product_id, name: "Enamel mug".into(), quantity, unit_price_cents }],
        currency: "USD".into(),
    };
    suite.solo.run.publish_event(&answer).await;
    id
}

/// An order of three mugs at $12.50, once its payment intent exists.
async fn confirmed(suite: &Suite, token: &str) -> String {
    let id = reserved(suite, token, 3, 1250).await;
    testkit::eventually("the order has its payment intent", || async {
        let order: Value = suite.get(&id, token).await.json().await.unwrap();
        order["payment"]["intent_id"] == "pi_1"
    })
    .await;
    id
}

/// The `Stripe-Signature` Stripe would send, computed here independently of the service.
fn signed(body: &str, secret: &str, at: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, format!("{at}.{body}").as_bytes());
    format!("t={at},v1={}", hex::encode(tag.as_ref()))
}

fn intent_event(id: &str, kind: &str, intent: &str, amount: i64) -> String {
    json!({
        "id": id, "object": "event", "type": kind,
        "data": {"object": {"id": intent, "object": "payment_intent", "amount": amount, "currency": "usd"}}
    })
    .to_string()
}

async fn webhook(suite: &Suite, body: &str, signature: &str) -> StatusCode {
    let request = suite.client.post(suite.solo.service.url("/payments/stripe/webhook"));
    let request = request.header("stripe-signature", signature).header("content-type", "application/json");
    request.body(body.to_owned()).send().await.unwrap().status()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn payment_status(suite: &Suite, id: &str, token: &str) -> Value {
    suite.get(id, token).await.json::<Value>().await.unwrap()["payment_status"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_order_gets_one_intent_and_only_a_signed_success_for_its_amount_pays_it() {
    let stripe = stripe().await;
    let suite = paying_suite(&stripe, "900").await;
    let paid = suite.solo.run.collector(&[OrderPaid::TYPE]).await;
    let (_, owner) = suite.solo.customer();
    let id = confirmed(&suite, &owner).await;

    let order: Value = suite.get(&id, &owner).await.json().await.unwrap();
    assert_eq!(order["payment_status"], "awaiting_payment");
    assert_eq!(
        (order["payment"]["amount_cents"].as_i64(), order["payment"]["currency"].as_str()),
        (Some(3750), Some("USD"))
    );
    assert_eq!(order["payment"]["client_secret"], "pi_1_secret_abc", "the owner gets the client secret");
    let admin = suite.solo.admin();
    let seen_by_admin: Value = suite.get(&id, &admin).await.json().await.unwrap();
    assert!(seen_by_admin["payment"]["client_secret"].is_null(), "nobody else does");
    let ship = json!({"status": "shipped"});
    let unpaid = suite.call(Method::PUT, &format!("/order/{id}"), &admin, Some(ship.clone())).await;
    assert_eq!(unpaid.status(), StatusCode::CONFLICT, "an unpaid order does not ship");

    let success = intent_event("evt_1", "payment_intent.succeeded", "pi_1", 3750);
    assert_eq!(
        webhook(&suite, &success, &signed(&success, "whsec_other", now())).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        webhook(&suite, &success, &signed(&success, WEBHOOK_SECRET, now() - 301)).await,
        StatusCode::BAD_REQUEST
    );
    let tampered = success.replace("3750", "1");
    assert_eq!(
        webhook(&suite, &tampered, &signed(&success, WEBHOOK_SECRET, now())).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        payment_status(&suite, &id, &owner).await,
        "awaiting_payment",
        "refused webhooks change nothing"
    );

    let wrong_amount = intent_event("evt_0", "payment_intent.succeeded", "pi_1", 100);
    assert_eq!(
        webhook(&suite, &wrong_amount, &signed(&wrong_amount, WEBHOOK_SECRET, now())).await,
        StatusCode::OK
    );
    assert_eq!(payment_status(&suite, &id, &owner).await, "awaiting_payment", "a wrong amount pays nothing");

    for _ in 0..5 {
        assert_eq!(webhook(&suite, &success, &signed(&success, WEBHOOK_SECRET, now())).await, StatusCode::OK);
    }
    assert_eq!(payment_status(&suite, &id, &owner).await, "paid");
    let failure = intent_event("evt_2", "payment_intent.payment_failed", "pi_1", 3750);
    assert_eq!(webhook(&suite, &failure, &signed(&failure, WEBHOOK_SECRET, now())).await, StatusCode::OK);
    assert_eq!(payment_status(&suite, &id, &owner).await, "paid", "a late failure never undoes a payment");
    let announced = paid.collect(1).await;
    assert_eq!(announced.len(), 1, "one order.paid for five deliveries: {announced:?}");
    let event: OrderPaid = announced[0].decode().unwrap();
    assert_eq!((event.amount_cents, event.items.len()), (3750, 1));

    let shipped = suite.call(Method::PUT, &format!("/order/{id}"), &admin, Some(ship)).await;
    assert_eq!(shipped.status(), StatusCode::OK);
    let unknown = intent_event("evt_3", "payment_intent.succeeded", "pi_unknown", 3750);
    assert_eq!(webhook(&suite, &unknown, &signed(&unknown, WEBHOOK_SECRET, now())).await, StatusCode::OK);
    let creations = stripe
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/payment_intents")
        .count();
    assert_eq!(creations, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placing_an_order_waits_for_its_intent_so_the_answer_says_how_to_pay() {
    let stripe = stripe().await;
    let suite = paying_suite_with(&stripe, &[("ORDER_SETTLE_WAIT_MS", "10000")]).await;
    let created = suite.solo.run.collector(&[OrderCreated::TYPE]).await;
    let (_, owner) = suite.solo.customer();
    let product_id = Uuid::now_v7();
    let body = json!({"items": [{"product_id": product_id, "quantity": 2}]});
    let placing = suite.call(Method::POST, "/order", &owner, Some(body));
    let answering = async {
        let order: OrderCreated = created.collect(1).await[0].decode().unwrap();
        let line =
            ReservedLine { product_id, name: "Enamel mug".into(), quantity: 2, unit_price_cents: 1250 };
        let answer = StockReserved { order_id: order.order_id, items: vec![line], currency: "USD".into() };
        suite.solo.run.publish_event(&answer).await;
    };
    let (placed, ()) = tokio::join!(placing, answering);
    assert_eq!(placed.status(), StatusCode::CREATED);
    let order: Value = placed.json().await.unwrap();
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("confirmed"), Some("awaiting_payment"))
    );
    assert_eq!(order["payment"]["intent_id"], "pi_1", "the intent is in the answer: {order}");
    assert_eq!(order["payment"]["client_secret"], "pi_1_secret_abc");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_failing_once_still_ends_with_one_intent_created_under_one_key() {
    let stripe = MockServer::start().await;
    intent_creation()
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"type": "api_error", "message": "boom"}})),
        )
        .up_to_n_times(1)
        .mount(&stripe)
        .await;
    intent_creation().respond_with(intent_pi_1()).mount(&stripe).await;
    let suite = paying_suite(&stripe, "900").await;
    let (_, owner) = suite.solo.customer();
    let id = confirmed(&suite, &owner).await;
    let calls = stripe.received_requests().await.unwrap();
    let keys: Vec<&str> = calls.iter().map(|r| r.headers["idempotency-key"].to_str().unwrap()).collect();
    assert_eq!(keys.len(), 2, "one failure, one retry");
    assert_eq!(keys[0], keys[1], "the retry carries the first call's key");
    assert_eq!(keys[0], format!("shopper-{id}-create_intent"));
    let form = String::from_utf8(calls[1].body.clone()).unwrap();
    assert!(form.contains("amount=3750") && form.contains("currency=usd"), "{form}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_unpaid_when_its_window_closes_is_cancelled_with_its_intent_and_its_stock() {
    let stripe = stripe().await;
    cancels_pi_1_once(&stripe).await;
    let suite = paying_suite(&stripe, "2").await;
    let cancelled = suite.solo.run.collector(&[OrderCancelled::TYPE]).await;
    let (_, owner) = suite.solo.customer();
    let id = confirmed(&suite, &owner).await;
    let order = testkit::eventually_some("the order expires", || async {
        let order: Value = suite.get(&id, &owner).await.json().await.unwrap();
        (order["status"] == "cancelled").then_some(order)
    })
    .await;
    assert_eq!(order["payment_status"], "expired");
    assert_eq!(cancelled.collect(1).await.len(), 1, "the product service is told to release the stock");
    intent_cancelled_at(&stripe).await;
    let late = intent_event("evt_late", "payment_intent.payment_failed", "pi_1", 3750);
    assert_eq!(webhook(&suite, &late, &signed(&late, WEBHOOK_SECRET, now())).await, StatusCode::OK);
    assert_eq!(payment_status(&suite, &id, &owner).await, "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_paid_order_refunds_it_once() {
    let stripe = stripe().await;
    refunds(&stripe).await;
    let suite = paying_suite(&stripe, "900").await;
    let refunded = suite.solo.run.collector(&[OrderRefunded::TYPE]).await;
    let (_, owner) = suite.solo.customer();
    let id = confirmed(&suite, &owner).await;
    let success = intent_event("evt_1", "payment_intent.succeeded", "pi_1", 3750);
    assert_eq!(webhook(&suite, &success, &signed(&success, WEBHOOK_SECRET, now())).await, StatusCode::OK);

    let cancel = json!({"status": "cancelled"});
    let first = suite.call(Method::PUT, &format!("/order/{id}"), &owner, Some(cancel.clone())).await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = suite.call(Method::PUT, &format!("/order/{id}"), &owner, Some(cancel)).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "cancelled already");
    testkit::eventually("the order is refunded", || async {
        payment_status(&suite, &id, &owner).await == "refunded"
    })
    .await;
    let events = refunded.collect(1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let refunds: Vec<_> = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].headers["idempotency-key"].to_str().unwrap(), format!("shopper-{id}-refund"));
    assert!(String::from_utf8(refunds[0].body.clone()).unwrap().contains("payment_intent=pi_1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_stripe_down_the_order_waits_for_its_intent_and_the_service_stays_ready() {
    let stripe = MockServer::start().await;
    intent_creation().respond_with(ResponseTemplate::new(503)).mount(&stripe).await;
    let suite = paying_suite(&stripe, "900").await;
    let (_, owner) = suite.solo.customer();
    let id = reserved(&suite, &owner, 1, 1250).await;
    testkit::eventually("Stripe is asked again after failing", || async {
        stripe.received_requests().await.unwrap().len() >= 2
    })
    .await;
    let order: Value = suite.get(&id, &owner).await.json().await.unwrap();
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("confirmed"), Some("awaiting_payment"))
    );
    assert!(order["payment"]["intent_id"].is_null(), "no intent yet");
    let ready = suite.client.get(suite.solo.service.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "readiness does not depend on Stripe");
}

/// Answers Stripe's intent creation like Stripe, but first cuts the order service off from its
/// database, as a crash right after the call would leave it: the intent exists, nobody stored it.
struct CutThenCreate {
    proxy: std::sync::Arc<testkit::TcpProxy>,
}

impl wiremock::Respond for CutThenCreate {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        self.proxy.cut();
        intent_pi_1()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_created_but_never_stored_is_asked_for_again_under_the_same_key() {
    let database: String =
        testkit::database_url().trim_start_matches("mysql://").rsplit('@').next().unwrap().to_owned();
    let proxy = std::sync::Arc::new(testkit::TcpProxy::start(&database).await);
    let stripe = MockServer::start().await;
    intent_creation()
        .respond_with(CutThenCreate { proxy: proxy.clone() })
        .up_to_n_times(1)
        .mount(&stripe)
        .await;
    intent_creation().respond_with(intent_pi_1()).mount(&stripe).await;
    let through_proxy = testkit::database_url().replace(&database, &proxy.address().to_string());
    let suite =
        paying_suite_with(&stripe, &[("DATABASE_URL", through_proxy.as_str()), ("STRIPE_TIMEOUT_SECS", "1")])
            .await;
    let (_, owner) = suite.solo.customer();
    let id = reserved(&suite, &owner, 1, 1250).await;
    testkit::eventually("Stripe creates the intent", || async {
        !stripe.received_requests().await.unwrap().is_empty()
    })
    .await;
    // The database comes back; the job's lease runs out and it is made again.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    proxy.restore();
    testkit::eventually("the intent is stored", || async {
        let order: Value = suite.get(&id, &owner).await.json().await.unwrap_or_default();
        order["payment"]["intent_id"] == "pi_1"
    })
    .await;
    let keys: Vec<String> = stripe
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.headers["idempotency-key"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        keys,
        [format!("shopper-{id}-create_intent"), format!("shopper-{id}-create_intent")],
        "asked twice, under one key: Stripe answers the second with the first intent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_cancelled_before_stripe_made_its_intent_never_gets_one() {
    let stripe = MockServer::start().await;
    intent_creation().respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&stripe).await;
    intent_creation().respond_with(intent_pi_1()).mount(&stripe).await;
    let suite = paying_suite(&stripe, "900").await;
    let (_, owner) = suite.solo.customer();
    let id = reserved(&suite, &owner, 1, 1250).await;
    testkit::eventually("Stripe is asked once", || async {
        !stripe.received_requests().await.unwrap().is_empty()
    })
    .await;
    let cancel =
        suite.call(Method::PUT, &format!("/order/{id}"), &owner, Some(json!({"status": "cancelled"}))).await;
    assert_eq!(cancel.status(), StatusCode::OK);
    // Past the retry's delay: the job finds the order cancelled and asks Stripe nothing more.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(stripe.received_requests().await.unwrap().len(), 1);
    let order: Value = suite.get(&id, &owner).await.json().await.unwrap();
    assert!(order["payment"]["intent_id"].is_null());
    assert_eq!(order["payment_status"], "expired", "no payment can be made for it any more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_cancelled_while_awaiting_payment_closes_its_intent_and_refunds_a_payment_that_raced_it() {
    let stripe = stripe().await;
    cancels_pi_1_once(&stripe).await;
    refunds(&stripe).await;
    let suite = paying_suite(&stripe, "900").await;
    let (paid, refunded) = (
        suite.solo.run.collector(&[OrderPaid::TYPE]).await,
        suite.solo.run.collector(&[OrderRefunded::TYPE]).await,
    );
    let (_, owner) = suite.solo.customer();
    let id = confirmed(&suite, &owner).await;

    let cancel =
        suite.call(Method::PUT, &format!("/order/{id}"), &owner, Some(json!({"status": "cancelled"}))).await;
    assert_eq!(cancel.status(), StatusCode::OK);
    let order: Value = cancel.json().await.unwrap();
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("cancelled"), Some("expired"))
    );
    intent_cancelled_at(&stripe).await;

    // The customer's payment reached Stripe just before the cancellation did.
    let success = intent_event("evt_raced", "payment_intent.succeeded", "pi_1", 3750);
    assert_eq!(webhook(&suite, &success, &signed(&success, WEBHOOK_SECRET, now())).await, StatusCode::OK);
    testkit::eventually("the money goes back", || async {
        payment_status(&suite, &id, &owner).await == "refunded"
    })
    .await;
    assert_eq!(refunded.collect(1).await.len(), 1, "order.refunded tells the customer");
    assert!(paid.collect(0).await.is_empty(), "a cancelled order is never announced as paid");
    let order: Value = suite.get(&id, &owner).await.json().await.unwrap();
    assert_eq!(order["status"], "cancelled");
    let refunds = stripe.received_requests().await.unwrap();
    assert_eq!(refunds.iter().filter(|r| r.url.path() == "/v1/refunds").count(), 1);
}
