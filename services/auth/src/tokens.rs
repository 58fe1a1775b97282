//! Opaque refresh tokens: 256 random bits for the client, their SHA-256 digest for the database,
//! so a leaked table yields no usable token.

use aws_lc_rs::digest;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// A new refresh token: what the client gets, and what is stored.
pub(crate) struct RefreshToken {
    pub(crate) value: String,
    pub(crate) hash: Vec<u8>,
}

impl RefreshToken {
    pub(crate) fn generate() -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow::anyhow!("random generator failed"))?;
        let value = URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash(&value);
        Ok(Self { value, hash })
    }
}

/// The stored form of a token the client presents.
pub(crate) fn hash(value: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, value.as_bytes()).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_stored_only_as_their_digest() {
        let a = RefreshToken::generate().unwrap();
        let b = RefreshToken::generate().unwrap();
        assert_ne!(a.value, b.value);
        assert_eq!(a.hash, hash(&a.value));
        assert_eq!(a.hash.len(), 32);
    }
}
