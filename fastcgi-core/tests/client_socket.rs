//! The client against the real server over TCP (127.0.0.1) and unix
//! sockets: simple requests, big bodies, keep-alive, multiplexing, aborts,
//! management records, and connections that close mid-response.

// Helpers outside `#[test]` fns unwrap too: this whole file is a test.
#![allow(clippy::unwrap_used)]

use std::future::IntoFuture;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fastcgi_core::client::{
    ClientError, ClientRequest, Connection, MultiplexedConnection, RequestBody,
};
use fastcgi_core::handler::{Handler, from_fn};
use fastcgi_core::protocol::{FCGI_MAX_REQS, FCGI_MPXS_CONNS, ProtocolStatus};
use fastcgi_core::request::Request;
use fastcgi_core::response::{IntoResponse, Response, StatusCode};
use fastcgi_core::server::Server;
use fastcgi_core::testing::TestServer;
use tokio::time::timeout;

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

async fn bounded<F: IntoFuture>(future: F) -> F::Output {
    timeout(LIMIT, future)
        .await
        .expect("the test took too long")
}

const MIB: usize = 1024 * 1024;

/// The application under test, routed by `SCRIPT_NAME`.
async fn app(mut request: Request) -> Response {
    let path = request
        .environ()
        .get("SCRIPT_NAME")
        .unwrap_or("")
        .to_owned();
    match path.as_str() {
        "/hello" => format!(
            "hello {}",
            request.environ().get("QUERY_STRING").unwrap_or("")
        )
        .into_response(),
        "/echo" => match request.take_body() {
            Some(body) => match body.to_bytes(16 * MIB).await {
                Ok(bytes) => bytes.into_response(),
                Err(err) => (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
            },
            None => StatusCode::BAD_REQUEST.into_response(),
        },
        "/echo-stream" => {
            // Writes each body chunk back as it arrives: the client must
            // read while it writes, or both sides stall.
            let (Some(mut body), Some(mut out)) = (request.take_body(), request.take_writer())
            else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            if out
                .send_response(StatusCode::OK, "application/octet-stream", (), &[], false)
                .await
                .is_err()
            {
                return ().into_response();
            }
            while let Ok(Some(chunk)) = body.chunk().await {
                if out.write(&chunk).await.is_err() {
                    break;
                }
            }
            ().into_response()
        }
        "/sleep" => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            "slept".into_response()
        }
        "/stream" => {
            // One chunk every 10 ms until aborted.
            let Some(mut out) = request.take_writer() else {
                return ().into_response();
            };
            let abort = request.parts().abort_signal().clone();
            let _ = out
                .send_response(StatusCode::OK, "text/plain", "tick\n", &[], true)
                .await;
            while !abort.is_aborted() {
                tokio::select! {
                    () = abort.aborted() => break,
                    () = tokio::time::sleep(Duration::from_millis(10)) => {}
                }
                if out.write(b"tick\n").await.is_err() || out.flush().await.is_err() {
                    break;
                }
            }
            ().into_response()
        }
        "/hang" => {
            // Part of a response, then nothing for a minute.
            let Some(mut out) = request.take_writer() else {
                return ().into_response();
            };
            let _ = out
                .send_response(StatusCode::OK, "text/plain", "partial", &[], true)
                .await;
            tokio::time::sleep(Duration::from_secs(60)).await;
            ().into_response()
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// A server running for one test, and the directory of its unix socket.
struct App {
    server: TestServer,
    addr: String,
    dir: Option<PathBuf>,
}

impl App {
    fn start(server: Server, handler: impl Handler) -> Self {
        let server = TestServer::start(server, handler);
        Self {
            addr: server.addr().to_owned(),
            server,
            dir: None,
        }
    }

    fn tcp() -> Self {
        Self::tcp_with(|server| server)
    }

    fn tcp_with(configure: impl FnOnce(Server) -> Server) -> Self {
        let server = Server::bind("127.0.0.1:0").unwrap();
        assert!(server.tcp_addr().is_some());
        Self::start(configure(server), from_fn(app))
    }

    fn unix_with(name: &str, configure: impl FnOnce(Server) -> Server) -> Self {
        let dir = std::env::temp_dir().join(format!("fcgi-client-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let server = Server::bind(&format!("unix:{}", dir.join("app.sock").display())).unwrap();
        let mut app = Self::start(configure(server), from_fn(app));
        app.dir = Some(dir);
        app
    }

    async fn connect(&self) -> Connection {
        bounded(Connection::connect(&self.addr)).await.unwrap()
    }

    async fn stop(self) {
        let dir = self.dir;
        bounded(self.server.stop()).await.unwrap();
        if let Some(dir) = &dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn simple_get(app: App) {
    let mut conn = app.connect().await;
    let response = bounded(conn.send(ClientRequest::get("/hello?world")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "hello world");
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.protocol_status(), ProtocolStatus::RequestComplete);
    let missing = bounded(conn.send(ClientRequest::get("/nope")))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // Close our side first, or the server waits for it when stopping.
    drop(conn);
    app.stop().await;
}

fn big_body() -> Bytes {
    (0..5 * MIB)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

async fn post_echoes_a_5_mib_body(app: App) {
    let body = big_body();
    let mut conn = app.connect().await;
    let response = bounded(conn.send(ClientRequest::post(
        "/echo",
        "application/octet-stream",
        body.clone(),
    )))
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().len(), body.len());
    assert!(response.body() == &body, "the echoed body differs");
    // Close our side first, or the server waits for it when stopping.
    drop(conn);
    app.stop().await;
}

async fn streamed_upload_is_echoed_while_it_is_written(app: App) {
    let mut conn = app.connect().await;
    let body = big_body();
    let (writer, request_body) = RequestBody::channel();
    let feed = {
        let body = body.clone();
        tokio::spawn(async move {
            for chunk in body.chunks(100_000) {
                if writer.send(Bytes::copy_from_slice(chunk)).await.is_err() {
                    break;
                }
            }
        })
    };
    let request = ClientRequest::post("/echo-stream", "application/octet-stream", request_body);
    let response = bounded(conn.send(request)).await.unwrap();
    bounded(feed).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.body() == &body, "the echoed body differs");

    // The same, multiplexed, with a bytes body.
    let mux = conn.into_multiplexed();
    let response = bounded(mux.send(ClientRequest::post(
        "/echo-stream",
        "application/octet-stream",
        body.clone(),
    )))
    .await
    .unwrap();
    assert!(response.body() == &body, "the echoed body differs");
    app.stop().await;
}

async fn keep_alive_serves_100_sequential_requests_on_one_connection(app: App) {
    let mut conn = app.connect().await;
    for i in 0..100 {
        let response = bounded(conn.send(ClientRequest::get(&format!("/hello?{i}"))))
            .await
            .unwrap();
        assert_eq!(response.text(), format!("hello {i}"));
        assert_eq!(response.request_id(), 1, "ids are reused after END_REQUEST");
    }
    // Close our side first, or the server waits for it when stopping.
    drop(conn);
    app.stop().await;
}

async fn twenty_multiplexed_requests_run_concurrently(app: App) {
    let mux = app.connect().await.into_multiplexed();
    let started = Instant::now();
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let mux = mux.clone();
            tokio::spawn(async move { mux.send(ClientRequest::get("/sleep")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for request in requests {
        let response = bounded(request).await.unwrap().unwrap();
        assert_eq!(response.text(), "slept");
        ids.push(response.request_id());
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20, "each request had its own id");

    // Ids are reused afterwards.
    let again = bounded(mux.send(ClientRequest::get("/hello")))
        .await
        .unwrap();
    assert!(again.request_id() <= 20);
    app.stop().await;
}

async fn abort_mid_stream_then_the_connection_serves_another_request(app: App) {
    let mut conn = app.connect().await;
    {
        let mut stream = bounded(conn.start(ClientRequest::get("/stream")))
            .await
            .unwrap();
        assert_eq!(bounded(stream.head()).await.unwrap().status(), 200);
        for _ in 0..3 {
            let chunk = bounded(stream.next_chunk()).await.unwrap().unwrap();
            assert!(chunk.starts_with(b"tick"));
        }
        let end = bounded(stream.abort()).await.unwrap();
        assert_eq!(end.protocol_status, ProtocolStatus::RequestComplete);
    }
    let response = bounded(conn.send(ClientRequest::get("/hello?after")))
        .await
        .unwrap();
    assert_eq!(response.text(), "hello after");

    // Dropping a stream aborts it without waiting; the next request still works.
    {
        let mut stream = bounded(conn.start(ClientRequest::get("/stream")))
            .await
            .unwrap();
        assert!(bounded(stream.next_chunk()).await.unwrap().is_some());
    }
    let response = bounded(conn.send(ClientRequest::get("/hello?after-drop")))
        .await
        .unwrap();
    assert_eq!(response.text(), "hello after-drop");

    // The same on a multiplexed connection, with another request in flight.
    let mux = conn.into_multiplexed();
    let mut stream = bounded(mux.start(ClientRequest::get("/stream")))
        .await
        .unwrap();
    let other = tokio::spawn({
        let mux = mux.clone();
        async move { mux.send(ClientRequest::get("/sleep")).await }
    });
    assert!(bounded(stream.next_chunk()).await.unwrap().is_some());
    bounded(stream.abort()).await.unwrap();
    assert_eq!(bounded(other).await.unwrap().unwrap().text(), "slept");
    let response = bounded(mux.send(ClientRequest::get("/hello?mux")))
        .await
        .unwrap();
    assert_eq!(response.text(), "hello mux");
    app.stop().await;
}

async fn get_values_reports_multiplexing(app: App) {
    let mut conn = app.connect().await;
    let values = bounded(conn.get_values(&[FCGI_MPXS_CONNS, FCGI_MAX_REQS, "UNKNOWN_NAME"]))
        .await
        .unwrap();
    assert_eq!(values.get(FCGI_MPXS_CONNS), Some("1"));
    assert_eq!(values.get(FCGI_MAX_REQS), Some("64"));
    assert_eq!(values.get("UNKNOWN_NAME"), None);
    // The connection still serves requests afterwards.
    let response = bounded(conn.send(ClientRequest::get("/hello")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let mux = conn.into_multiplexed();
    let values = bounded(mux.get_values(&[FCGI_MPXS_CONNS])).await.unwrap();
    assert_eq!(values.get(FCGI_MPXS_CONNS), Some("1"));
    app.stop().await;
}

async fn server_closing_mid_response_is_an_error_not_a_hang(app: App) {
    let mut conn = app.connect().await;
    let mut stream = bounded(conn.start(ClientRequest::get("/hang")))
        .await
        .unwrap();
    assert_eq!(
        bounded(stream.next_chunk()).await.unwrap().as_deref(),
        Some(&b"partial"[..])
    );
    // Shutdown cancels the hanging request after the grace period and
    // drops its connection.
    app.server.shutdown();
    let err = bounded(stream.next_chunk()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::ConnectionClosed {
                request_id: Some(1),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("before request 1 ended"), "{err}");
    drop(stream);
    // The connection is unusable from then on, with the same kind of error.
    let again = bounded(conn.send(ClientRequest::get("/hello")))
        .await
        .unwrap_err();
    assert!(again.is_connection_error(), "{again}");
    bounded(app.server.finished()).await.unwrap();
}

async fn server_closing_mid_response_fails_every_multiplexed_request(app: App) {
    let mux = app.connect().await.into_multiplexed();
    let mut hanging = Vec::new();
    for _ in 0..3 {
        let mut stream = bounded(mux.start(ClientRequest::get("/hang")))
            .await
            .unwrap();
        assert!(bounded(stream.next_chunk()).await.unwrap().is_some());
        hanging.push(stream);
    }
    app.server.shutdown();
    for mut stream in hanging {
        let err = bounded(stream.next_chunk()).await.unwrap_err();
        assert!(matches!(err, ClientError::ConnectionClosed { .. }), "{err}");
    }
    let err = bounded(mux.send(ClientRequest::get("/hello")))
        .await
        .unwrap_err();
    assert!(err.is_connection_error(), "{err}");
    bounded(app.server.finished()).await.unwrap();
}

async fn without_keep_conn_the_server_closes_after_the_request(app: App) {
    let mut conn = app.connect().await;
    let response = bounded(conn.send(ClientRequest::get("/hello?once").keep_conn(false)))
        .await
        .unwrap();
    assert_eq!(response.text(), "hello once");
    let err = bounded(conn.send(ClientRequest::get("/hello")))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::ConnectionClosed { .. }), "{err}");
    // Close our side first, or the server waits for it when stopping.
    drop(conn);
    app.stop().await;
}

async fn refusals_are_rejected_errors(app: App) {
    let mux = app.connect().await.into_multiplexed();
    let first = bounded(mux.start(ClientRequest::get("/sleep")))
        .await
        .unwrap();
    let err = bounded(mux.send(ClientRequest::get("/hello")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                protocol_status: ProtocolStatus::CantMpxConn,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("FCGI_CANT_MPX_CONN"), "{err}");
    assert_eq!(bounded(first.collect()).await.unwrap().text(), "slept");
    app.stop().await;
}

/// Runs each test body against a server on 127.0.0.1 (`NAME::tcp`) and one
/// on a unix socket in a temporary directory (`NAME::unix`), optionally
/// configured.
macro_rules! tcp_and_unix {
    (@configure) => { |server: Server| server };
    (@configure $configure:expr) => { $configure };
    ($($body:ident $(with $configure:expr)?;)*) => {$(
        mod $body {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn tcp() {
                super::$body(App::tcp_with(tcp_and_unix!(@configure $($configure)?))).await;
            }

            #[tokio::test]
            async fn unix() {
                let configure = tcp_and_unix!(@configure $($configure)?);
                super::$body(App::unix_with(stringify!($body), configure)).await;
            }
        }
    )*};
}

tcp_and_unix! {
    simple_get;
    post_echoes_a_5_mib_body;
    streamed_upload_is_echoed_while_it_is_written;
    keep_alive_serves_100_sequential_requests_on_one_connection;
    twenty_multiplexed_requests_run_concurrently;
    abort_mid_stream_then_the_connection_serves_another_request;
    get_values_reports_multiplexing;
    server_closing_mid_response_is_an_error_not_a_hang
        with |server: Server| server.grace_period(Duration::from_millis(100));
    server_closing_mid_response_fails_every_multiplexed_request
        with |server: Server| server.grace_period(Duration::from_millis(100));
    without_keep_conn_the_server_closes_after_the_request;
    refusals_are_rejected_errors with |server: Server| server.multiplexing(false);
}

#[tokio::test]
async fn connection_refused_says_what_to_check() {
    // Bind then drop a listener so nothing listens on the port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let err = bounded(Connection::connect(&addr)).await.unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains(&addr), "{message}");
    assert!(message.contains("listening"), "{message}");

    let err = bounded(MultiplexedConnection::connect(
        "unix:/nonexistent/fcgi.sock",
    ))
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no socket file"), "{err}");

    let err = bounded(Connection::connect("localhost")).await.unwrap_err();
    assert!(matches!(err, ClientError::InvalidAddress { .. }), "{err}");
}

/// Spec §3.3: "While a request ID R is inactive, the application ignores
/// records with requestId == R". A multiplexing client keeps sending the
/// body records it had queued until it reads END_REQUEST, so late STDIN for
/// ended requests is normal.
#[tokio::test]
async fn late_body_records_of_many_ended_requests_are_ignored() {
    let app = App::start(
        Server::bind("127.0.0.1:0").unwrap(),
        from_fn(|_: Request| async { "body not read" }),
    );
    let mux = app.connect().await.into_multiplexed();
    let body = Bytes::from(vec![7u8; 512 * 1024]);
    let requests: Vec<_> = (0..40)
        .map(|_| {
            let mux = mux.clone();
            let body = body.clone();
            tokio::spawn(async move { mux.send(ClientRequest::post("/", "x/y", body)).await })
        })
        .collect();
    for request in requests {
        assert_eq!(
            bounded(request).await.unwrap().unwrap().text(),
            "body not read"
        );
    }
    // The connection must still be usable.
    let after = bounded(mux.send(ClientRequest::get("/"))).await;
    assert!(after.is_ok(), "{after:?}");
    app.stop().await;
}

/// The same as raw records: nine requests end without their bodies being
/// read, then a late STDIN for the first arrives.
#[tokio::test]
async fn late_stdin_after_nine_ended_requests_is_ignored() {
    use bytes::BytesMut;
    use fastcgi_core::protocol::{self, FCGI_KEEP_CONN, Record, RecordDecoder, Role, StreamType};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = App::tcp();
    let mut socket = bounded(tokio::net::TcpStream::connect(&app.addr))
        .await
        .unwrap();
    let mut decoder = RecordDecoder::new();
    let mut out = BytesMut::new();
    let params = [("SCRIPT_NAME", "/hello")].into_iter().collect();
    for id in 1..=9 {
        protocol::encode_begin_request(&mut out, id, Role::Responder, FCGI_KEEP_CONN);
        protocol::encode_params(&mut out, id, &params);
        protocol::encode_stream_end(&mut out, StreamType::Params, id);
    }
    socket.write_all(&out).await.unwrap();
    let mut wait_for_ends = async |mut ends: usize, socket: &mut tokio::net::TcpStream| {
        let mut buf = vec![0u8; 64 * 1024];
        while ends > 0 {
            let n = bounded(socket.read(&mut buf)).await.unwrap();
            assert!(n > 0, "the server closed the connection");
            decoder.feed(&buf[..n]);
            while let Some(record) = decoder.next_record().unwrap() {
                if matches!(record, Record::EndRequest { .. }) {
                    ends -= 1;
                }
            }
        }
    };
    wait_for_ends(9, &mut socket).await;
    // A late body record for request 1, then a new request.
    let mut out = BytesMut::new();
    protocol::encode_stream(&mut out, StreamType::Stdin, 1, b"late");
    protocol::encode_begin_request(&mut out, 10, Role::Responder, FCGI_KEEP_CONN);
    protocol::encode_params(&mut out, 10, &params);
    protocol::encode_stream_end(&mut out, StreamType::Params, 10);
    protocol::encode_stream_end(&mut out, StreamType::Stdin, 10);
    socket.write_all(&out).await.unwrap();
    wait_for_ends(1, &mut socket).await;
    app.stop().await;
}
