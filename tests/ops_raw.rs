//! The status page and the logs with requests whose records come in
//! pieces, over a real socket: what a web server that sends BEGIN_REQUEST
//! and the params in separate writes (Apache) does.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use common::TestServer;
use fastcgi::access_log::{ACCESS_TARGET, CombinedLogFormat};
use fastcgi::handler::{Handler, from_fn};
use fastcgi::protocol::{self, FCGI_KEEP_CONN, Role, StreamType};
use fastcgi::request::Request;
use fastcgi::server::Server;
use fastcgi::status::StatusHandler;
use tracing_subscriber::layer::SubscriberExt;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
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
async fn a_request_listed_while_its_params_arrive_is_logged_with_its_uri() {
    let log = Shared::default();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(CombinedLogFormat::to_writer(log.clone())),
    );
    assert!(tracing::enabled!(target: ACCESS_TARGET, tracing::Level::INFO));
    let server = Server::bind("127.0.0.1:0").unwrap();
    let status = StatusHandler::new(server.metrics());
    let app = from_fn(move |request: Request| {
        let status = status.clone();
        async move { status.call(request).await }
    });
    let test = TestServer::start(server, app);

    // BEGIN_REQUEST and half the params.
    let mut peer = test.connect().await;
    let mut out = BytesMut::new();
    protocol::encode_begin_request(&mut out, 1, Role::Responder, FCGI_KEEP_CONN);
    peer.send(&out).await;
    let mut watcher = test.connect().await;
    // Until the status page lists it, receiving its params.
    let mut listed = false;
    for _ in 0..200 {
        watcher
            .request(
                1,
                true,
                &[("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/status")],
                b"",
            )
            .await;
        let body = watcher.response(1).await.body();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if json["in_flight"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["state"] == "receiving-params")
        {
            listed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(listed, "the request receiving its params was never listed");

    // The rest of the request.
    let mut out = BytesMut::new();
    protocol::encode_params(
        &mut out,
        1,
        &common::params(&[
            ("REQUEST_METHOD", "GET"),
            ("REQUEST_URI", "/late?x=1"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
        ]),
    );
    protocol::encode_stream_end(&mut out, StreamType::Params, 1);
    protocol::encode_stream_end(&mut out, StreamType::Stdin, 1);
    peer.send(&out).await;
    let response = peer.response(1).await;
    assert!(response.text().contains("in_flight"), "{}", response.text());
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("\"GET /late?x=1 HTTP/1.1\" 200 "),
        "the access log lost the URI: {text}"
    );
}

/// Every slow-log event, as `field=value` text.
#[derive(Clone, Default)]
struct SlowLines(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SlowLines {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == fastcgi::access_log::SLOW_TARGET {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().expect("the slow lines").push(fields.0);
        }
    }
}

#[tokio::test]
async fn the_slow_log_says_when_a_request_waits_for_the_web_server_to_read() {
    let slow = SlowLines::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(slow.clone()));
    let server = Server::bind("127.0.0.1:0")
        .unwrap()
        .slow_request_log(Duration::from_millis(200));
    // 64 MiB: more than the socket buffers and the output buffer hold.
    let app = from_fn(|_| async { vec![b'x'; 64 << 20] });
    let test = TestServer::start(server, app);
    let mut peer = test.connect().await;
    peer.request(
        1,
        true,
        &[("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/big")],
        b"",
    )
    .await;
    // The peer reads nothing until the slow log has spoken.
    let mut line = None;
    for _ in 0..200 {
        if let Some(first) = slow.0.lock().expect("the slow lines").first().cloned() {
            line = Some(first);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let line = line.expect("no slow-log line within 2 s");
    assert!(line.contains("state=\"writing\""), "{line}");
    assert!(line.contains("uri=\"/big\""), "{line}");
    let response = peer.response(1).await;
    assert_eq!(response.body().len(), 64 << 20);
}
