//! Health and metrics: the server's counters, served by StatusHandler as
//! JSON and Prometheus text, and GET_VALUES answered at any time.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use common::TestServer;
use common::app::app;
use fastcgi::protocol::{self, Record};
use fastcgi::server::Server;
use fastcgi::status::StatusHandler;

#[tokio::test]
async fn counters_follow_what_the_server_did() {
    let server = Server::bind("127.0.0.1:0")
        .unwrap()
        .max_requests_per_connection(1);
    let metrics = server.metrics();
    let test = TestServer::start(server, app(Arc::default()));

    let mut peer = test.connect().await;
    for _ in 0..3 {
        peer.request(1, true, &[("QUERY_STRING", "mode=env")], b"")
            .await;
        peer.response(1).await;
    }
    peer.request(1, true, &[("QUERY_STRING", "mode=panic")], b"")
        .await;
    peer.response(1).await;
    // Over the limit of one request at a time: refused.
    peer.request(1, true, &[("QUERY_STRING", "mode=sleep&ms=200")], b"")
        .await;
    peer.request(2, true, &[("QUERY_STRING", "mode=env")], b"")
        .await;
    peer.response(2).await;
    let during = metrics.snapshot();
    assert_eq!(during.requests_active, 1, "{during:?}");
    peer.response(1).await;

    // A peer that breaks the protocol.
    let mut bad = test.connect().await;
    bad.send(b"GET / HTTP/1.1\r\n\r\n").await;
    assert!(bad.closed().await);

    drop(bad);
    tokio::time::timeout(common::LIMIT, async {
        while metrics.snapshot().connections_active != 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the broken connection must close");
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.requests_total, 5, "{snapshot:?}");
    assert_eq!(snapshot.requests_active, 0, "{snapshot:?}");
    assert_eq!(snapshot.requests_refused, 1, "{snapshot:?}");
    assert_eq!(snapshot.panics, 1, "{snapshot:?}");
    assert_eq!(snapshot.protocol_errors, 1, "{snapshot:?}");
    assert_eq!(snapshot.connections_total, 2, "{snapshot:?}");
    assert_eq!(snapshot.connections_active, 1, "{snapshot:?}");
    drop(peer);
    tokio::time::timeout(common::LIMIT, async {
        while metrics.snapshot().connections_active != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("closed connections must leave connections_active");
    test.stop().await;
}

#[tokio::test]
async fn status_handler_serves_json_and_prometheus() {
    let server = Server::bind("127.0.0.1:0").unwrap();
    let status = StatusHandler::new(server.metrics());
    let test = TestServer::start(server, status);
    let mut peer = test.connect().await;
    peer.request(1, true, &[], b"").await;
    let json = peer.response(1).await;
    let (head, body) = json.split();
    assert!(head.contains("Content-Type: application/json"), "{head}");
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    // This very request is the first and the one running.
    assert_eq!(value["requests_total"], 1);
    assert_eq!(value["requests_active"], 1);
    assert_eq!(value["connections_active"], 1);

    peer.request(1, true, &[("QUERY_STRING", "format=prometheus")], b"")
        .await;
    let text = String::from_utf8(peer.response(1).await.body()).unwrap();
    assert!(
        text.contains("# TYPE fastcgi_requests_total counter\nfastcgi_requests_total 2\n"),
        "{text}"
    );
    peer.request(1, true, &[("HTTP_ACCEPT", "text/plain;version=0.0.4")], b"")
        .await;
    assert!(
        String::from_utf8(peer.response(1).await.body())
            .unwrap()
            .contains("fastcgi_panics_total 0")
    );

    // GET_VALUES in the middle of a request in flight.
    peer.request(2, true, &[("QUERY_STRING", "ignored")], b"")
        .await;
    let mut out = BytesMut::new();
    protocol::encode_get_values(&mut out, &["FCGI_MPXS_CONNS"]);
    peer.send(&out).await;
    peer.response(2).await;
    let answer = peer
        .take_backlog()
        .into_iter()
        .chain(std::iter::from_fn(|| None))
        .next();
    let answer = match answer {
        Some(record) => record,
        None => peer.record().await.unwrap(),
    };
    assert!(
        matches!(answer, Record::GetValuesResult { .. }),
        "{answer:?}"
    );
    test.stop().await;
}
