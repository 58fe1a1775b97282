#![allow(clippy::unwrap_used)]
//! Every event survives the trip through its envelope and JSON, and the catalogue in
//! docs/EVENTS.md matches the types.

use events::*;

fn round_trip<E: Event + PartialEq + std::fmt::Debug>() {
    let event = E::example();
    let mut envelope = Envelope::new(&event).unwrap();
    envelope.traceparent = Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into());
    envelope.tracestate = Some("vendor=abc".into());
    let wire = serde_json::to_vec(&envelope).unwrap();
    let back: Envelope = serde_json::from_slice(&wire).unwrap();
    assert_eq!(back, envelope);
    assert_eq!(back.kind, E::TYPE);
    assert_eq!(back.decode::<E>().unwrap(), event);
}

#[test]
fn user_registered_round_trips() {
    round_trip::<UserRegistered>();
}
#[test]
fn user_updated_round_trips() {
    round_trip::<UserUpdated>();
}
#[test]
fn user_deleted_round_trips() {
    round_trip::<UserDeleted>();
}
#[test]
fn user_update_rejected_round_trips() {
    round_trip::<UserUpdateRejected>();
}
#[test]
fn product_created_round_trips() {
    round_trip::<ProductCreated>();
}
#[test]
fn product_updated_round_trips() {
    round_trip::<ProductUpdated>();
}
#[test]
fn product_deleted_round_trips() {
    round_trip::<ProductDeleted>();
}
#[test]
fn products_imported_round_trips() {
    round_trip::<ProductsImported>();
}
#[test]
fn order_created_round_trips() {
    round_trip::<OrderCreated>();
}
#[test]
fn stock_reserved_round_trips() {
    round_trip::<StockReserved>();
}
#[test]
fn stock_rejected_round_trips() {
    round_trip::<StockRejected>();
}
#[test]
fn order_cancelled_round_trips() {
    round_trip::<OrderCancelled>();
}
#[test]
fn order_status_changed_round_trips() {
    round_trip::<OrderStatusChanged>();
    round_trip::<OrderConfirmed>();
    round_trip::<OrderPaid>();
    round_trip::<OrderRefunded>();
}

#[test]
fn the_envelope_has_the_documented_wire_names() {
    let envelope = Envelope::new(&UserDeleted::example()).unwrap();
    let json = serde_json::to_value(&envelope).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["id", "occurred_at", "payload", "type", "version"]);
    assert_eq!(envelope.id.get_version_num(), 7);
}

#[test]
fn decoding_as_another_event_or_version_fails() {
    let mut envelope = Envelope::new(&UserDeleted::example()).unwrap();
    assert!(envelope.decode::<UserRegistered>().is_err());
    envelope.version = 2;
    assert!(matches!(envelope.decode::<UserDeleted>(), Err(DecodeError::Mismatch { .. })));
}

#[test]
fn a_payload_that_does_not_fit_its_type_fails_to_decode() {
    let mut envelope = Envelope::new(&UserDeleted::example()).unwrap();
    envelope.payload = serde_json::json!({"user_id": "not-a-uuid"});
    assert!(matches!(envelope.decode::<UserDeleted>(), Err(DecodeError::Payload(_))));
}

#[test]
fn the_catalogue_lists_every_event_once() {
    let kinds: Vec<&str> = catalogue().iter().map(|e| e.kind).collect();
    let mut unique = kinds.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), kinds.len());
    assert_eq!(kinds.len(), 16);
}

#[test]
fn docs_events_md_matches_the_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/EVENTS.md");
    let expected = render_markdown();
    if std::env::var_os("UPDATE_EVENTS_DOC").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(actual == expected, "docs/EVENTS.md is stale: run `UPDATE_EVENTS_DOC=1 cargo test -p events`");
}
