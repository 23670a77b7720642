//! The webhook sink over TLS, against a receiver on loopback whose certificate
//! is issued by a private CA (`testdata/`: a test CA, and a server certificate for
//! `127.0.0.1` and `localhost` that it issued; made with `openssl`, valid until 2126).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::tests::checkpoint_event;
use crate::{Sink, SinkError, WebhookSink};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// An HTTPS receiver on loopback for one connection: answers 200 and sends the
/// request's body back. A client that refuses the certificate ends the handshake,
/// and the receiver sends nothing.
fn tls_server() -> (String, mpsc::Receiver<String>) {
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(testdata("server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(testdata("server-key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certificates, key)
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/ward", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let connection = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = rustls::StreamOwned::new(connection, stream);
        let mut reader = BufReader::new(&mut tls);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                return; // the client refused the certificate
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        drop(reader);
        tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        tls.flush().unwrap();
        sender.send(String::from_utf8(body).unwrap()).unwrap();
    });
    (url, receiver)
}

fn sink(url: &str) -> WebhookSink {
    WebhookSink::new(url, Vec::new(), Duration::from_secs(10))
}

#[test]
fn a_receiver_behind_a_private_ca_is_reached_with_its_ca_file() {
    let (url, received) = tls_server();
    let ca = testdata("ca.pem");
    sink(&url)
        .trusting(Some(&ca))
        .deliver(&[checkpoint_event()])
        .unwrap();
    let body = received.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(body.contains("\"id\":\"checkpoint::1\""), "{body}");
}

#[test]
fn without_its_ca_file_the_public_roots_refuse_the_receiver() {
    let (url, received) = tls_server();
    let error = sink(&url).deliver(&[checkpoint_event()]).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("cannot reach the receiver: ") && message.contains("UnknownIssuer"),
        "{message}"
    );
    assert!(received.recv_timeout(Duration::from_millis(200)).is_err());
}

#[test]
fn a_ca_file_that_did_not_issue_the_certificate_is_refused_too() {
    // The server's own certificate as the only trusted one: it is not a CA, and
    // the public roots are not consulted once a `ca_file` is given.
    let (url, _received) = tls_server();
    let not_the_issuer = testdata("server.pem");
    let error = sink(&url)
        .trusting(Some(&not_the_issuer))
        .deliver(&[checkpoint_event()])
        .unwrap_err();
    assert!(
        matches!(error, SinkError::Transport(_)),
        "a TLS refusal expected: {error}"
    );
}

#[test]
fn an_unusable_ca_file_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let error = sink("https://127.0.0.1:9/")
        .trusting(Some(&missing))
        .deliver(&[checkpoint_event()])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot use `ca_file = \"{}\"` as the receiver's certificate authorities: No such \
             file or directory (os error 2)",
            missing.display()
        )
    );

    let key_only = testdata("server-key.pem");
    let error = sink("https://127.0.0.1:9/")
        .trusting(Some(&key_only))
        .deliver(&[checkpoint_event()])
        .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("it holds no `BEGIN CERTIFICATE` block"),
        "{error}"
    );
}
