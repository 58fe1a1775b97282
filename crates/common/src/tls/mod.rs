//! TLS settings: the certificate every port serves HTTPS with (`TLS_CERT_FILE` + `TLS_KEY_FILE`)
//! and the extra roots outbound HTTPS clients trust (`TLS_CA_FILE`).
//!
//! Files are read and checked once, at start, so a wrong one stops the binary with one line
//! naming its variable. The messages say what is wrong without quoting the file: a key file's
//! content must never reach a log. The crypto provider is aws-lc-rs, explicitly, everywhere.

mod client;
mod server;

use std::sync::Arc;

use rustls::pki_types::{
    CertificateDer,
    pem::{self, PemObject},
};

use crate::config::ConfigError;

pub use client::ClientTls;
pub use server::ServerTls;

/// The certificate chain a service presents, leaf first (PEM).
pub const CERT_FILE_VAR: &str = "TLS_CERT_FILE";
/// The private key of that leaf certificate (PEM: PKCS#8, RSA or SEC1).
pub const KEY_FILE_VAR: &str = "TLS_KEY_FILE";
/// Extra root certificates outbound HTTPS trusts besides the platform's (PEM bundle).
pub const CA_FILE_VAR: &str = "TLS_CA_FILE";

/// The one crypto provider of the workspace.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Reads the file a setting names. The error names the setting and the operating system's
/// reason, never the content.
fn read_file(var: &str, path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path)
        .map_err(|error| ConfigError { name: var.to_owned(), problem: format!("cannot be read: {error}") })
}

/// Every certificate in a PEM text; other sections are skipped. At least one is required.
fn certificates(var: &str, pem_text: &[u8]) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certificates = CertificateDer::pem_slice_iter(pem_text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| ConfigError::invalid(var, pem_problem(&error)))?;
    if certificates.is_empty() {
        return Err(ConfigError::invalid(var, "no PEM certificate in it"));
    }
    Ok(certificates)
}

/// What is wrong with a PEM text, in words that quote none of it (the parser's own messages
/// can echo a line of the file).
fn pem_problem(error: &pem::Error) -> &'static str {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a PEM section has no END line",
        pem::Error::IllegalSectionStart { .. } => "a PEM BEGIN line is malformed",
        pem::Error::Base64Decode(_) => "a PEM section is not valid base64",
        pem::Error::SectionTooLarge => "a PEM section is too large",
        _ => "not a readable PEM file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_names_the_variable_but_not_the_path() {
        let err = read_file(CA_FILE_VAR, "/nonexistent/ca.pem").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("configuration error: TLS_CA_FILE cannot be read"), "{message}");
        assert!(!message.contains("/nonexistent"), "{message}");
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let err = certificates(CERT_FILE_VAR, b"just some text\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: TLS_CERT_FILE is malformed: no PEM certificate in it"
        );
    }

    #[test]
    fn broken_pem_is_described_without_quoting_it() {
        let broken = b"-----BEGIN CERTIFICATE-----\nc2VjcmV0IG1hdGVyaWFs\n";
        let err = certificates(CERT_FILE_VAR, broken).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("TLS_CERT_FILE is malformed"), "{message}");
        assert!(!message.contains("c2VjcmV0"), "{message}");
    }
}
