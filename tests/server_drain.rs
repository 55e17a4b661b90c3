//! Draining after shutdown, record by record over real sockets: nothing a
//! web server sends is thrown away, and a kept connection is let go by
//! the web server, not closed under it (`server/connection/drain.rs`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::app::app;
use common::{RawPeer, Stream, TestServer};
use fastcgi::protocol::Record;
use fastcgi::server::Server;

const ENV: &[(&str, &str)] = &[("QUERY_STRING", "mode=env")];

/// The next record, which must be the drain notice: an empty FCGI_STDERR
/// for `id`, the web server's last request id.
async fn expect_notice(peer: &mut RawPeer<Box<dyn Stream>>, id: u16) {
    match peer.record().await {
        Some(Record::Stderr {
            request_id,
            content,
        }) if request_id == id && content.is_empty() => {}
        other => panic!("expected the drain notice for request {id}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_idle_kept_connection_is_told_to_go_and_still_serves_a_racing_request() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    peer.request(7, true, ENV, b"").await;
    assert!(peer.response(7).await.text().contains("mode=env"));

    server.shutdown();
    expect_notice(&mut peer, 7).await;
    // A web server that picked the connection at that moment, or reuses
    // it without reading (Apache): its request is served, the notice read
    // as an empty stderr of it; then the connection closes, nothing after
    // the END_REQUEST.
    peer.request(7, true, ENV, b"").await;
    assert!(peer.response(7).await.text().contains("mode=env"));
    assert!(peer.record().await.is_none(), "closed after END_REQUEST");
    server.finished().await;
}

#[tokio::test]
async fn a_connection_without_a_request_yet_is_served_after_the_signal() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    // Accepted before the signal; its request comes after it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    peer.request(1, true, ENV, b"").await;
    assert!(peer.response(1).await.text().contains("mode=env"));
    expect_notice(&mut peer, 1).await;
    drop(peer);
    server.finished().await;
}

#[tokio::test]
async fn a_request_in_flight_finishes_then_the_notice_follows_its_end() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    peer.request(1, true, &[("QUERY_STRING", "mode=sleep&ms=200")], b"")
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown();
    assert!(peer.response(1).await.text().ends_with("slept 200"));
    expect_notice(&mut peer, 1).await;
    drop(peer);
    server.finished().await;
}

#[tokio::test]
async fn without_keep_conn_the_connection_closes_after_end_request() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    peer.request(1, false, &[("QUERY_STRING", "mode=sleep&ms=100")], b"")
        .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    server.shutdown();
    assert!(peer.response(1).await.text().ends_with("slept 100"));
    // No notice: the web server does not reuse it, and it closes.
    assert!(peer.record().await.is_none(), "nothing follows END_REQUEST");
    server.finished().await;
}

#[tokio::test]
async fn a_peer_that_neither_uses_nor_closes_its_connection_is_closed() {
    // Deferred accepts off: the connection that never sends anything is
    // the server's from the start (with them on, see the next test).
    let server = TestServer::start(
        Server::bind("127.0.0.1:0").unwrap().defer_accept(false),
        app(Arc::default()),
    );
    let mut idle = server.connect().await;
    idle.request(1, true, ENV, b"").await;
    idle.response(1).await;
    let mut silent = server.connect().await;
    server.shutdown();
    expect_notice(&mut idle, 1).await;
    // Both closed by the server after the linger, and it returns.
    assert!(idle.closed().await);
    assert!(silent.closed().await);
    server.finished().await;
}

/// With deferred accepts (the default), a TCP connection that has sent
/// nothing is still the kernel's: it is not served, counted or waited for,
/// and shutdown does not linger for it.
#[tokio::test]
async fn a_connection_that_sent_nothing_does_not_hold_up_shutdown() {
    let server = TestServer::tcp(app(Arc::default()));
    // Serving has begun (deferring is set up then): one request answered.
    let mut first = server.connect().await;
    first.request(1, false, ENV, b"").await;
    first.response(1).await;
    let _silent = server.connect().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown();
    let shutting_down = std::time::Instant::now();
    server.finished().await;
    // Not the 2-second linger an idle connection of the server's gets.
    assert!(
        shutting_down.elapsed() < Duration::from_millis(1500),
        "shutdown waited {:?} for a connection that never sent anything",
        shutting_down.elapsed()
    );
}

/// fastcgi-rs's own clients read the notice as it is meant: nothing for
/// them, and the connection still serves until it closes.
#[tokio::test]
async fn the_clients_of_this_crate_read_the_notice_and_carry_on() {
    use fastcgi::client::{ClientRequest, Connection, MultiplexedConnection};
    let server = TestServer::tcp(app(Arc::default()));
    let connect = || tokio::net::TcpStream::connect(server.addr.clone());
    let mut single = Connection::new(connect().await.unwrap());
    let multiplexed = MultiplexedConnection::new(connect().await.unwrap());
    let ask = || ClientRequest::get("/?mode=env");
    assert_eq!(single.send(ask()).await.unwrap().status(), 200);
    assert_eq!(multiplexed.send(ask()).await.unwrap().status(), 200);

    server.shutdown();
    // Time for the notices to arrive before the next requests.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(single.send(ask()).await.unwrap().status(), 200);
    assert_eq!(multiplexed.send(ask()).await.unwrap().status(), 200);
    drop((single, multiplexed));
    server.finished().await;
}
