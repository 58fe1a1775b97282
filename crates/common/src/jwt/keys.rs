//! Ed25519 signing keys and their public JWK.

use anyhow::{Context, anyhow};
use aws_lc_rs::{
    digest,
    signature::{Ed25519KeyPair, KeyPair},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    EncodingKey,
    jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm, OctetKeyPairParameters,
        OctetKeyPairType, PublicKeyUse,
    },
};
use secrecy::{ExposeSecret, SecretSlice};

/// An Ed25519 private key with its key id.
pub struct SigningKey {
    kid: String,
    pkcs8: SecretSlice<u8>,
    encoding: EncodingKey,
    public: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh random key.
    pub fn generate() -> anyhow::Result<Self> {
        let document = Ed25519KeyPair::generate_pkcs8v1(&aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| anyhow!("cannot generate an Ed25519 key"))?;
        Self::from_pkcs8_der(document.as_ref(), None)
    }

    /// A key from PKCS#8 DER, with the given key id or else its RFC 7638 thumbprint.
    pub fn from_pkcs8_der(der: &[u8], kid: Option<String>) -> anyhow::Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|e| anyhow!("not an Ed25519 PKCS#8 key: {e}"))?;
        let public = pair.public_key().as_ref().to_vec();
        let kid = kid.unwrap_or_else(|| thumbprint(&public));
        Ok(Self { kid, pkcs8: der.to_vec().into(), encoding: EncodingKey::from_ed_der(der), public })
    }

    /// A key from a PEM `PRIVATE KEY` block (as `openssl genpkey -algorithm ed25519` writes).
    pub fn from_pem(pem: &[u8], kid: Option<String>) -> anyhow::Result<Self> {
        let encoding = EncodingKey::from_ed_pem(pem).context("not an Ed25519 PEM private key")?;
        Self::from_pkcs8_der(encoding.as_bytes(), kid)
    }

    /// The key id put in every token's header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private key as PKCS#8 DER, for persisting it.
    pub fn pkcs8_der(&self) -> &[u8] {
        self.pkcs8.expose_secret()
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// The public half as a JWK, the form `/.well-known/jwks.json` serves.
    pub fn public_jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                key_id: Some(self.kid.clone()),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(&self.public),
            }),
        }
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key (RFC 8037 section 2 fixes the member order).
fn thumbprint(public: &[u8]) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(public));
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_a_round_trip_through_der_with_the_same_kid() {
        let key = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8_der(key.pkcs8_der(), None).unwrap();
        assert_eq!(key.kid(), again.kid());
        assert_eq!(key.public_jwk(), again.public_jwk());
    }

    #[test]
    fn the_public_jwk_holds_no_private_part() {
        let key = SigningKey::generate().unwrap();
        let json = serde_json::to_value(key.public_jwk()).unwrap();
        assert_eq!(json["kty"], "OKP");
        assert_eq!(json["crv"], "Ed25519");
        assert!(json.get("d").is_none());
    }
}
