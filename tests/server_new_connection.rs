//! A connection per request, as Apache without `enablereuse`, lighttpd
//! and `cgi-fcgi` open them, over real sockets: deferred accepts on TCP,
//! a socket that joins the reactor only when it has to wait
//! (`server/socket.rs`), and the close at once when the web server has
//! nothing more to send (`server/connection/close.rs`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::app::app;
use common::{RawPeer, Stream, TestServer, request_bytes, temp_dir};
use fastcgi::protocol::Record;
use fastcgi::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ENV: &[(&str, &str)] = &[("QUERY_STRING", "mode=env")];

fn unix_server(name: &str) -> TestServer {
    let path = temp_dir(name).join("app.sock");
    let server = Server::bind(&format!("unix:{}", path.display())).expect("bind a unix socket");
    TestServer::start(server, app(Arc::default()))
}

/// Reads what is left until the server ends the connection, and says how:
/// `Ok` for end of file (a FIN, or a unix socket's close), `Err` for a
/// reset.
async fn rest_until_closed(peer: &mut RawPeer<Box<dyn Stream>>) -> std::io::Result<usize> {
    let mut rest = 0;
    let mut chunk = [0u8; 65536];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), peer.stream.read(&mut chunk))
            .await
            .expect("the server neither sent nor closed")?
        {
            0 => return Ok(rest),
            n => rest += n,
        }
    }
}

/// The whole response, then end of file: what a web server that asked for
/// the close (FCGI_KEEP_CONN clear) must read, however the server closed.
async fn whole_response_then_eof(peer: &mut RawPeer<Box<dyn Stream>>, bytes: usize) {
    let response = peer.response(1).await;
    assert_eq!(response.body().len(), bytes, "the whole body arrived");
    assert_eq!(
        rest_until_closed(peer)
            .await
            .expect("end of file, not a reset"),
        0,
        "nothing after END_REQUEST"
    );
}

#[tokio::test]
async fn with_deferred_accepts_a_request_written_late_is_served_and_counted_then() {
    let server = Server::bind("127.0.0.1:0").unwrap();
    let metrics = server.metrics();
    let server = TestServer::start(server, app(Arc::default()));
    // Serving has begun (deferring is set up then): one request answered.
    request_in_pieces(&server).await;
    let mut peer = server.connect().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Connected, nothing sent: still the kernel's, not the server's.
    assert_eq!(metrics.snapshot().connections_total, 1);
    peer.request(1, false, ENV, b"").await;
    assert_eq!(peer.response(1).await.status_line(), "Status: 200 OK");
    assert_eq!(rest_until_closed(&mut peer).await.unwrap(), 0);
    assert_eq!(metrics.snapshot().connections_total, 2);
    server.stop().await;
}

#[tokio::test]
async fn without_deferred_accepts_a_connection_is_the_servers_before_it_sends() {
    let server = Server::bind("127.0.0.1:0").unwrap().defer_accept(false);
    let metrics = server.metrics();
    let server = TestServer::start(server, app(Arc::default()));
    let mut peer = server.connect().await;
    let accepted = tokio::time::timeout(Duration::from_secs(5), async {
        while metrics.snapshot().connections_active == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        accepted.is_ok(),
        "the connection was not accepted before it sent anything"
    );
    peer.request(1, false, ENV, b"").await;
    assert_eq!(peer.response(1).await.status_line(), "Status: 200 OK");
    server.stop().await;
}

/// A listener shared with SO_REUSEPORT closes in a hand-over while the
/// others go on: accepts are not deferred there, so no connection waits in
/// the kernel for a listener about to close.
#[tokio::test]
async fn on_a_listener_shared_with_reuseport_accepts_are_not_deferred() {
    use fastcgi::server::Listener;
    let listener = Listener::bind_reuse_port("127.0.0.1:0".parse().expect("an address"))
        .expect("bind with SO_REUSEPORT");
    let server = Server::from_listener(listener);
    let metrics = server.metrics();
    let server = TestServer::start(server, app(Arc::default()));
    // Serving has begun: one request answered.
    request_in_pieces(&server).await;
    let _silent = server.connect().await;
    let accepted = tokio::time::timeout(Duration::from_secs(5), async {
        while metrics.snapshot().connections_total < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        accepted.is_ok(),
        "a connection that sent nothing was held back"
    );
    server.stop().await;
}

/// The first look at the socket finds nothing: it joins the reactor and is
/// woken when the rest comes.
async fn request_in_pieces(server: &TestServer) {
    let mut peer = server.connect().await;
    let bytes = request_bytes(1, false, ENV, b"");
    peer.send(&bytes[..8]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    peer.send(&bytes[8..]).await;
    assert_eq!(peer.response(1).await.status_line(), "Status: 200 OK");
    let rest = rest_until_closed(&mut peer).await;
    assert_eq!(rest.expect("end of file, not a reset"), 0);
}

#[tokio::test]
async fn a_request_that_arrives_in_pieces_is_served_over_tcp() {
    let server = TestServer::tcp(app(Arc::default()));
    request_in_pieces(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_request_that_arrives_in_pieces_is_served_over_a_unix_socket() {
    let server = unix_server("new-conn-pieces");
    request_in_pieces(&server).await;
    server.stop().await;
}

/// 4 MiB to a web server that reads slowly: the writes have to wait (the
/// socket joins the reactor then), and closing at once after the last one
/// loses nothing of what the kernel still holds.
async fn large_response_read_slowly(server: &TestServer) {
    const BYTES: usize = 4 * 1024 * 1024;
    let mut peer = server.connect().await;
    let query = format!("mode=bytes&n={BYTES}");
    peer.request(1, false, &[("QUERY_STRING", &query)], b"")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    whole_response_then_eof(&mut peer, BYTES).await;
}

#[tokio::test]
async fn a_one_request_connection_gets_its_whole_large_response_then_eof_over_tcp() {
    let server = TestServer::tcp(app(Arc::default()));
    large_response_read_slowly(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_one_request_connection_gets_its_whole_large_response_then_eof_over_a_unix_socket() {
    let server = unix_server("new-conn-large");
    large_response_read_slowly(&server).await;
    server.stop().await;
}

/// Bytes after the last request (here the start of a record that never
/// completes) are drained, not left unread: closing over unread input would
/// make the kernel reset the connection, and the web server could lose the
/// response.
async fn trailing_input_is_drained(server: &TestServer) {
    let mut peer = server.connect().await;
    let mut bytes = request_bytes(1, false, ENV, b"");
    bytes.extend_from_slice(&[1, 5, 0]);
    peer.send(&bytes).await;
    let response = peer.response(1).await;
    assert_eq!(response.status_line(), "Status: 200 OK");
    // The server half-closed and waits for ours before it closes.
    peer.stream.shutdown().await.expect("half-close");
    let rest = rest_until_closed(&mut peer).await;
    assert_eq!(rest.expect("end of file, not a reset"), 0);
}

#[tokio::test]
async fn input_after_the_last_request_is_drained_before_closing_over_tcp() {
    let server = TestServer::tcp(app(Arc::default()));
    trailing_input_is_drained(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn input_after_the_last_request_is_drained_before_closing_over_a_unix_socket() {
    let server = unix_server("new-conn-trailing");
    trailing_input_is_drained(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn many_one_request_connections_at_once_each_get_their_response() {
    let tcp = TestServer::tcp(app(Arc::default()));
    let unix = unix_server("new-conn-many");
    for server in [&tcp, &unix] {
        let mut peers = tokio::task::JoinSet::new();
        for _ in 0..200 {
            let addr = server.addr.clone();
            peers.spawn(async move {
                let mut peer = RawPeer::connect(&addr).await;
                peer.request(1, false, ENV, b"").await;
                let response = peer.response(1).await;
                assert_eq!(response.status_line(), "Status: 200 OK");
                rest_until_closed(&mut peer).await.unwrap()
            });
        }
        while let Some(rest) = peers.join_next().await {
            assert_eq!(rest.unwrap(), 0);
        }
    }
    tcp.stop().await;
    unix.stop().await;
}

/// A request multiplexed beside a response that streams as fast as the
/// socket takes it is answered meanwhile, not after it: the reads a
/// connection skips after a short one never outlast one of its wake-ups
/// (`server/connection/read.rs`).
#[tokio::test]
async fn a_request_beside_a_response_that_streams_without_pause_is_answered_meanwhile() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    let big = format!("mode=big&n={}", 128 * 1024 * 1024);
    peer.request(1, true, &[("QUERY_STRING", &big)], b"").await;
    peer.request(2, true, ENV, b"").await;
    assert_eq!(peer.response(2).await.status_line(), "Status: 200 OK");
    let first_ended = peer
        .take_backlog()
        .iter()
        .any(|record| matches!(record, Record::EndRequest { request_id: 1, .. }));
    assert!(
        !first_ended,
        "request 2 waited for the 128 MiB of request 1"
    );
    // Request 1 ends early, aborted, with its END_REQUEST.
    peer.abort(1).await;
    peer.response(1).await;
    server.stop().await;
}
