//! Traces across services, as an OTLP receiver sees them: a registration and an order are each
//! one trace, whose spans name the services that did the work. The receiver is a stand-in
//! collector (an HTTP server decoding what it is sent as OTLP's protobuf does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../stack/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use common::{
    config::Env,
    telemetry::{self, Telemetry, TelemetrySettings},
};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest, common::v1::any_value, trace::v1::span::SpanKind,
};
use prost::Message;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use helpers::{PASSWORD, Stack};

/// The test process's telemetry, exporting to the collector: installed before any service starts
/// (the first installation in a process is the one that stays).
struct Collector {
    server: MockServer,
    telemetry: Telemetry,
}

static COLLECTOR: OnceCell<Collector> = OnceCell::const_new();

async fn collector() -> &'static Collector {
    COLLECTOR
        .get_or_init(|| async {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/v1/traces"))
                .respond_with(ResponseTemplate::new(200))
                .mount(&server)
                .await;
            let env = Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", server.uri().as_str())]);
            let settings = TelemetrySettings::from_env(&env).unwrap();
            let telemetry = telemetry::init(&settings, "test", std::env::var_os("TEST_LOG").is_some());
            Collector { server, telemetry }
        })
        .await
}

/// One span as the collector received it.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    trace_id: String,
    name: String,
    kind: SpanKind,
    /// Its attributes, strings and integers written out.
    attributes: Vec<(String, String)>,
}

impl Collector {
    /// Every span received so far, after the exporter sent what it had.
    async fn spans(&'static self) -> Vec<Received> {
        tokio::task::spawn_blocking(|| self.telemetry.flush()).await.unwrap();
        let mut spans = Vec::new();
        for request in self.server.received_requests().await.unwrap() {
            assert_eq!(request.headers["content-type"], "application/x-protobuf");
            let export = ExportTraceServiceRequest::decode(request.body.as_slice()).unwrap();
            for resource_spans in export.resource_spans {
                let service = resource_spans
                    .resource
                    .iter()
                    .flat_map(|resource| &resource.attributes)
                    .find(|attribute| attribute.key == "service.name")
                    .and_then(|attribute| attribute.value.as_ref()?.value.clone());
                let Some(any_value::Value::StringValue(service)) = service else {
                    panic!("a batch without service.name");
                };
                for span in resource_spans.scope_spans.into_iter().flat_map(|scope| scope.spans) {
                    spans.push(Received {
                        service: service.clone(),
                        trace_id: hex(&span.trace_id),
                        kind: span.kind(),
                        attributes: span.attributes.iter().map(|a| (a.key.clone(), text(&a.value))).collect(),
                        name: span.name,
                    });
                }
            }
        }
        spans
    }

    /// Waits until the trace of the first span named `root` holds every span of `expected`
    /// (service, kind, name), and returns that trace; fails with what it held by then.
    async fn expect_trace(&'static self, root: &str, expected: &[(&str, SpanKind, &str)]) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + testkit::PATIENCE;
        loop {
            let spans = self.spans().await;
            let trace: Vec<&Received> = match spans.iter().find(|span| span.name == root) {
                Some(first) => spans.iter().filter(|span| span.trace_id == first.trace_id).collect(),
                None => Vec::new(),
            };
            let missing: Vec<_> = expected
                .iter()
                .filter(|(service, kind, name)| {
                    !trace
                        .iter()
                        .any(|span| span.service == *service && span.kind == *kind && span.name == *name)
                })
                .collect();
            if missing.is_empty() {
                return trace.into_iter().cloned().collect();
            }
            if tokio::time::Instant::now() > deadline {
                let held: Vec<_> = trace.iter().map(|span| (&span.service, span.kind, &span.name)).collect();
                panic!("the trace of `{root}` lacks {missing:?}; it holds {held:#?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

fn text(value: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(any_value::Value::IntValue(number)) => number.to_string(),
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_is_one_trace_through_auth_its_relay_the_user_service_and_the_mailer() {
    let collector = collector().await;
    let sendgrid = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&sendgrid)
        .await;
    let run = testkit::TestRun::new();
    let sendgrid_url = sendgrid.uri();
    let _mailer = run
        .spawn_with::<mailer::MailerService>(&[
            ("SENDGRID_BASE_URL", sendgrid_url.as_str()),
            ("SENDGRID_API_KEY", "SG.traces"),
        ])
        .await;
    let auth = run.spawn::<auth::AuthService>().await;
    let jwks_url = format!("{}/.well-known/jwks.json", auth.url);
    let _user = run.spawn_with::<user::UserService>(&[("AUTH_JWKS_URL", jwks_url.as_str())]).await;

    let email = format!("traced-{}@example.com", uuid::Uuid::now_v7().simple());
    let response = reqwest::Client::new()
        .post(auth.url("/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD, "name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let trace = collector
        .expect_trace(
            "POST /auth/register",
            &[
                ("auth", SpanKind::Server, "POST /auth/register"),
                ("auth", SpanKind::Client, "INSERT INTO accounts (id,"),
                ("auth", SpanKind::Producer, "publish user.registered"),
                ("user", SpanKind::Consumer, "process user.registered"),
                ("mailer", SpanKind::Consumer, "process user.registered"),
            ],
        )
        .await;
    let server = trace.iter().find(|span| span.kind == SpanKind::Server).unwrap();
    for (key, value) in [("http.route", "/auth/register"), ("http.response.status_code", "201")] {
        assert!(
            server.attributes.iter().any(|(k, v)| k == key && v == value),
            "the server span lacks {key}={value}: {:?}",
            server.attributes
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_one_trace_through_the_order_and_product_services() {
    let collector = collector().await;
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let sku = format!("TRACE-{}", uuid::Uuid::now_v7().simple());
    let product = json!({"sku": sku, "name": "Traced mug", "description": "Follows the order", "price_cents": 1250, "stock": 5, "category": "mugs"});
    let response = stack.product_call(Method::POST, "/product", Some(&admin), Some(product)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let product_id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let (_, customer) = stack.customer("traced-buyer@example.com").await;

    let order = json!({"items": [{"product_id": product_id, "quantity": 2}]});
    let response = stack.order_call(Method::POST, "/order", Some(&customer), Some(order)).await;
    assert!(matches!(response.status(), StatusCode::CREATED | StatusCode::ACCEPTED));

    collector
        .expect_trace(
            "POST /order",
            &[
                ("order", SpanKind::Server, "POST /order"),
                ("order", SpanKind::Client, "INSERT INTO orders (id,"),
                ("order", SpanKind::Producer, "publish order.created"),
                ("product", SpanKind::Consumer, "process order.created"),
                ("product", SpanKind::Client, "UPDATE products SET stock"),
                ("product", SpanKind::Producer, "publish stock.reserved"),
                // The reservation's answer comes back into the same trace.
                ("order", SpanKind::Consumer, "process stock.reserved"),
            ],
        )
        .await;
}
