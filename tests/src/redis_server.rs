//! A `redis-server` process owned by one test: started on a free loopback
//! port in its own temporary directory, with no persistence, and killed when
//! the [`RedisServer`] is dropped.
//!
//! Tests can kill, pause (SIGSTOP), resume (SIGCONT) and restart it on the
//! same port to check how clients behave when Redis fails. It needs
//! `redis-server` and `redis-cli` on PATH, and panics with an install hint
//! when they are missing: a Redis test never passes by skipping.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// How long a server may take to reply to its first `PING`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts to find a free port before giving up, because another process
/// may take the port between the probe and the server's bind.
const PORT_ATTEMPTS: usize = 5;

const INSTALL_HINT: &str = "install Redis to run the Redis tests: apt-get install redis-server";

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// What to start: plain TCP or TLS, with or without a password.
#[derive(Clone, Debug, Default)]
pub struct RedisServerBuilder {
    tls: bool,
    password: Option<String>,
}

impl RedisServerBuilder {
    /// Serves TLS only, with a certificate for 127.0.0.1 issued by a test CA
    /// generated now (see [`RedisServer::tls_files`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Requires this password (`requirepass`).
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self
    }

    /// Starts the server and waits until it replies to `PING`.
    ///
    /// # Panics
    ///
    /// When `redis-server` or `redis-cli` is not on PATH, or the server does
    /// not start within 10 s.
    pub fn start(self) -> RedisServer {
        let dir = std::env::temp_dir().join(format!(
            "kauth-redis-test-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the server's temporary directory");
        let tls = self.tls.then(|| TlsFiles::generate(&dir));

        let mut server = RedisServer {
            child: None,
            port: 0,
            dir,
            tls,
            password: self.password,
        };
        for _ in 0..PORT_ATTEMPTS {
            server.port = free_port();
            if server.spawn_and_wait().is_ok() {
                return server;
            }
        }
        panic!(
            "redis-server did not start after {PORT_ATTEMPTS} attempts; its log:\n{}",
            server.log()
        );
    }
}

/// Certificates and keys written for a TLS server, all PEM.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The CA that issued the server certificate.
    pub ca_file: PathBuf,
    /// A second CA, unrelated to the server certificate.
    pub other_ca_file: PathBuf,
    /// The server certificate, valid for IP address 127.0.0.1.
    pub cert_file: PathBuf,
    /// The server's private key.
    pub key_file: PathBuf,
}

impl TlsFiles {
    fn generate(dir: &Path) -> TlsFiles {
        let (ca_pem, ca_issuer) = test_ca("kauth test CA");
        let (other_ca_pem, _) = test_ca("kauth unrelated test CA");

        let server_key = KeyPair::generate().expect("generate the server key");
        let server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("127.0.0.1 is a valid subject name");
        let server_cert = server_params
            .signed_by(&server_key, &ca_issuer)
            .expect("sign the server certificate");

        let files = TlsFiles {
            ca_file: dir.join("ca.pem"),
            other_ca_file: dir.join("other-ca.pem"),
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server-key.pem"),
        };
        write(&files.ca_file, &ca_pem);
        write(&files.other_ca_file, &other_ca_pem);
        write(&files.cert_file, &server_cert.pem());
        write(&files.key_file, &server_key.serialize_pem());
        files
    }
}

fn test_ca(common_name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("generate a CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("empty subject names are valid");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, common_name);
    let certificate = params.self_signed(&key).expect("self-sign the CA certificate");
    (certificate.pem(), Issuer::new(params, key))
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
}

/// A running `redis-server` bound to 127.0.0.1 only.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    tls: Option<TlsFiles>,
    password: Option<String>,
}

impl RedisServer {
    /// Starts a plain TCP server without a password.
    pub fn start() -> RedisServer {
        RedisServer::builder().start()
    }

    /// A builder for a TLS server or one with a password.
    pub fn builder() -> RedisServerBuilder {
        RedisServerBuilder::default()
    }

    /// The port the server listens on (its TLS port for a TLS server).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`, or `rediss://` for a TLS server, with the
    /// password if one is required.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "rediss" } else { "redis" };
        match &self.password {
            Some(password) => format!("{scheme}://:{password}@127.0.0.1:{}", self.port),
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }

    /// The certificate files of a TLS server.
    pub fn tls_files(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// Kills the server with SIGKILL and waits for it to exit. Does nothing
    /// if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // It may have exited already, so a failed kill is fine.
            let _ = child.kill();
            child.wait().expect("wait for redis-server to exit");
        }
    }

    /// Like `kill`, but never panics, for `Drop`.
    fn kill_quietly(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server with SIGSTOP: connections stay open but nothing is
    /// processed, as with a hung server.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server go on with SIGCONT.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Kills the server and starts a new one on the same port, with an empty
    /// dataset and script cache.
    ///
    /// # Panics
    ///
    /// When the new server does not reply to `PING` within 10 s.
    pub fn restart(&mut self) {
        self.kill();
        if let Err(reason) = self.spawn_and_wait() {
            panic!(
                "redis-server did not restart on port {}: {reason}; its log:\n{}",
                self.port,
                self.log()
            );
        }
    }

    /// Runs `redis-cli` against the server with `args` and returns its
    /// standard output, trimmed.
    ///
    /// # Panics
    ///
    /// When `redis-cli` is missing or exits with an error.
    pub fn redis_cli(&self, args: &[&str]) -> String {
        let output = self.run_cli(args);
        assert!(
            output.status.success(),
            "redis-cli {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn run_cli(&self, args: &[&str]) -> Output {
        let mut command = Command::new("redis-cli");
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if let Some(tls) = &self.tls {
            command.arg("--tls").arg("--cacert").arg(&tls.ca_file);
        }
        if let Some(password) = &self.password {
            command.args(["--no-auth-warning", "-a", password]);
        }
        command.args(args).stdin(Stdio::null());
        command.output().unwrap_or_else(|error| match error.kind() {
            ErrorKind::NotFound => panic!("redis-cli is not on PATH: {INSTALL_HINT}"),
            _ => panic!("could not run redis-cli: {error}"),
        })
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("redis-server is not running");
        let status = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} {} failed", child.id());
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let mut command = Command::new("redis-server");
        command
            .args([
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"));
        let port = self.port.to_string();
        match &self.tls {
            None => {
                command.args(["--port", &port]);
            }
            Some(tls) => {
                command
                    .args(["--port", "0", "--tls-port", &port, "--tls-auth-clients", "no"])
                    .arg("--tls-cert-file")
                    .arg(&tls.cert_file)
                    .arg("--tls-key-file")
                    .arg(&tls.key_file)
                    .arg("--tls-ca-cert-file")
                    .arg(&tls.ca_file);
            }
        }
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());

        let child = command.spawn().unwrap_or_else(|error| match error.kind() {
            ErrorKind::NotFound => panic!("redis-server is not on PATH: {INSTALL_HINT}"),
            _ => panic!("could not start redis-server: {error}"),
        });
        self.child = Some(child);
        self.wait_until_ready()
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < STARTUP_TIMEOUT {
            let child = self.child.as_mut().expect("redis-server was just started");
            if let Some(status) = child.try_wait().expect("poll redis-server") {
                self.child = None;
                return Err(format!("redis-server exited with {status}"));
            }
            let pong = self.run_cli(&["PING"]);
            if pong.status.success() && pong.stdout.starts_with(b"PONG") {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        Err(format!("no reply to PING within {} s", STARTUP_TIMEOUT.as_secs()))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_else(|error| format!("(no log: {error})"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill_quietly();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a probe socket on 127.0.0.1");
    listener.local_addr().expect("read the probe socket's port").port()
}
