//! The server side: the certificate chain and key every port serves HTTPS with.

use std::{fmt, sync::Arc};

use rustls::{
    ServerConfig,
    pki_types::{
        PrivateKeyDer,
        pem::{self, PemObject},
    },
};
use tokio_rustls::TlsAcceptor;

use super::{CERT_FILE_VAR, KEY_FILE_VAR, certificates, pem_problem, provider, read_file};
use crate::config::{ConfigError, Env};

/// What ALPN offers, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// A certificate chain and its private key, checked to belong together: what a port needs to
/// speak HTTPS (TLS 1.3 and 1.2, ALPN `h2` and `http/1.1`).
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
}

impl fmt::Debug for ServerTls {
    // The config holds the private key: show nothing of it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Reads `TLS_CERT_FILE` and `TLS_KEY_FILE`. Both unset means plain HTTP (`None`); one
    /// without the other is an error naming the missing one.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        match (env.text(CERT_FILE_VAR)?, env.text(KEY_FILE_VAR)?) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(required_with(KEY_FILE_VAR, CERT_FILE_VAR)),
            (None, Some(_)) => Err(required_with(CERT_FILE_VAR, KEY_FILE_VAR)),
            (Some(cert_file), Some(key_file)) => {
                let chain = read_file(CERT_FILE_VAR, &cert_file)?;
                let key = read_file(KEY_FILE_VAR, &key_file)?;
                Self::from_pem(&chain, &key).map(Some)
            }
        }
    }

    /// From PEM texts: the chain, leaf first, and the leaf's private key (PKCS#8, RSA or SEC1;
    /// RSA, ECDSA or Ed25519). Errors name `TLS_CERT_FILE` or `TLS_KEY_FILE`.
    pub fn from_pem(chain: &[u8], key: &[u8]) -> Result<Self, ConfigError> {
        let chain = certificates(CERT_FILE_VAR, chain)?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|error| match error {
            pem::Error::NoItemsFound => ConfigError::invalid(
                KEY_FILE_VAR,
                "no unencrypted PEM private key (PKCS#8, RSA or SEC1) in it",
            ),
            other => ConfigError::invalid(KEY_FILE_VAR, pem_problem(&other)),
        })?;
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("the aws-lc-rs provider supports TLS 1.3 and 1.2")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(unusable)?;
        config.alpn_protocols = ALPN.iter().map(|protocol| protocol.to_vec()).collect();
        Ok(Self { config: Arc::new(config) })
    }

    /// What runs the handshake of each connection.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config.clone())
    }
}

fn required_with(missing: &str, set: &str) -> ConfigError {
    ConfigError { name: missing.to_owned(), problem: format!("is required when {set} is set") }
}

/// Why rustls refused the pair, blamed on the file at fault. rustls' messages quote no key.
fn unusable(error: rustls::Error) -> ConfigError {
    match error {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => ConfigError::invalid(
            KEY_FILE_VAR,
            format!("it is not the key of the first certificate in {CERT_FILE_VAR}"),
        ),
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            ConfigError::invalid(CERT_FILE_VAR, error)
        }
        other => ConfigError::invalid(KEY_FILE_VAR, format!("not a usable private key ({other})")),
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::{
        encoding::AsDer,
        signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair},
    };
    use base64::Engine;

    use super::*;

    /// A self-signed certificate for `localhost` and its key as PKCS#8 PEM.
    fn certificate() -> (String, String) {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        (generated.cert.pem(), generated.signing_key.serialize_pem())
    }

    fn message(result: Result<Option<ServerTls>, ConfigError>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn neither_file_set_serves_plain_http() {
        assert!(ServerTls::from_env(&Env::default()).unwrap().is_none());
    }

    #[test]
    fn a_certificate_without_a_key_names_the_missing_key() {
        let env = Env::from_pairs([(CERT_FILE_VAR, "/etc/shopper/tls.crt")]);
        assert_eq!(
            message(ServerTls::from_env(&env)),
            "configuration error: TLS_KEY_FILE is required when TLS_CERT_FILE is set"
        );
    }

    #[test]
    fn a_key_without_a_certificate_names_the_missing_certificate() {
        let env = Env::from_pairs([(KEY_FILE_VAR, "/etc/shopper/tls.key")]);
        assert_eq!(
            message(ServerTls::from_env(&env)),
            "configuration error: TLS_CERT_FILE is required when TLS_KEY_FILE is set"
        );
    }

    #[test]
    fn an_unreadable_file_names_its_variable() {
        let env =
            Env::from_pairs([(CERT_FILE_VAR, "/nonexistent/tls.crt"), (KEY_FILE_VAR, "/nonexistent/k")]);
        assert!(
            message(ServerTls::from_env(&env))
                .starts_with("configuration error: TLS_CERT_FILE cannot be read")
        );
    }

    #[test]
    fn a_key_file_without_a_key_is_refused_without_echoing_it() {
        let (chain, key) = certificate();
        // A certificate where the key should be: a plausible mistake, and the text must not leak.
        let err = ServerTls::from_pem(chain.as_bytes(), chain.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err,
            "configuration error: TLS_KEY_FILE is malformed: \
             no unencrypted PEM private key (PKCS#8, RSA or SEC1) in it"
        );
        let truncated = &key[..key.len() / 2];
        let err = ServerTls::from_pem(chain.as_bytes(), truncated.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("configuration error: TLS_KEY_FILE is malformed"), "{err}");
        let body_line = key.lines().nth(1).unwrap();
        assert!(!err.contains(body_line), "{err}");
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let (chain, _) = certificate();
        let (_, other_key) = certificate();
        let err = ServerTls::from_pem(chain.as_bytes(), other_key.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err,
            "configuration error: TLS_KEY_FILE is malformed: \
             it is not the key of the first certificate in TLS_CERT_FILE"
        );
    }

    #[test]
    fn a_pkcs8_key_is_accepted_and_alpn_offers_h2_then_http1() {
        let (chain, key) = certificate();
        let tls = ServerTls::from_pem(chain.as_bytes(), key.as_bytes()).unwrap();
        assert_eq!(tls.config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert_eq!(format!("{tls:?}"), "ServerTls { .. }");
    }

    #[test]
    fn a_sec1_key_is_accepted() {
        // `openssl ecparam -genkey` writes keys as SEC1 ("EC PRIVATE KEY").
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
        let pkcs8 = key.to_pkcs8v1().unwrap();
        let signer = rcgen::KeyPair::try_from(pkcs8.as_ref()).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let chain = params.self_signed(&signer).unwrap().pem();
        let sec1 = key.private_key().as_der().unwrap();
        let body = base64::engine::general_purpose::STANDARD.encode(sec1.as_ref());
        let sec1_pem = format!("-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n");
        ServerTls::from_pem(chain.as_bytes(), sec1_pem.as_bytes()).unwrap();
    }
}
