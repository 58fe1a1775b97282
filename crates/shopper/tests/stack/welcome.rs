use std::time::Duration;

use common::{cli::Service, config::Env};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_partial_json, header, method, path},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_at_auth_sends_exactly_one_welcome_mail_to_that_address() {
    let sendgrid = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .and(header("authorization", "Bearer SG.flow-key"))
        .and(body_partial_json(json!({"personalizations": [{"to": [{"email": "ada@example.com"}]}]})))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&sendgrid)
        .await;

    let id = Uuid::now_v7().simple().to_string();
    let (auth_schema, mailer_schema) = (format!("test_flow_auth_{id}"), format!("test_flow_mailer_{id}"));
    let exchange = format!("test.events.{id}");
    let prefix = format!("test-{id}.");
    let database = testkit::database_url();
    let sendgrid_url = sendgrid.uri();
    let env = Env::from_pairs([
        ("DATABASE_URL", database.as_str()),
        ("AUTH_DATABASE", auth_schema.as_str()),
        ("MAILER_DATABASE", mailer_schema.as_str()),
        ("AMQP_EXCHANGE", exchange.as_str()),
        ("AMQP_QUEUE_PREFIX", prefix.as_str()),
        ("AUTH_PORT", "0"),
        ("MAILER_PORT", "0"),
        ("BIND_ADDRESS", "127.0.0.1"),
        ("SENDGRID_BASE_URL", sendgrid_url.as_str()),
        ("SENDGRID_API_KEY", "SG.flow-key"),
    ]);
    let shutdown = CancellationToken::new();
    let mut mailer_config = mailer::App::config(&env).unwrap();
    mailer_config.consumer.idle_queue_expiry = Some(Duration::from_secs(60));
    let mailer = mailer::App::build(mailer_config).await.unwrap();
    tokio::spawn(mailer.run(shutdown.clone()));
    let auth = auth::App::build(auth::App::config(&env).unwrap()).await.unwrap();
    let auth_url = format!("http://127.0.0.1:{}", auth.port());
    tokio::spawn(auth.run(shutdown.clone()));
    // In production the mailer's queue outlives restarts; here it must exist before auth publishes.
    testkit::wait_for_consumer(&format!("{prefix}mailer.events")).await;

    let response = reqwest::Client::new()
        .post(format!("{auth_url}/auth/register"))
        .json(&json!({"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let mut delivered = 0;
    for _ in 0..200 {
        delivered = sendgrid.received_requests().await.unwrap().len();
        if delivered > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    shutdown.cancel();
    assert_eq!(delivered, 1);
    sendgrid.verify().await;
    testkit::drop_schema(&auth_schema);
    testkit::drop_schema(&mailer_schema);
}
