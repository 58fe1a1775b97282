use std::time::Duration;

use auth::{App, AuthConfig};
use common::{cli::Service, config::Env};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sqlx::MySqlPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub use testkit::database_url;

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
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts the service with extra environment settings.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        let schema = format!("test_auth_{}", Uuid::now_v7().simple());
        Self::spawn_on(&schema, extra).await
    }

    /// Starts the service on an existing (or new) schema.
    pub async fn spawn_on(schema: &str, extra: &[(&str, &str)]) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            common::telemetry::init(
                &common::telemetry::TelemetrySettings::from_env(&Env::from_process()).unwrap(),
            );
        }
        let url = database_url();
        let exchange = format!("test.events.{}", Uuid::now_v7().simple());
        let mut pairs = vec![
            ("AMQP_EXCHANGE", exchange.as_str()),
            ("AUTH_PORT", "0"),
            ("BIND_ADDRESS", "127.0.0.1"),
            ("AUTH_DATABASE", schema),
            ("DATABASE_URL", url.as_str()),
        ];
        pairs.extend_from_slice(extra);
        let env = Env::from_pairs(pairs);
        let exchange = env.text("AMQP_EXCHANGE").unwrap().unwrap();
        let config = AuthConfig::from_env(&env).expect("test configuration");
        let app = App::build(config).await.expect("the app starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let admin_address = format!("http://127.0.0.1:{}", app.admin_port());
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.run(shutdown.clone()));
        let pool = MySqlPool::connect(&format!("{url}/{schema}")).await.unwrap();
        Self {
            address,
            admin_address,
            client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
            pool,
            schema: schema.to_owned(),
            exchange,
            shutdown,
            server: Some(server),
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
        self.shutdown.cancel();
        match self.server.take() {
            Some(server) => server.await.unwrap(),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        testkit::drop_schema(&self.schema);
        testkit::delete_exchange(&self.exchange);
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
