//! HTTPS for the Lovense local API: a self-signed certificate made at first start and kept in a
//! directory the user chose (so it can be trusted once, see the README), and a listener that
//! hands finished TLS handshakes to axum (handshakes run in their own tasks, bounded in time,
//! so a slow or silent client holds up no one).

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;

/// The certificate's file name in the directory.
pub const CERT_FILE: &str = "lovense-api-cert.pem";
/// The private key's file name in the directory.
pub const KEY_FILE: &str = "lovense-api-key.pem";
/// The names the certificate is made for: this machine, and the name Lovense's own clients use
/// for it (only a user who trusts this certificate makes that one work).
pub const NAMES: [&str; 4] = ["localhost", "127.0.0.1", "::1", "127-0-0-1.lovense.club"];
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for the HTTP server.
const ACCEPTED_QUEUE: usize = 64;

/// The certificate and key files of `dir`, made (with the directory) when missing.
pub fn certificate(dir: &Path) -> io::Result<(PathBuf, PathBuf)> {
    let cert = dir.join(CERT_FILE);
    let key = dir.join(KEY_FILE);
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(dir)?;
    let names: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| io::Error::other(format!("making a certificate: {e}")))?;
    std::fs::write(&cert, made.cert.pem())?;
    write_private(&key, made.signing_key.serialize_pem().as_bytes())?;
    tracing::info!(
        "made a self-signed certificate for the Lovense API: {}",
        cert.display()
    );
    Ok((cert, key))
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(data)
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> io::Result<()> {
    std::fs::write(path, data)
}

/// The rustls server configuration of the certificate in `dir` (made when missing).
pub fn server_config(dir: &Path) -> io::Result<Arc<ServerConfig>> {
    let (cert, key) = certificate(dir)?;
    let bad = |what: &Path, e: rustls::pki_types::pem::Error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", what.display()),
        )
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .map_err(|e| bad(&cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(&cert, e))?;
    let key_der = PrivateKeyDer::from_pem_file(&key).map_err(|e| bad(&key, e))?;
    // ring, not aws-lc-rs: it builds without cmake or NASM on every target of this crate; its
    // provider is deprecated only for lacking post-quantum key exchange, which the games that
    // speak Lovense do not offer anyway.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(Arc::new(config))
}

/// A listener of finished TLS connections, for `axum::serve`.
pub struct TlsListener {
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Accept on `listener`, shaking hands with `config`.
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, accepted) = mpsc::channel(ACCEPTED_QUEUE);
        let acceptor = TlsAcceptor::from(config);
        let task = tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!("Lovense API (TLS) accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!("Lovense API TLS handshake from {peer}: {e}"),
                        Err(_) => {
                            tracing::debug!("Lovense API TLS handshake from {peer}: timed out")
                        }
                    }
                });
            }
        });
        Ok(TlsListener {
            accepted,
            local,
            task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(c) => c,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}
