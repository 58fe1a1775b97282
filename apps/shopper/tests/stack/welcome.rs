use std::time::Duration;

use serde_json::json;
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

    let run = testkit::TestRun::new();
    let sendgrid_url = sendgrid.uri();
    let sendgrid_settings =
        [("SENDGRID_BASE_URL", sendgrid_url.as_str()), ("SENDGRID_API_KEY", "SG.flow-key")];
    // In production the mailer's queue outlives restarts; here it must exist before auth publishes.
    let _mailer = run.spawn_with::<mailer::MailerService>(&sendgrid_settings).await;
    let auth = run.spawn::<auth::AuthService>().await;
    let auth_url = auth.url.clone();

    let response = reqwest::Client::new()
        .post(format!("{auth_url}/auth/register"))
        .json(&json!({"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    testkit::eventually("SendGrid receives a mail", || async {
        !sendgrid.received_requests().await.unwrap().is_empty()
    })
    .await;
    // Time for a second, unwanted mail to arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivered = sendgrid.received_requests().await.unwrap().len();
    assert_eq!(delivered, 1);
    sendgrid.verify().await;
}
