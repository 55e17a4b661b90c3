//! What PHP-FPM operators rely on, through real records: the request
//! timeout (server-wide and per route), the slow-request log with the URL,
//! the requests in flight on the status page, and the access log.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastcgi::access_log::{ACCESS_TARGET, CombinedLogFormat, SLOW_TARGET};
use fastcgi::handler::{Handler, from_fn};
use fastcgi::request::Request;
use fastcgi::response::ResponseWriter;
use fastcgi::routing::{Router, get};
use fastcgi::server::Server;
use fastcgi::status::StatusHandler;
use fastcgi::testing::TestClient;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// A handler that takes far longer than any limit below.
async fn stalls(_request: Request) -> &'static str {
    tokio::time::sleep(Duration::from_secs(600)).await;
    "too late"
}

#[tokio::test]
async fn a_request_over_the_server_timeout_is_answered_503_and_logged() {
    let server = Server::new().request_timeout(Duration::from_millis(100));
    let metrics = server.metrics();
    let app = from_fn(|request: Request| async move {
        if request.environ().query_string() == "fast" {
            "fast".to_owned()
        } else {
            stalls(request).await.to_owned()
        }
    });
    let client = TestClient::with_server(server, app);

    let response = client.get("/report?year=2025").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.text(), "Request timed out\n");
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let stderr = response.stderr_text();
    assert!(
        stderr.contains("GET /report?year=2025") && stderr.contains("100ms"),
        "{stderr}"
    );
    assert_eq!(metrics.snapshot().request_timeouts, 1);

    // The connection carries on.
    let response = client.get("/?fast").send().await.unwrap();
    assert_eq!(response.text(), "fast");
    assert_eq!(metrics.snapshot().request_timeouts, 1);
}

#[tokio::test]
async fn a_response_begun_before_the_timeout_is_ended_where_it_stands() {
    let server = Server::new().request_timeout(Duration::from_millis(100));
    let app = from_fn(|mut request: Request| async move {
        let mut out: ResponseWriter = request.take_writer().unwrap();
        out.write(b"Content-Type: text/plain\r\n\r\npartial")
            .await
            .unwrap();
        out.flush().await.unwrap();
        tokio::time::sleep(Duration::from_secs(600)).await;
        ""
    });
    let client = TestClient::with_server(server, app);
    let response = client.get("/stream").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "partial");
    assert!(
        response.stderr_text().contains("GET /stream timed out"),
        "{}",
        response.stderr_text()
    );
}

#[tokio::test]
async fn a_route_timeout_limits_its_routes_only() {
    let server = Server::new();
    let metrics = server.metrics();
    let app = Router::new()
        .route("/slow", get(from_fn(stalls)))
        .timeout(Duration::from_millis(50))
        .route("/quick", get(from_fn(|_| async { "quick" })));
    let client = TestClient::with_server(server, app);
    let response = client.get("/slow").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.text(), "Request timed out\n");
    assert!(
        response.stderr_text().contains("GET /slow timed out"),
        "{}",
        response.stderr_text()
    );
    assert_eq!(metrics.snapshot().request_timeouts, 1);
    assert_eq!(client.get("/quick").send().await.unwrap().text(), "quick");
}

/// Every event of `target`, as `message field=value ...` lines.
#[derive(Clone, Default)]
struct Captured {
    target: &'static str,
    lines: Arc<Mutex<Vec<String>>>,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Captured {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() == self.target {
            let mut line = Line(String::new());
            event.record(&mut line);
            self.lines.lock().expect("the captured lines").push(line.0);
        }
    }
}

#[tokio::test]
async fn a_slow_request_is_logged_once_as_it_passes_the_threshold_and_when_it_ends() {
    let captured = Captured {
        target: SLOW_TARGET,
        ..Captured::default()
    };
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(captured.clone()));
    let server = Server::new().slow_request_log(Duration::from_millis(50));
    let metrics = server.metrics();
    let app = from_fn(|_| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        "done"
    });
    let client = TestClient::with_server(server, app);
    let response = client.get("/export?all=1").send().await.unwrap();
    assert_eq!(response.text(), "done");
    let lines = captured.lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("still running after"), "{lines:?}");
    assert!(lines[0].contains("uri=\"/export?all=1\""), "{lines:?}");
    assert!(lines[0].contains("state=\"running\""), "{lines:?}");
    assert!(
        lines[1].contains("slow request finished after"),
        "{lines:?}"
    );
    assert_eq!(metrics.snapshot().slow_requests, 1);
}

/// A `Write` into shared memory.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("the log buffer")
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_finished_request_is_one_access_log_event() {
    let captured = Captured {
        target: ACCESS_TARGET,
        ..Captured::default()
    };
    let combined = Shared::default();
    let subscriber = tracing_subscriber::registry()
        .with(captured.clone())
        .with(CombinedLogFormat::to_writer(combined.clone()).with_duration());
    let _guard = tracing::subscriber::set_default(subscriber);
    let client = TestClient::new(from_fn(|_| async { "hello" }));
    let response = client
        .get("/a?b=1")
        .header("User-Agent", "tester/1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.text(), "hello");
    let lines = captured.lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    for field in [
        "method=\"GET\"",
        "uri=\"/a?b=1\"",
        "status=200",
        "bytes=5",
        "duration_us=",
    ] {
        assert!(lines[0].contains(field), "{field} in {lines:?}");
    }
    let text = String::from_utf8(combined.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("\"GET /a?b=1 HTTP/1.1\" 200 5 \"-\" \"tester/1\" 0."),
        "{text}"
    );
    assert!(text.ends_with('\n') && text.lines().count() == 1, "{text}");
}

#[tokio::test]
async fn the_status_page_lists_the_requests_in_flight() {
    let server = Server::new();
    let status = StatusHandler::new(server.metrics());
    let app = from_fn(move |request: Request| {
        let status = status.clone();
        async move {
            if request.environ().query_string().starts_with("status") {
                status.call(request).await
            } else {
                tokio::time::sleep(Duration::from_millis(300)).await;
                fastcgi::response::IntoResponse::into_response("slept")
            }
        }
    });
    let client = TestClient::with_server(server, app);
    let other = client.new_connection();
    let slow = tokio::spawn({
        let client = client.new_connection();
        async move {
            client
                .get("/sleep?ms=300")
                .send()
                .await
                .unwrap()
                .text()
                .into_owned()
        }
    });
    // Until the slow request is listed (it is as soon as its connection
    // waits for it).
    let mut found = None;
    for _ in 0..100 {
        let json: serde_json::Value = other.get("/?status").send().await.unwrap().json().unwrap();
        let listed = json["in_flight"].as_array().unwrap().clone();
        if let Some(entry) = listed.iter().find(|e| e["uri"] == "/sleep?ms=300") {
            found = Some(entry.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let entry = found.expect("the sleeping request is listed");
    assert_eq!(entry["method"], "GET");
    assert_eq!(entry["state"], "running");
    assert!(entry["elapsed_ms"].is_u64());
    assert!(entry["request_id"].is_u64());
    assert_eq!(slow.await.unwrap(), "slept");
    let json: serde_json::Value = other.get("/?status").send().await.unwrap().json().unwrap();
    assert!(
        !json["in_flight"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["uri"] == "/sleep?ms=300"),
        "{json}"
    );
    let text = other
        .get("/?status&format=prometheus")
        .send()
        .await
        .unwrap()
        .text()
        .into_owned();
    assert!(
        text.contains("# TYPE fastcgi_request_duration_seconds histogram"),
        "{text}"
    );
    assert!(text.contains("fastcgi_request_duration_seconds_bucket{le=\"+Inf\"}"));
    assert!(text.contains("fastcgi_request_timeouts_total 0"));
}

#[tokio::test]
async fn server_sent_events_arrive_one_by_one_with_keep_alive_comments() {
    use fastcgi::response::{Event, IntoResponse, Sse, unfold};
    let app = from_fn(|_| async {
        let events = unfold(0u32, |i| async move {
            if i == 3 {
                return None;
            }
            // Long enough for a keep-alive comment before each later event.
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(120)).await;
            }
            Some((Event::data(format!("n{i}")).id(i.to_string()), i + 1))
        });
        Sse::new(events)
            .keep_alive(Duration::from_millis(50))
            .into_response()
    });
    let client = TestClient::new(app);
    let mut stream = client.get("/events").start().await.unwrap();
    let head = stream.head().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "text/event-stream");
    assert_eq!(head.headers()["x-accel-buffering"], "no");
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next_chunk().await.unwrap() {
        chunks.push(String::from_utf8(chunk.to_vec()).unwrap());
    }
    let text = chunks.concat();
    let events: Vec<&str> = text
        .split("\n\n")
        .filter(|e| !e.is_empty() && !e.starts_with(':'))
        .collect();
    assert_eq!(
        events,
        ["id: 0\ndata: n0", "id: 1\ndata: n1", "id: 2\ndata: n2"]
    );
    assert!(text.contains(": keep-alive\n\n"), "{text:?}");
    assert!(
        chunks.len() >= 3,
        "the events came in one piece: {chunks:?}"
    );
}
