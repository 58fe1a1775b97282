//! The test harness of every suite: a [`TestRun`] spawns any service (or several) on port 0
//! against throwaway schemas and queues and removes them afterwards, publishes envelopes and
//! waits for conditions; a [`TcpProxy`] cuts a service off from a dependency (the database, the
//! broker) the way an outage looks to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod collector;
mod run;
mod schema;
mod tokens;

pub use collector::{EventCollector, delete_exchange, wait_for_consumer};
pub use run::{PATIENCE, Spawned, TestRun, eventually, eventually_some, init_telemetry, publish};
pub use schema::{amqp_url, database_url, drop_schema};
pub use tokens::{Solo, TokenMint};

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
};
use tokio_util::sync::CancellationToken;

/// Forwards connections to `upstream` until cut.
pub struct TcpProxy {
    address: SocketAddr,
    /// Cancelled on `cut`: every open connection closes and new ones are dropped at once.
    outage: Arc<Mutex<Option<CancellationToken>>>,
    stop: CancellationToken,
}

impl TcpProxy {
    /// Listens on a free local port and forwards to `upstream` (e.g. `127.0.0.1:3306`).
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
        let address = listener.local_addr().unwrap();
        let upstream = upstream.to_owned();
        let outage: Arc<Mutex<Option<CancellationToken>>> =
            Arc::new(Mutex::new(Some(CancellationToken::new())));
        let stop = CancellationToken::new();
        let (state, stopped) = (outage.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let (mut client, _) = tokio::select! {
                    accepted = listener.accept() => match accepted { Ok(pair) => pair, Err(_) => continue },
                    () = stopped.cancelled() => return,
                };
                let Some(open) = state.lock().unwrap().clone() else {
                    drop(client); // cut: refuse by closing at once
                    continue;
                };
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut server) => {}
                        () = open.cancelled() => {}
                    }
                });
            }
        });
        Self { address, outage, stop }
    }

    /// `host:port` to connect to instead of the upstream.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Closes every open connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        if let Some(open) = self.outage.lock().unwrap().take() {
            open.cancel();
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.outage.lock().unwrap().get_or_insert_with(CancellationToken::new);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.cut();
    }
}
