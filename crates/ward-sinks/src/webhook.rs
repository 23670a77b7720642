//! The webhook sink: an HTTP POST of `{"events":[…]}` per batch.
//!
//! The client is `ureq` (blocking, with rustls and the Mozilla root certificates
//! compiled in). Blocking suits the process that delivers: a short-lived
//! background `ward` with nothing else to do, where an async runtime would only add
//! start-up cost and dependencies. rustls keeps the binary free of a system OpenSSL
//! (Ward ships as one self-contained binary). A receiver behind a company's private CA is
//! reached with `ca_file`: the sink then trusts the certificates of that PEM file,
//! and only those, for its receiver (the public roots would let any public CA vouch
//! for the company's host). Proxies come from the usual `HTTPS_PROXY`/`ALL_PROXY`
//! variables.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use ward_core::policy::{HeaderValue, WebhookFormat};

use crate::{Evidence, Sink, SinkError};

/// How much of a refusing receiver's response body goes into the error.
const ERROR_BODY_BYTES: u64 = 200;

/// POSTs each batch as JSON; 2xx means delivered, anything else is retried.
#[derive(Debug)]
pub struct WebhookSink {
    url: String,
    headers: Vec<(String, HeaderValue)>,
    timeout: Duration,
    /// The PEM file of the CAs to trust instead of the public roots.
    ca_file: Option<PathBuf>,
    /// The body's shape.
    format: WebhookFormat,
    /// Built at the first delivery, so that an unreadable `ca_file` is a delivery
    /// error (retried, shown by `ward audit sinks`) rather than a failure to start.
    agent: OnceLock<Result<ureq::Agent, String>>,
}

impl WebhookSink {
    /// A sink for `url`. `timeout` bounds a whole request (connect, TLS, send,
    /// response). Redirects are not followed: a receiver that moved is reported,
    /// and credentials in headers never go to a host the policy did not name.
    pub fn new(url: &str, headers: Vec<(String, HeaderValue)>, timeout: Duration) -> WebhookSink {
        WebhookSink {
            url: url.to_owned(),
            headers,
            timeout,
            ca_file: None,
            format: WebhookFormat::Json,
            agent: OnceLock::new(),
        }
    }

    /// Sends bodies of this shape.
    #[must_use]
    pub fn shaped(mut self, format: WebhookFormat) -> WebhookSink {
        self.format = format;
        self
    }

    /// Trusts the CA certificates in the PEM file `ca_file` for this receiver,
    /// instead of the public roots.
    #[must_use]
    pub fn trusting(mut self, ca_file: Option<&Path>) -> WebhookSink {
        self.ca_file = ca_file.map(Path::to_path_buf);
        self
    }

    fn agent(&self) -> Result<&ureq::Agent, SinkError> {
        let built = self.agent.get_or_init(|| {
            let mut config = ureq::Agent::config_builder()
                .timeout_global(Some(self.timeout))
                .max_redirects(0)
                .http_status_as_error(false)
                .user_agent(concat!("ward/", env!("CARGO_PKG_VERSION")));
            if let Some(path) = &self.ca_file {
                let roots = ca_certificates(path)?;
                config = config.tls_config(
                    ureq::tls::TlsConfig::builder()
                        .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
                        .build(),
                );
            }
            Ok(ureq::Agent::new_with_config(config.build()))
        });
        built.as_ref().map_err(|reason| SinkError::Trust {
            path: self.ca_file.clone().unwrap_or_default(),
            reason: reason.clone(),
        })
    }

    /// The batch as it is sent: `{"events":[…]}`.
    pub fn body(batch: &[Evidence]) -> Result<String, SinkError> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            events: &'a [Evidence],
        }
        Ok(serde_json::to_string(&Body { events: batch })?)
    }

    /// The batch as a Slack incoming-webhook message: `{"text":"…"}`, one line per
    /// notice (other events have no sentence and are left out; the policy lets a
    /// Slack sink take notices only). One message per batch keeps a retried batch
    /// from posting half of itself twice.
    pub fn slack_body(batch: &[Evidence]) -> Result<String, SinkError> {
        let lines: Vec<String> = batch
            .iter()
            .filter_map(|event| match event {
                Evidence::Notice(notice) => Some(format!(
                    "{} *Ward* {}",
                    match notice.severity {
                        ward_core::Severity::Critical => ":rotating_light:",
                        ward_core::Severity::High => ":warning:",
                        ward_core::Severity::Medium => ":raised_hand:",
                        ward_core::Severity::Low => ":information_source:",
                    },
                    slack_escape(&notice.text)
                )),
                _ => None,
            })
            .collect();
        Ok(serde_json::to_string(
            &serde_json::json!({ "text": lines.join("\n") }),
        )?)
    }
}

impl Sink for WebhookSink {
    fn deliver(&self, batch: &[Evidence]) -> Result<(), SinkError> {
        let body = match self.format {
            WebhookFormat::Json => WebhookSink::body(batch)?,
            WebhookFormat::Slack => WebhookSink::slack_body(batch)?,
        };
        let mut request = self
            .agent()?
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

/// The certificates of a PEM file (other PEM items, such as a key, are skipped).
fn ca_certificates(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let pem = std::fs::read(path).map_err(|error| error.to_string())?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let ureq::tls::PemItem::Certificate(certificate) =
            item.map_err(|error| format!("not valid PEM: {error}"))?
        {
            certificates.push(certificate);
        }
    }
    if certificates.is_empty() {
        return Err("it holds no `BEGIN CERTIFICATE` block".to_owned());
    }
    Ok(certificates)
}

/// Slack's message text treats `&`, `<` and `>` as markup (`<url|label>`,
/// `<!channel>`): a recorded string must not be able to ping a channel or forge a
/// link, so they are escaped as Slack asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
