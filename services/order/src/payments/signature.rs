//! `Stripe-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=...]`.
//!
//! Checked on the raw bytes before anything is parsed, with a constant-time comparison
//! (aws-lc-rs, already the workspace's crypto); several `v1` values are accepted, since Stripe
//! signs with every active secret while one is being rolled.

use std::time::Duration;

use aws_lc_rs::hmac;

/// How far the signed time may be from ours (Stripe's own default).
pub(crate) const TOLERANCE: Duration = Duration::from_secs(300);

/// Why a signature was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    #[error("no Stripe-Signature header, or one without t= and v1=")]
    Malformed,
    #[error("the signed time is more than 300 s away")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// Checks `header` over `body` with `secret`, at `now` (unix seconds).
pub(crate) fn verify(header: Option<&str>, body: &[u8], secret: &[u8], now: i64) -> Result<(), Refused> {
    let header = header.ok_or(Refused::Malformed)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Refused::Malformed)?;
    if signatures.is_empty() {
        return Err(Refused::Malformed);
    }
    if timestamp.abs_diff(now) > TOLERANCE.as_secs() {
        return Err(Refused::Stale);
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut signed = timestamp.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(body);
    if signatures.iter().any(|signature| hmac::verify(&key, &signed, signature).is_ok()) {
        Ok(())
    } else {
        Err(Refused::Mismatch)
    }
}

/// The header Stripe would send for `body` at `timestamp`, signed with `secret`: for tools and
/// cross-service tests that play Stripe.
pub fn sign(body: &[u8], secret: &[u8], timestamp: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut signed = timestamp.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(body);
    format!("t={timestamp},v1={}", hex::encode(hmac::sign(&key, &signed).as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_signature_of_the_body_within_five_minutes_passes() {
        let body = br#"{"id":"evt_1"}"#;
        assert_eq!(verify(Some(&sign(body, SECRET, NOW - 299)), body, SECRET, NOW), Ok(()));
    }

    #[test]
    fn a_tampered_body_another_secret_or_an_old_time_is_refused() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, SECRET, NOW);
        assert_eq!(verify(Some(&header), br#"{"id":"evt_2"}"#, SECRET, NOW), Err(Refused::Mismatch));
        assert_eq!(verify(Some(&header), body, b"whsec_other", NOW), Err(Refused::Mismatch));
        assert_eq!(verify(Some(&sign(body, SECRET, NOW - 301)), body, SECRET, NOW), Err(Refused::Stale));
        for malformed in [None, Some(""), Some("t=x,v1=00"), Some(&format!("t={NOW}")), Some("v1=zz")] {
            assert_eq!(verify(malformed, body, SECRET, NOW), Err(Refused::Malformed), "{malformed:?}");
        }
    }

    #[test]
    fn any_of_several_signatures_may_match_while_a_secret_is_rolled() {
        let body = b"{}";
        let new = sign(body, SECRET, NOW);
        let old = sign(body, b"whsec_old", NOW);
        let old_v1 = old.split_once(",v1=").unwrap().1;
        assert_eq!(verify(Some(&format!("{new},v1={old_v1}")), body, SECRET, NOW), Ok(()));
        assert_eq!(verify(Some(&format!("{new},v1={old_v1}")), body, b"whsec_old", NOW), Ok(()));
    }
}
