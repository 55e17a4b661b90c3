//! Per-request log events routed to the request's FCGI_STDERR.

mod common;

use common::TestServer;
use fastcgi::handler::from_fn;
use fastcgi::log::RequestStderrLayer;
use fastcgi::prelude::*;
use fastcgi::protocol::RecordType;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test]
async fn handler_events_land_on_their_own_requests_stderr() {
    let subscriber =
        tracing_subscriber::registry().with(RequestStderrLayer::new(tracing::Level::INFO));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let handler = from_fn(|request: Request| async move {
        let q = request.environ().query_string().to_owned();
        tracing::info!(query = %q, "handling");
        tracing::debug!("too verbose to route");
        tokio::task::yield_now().await;
        tracing::warn!("after an await");
        "ok"
    });
    let server = TestServer::tcp(handler);
    let mut peer = server.connect().await;
    peer.request(1, true, &[("QUERY_STRING", "a=1")], b"").await;
    peer.request(2, true, &[("QUERY_STRING", "b=2")], b"").await;
    let first = peer.response(1).await;
    let second = peer.response(2).await;
    // The routed lines are a stream like any other: ended by an empty
    // record right before END_REQUEST (spec §3.3).
    for response in [&first, &second] {
        assert!(response.stderr_ended, "{:?}", response.trail);
        let n = response.trail.len();
        assert_eq!(
            response.trail[n - 2..],
            [(RecordType::Stderr, 0), (RecordType::EndRequest, 0)]
        );
    }
    let first = String::from_utf8(first.stderr).unwrap();
    let second = String::from_utf8(second.stderr).unwrap();
    assert!(
        first.contains("INFO server_log: handling query=a=1"),
        "{first}"
    );
    assert!(first.contains("WARN server_log: after an await"), "{first}");
    assert!(!first.contains("too verbose"), "{first}");
    assert!(!first.contains("b=2"), "{first}");
    assert!(second.contains("handling query=b=2"), "{second}");
    server.stop().await;
}
