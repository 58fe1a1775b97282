//! What the shared server does with clients that hold connections without using them: headers
//! that never finish, connections that say nothing, floods past the connection cap. Each test
//! runs the real serve loop on a free port of 127.0.0.1 with short limits, and bounds its own
//! count of connections and its time.

mod support;

use std::time::{Duration, Instant};

use axum::{Router, routing::get};
use common::config::{Env, HttpSettings};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

/// A plain-HTTP server on a free port with the shared stack and the given limits.
struct Server {
    port: u16,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(limits: &[(&str, &str)]) -> Self {
        let mut pairs = vec![("BIND_ADDRESS", "127.0.0.1"), ("SHUTDOWN_GRACE_SECS", "2")];
        pairs.extend_from_slice(limits);
        let settings =
            HttpSettings::from_env(&Env::from_pairs(pairs), "TEST_PORT", 0).expect("settings load");
        let routes = Router::new().route("/hello", get(|| async { "hello" }));
        let support::Served { port, shutdown, task } = support::serve(settings, routes).await;
        Self { port, shutdown, task }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port)).await.expect("the server accepts TCP connections")
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let stopped = tokio::time::timeout(Duration::from_secs(10), self.task).await;
        stopped.expect("the server stops").expect("the task ends").expect("the server ran cleanly");
    }
}

/// Sends one complete request on `stream` and returns the status line of the answer.
async fn request(stream: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("the request is sent");
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer within 5 s")
        .expect("the answer is readable");
    String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or_default().to_owned()
}

/// How long until the server closes `stream` (a read returns end of file or an error).
async fn time_until_closed(stream: &mut TcpStream, at_most: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0; 1024];
    loop {
        match tokio::time::timeout(at_most.saturating_sub(started.elapsed()), stream.read(&mut buffer)).await
        {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            // Whatever the server says on its way out (a 408, say) is not the close itself.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected_after_the_header_timeout() {
    let server = Server::start(&[("HTTP_HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut slow = server.connect().await;
    slow.write_all(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.expect("part of a request");

    let closed = time_until_closed(&mut slow, Duration::from_secs(5)).await;

    let closed = closed.expect("the server closes a connection whose headers never end");
    assert!(closed >= Duration::from_millis(900), "closed after {closed:?}, before the timeout");
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_says_nothing_is_closed_after_the_idle_timeout() {
    let server =
        Server::start(&[("HTTP_IDLE_TIMEOUT_SECS", "1"), ("HTTP_HEADER_READ_TIMEOUT_SECS", "30")]).await;
    let mut silent = server.connect().await;

    let closed = time_until_closed(&mut silent, Duration::from_secs(5)).await;

    assert!(closed.is_some(), "the server closes a connection that never sends a byte");
    server.stop().await;
}

#[tokio::test]
async fn a_kept_alive_connection_waiting_for_its_next_request_is_closed_after_the_header_timeout() {
    let server = Server::start(&[("HTTP_HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut client = server.connect().await;
    assert_eq!(request(&mut client, "/hello").await, "HTTP/1.1 200 OK");

    let closed = time_until_closed(&mut client, Duration::from_secs(5)).await;

    assert!(closed.is_some(), "an idle keep-alive connection is closed");
    server.stop().await;
}

#[tokio::test]
async fn past_the_connection_cap_new_connections_are_shed_and_open_ones_still_served() {
    let server =
        Server::start(&[("HTTP_MAX_CONNECTIONS", "20"), ("HTTP_HEADER_READ_TIMEOUT_SECS", "30")]).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        let mut stream = server.connect().await;
        // A served request proves the connection holds a place before the next one is opened.
        assert_eq!(request(&mut stream, "/hello").await, "HTTP/1.1 200 OK");
        held.push(stream);
    }

    let mut shed = server.connect().await;
    let closed = time_until_closed(&mut shed, Duration::from_secs(2)).await;

    assert!(closed.is_some(), "a connection past the cap is closed at once");
    for stream in &mut held {
        assert_eq!(request(stream, "/hello").await, "HTTP/1.1 200 OK", "open connections keep working");
    }
    drop(held);
    // Places come back as connections close.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut later = server.connect().await;
    assert_eq!(request(&mut later, "/health/live").await, "HTTP/1.1 200 OK");
    server.stop().await;
}

#[tokio::test]
async fn three_thousand_half_open_connections_do_not_keep_a_normal_client_waiting() {
    let server = Server::start(&[("HTTP_HEADER_READ_TIMEOUT_SECS", "30")]).await;
    let mut half_open = Vec::with_capacity(3000);
    for _ in 0..3000 {
        let mut stream = server.connect().await;
        stream.write_all(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.expect("half a request");
        half_open.push(stream);
    }

    for _ in 0..20 {
        let mut client = server.connect().await;
        assert_eq!(request(&mut client, "/hello").await, "HTTP/1.1 200 OK");
        assert_eq!(request(&mut client, "/health/live").await, "HTTP/1.1 200 OK");
    }

    drop(half_open);
    server.stop().await;
}
