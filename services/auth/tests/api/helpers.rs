use std::time::Duration;

use auth::{App, AuthConfig};
use common::config::Env;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sqlx::{Connection, MySqlConnection, MySqlPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// A running auth service on its own fresh schema, stopped and dropped with this value.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: MySqlPool,
    pub schema: String,
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
        let mut pairs = vec![
            ("AUTH_PORT", "0"),
            ("BIND_ADDRESS", "127.0.0.1"),
            ("AUTH_DATABASE", schema),
            ("DATABASE_URL", url.as_str()),
        ];
        pairs.extend_from_slice(extra);
        let config = AuthConfig::from_env(&Env::from_pairs(pairs)).expect("test configuration");
        let app = App::build(config).await.expect("the app starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.run(shutdown.clone()));
        let pool = MySqlPool::connect(&format!("{url}/{schema}"))
            .await
            .unwrap();
        Self {
            address,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            pool,
            schema: schema.to_owned(),
            shutdown,
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/auth/register",
            &json!({ "email": email, "password": password, "name": "Test User" }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Registers and signs in; returns the token pair.
    pub async fn signed_in(&self, email: &str) -> Value {
        assert_eq!(
            self.register(email, PASSWORD).await.status(),
            StatusCode::CREATED
        );
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json("/auth/refresh", &json!({ "refresh_token": refresh_token }))
            .await
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
        let schema = self.schema.clone();
        // Dropping runs inside the test's runtime, which cannot block on itself: use a thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut connection) = MySqlConnection::connect(&database_url()).await {
                    let sql = format!("DROP DATABASE IF EXISTS `{schema}`");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut connection)
                        .await;
                }
            });
        })
        .join();
    }
}

/// The problem+json body of an error response, checking its media type.
pub async fn problem(response: Response) -> Value {
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    response.json().await.unwrap()
}

/// Decodes a JWT segment without checking anything.
pub fn segment(token: &str, index: usize) -> Value {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}
