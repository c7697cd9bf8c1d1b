//! SIGTERM and SIGINT: requests in flight finish, then the process exits 0.
//!
//! A request is held in flight by sending its headers and only part of its
//! body: the handler is then running, waiting for the rest.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::Service;

/// How long a stopped service may take to exit once idle.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a login check whose body is only half sent.
async fn start_slow_request(service: &Service) -> (TcpStream, &'static [u8]) {
    const BODY: &[u8] = br#"{"workspace": "acme", "ip": "198.51.100.9"}"#;
    let (first, rest) = BODY.split_at(10);
    let head = format!(
        "POST /v1/limits/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        BODY.len()
    );

    let mut stream = TcpStream::connect(service.address()).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("send the headers");
    stream.write_all(first).await.expect("send part of the body");
    // Let the server read the headers and start the handler.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (stream, rest)
}

#[tokio::test]
async fn sigterm_finishes_request_in_flight() {
    let mut service = Service::memory(&[]);
    let (mut stream, rest) = start_slow_request(&service).await;

    service.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(service.is_running(), "exited with a request in flight");
    let refused = TcpStream::connect(service.address()).await;
    assert!(refused.is_err(), "still accepting connections after SIGTERM");

    stream.write_all(rest).await.expect("send the rest of the body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read the response");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains(r#""allowed":true"#), "{response}");

    let status = service.wait_exit(EXIT_TIMEOUT).expect("exits once the request is done");
    assert!(status.success(), "exit status {status}");
    let log = service.log();
    assert!(log.contains("signal=\"SIGTERM\""), "{log}");
    assert!(log.contains(" stopped "), "{log}");
}

#[tokio::test]
async fn sigint_when_idle_exits_promptly() {
    let mut service = Service::memory(&[]);
    let started = Instant::now();

    service.signal("INT");
    let status = service.wait_exit(EXIT_TIMEOUT).expect("exits after SIGINT");

    assert!(status.success(), "exit status {status}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn shutdown_timeout_cuts_stalled_request() {
    let mut service = Service::memory(&["--shutdown-timeout-ms", "300"]);
    let (_stream, _rest) = start_slow_request(&service).await;
    let started = Instant::now();

    service.signal("TERM");
    let status = service
        .wait_exit(EXIT_TIMEOUT)
        .expect("exits after the shutdown timeout");

    assert_eq!(status.code(), Some(1), "exit status {status}");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "took {:?}",
        started.elapsed()
    );
    assert!(service.log().contains("shutdown timeout passed"), "{}", service.log());
}
