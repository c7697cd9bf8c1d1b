//! TLS for `rediss://`: rustls with the ring provider, trusting either the
//! web PKI roots built into `webpki-roots` or the CA certificates of
//! `KAUTH_REDIS_CA_FILE`.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::config::CA_FILE_VAR;
use crate::url::URL_VAR;
use crate::RedisError;

/// Builds the client settings, reading and parsing `ca_file` if given.
pub(crate) fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, RedisError> {
    let roots = match ca_file {
        Some(path) => read_ca_file(path)?,
        None => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
    };

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| RedisError::config(URL_VAR, format!("uses TLS, which could not be set up: {error}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn read_ca_file(path: &Path) -> Result<RootCertStore, RedisError> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|error| {
        RedisError::config(
            CA_FILE_VAR,
            format!("names a file that could not be read: {shown}: {error}"),
        )
    })?;

    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        let certificate = certificate.map_err(|error| {
            RedisError::config(
                CA_FILE_VAR,
                format!("names a file that is not valid PEM: {shown}: {error}"),
            )
        })?;
        roots.add(certificate).map_err(|error| {
            let reason = format!("names a file with a certificate that cannot be a trust anchor: {shown}: {error}");
            RedisError::config(CA_FILE_VAR, reason)
        })?;
    }

    if roots.is_empty() {
        let reason = format!("names a file without any PEM certificate: {shown}");
        return Err(RedisError::config(CA_FILE_VAR, reason));
    }
    Ok(roots)
}

/// Runs the TLS handshake over `tcp`, verifying the certificate against `host`
/// (a DNS name or an IP address).
pub(crate) async fn handshake(
    config: &Arc<ClientConfig>,
    host: &str,
    tcp: TcpStream,
) -> std::io::Result<TlsStream<TcpStream>> {
    let server_name = ServerName::try_from(host.to_owned())
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
    TlsConnector::from(Arc::clone(config)).connect(server_name, tcp).await
}
