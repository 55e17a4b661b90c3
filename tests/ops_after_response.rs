//! Work after the response (PHP's `fastcgi_finish_request`): the response
//! is not held for it, and graceful shutdown waits for it within the grace
//! period, then cancels it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::TestServer;
use fastcgi::extract::{AfterResponse, FromRequestParts};
use fastcgi::handler::from_fn;
use fastcgi::request::Request;
use fastcgi::server::Server;
use fastcgi::testing::TestClient;
use tokio::sync::{mpsc, oneshot};

#[tokio::test]
async fn the_response_arrives_before_the_work_after_it_runs() {
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let go = Arc::new(std::sync::Mutex::new(Some(go_rx)));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<&'static str>();
    let app = from_fn(move |request: Request| {
        let go = go.lock().unwrap().take();
        let done = done_tx.clone();
        async move {
            let after = AfterResponse::from_request_parts(request.parts())
                .await
                .unwrap();
            after.spawn(async move {
                // Waits for the test, which has the response by then.
                if let Some(go) = go {
                    let _ = go.await;
                }
                let _ = done.send("mail sent");
            });
            "answered"
        }
    });
    let client = TestClient::new(app);
    let response = client.get("/signup").send().await.unwrap();
    assert_eq!(response.text(), "answered");
    assert!(
        done_rx.try_recv().is_err(),
        "the work ran before the response"
    );
    go_tx.send(()).unwrap();
    let done = tokio::time::timeout(common::LIMIT, done_rx.recv())
        .await
        .unwrap();
    assert_eq!(done, Some("mail sent"));
}

/// Sets its flag when dropped unfinished: the work was cancelled.
struct Cancelled(Arc<AtomicBool>);

impl Drop for Cancelled {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A server whose every request leaves `work_ms` of work after it; the
/// flags say whether the work finished or was cancelled.
fn server_with_work(
    grace: Duration,
    work_ms: u64,
) -> (TestServer, Arc<AtomicBool>, Arc<AtomicBool>) {
    let finished = Arc::new(AtomicBool::new(false));
    let cancelled = Arc::new(AtomicBool::new(false));
    let (f, c) = (Arc::clone(&finished), Arc::clone(&cancelled));
    let app = from_fn(move |request: Request| {
        let (finished, cancelled) = (Arc::clone(&f), Arc::clone(&c));
        async move {
            let after = AfterResponse::from_request_parts(request.parts())
                .await
                .unwrap();
            after.spawn(async move {
                let guard = Cancelled(cancelled);
                tokio::time::sleep(Duration::from_millis(work_ms)).await;
                finished.store(true, Ordering::SeqCst);
                std::mem::forget(guard);
            });
            "ok"
        }
    });
    let server = Server::bind("127.0.0.1:0")
        .expect("a free port on 127.0.0.1")
        .handle_signals(false)
        .grace_period(grace);
    (TestServer::start(server, app), finished, cancelled)
}

#[tokio::test]
async fn graceful_shutdown_waits_for_work_after_responses() {
    let (test, finished, cancelled) = server_with_work(Duration::from_secs(5), 300);
    let mut peer = test.connect().await;
    peer.request(1, false, &[("REQUEST_METHOD", "GET")], b"")
        .await;
    assert_eq!(peer.response(1).await.body(), b"ok");
    assert!(!finished.load(Ordering::SeqCst));
    test.stop().await;
    assert!(
        finished.load(Ordering::SeqCst),
        "shutdown did not wait for the work"
    );
    assert!(!cancelled.load(Ordering::SeqCst));
}

#[tokio::test]
async fn work_still_running_when_the_grace_period_ends_is_cancelled() {
    let (test, finished, cancelled) = server_with_work(Duration::from_millis(200), 600_000);
    let mut peer = test.connect().await;
    peer.request(1, false, &[("REQUEST_METHOD", "GET")], b"")
        .await;
    assert_eq!(peer.response(1).await.body(), b"ok");
    test.stop().await;
    assert!(!finished.load(Ordering::SeqCst));
    assert!(
        cancelled.load(Ordering::SeqCst),
        "the work outlived the grace period"
    );
}
