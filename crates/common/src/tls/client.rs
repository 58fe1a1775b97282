//! The client side: which servers outbound HTTPS trusts.

use std::fmt;

use super::{CA_FILE_VAR, certificates, read_file};
use crate::config::{ConfigError, Env};

/// The roots outbound HTTPS verifies servers against: the platform's, plus the extra roots of
/// `TLS_CA_FILE` (an internal CA, so services can call each other over HTTPS).
///
/// The platform's roots come from reqwest's verifier (rustls-platform-verifier): on Linux the
/// system store (`/etc/ssl/certs`, or `SSL_CERT_FILE`/`SSL_CERT_DIR`), read from disk, so no
/// network is needed to verify. Verification is never turned off.
#[derive(Clone, Default)]
pub struct ClientTls {
    extra_roots: Vec<reqwest::Certificate>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls").field("extra_roots", &self.extra_roots.len()).finish()
    }
}

impl ClientTls {
    /// Reads `TLS_CA_FILE`; unset trusts the platform's roots only.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.text(CA_FILE_VAR)? {
            None => Ok(Self::default()),
            Some(path) => Self::from_pem(&read_file(CA_FILE_VAR, &path)?),
        }
    }

    /// From a PEM bundle of root certificates. Errors name `TLS_CA_FILE`.
    pub fn from_pem(bundle: &[u8]) -> Result<Self, ConfigError> {
        let roots = certificates(CA_FILE_VAR, bundle)?;
        // Refuse at start what the verifier would refuse on the first call.
        let mut store = rustls::RootCertStore::empty();
        for (index, root) in roots.iter().enumerate() {
            store.add(root.clone()).map_err(|error| {
                ConfigError::invalid(
                    CA_FILE_VAR,
                    format!("certificate {} is not a usable root ({error})", index + 1),
                )
            })?;
        }
        let extra_roots = roots
            .iter()
            .map(|root| reqwest::Certificate::from_der(root))
            .collect::<Result<_, _>>()
            .map_err(|error| ConfigError::invalid(CA_FILE_VAR, error))?;
        Ok(Self { extra_roots })
    }

    /// How many roots `TLS_CA_FILE` added.
    pub fn extra_roots(&self) -> usize {
        self.extra_roots.len()
    }

    /// A client builder that verifies servers against the platform's roots and the extra ones;
    /// callers add their timeouts.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder().tls_certs_merge(self.extra_roots.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_trusts_the_platform_roots_only() {
        let tls = ClientTls::from_env(&Env::default()).unwrap();
        assert_eq!(tls.extra_roots(), 0);
        tls.client_builder().build().unwrap();
    }

    #[test]
    fn every_certificate_of_the_bundle_is_trusted() {
        let first = rcgen::generate_simple_self_signed(vec!["a.internal".into()]).unwrap();
        let second = rcgen::generate_simple_self_signed(vec!["b.internal".into()]).unwrap();
        let bundle = format!("{}{}", first.cert.pem(), second.cert.pem());
        let tls = ClientTls::from_pem(bundle.as_bytes()).unwrap();
        assert_eq!(tls.extra_roots(), 2);
        tls.client_builder().build().unwrap();
    }

    #[test]
    fn a_bundle_without_certificates_is_refused() {
        let err = ClientTls::from_pem(b"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: TLS_CA_FILE is malformed: no PEM certificate in it"
        );
    }

    #[test]
    fn a_certificate_that_does_not_parse_is_refused_at_start() {
        let garbage = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n";
        let err = ClientTls::from_pem(garbage.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("configuration error: TLS_CA_FILE is malformed: certificate 1"), "{err}");
    }

    #[test]
    fn an_unreadable_bundle_names_the_variable() {
        let env = Env::from_pairs([(CA_FILE_VAR, "/nonexistent/ca.pem")]);
        let err = ClientTls::from_env(&env).unwrap_err().to_string();
        assert!(err.starts_with("configuration error: TLS_CA_FILE cannot be read"), "{err}");
    }
}
