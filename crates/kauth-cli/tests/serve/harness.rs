//! `kauth serve` processes started by a test, and an HTTP client for them.
//!
//! Each [`Service`] runs the built binary with `--listen 127.0.0.1:0` and
//! learns its port from the `listening` log line on stderr. Every stderr
//! line is kept, so tests can check what the service logged. Requests only
//! ever go to these loopback ports.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

/// How long a service may take to log `listening`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Per-request timeout of the test client.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Every `KAUTH_*` variable the service reads, removed from its environment
/// unless a test sets it.
const KAUTH_VARS: [&str; 5] = [
    "KAUTH_REDIS_URL",
    "KAUTH_REDIS_POOL_SIZE",
    "KAUTH_REDIS_TIMEOUT_MS",
    "KAUTH_REDIS_KEY_PREFIX",
    "KAUTH_REDIS_CA_FILE",
];

/// A running `kauth serve` process, killed when dropped.
pub struct Service {
    child: Child,
    address: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Service {
    /// Starts a service on the in-memory stores.
    pub fn memory(extra_args: &[&str]) -> Service {
        Service::start(&[], extra_args, "debug")
    }

    /// Starts a service on the in-memory stores, logging at trace level.
    pub fn memory_tracing(extra_args: &[&str]) -> Service {
        Service::start(&[], extra_args, "trace")
    }

    /// Starts a service on the Redis at `url`, with a per-command timeout
    /// of `timeout_ms`.
    pub fn redis(url: &str, timeout_ms: u64) -> Service {
        let timeout_ms = timeout_ms.to_string();
        Service::start(
            &[("KAUTH_REDIS_URL", url), ("KAUTH_REDIS_TIMEOUT_MS", &timeout_ms)],
            &[],
            "debug",
        )
    }

    fn start(env: &[(&str, &str)], extra_args: &[&str], rust_log: &str) -> Service {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kauth"));
        command.args(["serve", "--listen", "127.0.0.1:0"]).args(extra_args);
        for var in KAUTH_VARS {
            command.env_remove(var);
        }
        command.envs(env.iter().copied()).env("RUST_LOG", rust_log);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start kauth serve");

        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (address_sender, address_receiver) = mpsc::channel();
        let log_writer = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = listening_address(&line) {
                    let _ = address_sender.send(address);
                }
                let mut log = log_writer.lock().unwrap_or_else(PoisonError::into_inner);
                log.push_str(&line);
                log.push('\n');
            }
        });

        let address = match address_receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = log.lock().unwrap_or_else(PoisonError::into_inner);
                panic!("kauth serve did not log `listening` within {STARTUP_TIMEOUT:?}; its log:\n{log}");
            }
        };
        Service { child, address, log }
    }

    /// Returns the address the service listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://ADDRESS` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Everything the service wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Sends a signal (`TERM`, `INT`) to the process.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {} failed", self.child.id());
    }

    /// Waits up to `timeout` for the process to exit and returns its status,
    /// or `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll kauth serve") {
                return Some(status);
            }
            if started.elapsed() >= timeout {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Returns whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("poll kauth serve").is_none()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses the address out of a log line such as
/// `... INFO kauth::serve: listening address=127.0.0.1:40123 backend="memory"`.
fn listening_address(line: &str) -> Option<SocketAddr> {
    if !line.contains(" listening ") {
        return None;
    }
    let field = line.split_whitespace().find_map(|word| word.strip_prefix("address="))?;
    field.parse().ok()
}

/// One HTTP response, read in full.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
    /// Time from sending the request to reading the whole body.
    pub elapsed: Duration,
}

impl Reply {
    /// Parses the body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("body is not JSON ({error}): {:?}", self.body))
    }

    /// Returns a header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("header is text"))
    }
}

/// A request to send: method, URL, headers and body.
pub struct Call {
    method: Method,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Option<Vec<u8>>,
}

impl Call {
    /// Builds a request without a body.
    pub fn new(method: &str, url: String) -> Call {
        Call {
            method: Method::from_bytes(method.as_bytes()).expect("valid method"),
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Builds a POST of `body` as `application/json`.
    pub fn post_json(url: String, body: &Value) -> Call {
        Call::new("POST", url)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Call {
        self.headers.push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Adds `Authorization: Bearer TOKEN`.
    pub fn bearer(self, token: &str) -> Call {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Call {
        self.body = Some(body.into());
        self
    }

    /// Sends the request and reads the whole response.
    pub async fn send(self, client: &reqwest::Client) -> Reply {
        let started = Instant::now();
        let mut request = client.request(self.method, &self.url);
        for (name, value) in self.headers {
            let value = reqwest::header::HeaderValue::from_bytes(&value).expect("valid header bytes");
            request = request.header(name, value);
        }
        if let Some(body) = self.body {
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("request to {} failed: {error}", self.url));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("read the response body");
        Reply {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
        }
    }
}

/// Builds a client for loopback services: no proxy, a per-request timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("build the HTTP client")
}

/// Returns a workspace name no other test uses.
pub fn unique_workspace(label: &str) -> String {
    kauth_tests::unique_workspace(label)
}

/// Writes `request` to a new connection to `address` and reads until the
/// server closes it. It sends requests that an HTTP client will not, such
/// as an oversized chunked body, which should carry `Connection: close`.
pub async fn raw_exchange(address: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    // The server may respond and close before reading the whole request.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(REQUEST_TIMEOUT, stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}
