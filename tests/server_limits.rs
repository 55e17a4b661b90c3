//! Bad input, limits, timeouts, backpressure and shutdown, over real
//! sockets.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::app::{Probes, app};
use common::{LIMIT, RawPeer, TestServer, request_bytes, temp_dir};
use fastcgi::protocol::{self, ProtocolLimits, Role, StreamType};
use fastcgi::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ENV: &[(&str, &str)] = &[("QUERY_STRING", "mode=env")];

/// Connects, sends `garbage`, and expects the server to close the
/// connection; then checks the server still serves a fresh connection.
async fn closes_on(server: &TestServer, garbage: &[u8]) {
    let mut bad = server.connect().await;
    bad.send(garbage).await;
    assert!(
        bad.closed().await,
        "the server kept a connection that sent {garbage:?}"
    );
    let mut good = server.connect().await;
    good.request(1, true, ENV, b"").await;
    assert!(good.response(1).await.text().contains("mode=env"));
}

#[tokio::test]
async fn protocol_violations_close_only_that_connection() {
    let server = TestServer::tcp(app(Arc::default()));
    // A bystander with a request in flight the whole time.
    let mut bystander = server.connect().await;
    bystander
        .request(7, true, &[("QUERY_STRING", "mode=sleep&ms=400")], b"")
        .await;

    // An HTTP client on the FastCGI port.
    closes_on(&server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    // A duplicate BEGIN_REQUEST for an active id.
    let mut out = BytesMut::new();
    protocol::encode_begin_request(&mut out, 1, Role::Responder, 1);
    protocol::encode_begin_request(&mut out, 1, Role::Responder, 1);
    closes_on(&server, &out).await;
    // Request id 0 on an application record.
    closes_on(&server, &[1, 1, 0, 0, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]).await;
    // BEGIN_REQUEST with a wrong content length.
    closes_on(&server, &[1, 1, 0, 1, 0, 4, 0, 0, 0, 1, 1, 0]).await;
    // A name-value pair claiming 2 GiB.
    let mut out = BytesMut::new();
    protocol::encode_begin_request(&mut out, 1, Role::Responder, 1);
    protocol::encode_stream(
        &mut out,
        StreamType::Params,
        1,
        &[0xff, 0xff, 0xff, 0xf0, 1, b'A', b'B'],
    );
    closes_on(&server, &out).await;
    // A params stream that ends inside a pair.
    let mut out = BytesMut::new();
    protocol::encode_begin_request(&mut out, 1, Role::Responder, 1);
    protocol::encode_stream(&mut out, StreamType::Params, 1, &[4, 4, b'N', b'A']);
    protocol::encode_stream_end(&mut out, StreamType::Params, 1);
    closes_on(&server, &out).await;
    // A record the application would send, not the web server, for an
    // active request (for an inactive one it is ignored: spec §3.3).
    let mut out = BytesMut::new();
    protocol::encode_begin_request(&mut out, 1, Role::Responder, 1);
    protocol::encode_stream(&mut out, StreamType::Stdout, 1, b"x");
    closes_on(&server, &out).await;
    // And the management records only an application sends.
    let mut out = BytesMut::new();
    protocol::encode_get_values_result(&mut out, &[("FCGI_MAX_CONNS", "1")]);
    closes_on(&server, &out).await;

    let response = bystander.response(7).await;
    assert!(
        response.text().ends_with("slept 400"),
        "{}",
        response.text()
    );
    server.stop().await;
}

#[tokio::test]
async fn truncated_records_then_close_leave_the_server_serving() {
    let server = TestServer::tcp(app(Arc::default()));
    for cut in [1, 5, 9, 20] {
        let bytes = request_bytes(1, true, ENV, b"");
        let mut peer = server.connect().await;
        peer.send(&bytes[..cut]).await;
        drop(peer);
    }
    let mut good = server.connect().await;
    good.request(1, true, ENV, b"").await;
    assert!(good.response(1).await.text().contains("mode=env"));
    server.stop().await;
}

#[tokio::test]
async fn params_over_the_limit_close_the_connection() {
    let limits = ProtocolLimits {
        max_pair_len: 1024,
        max_params_len: 4096,
    };
    let server = TestServer::start(
        Server::bind("127.0.0.1:0").unwrap().protocol_limits(limits),
        app(Arc::default()),
    );
    let big = "x".repeat(2000);
    let mut peer = server.connect().await;
    peer.request(1, true, &[("HTTP_COOKIE", &big)], b"").await;
    assert!(peer.closed().await);
    let many: Vec<(String, String)> = (0..100)
        .map(|i| (format!("HTTP_X_{i}"), "y".repeat(60)))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut peer = server.connect().await;
    peer.request(1, true, &many, b"").await;
    assert!(peer.closed().await);
    server.stop().await;
}

#[tokio::test]
async fn idle_and_params_timeouts_close_connections() {
    let server = TestServer::start(
        Server::bind("127.0.0.1:0")
            .unwrap()
            .idle_timeout(Duration::from_millis(300))
            .params_timeout(Duration::from_millis(300)),
        app(Arc::default()),
    );
    let started = Instant::now();
    let mut idle = server.connect().await;
    idle.request(1, true, ENV, b"").await;
    idle.response(1).await;
    assert!(idle.closed().await);
    assert!(started.elapsed() >= Duration::from_millis(250));

    let mut slow = server.connect().await;
    let mut out = BytesMut::new();
    protocol::encode_begin_request(&mut out, 1, Role::Responder, 1);
    slow.send(&out).await;
    assert!(
        slow.closed().await,
        "params never came: the connection must close"
    );
    server.stop().await;
}

/// A web server that goes silent mid-body: once the body timeout passes
/// with no STDIN, the request ends (the connection does not). A handler
/// reading the body gets the error (the `Bytes` extractor answers 408 with
/// it); one that is not reading is cancelled and the server answers 408;
/// either way a line on FCGI_STDERR says why, and what the web server sends
/// for the request afterwards is ignored.
#[tokio::test]
async fn a_body_that_stops_arriving_ends_its_request_not_the_connection() {
    let probes = Arc::new(Probes::default());
    let server = Server::bind("127.0.0.1:0")
        .unwrap()
        .body_timeout(Duration::from_millis(300));
    let metrics = server.metrics();
    let server = TestServer::start(server, app(Arc::clone(&probes)));
    let mut peer = server.connect().await;
    for (id, query) in [(1, "mode=extract_body"), (2, "mode=hang")] {
        peer.begin(id, Role::Responder, true, &[("QUERY_STRING", query)])
            .await;
        peer.stdin(id, b"the first half of the body").await;
        // ...and nothing more.
    }
    for id in [1, 2] {
        let response = peer.response(id).await;
        assert_eq!(
            response.status_line(),
            "Status: 408 Request Timeout",
            "{}",
            response.text()
        );
        let stderr = String::from_utf8_lossy(&response.stderr);
        assert!(stderr.contains("Server::body_timeout"), "{stderr}");
        assert!(response.stderr_ended, "{:?}", response.trail);
    }
    assert_eq!(probes.cancelled.load(Ordering::SeqCst), 1);
    // The rest of the bodies, late: ignored; the connection serves on.
    for id in [1, 2] {
        peer.stdin(id, b"the late second half").await;
        peer.stdin(id, b"").await;
    }
    peer.request(3, true, ENV, b"").await;
    assert!(peer.response(3).await.text().contains("mode=env"));
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.body_timeouts, 2, "{snapshot:?}");
    assert_eq!(snapshot.records_ignored, 4, "{snapshot:?}");
    server.stop().await;
}

/// Time the server does not read, because a request's body buffer is full
/// and its handler is not reading yet, is not the web server's silence: the
/// body timeout does not count it.
#[tokio::test]
async fn a_full_body_buffer_does_not_count_against_the_body_timeout() {
    let server = TestServer::start(
        Server::bind("127.0.0.1:0")
            .unwrap()
            .body_timeout(Duration::from_millis(200))
            .body_buffer(1024),
        app(Arc::default()),
    );
    let mut peer = server.connect().await;
    // The handler reads nothing for longer than the body timeout, while
    // the body (far over the buffer) waits in the socket.
    let body = vec![5u8; 512 * 1024];
    let bytes = request_bytes(1, true, &[("QUERY_STRING", "mode=late_read&ms=600")], &body);
    let sender = tokio::spawn(async move {
        peer.send(&bytes).await;
        peer.response(1).await
    });
    let response = tokio::time::timeout(LIMIT, sender).await.unwrap().unwrap();
    assert_eq!(response.body(), b"read 524288", "{}", response.text());
    server.stop().await;
}

#[tokio::test]
async fn max_connections_holds_back_the_next_until_one_closes() {
    let server = TestServer::start(
        Server::bind("127.0.0.1:0").unwrap().max_connections(2),
        app(Arc::default()),
    );
    let mut a = server.connect().await;
    let mut b = server.connect().await;
    a.request(1, true, ENV, b"").await;
    b.request(1, true, ENV, b"").await;
    a.response(1).await;
    b.response(1).await;
    let mut c = server.connect().await;
    c.request(1, true, ENV, b"").await;
    // Not served while a and b are open.
    let early = tokio::time::timeout(Duration::from_millis(300), c.record()).await;
    assert!(
        early.is_err(),
        "a third connection was served over the limit"
    );
    drop(a);
    assert!(c.response(1).await.text().contains("mode=env"));
    server.stop().await;
}

#[tokio::test]
async fn a_slow_reader_holds_back_the_writer_and_memory_stays_bounded() {
    let probes = Arc::new(Probes::default());
    let server = TestServer::tcp(app(Arc::clone(&probes)));
    let mut peer = server.connect().await;
    let total = 256 * 1024 * 1024;
    let q = format!("mode=big&n={total}");
    peer.request(1, true, &[("QUERY_STRING", &q)], b"").await;
    // Read nothing for a while: the handler must stall once the socket
    // buffers and the server's output buffer are full.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stalled_at = probes.big_written.load(Ordering::SeqCst);
    assert!(stalled_at > 0, "the handler never started");
    assert!(
        stalled_at < 32 * 1024 * 1024,
        "the handler wrote {stalled_at} bytes with nobody reading"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(probes.big_written.load(Ordering::SeqCst) - stalled_at < 1024 * 1024);
    // Now read it all.
    let response = peer.response(1).await;
    assert_eq!(response.body().len(), total);
    server.stop().await;
}

#[tokio::test]
async fn closing_keeps_the_response_when_the_body_was_not_read() {
    // The handler answers 2 MB without reading a 300 KB body, and the
    // request has KEEP_CONN clear: closing with unread input would make the
    // kernel send RST and lose the response.
    let server = TestServer::tcp(app(Arc::default()));
    for _ in 0..5 {
        let mut peer = server.connect().await;
        let body = vec![9u8; 300 * 1024];
        let bytes = request_bytes(1, false, &[("QUERY_STRING", "mode=bytes&n=2000000")], &body);
        // Send the head first, the body slowly after the response started.
        peer.send(&bytes[..64]).await;
        let writer = tokio::spawn(async move {
            let mut stream = peer.stream;
            for chunk in bytes[64..].chunks(16 * 1024) {
                if stream.write_all(chunk).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            stream
        });
        let stream = writer.await.unwrap();
        let mut peer = RawPeer::from_stream(stream);
        let response = peer.response(1).await;
        assert_eq!(response.body().len(), 2_000_000);
        assert!(peer.closed().await);
    }
    server.stop().await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    peer.request(1, true, &[("QUERY_STRING", "mode=sleep&ms=500")], b"")
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = server.addr.clone();
    server.shutdown();
    // In flight: completes.
    let response = peer.response(1).await;
    assert!(response.text().ends_with("slept 500"));
    // Then the connection closes and the server returns.
    assert!(peer.closed().await);
    server.finished().await;
    // Nobody listens any more.
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err());
}

#[tokio::test]
async fn shutdown_cancels_what_outlives_the_grace_period() {
    let probes = Arc::new(Probes::default());
    let server = TestServer::start(
        Server::bind("127.0.0.1:0")
            .unwrap()
            .grace_period(Duration::from_millis(200)),
        app(Arc::clone(&probes)),
    );
    let mut peer = server.connect().await;
    peer.request(1, true, &[("QUERY_STRING", "mode=sleep&ms=60000")], b"")
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.stop().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(probes.running.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn unix_socket_serves_and_is_removed_on_shutdown() {
    let dir = temp_dir("unix");
    let path = dir.join("app.sock");
    let server = TestServer::start(
        Server::bind(&format!("unix:{}", path.display()))
            .unwrap()
            .unix_socket_mode(0o660),
        app(Arc::default()),
    );
    use std::os::unix::fs::PermissionsExt;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o660
    );
    let mut peer = server.connect().await;
    peer.request(1, true, ENV, b"").await;
    assert!(peer.response(1).await.text().contains("mode=env"));
    drop(peer);
    server.stop().await;
    assert!(
        !path.exists(),
        "the socket file must be removed on shutdown"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn peers_outside_fcgi_web_server_addrs_are_closed() {
    let filter = fastcgi::server::PeerFilter::parse("10.9.8.7").unwrap();
    let server = TestServer::start(
        Server::bind("127.0.0.1:0")
            .unwrap()
            .peer_filter(Some(filter)),
        app(Arc::default()),
    );
    let mut peer = server.connect().await;
    peer.request(1, true, ENV, b"").await;
    assert!(peer.closed().await);
    let mut raw = [0u8; 1];
    assert_eq!(peer.stream.read(&mut raw).await.unwrap_or(0), 0);
    server.stop().await;

    let allowed = fastcgi::server::PeerFilter::parse("::1, 127.0.0.1").unwrap();
    let server = TestServer::start(
        Server::bind("127.0.0.1:0")
            .unwrap()
            .peer_filter(Some(allowed)),
        app(Arc::default()),
    );
    let mut peer = server.connect().await;
    peer.request(1, true, ENV, b"").await;
    assert!(peer.response(1).await.text().contains("mode=env"));
    server.stop().await;
}

#[tokio::test]
async fn a_thousand_idle_connections_do_not_stop_service() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(tokio::net::TcpStream::connect(&server.addr).await.unwrap());
    }
    let mut peer = server.connect().await;
    peer.request(1, true, ENV, b"").await;
    assert!(peer.response(1).await.text().contains("mode=env"));
    drop(idle);
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_write_closes_the_connection() {
    let probes = Arc::new(Probes::default());
    let server = TestServer::start(
        Server::bind("127.0.0.1:0")
            .unwrap()
            .write_timeout(Duration::from_millis(300)),
        app(Arc::clone(&probes)),
    );
    let mut peer = server.connect().await;
    peer.request(1, true, &[("QUERY_STRING", "mode=big&n=268435456")], b"")
        .await;
    // Never read: once the socket buffers fill, writes stall and the
    // server gives up on the connection, which cancels the handler.
    tokio::time::timeout(LIMIT, async {
        while probes.big_written.load(Ordering::SeqCst) == 0
            || probes.running.load(Ordering::SeqCst) != 0
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the handler kept running on a connection nobody reads");
    drop(peer);
    server.stop().await;
}

#[tokio::test]
async fn service_actions_run_while_serving() {
    let ticks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&ticks);
    let server = TestServer::start(
        Server::bind("127.0.0.1:0").unwrap().service_actions(
            Duration::from_millis(20),
            move || {
                counter.fetch_add(1, Ordering::SeqCst);
            },
        ),
        app(Arc::default()),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.stop().await;
    assert!(ticks.load(Ordering::SeqCst) >= 5);
}
