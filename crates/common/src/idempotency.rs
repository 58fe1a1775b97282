//! `Idempotency-Key`: a client's name for one request that creates something, so a retry after a
//! lost answer returns the first result instead of creating a second one.
//!
//! A service stores the key with the fingerprint of the request it was used for, next to what the
//! request created and in the same transaction, unique per caller. A replay with the same request
//! returns the first result; the same key with a different request is refused (422), since
//! answering it with the first result would hide that it was never carried out.

use aws_lc_rs::digest;
use axum::http::HeaderMap;

use crate::{AppError, FieldError};

/// Longest key accepted.
pub const MAX_LEN: usize = 255;

/// A client's key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header that carries it.
    pub const HEADER: &'static str = "idempotency-key";

    /// Checks a header value.
    pub fn parse(raw: &[u8]) -> Result<Self, FieldError> {
        if raw.is_empty() || raw.len() > MAX_LEN || !raw.iter().all(u8::is_ascii_graphic) {
            return Err(FieldError::new(
                "Idempotency-Key",
                format!("must be 1 to {MAX_LEN} visible ASCII characters"),
            ));
        }
        Ok(Self(String::from_utf8_lossy(raw).into_owned()))
    }

    /// The request's key, if it sent one; a 422 if it is malformed.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, AppError> {
        headers
            .get(Self::HEADER)
            .map(|value| Self::parse(value.as_bytes()))
            .transpose()
            .map_err(|error| AppError::Validation(vec![error]))
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The answer to a key reused for a different request.
pub fn reused() -> AppError {
    AppError::Validation(vec![FieldError::new("Idempotency-Key", "was already used for a different request")])
}

/// The replay-or-refuse rule on what an earlier request recorded under a key (what it created,
/// and its fingerprint): the same request replays it, a different one is refused (422), a key
/// never used lets the request through (`None`).
pub fn replayed<T>(recorded: Option<(T, Vec<u8>)>, fingerprint: &[u8]) -> Result<Option<T>, AppError> {
    match recorded {
        None => Ok(None),
        Some((created, first)) if first == fingerprint => Ok(Some(created)),
        Some(_) => Err(reused()),
    }
}

/// The one creation flow with an optional key: a key seen before replays (`replay`, which
/// applies [`replayed`]); otherwise `create` runs, writing the key in its own transaction, and
/// answers `None` when the key's unique index refused it because a concurrent request with the
/// same key committed first, which is then replayed too. Either way one request creates, however
/// many retries race.
pub async fn create_once<'k, T, R, RF, C, CF>(
    key: Option<&'k IdempotencyKey>,
    replay: R,
    create: C,
) -> Result<T, AppError>
where
    R: Fn(&'k IdempotencyKey) -> RF,
    RF: Future<Output = Result<Option<T>, AppError>>,
    C: FnOnce() -> CF,
    CF: Future<Output = Result<Option<T>, AppError>>,
{
    if let Some(key) = key
        && let Some(first) = replay(key).await?
    {
        return Ok(first);
    }
    if let Some(created) = create().await? {
        return Ok(created);
    }
    let Some(key) = key else {
        return Err(anyhow::anyhow!("a unique key refused a creation that carried no idempotency key").into());
    };
    replay(key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the record of a racing request with this key vanished").into())
}

/// SHA-256 over a request's fields, each length-prefixed so that no two different field lists
/// hash alike: the same request fingerprints the same, any change does not.
#[derive(Clone)]
pub struct Fingerprint(digest::Context);

impl Default for Fingerprint {
    fn default() -> Self {
        Self(digest::Context::new(&digest::SHA256))
    }
}

impl Fingerprint {
    /// Adds one field.
    pub fn field(mut self, bytes: impl AsRef<[u8]>) -> Self {
        let bytes = bytes.as_ref();
        self.0.update(&(bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
        self
    }

    /// The 32-byte digest.
    pub fn finish(self) -> [u8; 32] {
        let mut out = [0; 32];
        out.copy_from_slice(self.0.finish().as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(IdempotencyKey::parse(b"order-2026-11-24-0001").is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_ok());
        for bad in [&b""[..], &[b'k'; 256], b"has space", "caf\u{e9}".as_bytes(), b"tab\t"] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn fingerprints_tell_field_boundaries_apart() {
        let print = |fields: &[&str]| fields.iter().fold(Fingerprint::default(), |f, x| f.field(x)).finish();
        assert_eq!(print(&["ab", "c"]), print(&["ab", "c"]));
        assert_ne!(print(&["ab", "c"]), print(&["a", "bc"]));
        assert_ne!(print(&["ab"]), print(&["ab", ""]));
    }
}
