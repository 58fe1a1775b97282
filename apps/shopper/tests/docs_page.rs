//! Every service's API docs page, loaded in a real browser (headless Chromium): it lists the
//! service's operations, and no request leaves 127.0.0.1 (its assets are in the binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::Path, process::Command, time::Duration};

use serde_json::Value;
use testkit::{Spawned, TestRun};

/// Debian's Chromium, which `.ci/run` installs; `CHROMIUM` names another.
fn chromium() -> String {
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&binary).exists(),
        "{binary} is missing: install Debian's `chromium` package (.ci/run does) or set CHROMIUM"
    );
    binary
}

/// What a page showed once its scripts ran, and every URL the page asked for meanwhile.
struct Loaded {
    dom: String,
    requested: Vec<String>,
}

/// The network log's network isolation key of a request a page on 127.0.0.1 made: its top
/// frame's site first. Chromium's own background requests (update checks, account lookups) carry
/// another key, or none.
const PAGE_ON_LOOPBACK: &str = "http://127.0.0.1 ";

fn load(url: &str) -> Loaded {
    let profile = tempdir();
    let net_log = profile.join("net-log.json");
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            // Chromium's own query about the page's forms, attributed to the page in its log.
            "--disable-features=AutofillServerCommunication",
            &format!("--user-data-dir={}", profile.display()),
            &format!("--log-net-log={}", net_log.display()),
            // Lets the page's scripts fetch the document and render it before the DOM is dumped.
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ])
        .output()
        .expect("chromium runs");
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    let log: Value = serde_json::from_slice(&std::fs::read(&net_log).unwrap()).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    let requested = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["type"] == start_job)
        .filter(|event| {
            event["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|key| key.starts_with(PAGE_ON_LOOPBACK))
        })
        .filter_map(|event| Some(event["params"]["url"].as_str()?.to_owned()))
        .collect();
    std::fs::remove_dir_all(&profile).ok();
    Loaded { dom: String::from_utf8(output.stdout).unwrap(), requested }
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shopper-docs-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn operations(service: &Spawned) -> Vec<String> {
    let document: Value = reqwest::get(service.url("/openapi.json")).await.unwrap().json().await.unwrap();
    document["paths"].as_object().unwrap().keys().cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_s_docs_page_lists_its_operations_without_leaving_the_machine() {
    let run = TestRun::new();
    let auth = run.spawn::<auth::AuthService>().await;
    let jwks_url = format!("{}/.well-known/jwks.json", auth.url);
    let jwks = [("AUTH_JWKS_URL", jwks_url.as_str())];
    let services = [
        ("user", run.spawn_with::<user::UserService>(&jwks).await),
        ("product", run.spawn_with::<product::ProductService>(&jwks).await),
        ("order", run.spawn_with::<order::OrderService>(&jwks).await),
        ("mailer", run.spawn::<mailer::MailerService>().await),
        ("auth", auth),
    ];
    for (name, service) in &services {
        let paths = operations(service).await;
        assert!(!paths.is_empty(), "{name} documents no operation");
        let page = service.url("/docs/");
        let loaded =
            tokio::time::timeout(Duration::from_secs(120), tokio::task::spawn_blocking(move || load(&page)))
                .await
                .expect("the page loads within two minutes")
                .unwrap();
        for path in &paths {
            assert!(
                loaded.dom.contains(&format!("data-path=\"{path}\"")),
                "{name}'s docs page does not list {path}"
            );
        }
        let origin = service.url("/");
        assert!(loaded.requested.iter().any(|url| url.starts_with(&format!("{origin}openapi.json"))));
        let elsewhere: Vec<_> = loaded.requested.iter().filter(|url| !url.starts_with(&origin)).collect();
        assert!(elsewhere.is_empty(), "{name}'s docs page asked other hosts: {elsewhere:?}");
    }
}
