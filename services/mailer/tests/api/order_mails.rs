use chrono::Utc;
use events::{
    Envelope, OrderConfirmed, OrderPaid, OrderRefunded, OrderStatusChanged, ReservedLine, UserDeleted,
    UserRegistered, UserUpdated,
};
use serde_json::Value;
use uuid::Uuid;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::*;

async fn accepting() -> TestMailer {
    let mailer = TestMailer::spawn().await;
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&mailer.sendgrid)
        .await;
    mailer
}

/// Registers a customer and waits for the welcome mail, so the directory knows them.
async fn customer(mailer: &TestMailer, email: &str) -> Uuid {
    let id = Uuid::now_v7();
    let event =
        UserRegistered { user_id: id, email: email.into(), name: "Ada".into(), role: "customer".into() };
    let envelope = Envelope::new(&event).unwrap();
    mailer.publish(&envelope).await;
    mailer.wait_for_status(envelope.id, "sent").await;
    id
}

async fn publish<E: events::Event>(mailer: &TestMailer, event: &E) -> Envelope {
    let envelope = Envelope::new(event).unwrap();
    mailer.publish(&envelope).await;
    envelope
}

/// Every mail SendGrid received, as (recipient, subject, text).
async fn mails(mailer: &TestMailer) -> Vec<(String, String, String)> {
    let requests = mailer.sendgrid.received_requests().await.unwrap();
    requests
        .iter()
        .map(|r| {
            let body: Value = r.body_json().unwrap();
            (
                body["personalizations"][0]["to"][0]["email"].as_str().unwrap().to_owned(),
                body["subject"].as_str().unwrap().to_owned(),
                body["content"][0]["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn lines() -> Vec<ReservedLine> {
    vec![ReservedLine {
        product_id: Uuid::now_v7(),
        name: "Enamel mug".into(),
        quantity: 3,
        unit_price_cents: 1250,
    }]
}

fn confirmed(user: Uuid, payment_required: bool) -> OrderConfirmed {
    OrderConfirmed {
        order_id: Uuid::now_v7(),
        user_id: user,
        items: lines(),
        total_cents: 3750,
        currency: "USD".into(),
        payment_required,
        confirmed_at: Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_goes_once_to_the_address_the_customer_has_now() {
    let mailer = accepting().await;
    let user = customer(&mailer, "ada@example.com").await;
    publish(
        &mailer,
        &UserUpdated { user_id: user, email: "ada@new.example".into(), role: "customer".into() },
    )
    .await;
    settle().await;

    let order = confirmed(user, false);
    let envelope = publish(&mailer, &order).await;
    mailer.publish(&envelope).await;
    mailer.wait_for_status(envelope.id, "sent").await;
    settle().await;
    let sent = mails(&mailer).await;
    let confirmations: Vec<_> = sent.iter().filter(|m| m.1.contains("Your shopper order")).collect();
    assert_eq!(confirmations.len(), 1, "{sent:?}");
    assert_eq!(confirmations[0].0, "ada@new.example");
    assert!(confirmations[0].2.contains("3 x Enamel mug") && confirmations[0].2.contains("Total  $37.50"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_to_be_paid_is_confirmed_when_paid_then_its_shipping_and_refund_are_told() {
    let mailer = accepting().await;
    let user = customer(&mailer, "grace@example.com").await;
    let order = confirmed(user, true);
    publish(&mailer, &order).await;
    let paid = OrderPaid {
        order_id: order.order_id,
        user_id: user,
        items: lines(),
        amount_cents: 3750,
        currency: "USD".into(),
        paid_at: Utc::now(),
    };
    let paid = publish(&mailer, &paid).await;
    mailer.wait_for_status(paid.id, "sent").await;
    let change = |to: &str| OrderStatusChanged {
        order_id: order.order_id,
        user_id: user,
        from: "confirmed".into(),
        to: to.into(),
        changed_at: Utc::now(),
    };
    let shipped = publish(&mailer, &change("shipped")).await;
    mailer.wait_for_status(shipped.id, "sent").await;
    publish(&mailer, &change("delivered")).await;
    let refund = OrderRefunded {
        order_id: order.order_id,
        user_id: user,
        amount_cents: 3750,
        currency: "USD".into(),
        refunded_at: Utc::now(),
    };
    let refunded = publish(&mailer, &refund).await;
    mailer.wait_for_status(refunded.id, "sent").await;
    settle().await;

    let subjects: Vec<String> = mails(&mailer).await.into_iter().map(|m| m.1).collect();
    let id = order.order_id;
    assert_eq!(
        subjects,
        [
            "Welcome to shopper".to_owned(),
            format!("Your shopper order {id}"),
            format!("Your shopper order {id} is on its way"),
            format!("Your refund for shopper order {id}"),
        ],
        "one confirmation (when paid, not when confirmed), one shipping notice, none for delivery, one refund"
    );
    let refund_text = mails(&mailer).await.pop().unwrap().2;
    assert!(refund_text.contains("we refunded $37.50"), "{refund_text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_account_gets_no_mail() {
    let mailer = accepting().await;
    let user = customer(&mailer, "gone@example.com").await;
    publish(&mailer, &UserDeleted { user_id: user }).await;
    settle().await;
    let order = confirmed(user, false);
    publish(&mailer, &order).await;
    settle().await;
    settle().await;
    let subjects: Vec<String> = mails(&mailer).await.into_iter().map(|m| m.1).collect();
    assert_eq!(subjects, ["Welcome to shopper"]);
}
