//! Serving over TLS with a certificate from a generated CA, as a deployment with an internal CA
//! would: clients that trust the CA get answers over HTTP/2 or HTTP/1.1, everything else fails,
//! and a JWKS client given the CA in `TLS_CA_FILE` fetches keys over HTTPS.

mod support;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use axum::{Json, Router, extract::ConnectInfo, routing::get};
use common::{
    config::{Env, HttpSettings},
    jwt::{JwkSet, JwksClient, KeySource, SigningKey},
    tls::ClientTls,
};
use reqwest::{Client, StatusCode, Version};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

/// A CA, a `localhost` certificate it signed, and their PEM files in a directory of their own.
struct Pki {
    dir: PathBuf,
    ca_pem: String,
}

impl Pki {
    fn generate() -> Self {
        Self::try_generate().expect("generating the test certificates")
    }

    fn try_generate() -> anyhow::Result<Self> {
        let ca_key = rcgen::KeyPair::generate()?;
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "shopper test CA");
        ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = rcgen::Issuer::new(ca_params, ca_key);

        let leaf_key = rcgen::KeyPair::generate()?;
        let mut leaf_params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer)?;

        let dir = std::env::temp_dir().join(format!("shopper-tls-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        // The chain as a deployment ships it: leaf first, then the CA.
        std::fs::write(dir.join("tls.crt"), format!("{}{}", leaf_cert.pem(), ca_cert.pem()))?;
        std::fs::write(dir.join("tls.key"), leaf_key.serialize_pem())?;
        std::fs::write(dir.join("ca.pem"), ca_cert.pem())?;
        Ok(Self { dir, ca_pem: ca_cert.pem() })
    }

    fn file(&self, name: &str) -> String {
        path_text(&self.dir.join(name))
    }

    /// A client that trusts this CA only.
    fn client(&self) -> reqwest::ClientBuilder {
        let ca = reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).expect("the CA is PEM");
        Client::builder().tls_certs_only([ca]).timeout(Duration::from_secs(10))
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path_text(path: &Path) -> String {
    path.to_str().expect("temporary paths are UTF-8 here").to_owned()
}

/// A server on a free port, with the shared stack around `routes` and the health routes.
struct Server {
    port: u16,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(pki: &Pki, routes: Router) -> Self {
        let (cert, key) = (pki.file("tls.crt"), pki.file("tls.key"));
        let env = Env::from_pairs([
            ("BIND_ADDRESS", "127.0.0.1"),
            ("TLS_CERT_FILE", cert.as_str()),
            ("TLS_KEY_FILE", key.as_str()),
            ("SHUTDOWN_GRACE_SECS", "5"),
        ]);
        let settings = HttpSettings::from_env(&env, "TEST_PORT", 0).expect("the TLS settings load");
        assert!(settings.tls.is_some());
        let support::Served { port, shutdown, task } = support::serve(settings, routes).await;
        Self { port, shutdown, task }
    }

    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }
}

/// The error and its causes on one line, for assertions on what failed.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn peer_route() -> Router {
    Router::new().route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_the_ca_gets_answers_over_http2_and_http1() {
    let pki = Pki::generate();
    let server = Server::start(&pki, peer_route()).await;

    let response = pki.client().build().unwrap().get(server.url("/health/live")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_2, "ALPN chose h2");
    assert_eq!(response.headers()["strict-transport-security"], "max-age=31536000", "HSTS over TLS");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["status"], "up");

    let http1 = pki.client().http1_only().build().unwrap();
    let response = http1.get(server.url("/peer")).send().await.unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
    assert!(response.headers().contains_key("strict-transport-security"));
    assert_eq!(response.text().await.unwrap(), "127.0.0.1", "handlers still see the peer address");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_the_tls_port_gets_no_answer() {
    let pki = Pki::generate();
    let server = Server::start(&pki, Router::new()).await;

    let plain = format!("http://127.0.0.1:{}/health/live", server.port);
    let error = pki.client().build().unwrap().get(plain).send().await.unwrap_err();
    assert!(error.status().is_none(), "no HTTP status came back: {}", chain(&error));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_trust_the_ca_fails_the_handshake() {
    let pki = Pki::generate();
    let server = Server::start(&pki, Router::new()).await;

    // The platform's roots only, as any outside client would have.
    let stranger = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let error = stranger.get(server.url("/health/live")).send().await.unwrap_err();
    let text = chain(&error);
    assert!(error.is_connect(), "{text}");
    assert!(text.contains("certificate"), "a certificate error, not another: {text}");

    // Nor does another CA's client get through.
    let other = Pki::generate();
    let error = other.client().build().unwrap().get(server.url("/health/live")).send().await.unwrap_err();
    assert!(chain(&error).contains("certificate"), "{}", chain(&error));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_or_broken_client_holds_up_nobody_else() {
    let pki = Pki::generate();
    let server = Server::start(&pki, Router::new()).await;

    // One connection that never starts its handshake, one that sends garbage.
    let _silent = TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    let mut garbage = TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    garbage.write_all(b"\x16\x03\x01\x00\x05hello, this is not TLS\r\n\r\n").await.unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), garbage.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the broken connection is closed, not left hanging");

    let client = pki.client().timeout(Duration::from_secs(3)).build().unwrap();
    let response = client.get(server.url("/health/live")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_request_finish_then_closes_the_port() {
    let pki = Pki::generate();
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            "done"
        }),
    );
    let server = Server::start(&pki, slow).await;
    let client = pki.client().build().unwrap();

    let in_flight = tokio::spawn(client.get(server.url("/slow")).send());
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.shutdown.cancel();

    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "done");
    tokio::time::timeout(Duration::from_secs(5), server.task).await.unwrap().unwrap().unwrap();
    assert!(TcpStream::connect(("127.0.0.1", server.port)).await.is_err(), "the port is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_client_given_tls_ca_file_fetches_keys_over_https() {
    let pki = Pki::generate();
    let key = SigningKey::generate().unwrap();
    let jwks = JwkSet { keys: vec![key.public_jwk()] };
    let routes = Router::new().route("/.well-known/jwks.json", get(move || async move { Json(jwks) }));
    let server = Server::start(&pki, routes).await;
    let url = server.url("/.well-known/jwks.json");

    let ca_file = pki.file("ca.pem");
    let tls = ClientTls::from_env(&Env::from_pairs([("TLS_CA_FILE", ca_file.as_str())])).unwrap();
    let trusting = Arc::new(JwksClient::with_tls(url.clone(), &tls).unwrap());
    assert!(trusting.key(key.kid()).await.is_some(), "the key came over https");

    let platform_only = Arc::new(JwksClient::new(url).unwrap());
    assert!(platform_only.key(key.kid()).await.is_none(), "without the CA the server is not trusted");
}
