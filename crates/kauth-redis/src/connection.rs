//! One multiplexed connection to Redis, with the bookkeeping that decides
//! whether a failed request may be retried: the connection counts the bytes it
//! has written and records when it closed.
//!
//! kauth-redis opens the TCP (and TLS) stream itself and hands it to redis-rs,
//! instead of letting redis-rs connect, for exactly this bookkeeping: redis-rs
//! reports a request on a dead connection with the same error whether or not
//! the request reached the socket.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Cmd, RedisConnectionInfo, Value};
use tokio::net::TcpStream;

use crate::error::{ConnectError, ErrorReply};
use crate::stream::{CountingStream, Stream};
use crate::{tls, RedisConfig};

/// Everything needed to open a connection, prepared once per pool.
pub(crate) struct Connector {
    config: RedisConfig,
    info: RedisConnectionInfo,
}

impl Connector {
    pub(crate) fn new(config: &RedisConfig) -> Connector {
        let url = config.url();
        let mut info = RedisConnectionInfo::default()
            .set_db(url.db())
            .set_lib_name("kauth-redis", env!("CARGO_PKG_VERSION"));
        if let Some(username) = url.username() {
            info = info.set_username(username);
        }
        if let Some(password) = url.password() {
            info = info.set_password(password.expose());
        }
        Connector {
            config: config.clone(),
            info,
        }
    }

    pub(crate) fn config(&self) -> &RedisConfig {
        &self.config
    }

    /// Opens a connection and checks that Redis replies to a `PING` on it.
    /// The caller bounds the time this takes.
    pub(crate) async fn open(&self) -> Result<Link, ConnectError> {
        let url = self.config.url();
        let address = url.address();
        let failed = |step: &'static str| {
            let address = address.clone();
            move |source: Box<dyn std::error::Error + Send + Sync>| ConnectError { step, address, source }
        };

        let tcp = TcpStream::connect((url.host(), url.port()))
            .await
            .map_err(|error| failed("TCP connect to")(error.into()))?;
        let (tcp, probe) = with_probe(tcp).map_err(|error| failed("TCP connect to")(error.into()))?;
        let stream: Box<dyn Stream> = match self.config.tls() {
            Some(tls) => Box::new(
                tls::handshake(tls, url.host(), tcp)
                    .await
                    .map_err(|error| failed("TLS handshake with")(error.into()))?,
            ),
            None => Box::new(tcp),
        };

        let state = Arc::new(LinkState::new(probe));
        let stream = CountingStream::new(stream, Arc::clone(&state.bytes_written));
        let settings = AsyncConnectionConfig::new().set_response_timeout(Some(self.config.timeout()));
        let (connection, driver) = MultiplexedConnection::new_with_config(&self.info, stream, settings)
            .await
            .map_err(|error| failed("authentication and setup with")(setup_error(error)))?;
        let driver_state = Arc::clone(&state);
        tokio::spawn(async move {
            driver.await;
            driver_state.closed.store(true, Ordering::SeqCst);
        });

        let link = Link { connection, state };
        match link.connection.clone().send_packed_command(&redis::cmd("PING")).await {
            Ok(Value::ServerError(error)) => Err(failed("PING to")(ErrorReply::from(&error).into())),
            Ok(_) => Ok(link),
            Err(error) => Err(failed("PING to")(error.into())),
        }
    }
}

/// Splits off a second handle to the socket of `tcp`, used only to peek at it,
/// and sets `TCP_NODELAY` because requests are small and latency matters more
/// than packet count.
fn with_probe(tcp: TcpStream) -> io::Result<(TcpStream, std::net::TcpStream)> {
    tcp.set_nodelay(true)?;
    let tcp = tcp.into_std()?;
    // The clone shares the socket and its non-blocking mode.
    let probe = tcp.try_clone()?;
    Ok((TcpStream::from_std(tcp)?, probe))
}

/// Replaces redis-rs's message for a rejected password with one that names
/// where the password comes from.
fn setup_error(error: redis::RedisError) -> Box<dyn std::error::Error + Send + Sync> {
    if error.kind() == redis::ErrorKind::AuthenticationFailed {
        let reply = ErrorReply::new("Redis rejected the user name or password given in KAUTH_REDIS_URL");
        return reply.into();
    }
    error.into()
}

/// A connection and its bookkeeping. Clones share both.
#[derive(Clone)]
pub(crate) struct Link {
    connection: MultiplexedConnection,
    state: Arc<LinkState>,
}

struct LinkState {
    /// A second handle to the TCP socket, to see whether the server closed it.
    probe: std::net::TcpStream,
    /// Bytes the stream accepted for writing, handshake and setup included.
    bytes_written: Arc<AtomicU64>,
    /// Requests sent and not yet replied to, failed or cancelled.
    in_flight: AtomicUsize,
    /// Set once the task driving the connection has ended: nothing more will
    /// be read or written.
    closed: AtomicBool,
    /// Set when a request failed or was cancelled on this connection, so its
    /// state is unknown and it must not be used again.
    abandoned: AtomicBool,
}

impl LinkState {
    fn new(probe: std::net::TcpStream) -> LinkState {
        LinkState {
            probe,
            bytes_written: Arc::new(AtomicU64::new(0)),
            in_flight: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            abandoned: AtomicBool::new(false),
        }
    }

    /// Checks from the socket itself whether the server has closed it or it
    /// failed, because the driving task may not have run since. Costs one
    /// non-blocking `recv` with `MSG_PEEK`.
    ///
    /// Bytes waiting on a connection without requests in flight also count
    /// as a close. RESP2 sends nothing unrequested, so they are most likely
    /// the TLS alert that precedes a close (Redis 7.0 leaves bytes unread on
    /// an idle TLS connection that it closes), or a reply nobody waits for.
    /// Either way a new connection is the safe choice.
    fn peer_closed(&self) -> bool {
        match self.probe.peek(&mut [0; 1]) {
            Ok(0) => true,
            Ok(_) => self.in_flight.load(Ordering::SeqCst) == 0,
            Err(error) => error.kind() != io::ErrorKind::WouldBlock && error.kind() != io::ErrorKind::Interrupted,
        }
    }
}

/// A request that failed on a connection.
pub(crate) struct SendFailure {
    pub(crate) error: redis::RedisError,
    /// The connection dropped and not one byte was written after the
    /// request was handed to it, so Redis cannot have received the request.
    pub(crate) unsent: bool,
}

impl Link {
    /// Checks whether requests may be sent on this connection: it has not
    /// failed, and neither its task nor its socket has seen the server close
    /// it.
    pub(crate) fn is_usable(&self) -> bool {
        if self.state.closed.load(Ordering::SeqCst) || self.state.abandoned.load(Ordering::SeqCst) {
            return false;
        }
        if self.state.peer_closed() {
            self.state.closed.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }

    pub(crate) fn is_same(&self, other: &Link) -> bool {
        Arc::ptr_eq(&self.state, &other.state)
    }

    /// Sends one command and returns its reply. An error reply from Redis is
    /// an `Ok(Value::ServerError)`. After any `Err` the connection is
    /// abandoned, and so it is when this future is dropped before it ends.
    pub(crate) async fn send(&self, command: &Cmd) -> Result<Value, SendFailure> {
        let mut connection = self.connection.clone();
        let written_before = self.state.bytes_written.load(Ordering::SeqCst);
        let mut in_flight = InFlight::start(&self.state);

        let result = connection.send_packed_command(command).await;
        in_flight.finish();

        result.map_err(|error| {
            self.state.abandoned.store(true, Ordering::SeqCst);
            // A dropped connection writes nothing more, so an unchanged count
            // now means no byte of this request ever reached the socket.
            let unchanged = self.state.bytes_written.load(Ordering::SeqCst) == written_before;
            SendFailure {
                unsent: error.is_connection_dropped() && unchanged,
                error,
            }
        })
    }
}

/// Counts a request as in flight while it lives, and abandons the connection
/// if it is dropped before [`finish`](InFlight::finish), which happens when
/// the caller's future is cancelled, for example by a timeout.
struct InFlight<'a> {
    state: &'a LinkState,
    finished: bool,
}

impl<'a> InFlight<'a> {
    fn start(state: &'a LinkState) -> InFlight<'a> {
        state.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight { state, finished: false }
    }

    fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.state.abandoned.store(true, Ordering::SeqCst);
        }
        self.state.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kauth_tests::redis_server::RedisServer;

    use super::*;

    async fn open(server: &RedisServer) -> Link {
        let config = RedisConfig::builder(server.url())
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        Connector::new(&config).open().await.unwrap()
    }

    fn close_clients(server: &RedisServer) {
        let killed = server.redis_cli(&["CLIENT", "KILL", "TYPE", "normal"]);
        assert_eq!(killed, "1");
    }

    #[tokio::test]
    async fn request_after_close_is_unsent() {
        let server = RedisServer::start();
        let link = open(&server).await;
        close_clients(&server);

        // The runtime runs the connection's task, which sees the close.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(link.state.closed.load(Ordering::SeqCst));
        assert!(!link.is_usable());

        let failure = link.send(&redis::cmd("PING")).await.unwrap_err();
        assert!(failure.error.is_connection_dropped(), "{}", failure.error);
        assert!(failure.unsent);
    }

    #[tokio::test]
    async fn request_written_to_closed_socket_is_not_unsent() {
        let server = RedisServer::start();
        let link = open(&server).await;
        close_clients(&server);

        // A blocking sleep keeps the connection's task from running, so only
        // the socket shows the close, and the request is written before the
        // task reads the end of the stream.
        std::thread::sleep(Duration::from_millis(200));
        assert!(link.state.peer_closed());
        assert!(!link.state.closed.load(Ordering::SeqCst));

        let failure = link.send(&redis::cmd("PING")).await.unwrap_err();
        assert!(failure.error.is_connection_dropped(), "{}", failure.error);
        assert!(!failure.unsent);
        assert!(!link.is_usable());
    }

    #[tokio::test]
    async fn open_link_is_usable() {
        let server = RedisServer::start();
        let link = open(&server).await;
        assert!(link.is_usable());

        let reply = link.send(&redis::cmd("PING")).await.ok().unwrap();
        assert_eq!(reply, Value::SimpleString("PONG".to_owned()));
        assert!(link.is_usable());
        assert!(link.state.bytes_written.load(Ordering::SeqCst) > 0);
    }
}
