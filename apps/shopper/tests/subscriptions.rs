//! What each service consumes is registered once, in its subscriptions; the event catalogue
//! (`docs/EVENTS.md`, generated from each event's declared consumers) says the same for readers.
//! This keeps the two in agreement: a subscription added without its catalogue entry, or a
//! catalogue promise no service keeps, fails here.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use runtime::Service;

/// service -> the event types the catalogue's table says it consumes.
fn catalogue() -> BTreeMap<String, BTreeSet<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/EVENTS.md");
    let text = std::fs::read_to_string(path).unwrap();
    let mut consumers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Rows of the summary table: | `type` | version | producer | consumers |
    for row in text.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let [kind, _version, _producer, services] = cells[..] else { continue };
        for service in services.split(',').map(str::trim).filter(|s| !s.is_empty() && *s != "none yet") {
            consumers.entry(service.to_owned()).or_default().insert(kind.trim_matches('`').to_owned());
        }
    }
    consumers
}

fn subscribed<S: Service>() -> (String, BTreeSet<String>) {
    let types = S::subscriptions().event_types().into_iter().map(str::to_owned).collect();
    (S::NAME.to_owned(), types)
}

#[test]
fn every_service_subscribes_to_exactly_what_the_catalogue_says_it_consumes() {
    let registered: BTreeMap<String, BTreeSet<String>> = [
        subscribed::<auth::AuthService>(),
        subscribed::<user::UserService>(),
        subscribed::<product::ProductService>(),
        subscribed::<order::OrderService>(),
        subscribed::<mailer::MailerService>(),
    ]
    .into_iter()
    .filter(|(_, types)| !types.is_empty())
    .collect();
    let catalogue = catalogue();
    assert!(!catalogue.is_empty(), "no consumer found in docs/EVENTS.md");
    assert_eq!(registered, catalogue);
}
