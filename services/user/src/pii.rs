//! Encryption of personal data at rest: AES-256-GCM, a random 96-bit nonce per value, and the
//! profile id and field name as associated data, so a ciphertext cannot be moved to another row
//! or field. Every row names the key that encrypted it, so keys can rotate: new writes use the
//! active key, older rows stay readable with theirs.

use std::collections::HashMap;

use anyhow::{Context, anyhow, bail};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::{Engine, engine::general_purpose::STANDARD};
use common::config::{ConfigError, Env};
use common::db::Pool;
use secrecy::ExposeSecret;
use uuid::Uuid;

/// The keys, by id, and which one encrypts new values.
pub struct PiiKeys {
    keys: HashMap<String, LessSafeKey>,
    active: String,
}

impl std::fmt::Debug for PiiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiiKeys").field("active", &self.active).finish_non_exhaustive()
    }
}

fn key(secret: &[u8]) -> anyhow::Result<LessSafeKey> {
    let unbound = UnboundKey::new(&AES_256_GCM, secret).map_err(|_| anyhow!("an AES-256 key is 32 bytes"))?;
    Ok(LessSafeKey::new(unbound))
}

impl PiiKeys {
    /// `USER_PII_KEYS` (`id:base64,id:base64`, 32-byte keys) and `USER_PII_ACTIVE_KEY` (the id to
    /// encrypt with; the first listed by default). `None` when no keys are configured.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(list) = env.secret("USER_PII_KEYS")? else { return Ok(None) };
        let mut keys = HashMap::new();
        let mut first = None;
        for entry in list.expose_secret().split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, encoded) = entry
                .split_once(':')
                .ok_or_else(|| ConfigError::invalid("USER_PII_KEYS", "each key is id:base64"))?;
            let secret = STANDARD
                .decode(encoded.trim())
                .map_err(|_| ConfigError::invalid("USER_PII_KEYS", format!("key {kid} is not base64")))?;
            let cipher = key(&secret)
                .map_err(|_| ConfigError::invalid("USER_PII_KEYS", format!("key {kid} is not 32 bytes")))?;
            first.get_or_insert_with(|| kid.trim().to_owned());
            keys.insert(kid.trim().to_owned(), cipher);
        }
        let active = env
            .text("USER_PII_ACTIVE_KEY")?
            .or(first)
            .ok_or_else(|| ConfigError::invalid("USER_PII_KEYS", "lists no key"))?;
        if !keys.contains_key(&active) {
            return Err(ConfigError::invalid("USER_PII_ACTIVE_KEY", "names no key of USER_PII_KEYS"));
        }
        Ok(Some(Self { keys, active }))
    }

    /// For a developer machine with no keys configured: one key generated on first start and
    /// kept in the schema. It protects nothing from whoever can read the schema, so it is logged.
    pub(crate) async fn local(pool: &Pool) -> anyhow::Result<Self> {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).map_err(|_| anyhow!("random generator failed"))?;
        sqlx::query(
            "INSERT INTO local_pii_keys (kid, secret, is_current, created_at) VALUES ('local-1', ?, 1, NOW(6))
             ON DUPLICATE KEY UPDATE kid = kid",
        )
        .bind(&secret[..])
        .execute(pool)
        .await?;
        let (kid, secret): (String, Vec<u8>) =
            sqlx::query_as("SELECT kid, secret FROM local_pii_keys WHERE is_current = 1")
                .fetch_one(pool)
                .await?;
        tracing::warn!(
            kid,
            "USER_PII_KEYS is not set: personal data is encrypted with a key kept in the database (for development only)"
        );
        Ok(Self { keys: HashMap::from([(kid.clone(), key(&secret)?)]), active: kid })
    }

    /// The active key's id.
    pub(crate) fn active(&self) -> &str {
        &self.active
    }

    /// `nonce || ciphertext || tag` of `plaintext`, bound to the profile and field.
    pub(crate) fn seal(&self, profile: Uuid, field: &str, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let cipher = self.keys.get(&self.active).context("the active key is missing")?;
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| anyhow!("random generator failed"))?;
        let mut sealed = plaintext.to_vec();
        cipher
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), aad(profile, field), &mut sealed)
            .map_err(|_| anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The plaintext of a sealed value, with the key it names.
    pub(crate) fn open(
        &self,
        kid: &str,
        profile: Uuid,
        field: &str,
        sealed: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        let cipher = self.keys.get(kid).with_context(|| format!("no key {kid} to decrypt with"))?;
        if sealed.len() < NONCE_LEN {
            bail!("sealed value too short");
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow!("bad nonce"))?;
        let mut buffer = body.to_vec();
        let plain = cipher
            .open_in_place(nonce, aad(profile, field), &mut buffer)
            .map_err(|_| anyhow!("decryption failed"))?;
        Ok(plain.to_vec())
    }
}

fn aad(profile: Uuid, field: &str) -> Aad<Vec<u8>> {
    let mut data = profile.as_bytes().to_vec();
    data.extend_from_slice(field.as_bytes());
    Aad::from(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(active: &str) -> PiiKeys {
        let env = Env::from_pairs([
            (
                "USER_PII_KEYS",
                "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,k2:HxwdHh8QERITFBUWFxgZGhscHQ4PCAkKCwwNBAUGBwA=",
            ),
            ("USER_PII_ACTIVE_KEY", active),
        ]);
        PiiKeys::from_env(&env).unwrap().unwrap()
    }

    #[test]
    fn a_value_opens_with_its_key_and_nothing_else() {
        let keys = keys("k1");
        let id = Uuid::now_v7();
        let sealed = keys.seal(id, "phone", b"+14155550123").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"41555"));
        assert_eq!(keys.open("k1", id, "phone", &sealed).unwrap(), b"+14155550123");
        assert!(keys.open("k2", id, "phone", &sealed).is_err(), "another key");
        assert!(keys.open("k1", Uuid::now_v7(), "phone", &sealed).is_err(), "another row");
        assert!(keys.open("k1", id, "address", &sealed).is_err(), "another field");
    }

    #[test]
    fn after_rotation_old_values_still_open() {
        let id = Uuid::now_v7();
        let sealed = keys("k1").seal(id, "phone", b"+4930123456").unwrap();
        let rotated = keys("k2");
        assert_eq!(rotated.active(), "k2");
        assert_eq!(rotated.open("k1", id, "phone", &sealed).unwrap(), b"+4930123456");
    }

    #[test]
    fn malformed_key_settings_name_the_variable() {
        let short = Env::from_pairs([("USER_PII_KEYS", "k1:AAEC")]);
        assert!(PiiKeys::from_env(&short).unwrap_err().to_string().contains("USER_PII_KEYS"));
        let missing = Env::from_pairs([
            ("USER_PII_KEYS", "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
            ("USER_PII_ACTIVE_KEY", "k9"),
        ]);
        assert!(PiiKeys::from_env(&missing).unwrap_err().to_string().contains("USER_PII_ACTIVE_KEY"));
    }
}
