//! The webhook sink: an HTTP POST of `{"events":[…]}` per batch.
//!
//! The client is `ureq` (blocking, with rustls and the Mozilla root certificates
//! compiled in). Blocking suits the process that delivers: a short-lived
//! background `ward` with nothing else to do, where an async runtime would only add
//! start-up cost and dependencies. rustls keeps the binary free of a system OpenSSL
//! (Ward ships as one static binary); the cost is that only publicly trusted
//! certificates are accepted: a receiver behind a private CA needs a proxy or a
//! public certificate for now. Proxies come from the usual `HTTPS_PROXY`/`ALL_PROXY`
//! variables.

use std::io::Read;
use std::time::Duration;

use ward_core::policy::HeaderValue;

use crate::{Evidence, Sink, SinkError};

/// How much of a refusing receiver's response body goes into the error.
const ERROR_BODY_BYTES: u64 = 200;

/// POSTs each batch as JSON; 2xx means delivered, anything else is retried.
#[derive(Debug)]
pub struct WebhookSink {
    url: String,
    headers: Vec<(String, HeaderValue)>,
    agent: ureq::Agent,
}

impl WebhookSink {
    /// A sink for `url`. `timeout` bounds a whole request (connect, TLS, send,
    /// response). Redirects are not followed: a receiver that moved is reported,
    /// and credentials in headers never go to a host the policy did not name.
    pub fn new(url: &str, headers: Vec<(String, HeaderValue)>, timeout: Duration) -> WebhookSink {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("ward/", env!("CARGO_PKG_VERSION")))
            .build();
        WebhookSink {
            url: url.to_owned(),
            headers,
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// The batch as it is sent: `{"events":[…]}`.
    pub fn body(batch: &[Evidence]) -> Result<String, SinkError> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            events: &'a [Evidence],
        }
        Ok(serde_json::to_string(&Body { events: batch })?)
    }
}

impl Sink for WebhookSink {
    fn deliver(&self, batch: &[Evidence]) -> Result<(), SinkError> {
        let body = WebhookSink::body(batch)?;
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        for (name, value) in &self.headers {
            let value = match value {
                HeaderValue::Literal(text) => text.clone(),
                HeaderValue::Env(variable) => std::env::var(variable)
                    .ok()
                    .filter(|value| !value.is_empty())
                    .ok_or_else(|| SinkError::MissingEnv {
                        header: name.clone(),
                        variable: variable.clone(),
                    })?,
            };
            request = request.header(name.as_str(), value);
        }
        let mut response = request
            .send(body.as_bytes())
            .map_err(|error| SinkError::Transport(error.to_string()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let mut start = Vec::new();
        let _ = response
            .body_mut()
            .as_reader()
            .take(ERROR_BODY_BYTES)
            .read_to_end(&mut start);
        let text: String = String::from_utf8_lossy(&start)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let text = text.trim();
        Err(SinkError::Status {
            status,
            body: if text.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            },
        })
    }
}
