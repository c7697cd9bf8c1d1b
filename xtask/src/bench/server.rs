//! The one `redis-server` every Redis measurement runs against: started on
//! a free port of 127.0.0.1, without persistence, and killed when dropped.
//!
//! The test harness in `tests/src/redis_server.rs` does the same for tests;
//! xtask keeps its own small copy so that it does not build the whole
//! workspace to start a server.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::bench::target_dir;
use crate::error::Error;

/// How long the server may take to reply to its first `PING`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Ports tried, since another process may take a free port before the
/// server binds it.
const PORT_ATTEMPTS: usize = 5;

/// A running `redis-server` bound to 127.0.0.1 only.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts a server and waits until it replies to `PING`.
    pub fn start() -> Result<RedisServer, Error> {
        let dir = target_dir().join("bench").join("redis");
        std::fs::create_dir_all(&dir)
            .map_err(|error| Error::Bench(format!("cannot create {}: {error}", dir.display())))?;

        let mut last_problem = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            match spawn(&dir, port) {
                Ok(server) => {
                    println!("==> redis: redis-server listening on 127.0.0.1:{port}");
                    return Ok(server);
                }
                Err(problem) => last_problem = problem,
            }
        }
        Err(Error::Bench(format!(
            "redis-server did not start after {PORT_ATTEMPTS} attempts: {last_problem}; see {}",
            dir.join("redis.log").display()
        )))
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A `redis-cli` command for this server, arguments still to add.
    pub fn cli(&self) -> Command {
        let mut command = Command::new("redis-cli");
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        command
    }

    /// Runs `redis-cli` with `args` and returns its output, trimmed.
    pub fn cli_output(&self, args: &[&str]) -> Result<String, String> {
        let output = self
            .cli()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run redis-cli: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "redis-cli {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // It may have exited already; nothing is left to clean up then.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &PathBuf, port: u16) -> Result<RedisServer, String> {
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| format!("cannot start redis-server: {error}"))?;
    let mut server = RedisServer { child, port };

    let started = Instant::now();
    while started.elapsed() < STARTUP_TIMEOUT {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!("redis-server exited with {status}"));
        }
        if server.cli_output(&["PING"]).is_ok_and(|reply| reply == "PONG") {
            return Ok(server);
        }
        thread::sleep(Duration::from_millis(20));
    }
    Err(format!("no reply to PING within {} s", STARTUP_TIMEOUT.as_secs()))
}

/// A loopback port that was free a moment ago.
fn free_port() -> Result<u16, Error> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| Error::Bench(format!("cannot find a free port on 127.0.0.1: {error}")))
}
