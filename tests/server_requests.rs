//! The server over real sockets, driven by raw records: keep-alive,
//! multiplexing, aborts, panics, roles and management records.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::app::{Probes, app};
use common::{LIMIT, TestServer, complete, request_bytes};
use fastcgi::protocol::{self, ProtocolStatus, Record, RecordType, Role, StreamType};
use fastcgi::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn get(query: &str) -> Vec<(&'static str, String)> {
    vec![
        ("REQUEST_METHOD", "GET".to_owned()),
        ("QUERY_STRING", query.to_owned()),
        ("SCRIPT_NAME", "/app".to_owned()),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn keep_alive_serves_many_requests_on_one_connection() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    for i in 0..5 {
        let q = get(&format!("mode=env&i={i}"));
        peer.request(1, true, &pairs(&q), b"").await;
        let response = peer.response(1).await;
        assert_eq!(response.status_line(), "Status: 200 OK");
        assert!(response.text().contains(&format!("mode=env&i={i}")));
        assert!(
            response.stdout_ended,
            "STDOUT must be closed by an empty record"
        );
        assert_eq!(response.protocol_status, complete());
    }
    server.stop().await;
}

#[tokio::test]
async fn keep_conn_clear_closes_after_end_request() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    peer.request(1, false, &pairs(&get("mode=env")), b"").await;
    let response = peer.response(1).await;
    assert_eq!(response.status_line(), "Status: 200 OK");
    assert!(
        peer.closed().await,
        "the connection must close after END_REQUEST"
    );
    server.stop().await;
}

#[tokio::test]
async fn pipelined_requests_in_one_write_are_all_served() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    let mut all = BytesMut::new();
    for i in 1..=4u16 {
        let q = get(&format!("mode=env&n={i}"));
        all.extend_from_slice(&request_bytes(i, true, &pairs(&q), b""));
    }
    // Plus a padded empty record of a management type the server must skip
    // exactly (GET_VALUES with no names).
    protocol::encode_get_values(&mut all, &[]);
    peer.send(&all).await;
    for i in 1..=4u16 {
        let response = peer.response(i).await;
        assert!(
            response.text().contains(&format!("n={i}")),
            "{}",
            response.text()
        );
    }
    // The management answer may come before the responses.
    let mut others = peer.take_backlog();
    let answer = match others.pop() {
        Some(record) => Some(record),
        None => peer.record().await,
    };
    assert!(others.is_empty(), "{others:?}");
    match answer {
        Some(Record::GetValuesResult { content }) => assert!(content.is_empty()),
        other => panic!("expected GET_VALUES_RESULT, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn twenty_multiplexed_sleeps_take_the_time_of_one() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    let started = Instant::now();
    let mut all = BytesMut::new();
    for id in 1..=20u16 {
        all.extend_from_slice(&request_bytes(
            id,
            true,
            &pairs(&get("mode=sleep&ms=300")),
            b"",
        ));
    }
    peer.send(&all).await;
    let mut done = std::collections::HashSet::new();
    let mut partial: std::collections::HashMap<u16, Vec<u8>> = Default::default();
    while done.len() < 20 {
        match peer.record().await.expect("connection closed") {
            Record::Stdout {
                request_id,
                content,
            } => partial
                .entry(request_id)
                .or_default()
                .extend_from_slice(&content),
            Record::EndRequest { request_id, .. } => {
                let text = String::from_utf8_lossy(&partial[&request_id]).into_owned();
                assert!(text.ends_with("slept 300"), "request {request_id}: {text}");
                assert!(done.insert(request_id), "two END_REQUESTs for {request_id}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    // Serially this would take 6 s.
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    server.stop().await;
}

#[tokio::test]
async fn abort_mid_stream_ends_once_and_the_connection_stays_usable() {
    let probes = Arc::new(Probes::default());
    let server = TestServer::tcp(app(Arc::clone(&probes)));
    let mut peer = server.connect().await;
    peer.request(1, true, &pairs(&get("mode=stream&n=1000&ms=20")), b"")
        .await;
    // Wait for the first streamed line, then abort.
    loop {
        match peer.record().await.unwrap() {
            Record::Stdout { content, .. } if content.windows(6).any(|w| w == b"{\"i\":0") => break,
            Record::Stdout { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    peer.abort(1).await;
    // Drain to END_REQUEST: exactly one.
    let mut ends = 0;
    loop {
        match peer.record().await.unwrap() {
            Record::EndRequest {
                request_id: 1,
                protocol_status,
                ..
            } => {
                assert_eq!(protocol_status, complete());
                ends += 1;
                break;
            }
            Record::Stdout { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ends, 1);
    // The same connection, the same id, a new request.
    peer.request(1, true, &pairs(&get("mode=env&after=abort")), b"")
        .await;
    let response = peer.response(1).await;
    assert!(response.text().contains("after=abort"));
    // The stream handler either saw the signal or was cancelled.
    let stopped = probes.aborted.load(Ordering::SeqCst) + probes.cancelled.load(Ordering::SeqCst);
    assert_eq!(stopped, 1);
    server.stop().await;
}

#[tokio::test]
async fn abort_racing_completion_gives_one_end_request() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    for _ in 0..50 {
        // The request completes within the same poll as it arrives; the
        // abort arrives right behind it.
        let mut both = request_bytes(1, true, &pairs(&get("mode=env")), b"");
        protocol::encode_abort_request(&mut both, 1);
        peer.send(&both).await;
        let response = peer.response(1).await;
        assert_eq!(response.protocol_status, complete());
    }
    // Had a second END_REQUEST been sent for any of them, it would show up
    // here before this request's records.
    peer.request(2, true, &pairs(&get("mode=env&last=1")), b"")
        .await;
    let response = peer.response(2).await;
    assert!(response.text().contains("last=1"));
    server.stop().await;
}

#[tokio::test]
async fn closing_the_connection_aborts_its_requests() {
    let probes = Arc::new(Probes::default());
    let server = TestServer::tcp(app(Arc::clone(&probes)));
    let mut peer = server.connect().await;
    peer.request(1, true, &pairs(&get("mode=sleep&ms=5000")), b"")
        .await;
    tokio::time::timeout(LIMIT, async {
        while probes.running.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    drop(peer);
    tokio::time::timeout(LIMIT, async {
        while probes.running.load(Ordering::SeqCst) != 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the handler kept running after its connection closed");
    assert_eq!(
        probes.aborted.load(Ordering::SeqCst) + probes.cancelled.load(Ordering::SeqCst),
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_others_carry_on() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    // A slow request in flight on the same connection while another panics.
    peer.request(2, true, &pairs(&get("mode=sleep&ms=200")), b"")
        .await;
    peer.request(1, true, &pairs(&get("mode=panic")), b"").await;
    let panicked = peer.response(1).await;
    assert_eq!(panicked.status_line(), "Status: 500 Internal Server Error");
    let stderr = String::from_utf8_lossy(&panicked.stderr);
    assert!(
        stderr.contains("the handler panicked on purpose"),
        "{stderr}"
    );
    let slow = peer.response(2).await;
    assert!(slow.text().ends_with("slept 200"));
    peer.request(1, true, &pairs(&get("mode=env&after=panic")), b"")
        .await;
    assert!(peer.response(1).await.text().contains("after=panic"));
    server.stop().await;
}

#[tokio::test]
async fn stderr_is_its_own_stream() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    peer.request(1, true, &pairs(&get("mode=stderr&msg=to+the+log")), b"")
        .await;
    let response = peer.response(1).await;
    assert_eq!(response.stderr, b"to the log");
    assert_eq!(response.body(), b"ok");
    server.stop().await;
}

/// The records that end a request, in the order they came.
fn ending(response: &common::RawResponse) -> Vec<(RecordType, usize)> {
    let n = response.trail.len();
    response.trail[n.saturating_sub(3)..].to_vec()
}

/// Spec §3.3 (a stream ends with an empty record) and Appendix B: a
/// request that wrote to FCGI_STDERR ends that stream with an empty record
/// right before END_REQUEST; one that did not sends no FCGI_STDERR at all.
#[tokio::test]
async fn stderr_is_ended_by_an_empty_record_only_when_written() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    let ended = [
        (RecordType::Stdout, 0),
        (RecordType::Stderr, 0),
        (RecordType::EndRequest, 0),
    ];
    // `write_err`, a `Stderr` write, a panic message, and the server's own
    // explanation of a 500 (the tracing layer: tests/server_log.rs).
    for query in [
        "mode=stderr&msg=to+the+log",
        "mode=stderr_arg&msg=via+Stderr",
        "mode=panic",
        "mode=server_error",
    ] {
        peer.request(1, true, &pairs(&get(query)), b"").await;
        let response = peer.response(1).await;
        assert!(!response.stderr.is_empty(), "{query}: nothing on stderr");
        assert!(response.stderr_ended, "{query}: stderr never ended");
        assert_eq!(ending(&response), ended, "{query}: {:?}", response.trail);
    }
    peer.request(1, true, &pairs(&get("mode=env")), b"").await;
    let quiet = peer.response(1).await;
    assert!(
        quiet.trail.iter().all(|(t, _)| *t != RecordType::Stderr),
        "{:?}",
        quiet.trail
    );
    assert_eq!(
        ending(&quiet)[1..],
        [(RecordType::Stdout, 0), (RecordType::EndRequest, 0)]
    );
    server.stop().await;
}

/// Every kind of record a web server sends within a request, for `id`.
fn stray_records(id: u16) -> BytesMut {
    let mut out = BytesMut::new();
    protocol::encode_params(&mut out, id, &common::params(&[("QUERY_STRING", "x")]));
    protocol::encode_stream_end(&mut out, StreamType::Params, id);
    protocol::encode_stream(&mut out, StreamType::Stdin, id, b"stray body");
    protocol::encode_stream_end(&mut out, StreamType::Stdin, id);
    protocol::encode_stream(&mut out, StreamType::Data, id, b"stray data");
    protocol::encode_abort_request(&mut out, id);
    // An application's record, and one of a type nobody knows.
    protocol::encode_stream(&mut out, StreamType::Stdout, id, b"Status: 200 OK\r\n\r\n");
    out.extend_from_slice(&[1, 42, (id >> 8) as u8, id as u8, 0, 0, 0, 0]);
    out
}

/// Spec §3.3: "While a request ID R is inactive, the application ignores
/// records with requestId == R, except for FCGI_BEGIN_REQUEST records."
/// Records for an id never begun, or for one that already ended, are
/// ignored and counted; the connection and the request in flight on it
/// carry on.
#[tokio::test]
async fn records_for_inactive_request_ids_are_ignored() {
    let server = Server::bind("127.0.0.1:0").unwrap();
    let metrics = server.metrics();
    let server = TestServer::start(server, app(Arc::default()));
    let mut peer = server.connect().await;
    peer.request(1, true, &pairs(&get("mode=env&first=1")), b"")
        .await;
    assert!(peer.response(1).await.text().contains("first=1"));
    // A request in flight the whole time.
    peer.request(2, true, &pairs(&get("mode=sleep&ms=300")), b"")
        .await;
    // Ids never begun (one beyond the first 64, one at the top), and id 1,
    // which ended.
    let mut strays = BytesMut::new();
    for id in [3, 64, 1000, u16::MAX, 1] {
        strays.extend_from_slice(&stray_records(id));
    }
    let per_id = 8;
    peer.send(&strays).await;
    peer.request(1, true, &pairs(&get("mode=env&after=strays")), b"")
        .await;
    let after = peer.response(1).await;
    assert!(after.text().contains("after=strays"), "{}", after.text());
    let slow = peer.response(2).await;
    assert!(slow.text().ends_with("slept 300"), "{}", slow.text());
    assert!(
        peer.take_backlog().is_empty(),
        "the server answered a stray record"
    );
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.records_ignored, 5 * per_id, "{snapshot:?}");
    assert_eq!(snapshot.protocol_errors, 0, "{snapshot:?}");
    server.stop().await;
}

/// Stray records are not activity: a peer that sends nothing else is closed
/// by the idle timeout, however often it sends them.
#[tokio::test]
async fn a_peer_sending_only_stray_records_is_closed_as_idle() {
    let server = TestServer::start(
        Server::bind("127.0.0.1:0")
            .unwrap()
            .idle_timeout(Duration::from_millis(300)),
        app(Arc::default()),
    );
    let mut peer = server.connect().await;
    let stray = stray_records(5);
    let closed = tokio::time::timeout(LIMIT, async {
        let mut buf = [0u8; 64];
        loop {
            if peer.stream.write_all(&stray).await.is_err() {
                return;
            }
            match tokio::time::timeout(Duration::from_millis(50), peer.stream.read(&mut buf)).await
            {
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(n)) => panic!("the server answered a stray record: {:?}", &buf[..n]),
                Err(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "a peer sending only stray records was never closed"
    );
    server.stop().await;
}

#[tokio::test]
async fn body_round_trips_and_unread_bodies_are_discarded() {
    let server = TestServer::tcp(app(Arc::default()));
    let mut peer = server.connect().await;
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    peer.request(1, true, &pairs(&get("mode=body")), &body)
        .await;
    let response = peer.response(1).await;
    assert_eq!(response.body(), body);
    // A handler that never reads a large body: answered, and the
    // connection still works afterwards.
    let big = vec![1u8; 8 * 1024 * 1024];
    let sender = {
        let bytes = request_bytes(1, true, &pairs(&get("mode=noread")), &big);
        let mut peer2 = server.connect().await;
        tokio::spawn(async move {
            peer2.send(&bytes).await;
            let response = peer2.response(1).await;
            peer2
                .request(1, true, &[("QUERY_STRING", "mode=env&again=1")], b"")
                .await;
            (response, peer2.response(1).await)
        })
    };
    let (first, second) = tokio::time::timeout(LIMIT, sender).await.unwrap().unwrap();
    assert_eq!(first.body(), b"ok");
    assert!(second.text().contains("again=1"));
    server.stop().await;
}

#[tokio::test]
async fn roles_and_refusals() {
    let server = TestServer::start(
        Server::bind("127.0.0.1:0")
            .unwrap()
            .max_requests_per_connection(2),
        app(Arc::default()),
    );
    let mut peer = server.connect().await;

    // Authorizer and Filter reach the handler with their role.
    peer.begin(1, Role::Authorizer, true, &[("QUERY_STRING", "mode=role")])
        .await;
    peer.stdin(1, b"").await;
    assert_eq!(peer.response(1).await.body(), b"Authorizer");

    peer.begin(
        1,
        Role::Filter,
        true,
        &[("QUERY_STRING", "mode=data"), ("FCGI_DATA_LENGTH", "6")],
    )
    .await;
    let mut out = BytesMut::new();
    protocol::encode_stream(&mut out, StreamType::Stdin, 1, b"abc");
    protocol::encode_stream_end(&mut out, StreamType::Stdin, 1);
    protocol::encode_stream(&mut out, StreamType::Data, 1, b"filter");
    protocol::encode_stream_end(&mut out, StreamType::Data, 1);
    peer.send(&out).await;
    assert_eq!(peer.response(1).await.body(), b"stdin=3 data=filter");

    // An unknown role.
    let mut out = BytesMut::new();
    let mut header = [0u8; 16];
    header[..8].copy_from_slice(&[1, 1, 0, 9, 0, 8, 0, 0]);
    header[8..10].copy_from_slice(&77u16.to_be_bytes());
    header[10] = protocol::FCGI_KEEP_CONN;
    out.extend_from_slice(&header);
    peer.send(&out).await;
    let refused = peer.response(9).await;
    assert_eq!(refused.protocol_status, ProtocolStatus::UnknownRole as u8);

    // Over the limit of 2 concurrent requests.
    peer.request(1, true, &pairs(&get("mode=sleep&ms=300")), b"")
        .await;
    peer.request(2, true, &pairs(&get("mode=sleep&ms=300")), b"")
        .await;
    peer.request(3, true, &pairs(&get("mode=env")), b"").await;
    let overloaded = peer.response(3).await;
    assert_eq!(overloaded.protocol_status, ProtocolStatus::Overloaded as u8);
    peer.response(1).await;
    peer.response(2).await;

    // Unknown management record type.
    peer.send(&[1, 42, 0, 0, 0, 0, 0, 0]).await;
    assert_eq!(
        peer.record().await,
        Some(Record::UnknownType { record_type: 42 })
    );

    // GET_VALUES.
    let mut out = BytesMut::new();
    protocol::encode_get_values(
        &mut out,
        &["FCGI_MPXS_CONNS", "FCGI_MAX_REQS", "FCGI_MAX_CONNS", "NOPE"],
    );
    peer.send(&out).await;
    let Some(Record::GetValuesResult { content }) = peer.record().await else {
        panic!("expected GET_VALUES_RESULT");
    };
    let values = protocol::decode_pairs(&content, Default::default()).unwrap();
    assert_eq!(values.get("FCGI_MPXS_CONNS"), Some("1"));
    assert_eq!(values.get("FCGI_MAX_REQS"), Some("2"));
    assert_eq!(values.get("FCGI_MAX_CONNS"), Some("16384"));
    assert_eq!(values.get("NOPE"), None);
    server.stop().await;
}

#[tokio::test]
async fn multiplexing_off_refuses_a_second_request() {
    let server = TestServer::start(
        Server::bind("127.0.0.1:0").unwrap().multiplexing(false),
        app(Arc::default()),
    );
    let mut peer = server.connect().await;
    peer.request(1, true, &pairs(&get("mode=sleep&ms=200")), b"")
        .await;
    peer.request(2, true, &pairs(&get("mode=env")), b"").await;
    let refused = peer.response(2).await;
    assert_eq!(refused.protocol_status, ProtocolStatus::CantMpxConn as u8);
    assert!(peer.response(1).await.text().ends_with("slept 200"));
    server.stop().await;
}
