use std::time::Duration;

use auth::AuthService;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sqlx::MySqlPool;
use testkit::{Spawned, TestRun};
use tokio_util::sync::CancellationToken;

pub const PASSWORD: &str = "correct horse battery";

/// A running auth service on its own fresh schema, stopped and dropped with this value.
pub struct TestApp {
    pub address: String,
    /// The admin port's base URL (metrics).
    pub admin_address: String,
    pub client: reqwest::Client,
    pub pool: MySqlPool,
    pub schema: String,
    /// This test's own exchange, so no other test sees its events.
    pub exchange: String,
    pub shutdown: CancellationToken,
    service: Spawned,
    _run: TestRun,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts the service with extra environment settings.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        Self::started(TestRun::new(), extra).await
    }

    /// Starts the service on an existing (or new) schema.
    pub async fn spawn_on(schema: &str, extra: &[(&str, &str)]) -> Self {
        let run = TestRun::new().set("AUTH_DATABASE", schema);
        Self::started(run, extra).await
    }

    async fn started(run: TestRun, extra: &[(&str, &str)]) -> Self {
        // Some tests cut the broker off: do not wait for the consumer.
        let service = run.start::<AuthService>(extra).await;
        Self {
            address: service.url.clone(),
            admin_address: service.admin_url.clone(),
            client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
            pool: service.pool.clone(),
            schema: service.schema.clone(),
            exchange: service.exchange.clone(),
            shutdown: service.stopper(),
            service,
            _run: run,
        }
    }

    /// Collects the events this app publishes with the given types.
    pub async fn collector(&self, types: &[&str]) -> testkit::EventCollector {
        testkit::EventCollector::bind(&self.exchange, types).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/auth/register",
            &json!({ "email": email, "password": password, "name": "Test User" }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json("/auth/login", &json!({ "email": email, "password": password })).await
    }

    /// Registers and signs in; returns the token pair.
    pub async fn signed_in(&self, email: &str) -> Value {
        assert_eq!(self.register(email, PASSWORD).await.status(), StatusCode::CREATED);
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json("/auth/refresh", &json!({ "refresh_token": refresh_token })).await
    }

    /// Stops the server and waits for it, as an orchestrator would.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.service.stop().await
    }
}

/// The problem+json body of an error response, checking its media type.
pub async fn problem(response: Response) -> Value {
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    response.json().await.unwrap()
}

/// Decodes a JWT segment without checking anything.
pub fn segment(token: &str, index: usize) -> Value {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}
