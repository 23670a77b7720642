//! A webhook receiver on loopback for the sink and notification tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// A webhook receiver on loopback, run by the test: it answers every request with
/// the current status and keeps what it got. It stops when dropped.
pub(crate) struct Receiver {
    pub(crate) address: SocketAddr,
    pub(crate) status: Arc<AtomicU16>,
    pub(crate) requests: Arc<Mutex<Vec<(String, Value)>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    pub(crate) fn start() -> Receiver {
        Receiver::on(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    pub(crate) fn on(listener: TcpListener) -> Receiver {
        let receiver = Receiver {
            address: listener.local_addr().unwrap(),
            status: Arc::new(AtomicU16::new(200)),
            requests: Arc::default(),
            stop: Arc::default(),
        };
        let (status, requests, stop) = (
            receiver.status.clone(),
            receiver.requests.clone(),
            receiver.stop.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Some(request) = read_request(&stream) {
                    let status = status.load(Ordering::SeqCst);
                    if (200..300).contains(&status) {
                        requests.lock().unwrap().push(request);
                    }
                    let body = if status == 200 { "" } else { "unavailable" };
                    let _ = write!(
                        &stream,
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
            }
        });
        receiver
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/ward/events", self.address)
    }

    /// Every event received, in order.
    pub(crate) fn events(&self) -> Vec<Value> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, body)| body["events"].as_array().unwrap().clone())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

/// Reads one HTTP/1.1 request: its head (lowercased) and its JSON body.
fn read_request(stream: &TcpStream) -> Option<(String, Value)> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        let line = line.to_ascii_lowercase();
        if let Some(value) = line.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, serde_json::from_slice(&body).ok()?))
}
