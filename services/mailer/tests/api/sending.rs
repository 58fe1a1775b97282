use reqwest::StatusCode;
use serde_json::json;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{body_partial_json, header, method, path},
};

use crate::helpers::*;

fn sendgrid_accepts() -> Mock {
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .respond_with(ResponseTemplate::new(202).insert_header("x-message-id", "sg-message-1"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_sends_one_welcome_mail_to_that_address_with_the_api_key() {
    let mailer = TestMailer::spawn().await;
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .and(header("authorization", format!("Bearer {API_KEY}").as_str()))
        .and(body_partial_json(json!({
            "personalizations": [{ "to": [{ "email": "ada@example.com" }] }],
            "from": { "email": "welcome@shop.example" },
        })))
        .respond_with(ResponseTemplate::new(202).insert_header("x-message-id", "sg-message-1"))
        .expect(1)
        .mount(&mailer.sendgrid)
        .await;

    let event = registered("ada@example.com", "Ada");
    mailer.publish(&event).await;
    let (_, attempts, message_id) = mailer.wait_for_status(event.id, "sent").await;
    settle().await;
    assert_eq!(attempts, 1);
    assert_eq!(message_id.as_deref(), Some("sg-message-1"));

    let requests = mailer.sendgrid.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = requests[0].body_json().unwrap();
    let contents: Vec<&str> =
        body["content"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(contents, ["text/plain", "text/html"]);
    assert!(body["content"][0]["value"].as_str().unwrap().contains("Hello Ada"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_rate_limits_are_retried_until_sendgrid_accepts_the_one_mail() {
    let mailer = TestMailer::spawn().await;
    let answers = [
        ResponseTemplate::new(500),
        ResponseTemplate::new(503),
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
    ];
    for (priority, answer) in answers.into_iter().enumerate() {
        Mock::given(method("POST"))
            .respond_with(answer)
            .up_to_n_times(1)
            .with_priority(priority as u8 + 1)
            .mount(&mailer.sendgrid)
            .await;
    }
    sendgrid_accepts().with_priority(10).mount(&mailer.sendgrid).await;

    let event = registered("bob@example.com", "Bob");
    mailer.publish(&event).await;
    let (_, attempts, _) = mailer.wait_for_status(event.id, "sent").await;
    settle().await;
    assert_eq!(attempts, 4);
    assert_eq!(
        mailer.sendgrid.received_requests().await.unwrap().len(),
        4,
        "four attempts, one accepted mail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_error_is_not_retried_and_the_message_is_parked_with_the_reason() {
    let mailer = TestMailer::spawn().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_string(r#"{"errors":[{"message":"invalid email"}]}"#),
        )
        .mount(&mailer.sendgrid)
        .await;

    let event = registered("carol@example.com", "Carol");
    mailer.publish(&event).await;
    let parked = mailer.take_from("dead").await.expect("the message is parked");
    settle().await;
    assert_eq!(mailer.sendgrid.received_requests().await.unwrap().len(), 1, "one attempt only");
    let reason =
        parked.delivery.properties.headers().as_ref().unwrap().inner()["x-shopper-park-reason"].clone();
    let lapin::types::AMQPValue::LongString(reason) = reason else { panic!("no reason") };
    assert!(reason.to_string().contains("400"), "{reason}");
    let parked_event: events::Envelope = serde_json::from_slice(&parked.delivery.data).unwrap();
    assert_eq!(parked_event.id, event.id);
    assert_eq!(mailer.record(event.id).await.unwrap().0, "rejected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_delivered_twice_sends_one_mail() {
    let mailer = TestMailer::spawn().await;
    sendgrid_accepts().mount(&mailer.sendgrid).await;
    let event = registered("dan@example.com", "Dan");
    mailer.publish(&event).await;
    mailer.publish(&event).await;
    mailer.wait_for_status(event.id, "sent").await;
    settle().await;
    assert_eq!(mailer.sendgrid.received_requests().await.unwrap().len(), 1);
    assert!(mailer.is_empty("dead").await, "the duplicate is dropped quietly, not parked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_interrupted_by_a_crash_is_parked_and_never_repeated() {
    let mailer = TestMailer::spawn().await;
    sendgrid_accepts().mount(&mailer.sendgrid).await;
    let event = registered("erin@example.com", "Erin");
    // What a crash during the call leaves behind: claimed, outcome never recorded.
    sqlx::query(
        "INSERT INTO sent_mail (event_id, recipient, status, attempts, created_at, updated_at)
         VALUES (?, 'erin@example.com', 'sending', 1, NOW(6), NOW(6))",
    )
    .bind(event.id)
    .execute(&mailer.pool)
    .await
    .unwrap();
    mailer.publish(&event).await;
    let parked = mailer.take_from("dead").await.expect("the message is parked for an operator");
    assert_eq!(serde_json::from_slice::<events::Envelope>(&parked.delivery.data).unwrap().id, event.id);
    assert!(mailer.sendgrid.received_requests().await.unwrap().is_empty(), "no second mail is risked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_api_key_the_mail_is_logged_and_recorded_not_sent() {
    let mailer = TestMailer::spawn_with(&[("SENDGRID_API_KEY", "")]).await;
    sendgrid_accepts().mount(&mailer.sendgrid).await;
    let event = registered("fay@example.com", "Fay");
    mailer.publish(&event).await;
    mailer.wait_for_status(event.id, "sent").await;
    assert!(mailer.sendgrid.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailer_serves_an_openapi_document_of_its_health_endpoints() {
    let mailer = TestMailer::spawn().await;
    let doc: serde_json::Value =
        reqwest::get(format!("{}/openapi.json", mailer.address)).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(paths, ["/health/live", "/health/ready"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailer_serves_health_and_metrics() {
    let mailer = TestMailer::spawn().await;
    let client = reqwest::Client::new();
    assert_eq!(
        client.get(format!("{}/health/live", mailer.address)).send().await.unwrap().status(),
        StatusCode::OK
    );
    let ready: serde_json::Value =
        client.get(format!("{}/health/ready", mailer.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["checks"]["database"], "up");
    assert_eq!(ready["checks"]["broker"], "up");
    assert_eq!(
        client.get(format!("{}/metrics", mailer.admin_address)).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        client.get(format!("{}/metrics", mailer.address)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "metrics are not served on the public port"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migrate_step_declares_the_queue_so_events_published_before_the_mailer_runs_are_kept() {
    let run = testkit::TestRun::new();
    // The same retry delays as the mailer below: its queues are declared with them.
    // No SendGrid key: the mail is only logged, as on a developer's machine.
    let settings = [("SENDGRID_API_KEY", ""), ("RETRY_DELAYS_MS", "50,100,1000,2000")];
    run.migrate::<mailer::MailerService>(&settings).await;

    // auth publishes while the mailer is not running yet
    let event = registered("early@example.com", "Early");
    run.publish(&event).await;

    let mailer = TestMailer::spawn_in(run, &settings).await;
    mailer.wait_for_status(event.id, "sent").await;
}
