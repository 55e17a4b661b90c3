//! Test support: a raw FastCGI peer that speaks records over a real socket,
//! and a server running on 127.0.0.1 or a unix socket for the test.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod app;

use std::path::PathBuf;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use fastcgi::handler::Handler;
use fastcgi::protocol::{
    self, FCGI_KEEP_CONN, Params, ProtocolStatus, Record, RecordDecoder, RecordType, Role,
    StreamType,
};
use fastcgi::server::Server;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Every wait in these tests is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(10);

/// A server serving `handler` on 127.0.0.1:0 until the test stops it:
/// the library's [`fastcgi::testing::TestServer`], with the server's logs
/// in the test's output and a raw peer to talk to it.
pub struct TestServer {
    pub addr: String,
    server: fastcgi::testing::TestServer,
}

/// Sends the server's logs to the test's captured output.
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

impl TestServer {
    pub fn start<H: Handler>(server: Server, handler: H) -> Self {
        logs();
        let server = fastcgi::testing::TestServer::start(server, handler);
        Self {
            addr: server.addr().to_owned(),
            server,
        }
    }

    pub fn tcp<H: Handler>(handler: H) -> Self {
        Self::start(Server::bind("127.0.0.1:0").unwrap(), handler)
    }

    pub async fn connect(&self) -> RawPeer<Box<dyn Stream>> {
        RawPeer::connect(&self.addr).await
    }

    /// Starts a graceful shutdown; [`finished`](Self::finished) waits for it.
    pub fn shutdown(&self) {
        self.server.shutdown();
    }

    /// Waits, bounded, until the server returned, and checks it returned `Ok`.
    pub async fn finished(self) {
        tokio::time::timeout(LIMIT, self.server.finished())
            .await
            .expect("server did not stop in time")
            .unwrap();
    }

    pub async fn stop(self) {
        self.shutdown();
        self.finished().await;
    }
}

pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A unique temporary directory for unix sockets.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fcgi-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What came back for one request.
#[derive(Debug, Default)]
pub struct RawResponse {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub app_status: u32,
    pub protocol_status: u8,
    pub stdout_ended: bool,
    /// An empty FCGI_STDERR record ended the error stream.
    pub stderr_ended: bool,
    /// Every record of the request as it came: type and content length.
    pub trail: Vec<(RecordType, usize)>,
}

impl RawResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The CGI header block and the body.
    pub fn split(&self) -> (String, Vec<u8>) {
        let text = &self.stdout;
        let end = text
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("no end of the CGI header block");
        (
            String::from_utf8_lossy(&text[..end]).into_owned(),
            text[end + 4..].to_vec(),
        )
    }

    pub fn status_line(&self) -> String {
        self.split().0.lines().next().unwrap_or("").to_owned()
    }

    pub fn body(&self) -> Vec<u8> {
        self.split().1
    }
}

/// A web server impersonator writing raw records.
pub struct RawPeer<S> {
    pub stream: S,
    decoder: RecordDecoder,
    /// Records of other requests, read while waiting for one request.
    backlog: std::collections::VecDeque<Record>,
}

impl RawPeer<Box<dyn Stream>> {
    pub async fn connect(addr: &str) -> Self {
        let stream: Box<dyn Stream> = if let Some(path) = addr.strip_prefix("unix:") {
            Box::new(tokio::net::UnixStream::connect(path).await.unwrap())
        } else {
            Box::new(tokio::net::TcpStream::connect(addr).await.unwrap())
        };
        RawPeer {
            stream,
            decoder: RecordDecoder::new(),
            backlog: Default::default(),
        }
    }
}

impl<S> RawPeer<S> {
    pub fn from_stream(stream: S) -> Self {
        RawPeer {
            stream,
            decoder: RecordDecoder::new(),
            backlog: Default::default(),
        }
    }
}

pub fn params(pairs: &[(&str, &str)]) -> Params {
    pairs.iter().copied().collect()
}

/// The records a web server sends for a request with `pairs` and `body`.
pub fn request_bytes(id: u16, keep: bool, pairs: &[(&str, &str)], body: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    let flags = if keep { FCGI_KEEP_CONN } else { 0 };
    protocol::encode_begin_request(&mut out, id, Role::Responder, flags);
    protocol::encode_params(&mut out, id, &params(pairs));
    protocol::encode_stream_end(&mut out, StreamType::Params, id);
    protocol::encode_stream(&mut out, StreamType::Stdin, id, body);
    protocol::encode_stream_end(&mut out, StreamType::Stdin, id);
    out
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawPeer<S> {
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Sends a whole request: BEGIN_REQUEST, params, body, end of streams.
    pub async fn request(&mut self, id: u16, keep: bool, pairs: &[(&str, &str)], body: &[u8]) {
        let bytes = request_bytes(id, keep, pairs, body);
        self.send(&bytes).await;
    }

    /// Sends BEGIN_REQUEST and the params only: the body follows later.
    pub async fn begin(&mut self, id: u16, role: Role, keep: bool, pairs: &[(&str, &str)]) {
        let mut out = BytesMut::new();
        let flags = if keep { FCGI_KEEP_CONN } else { 0 };
        protocol::encode_begin_request(&mut out, id, role, flags);
        protocol::encode_params(&mut out, id, &params(pairs));
        protocol::encode_stream_end(&mut out, StreamType::Params, id);
        self.send(&out).await;
    }

    pub async fn stdin(&mut self, id: u16, data: &[u8]) {
        let mut out = BytesMut::new();
        if data.is_empty() {
            protocol::encode_stream_end(&mut out, StreamType::Stdin, id);
        } else {
            protocol::encode_stream(&mut out, StreamType::Stdin, id, data);
        }
        self.send(&out).await;
    }

    pub async fn abort(&mut self, id: u16) {
        let mut out = BytesMut::new();
        protocol::encode_abort_request(&mut out, id);
        self.send(&out).await;
    }

    /// The next record, or `None` when the server closed the connection.
    pub async fn record(&mut self) -> Option<Record> {
        tokio::time::timeout(LIMIT, async {
            loop {
                if let Some(record) = self.decoder.next_record().expect("server sent bad records") {
                    return Some(record);
                }
                let mut chunk = [0u8; 65536];
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => self.decoder.feed(&chunk[..n]),
                }
            }
        })
        .await
        .expect("no record from the server in time")
    }

    /// Reads records until END_REQUEST for `id`; records of other
    /// requests are kept for later calls.
    pub async fn response(&mut self, id: u16) -> RawResponse {
        let mut response = RawResponse::default();
        loop {
            let record = match self.backlog.iter().position(|r| r.request_id() == id) {
                Some(index) => self.backlog.remove(index).unwrap(),
                None => self
                    .record()
                    .await
                    .unwrap_or_else(|| panic!("connection closed before END_REQUEST of {id}")),
            };
            if record.request_id() != id {
                self.backlog.push_back(record);
                continue;
            }
            let record_type = RecordType::from_u8(record.record_type()).unwrap();
            response
                .trail
                .push((record_type, record.stream_content().map_or(0, Bytes::len)));
            match record {
                // A stream ends once (spec §3.3): nothing may follow its end.
                Record::Stdout { .. } | Record::Stderr { .. }
                    if (response.stdout_ended && record_type == RecordType::Stdout)
                        || (response.stderr_ended && record_type == RecordType::Stderr) =>
                {
                    panic!("{record_type:?} of request {id} after the end of that stream")
                }
                Record::Stdout { content, .. } if content.is_empty() => {
                    response.stdout_ended = true
                }
                Record::Stdout { content, .. } => response.stdout.extend_from_slice(&content),
                Record::Stderr { content, .. } if content.is_empty() => {
                    response.stderr_ended = true
                }
                Record::Stderr { content, .. } => response.stderr.extend_from_slice(&content),
                Record::EndRequest {
                    app_status,
                    protocol_status,
                    ..
                } => {
                    response.app_status = app_status;
                    response.protocol_status = protocol_status;
                    return response;
                }
                other => panic!("unexpected record {other:?}"),
            }
        }
    }

    /// Records read but not yet claimed by [`response`](Self::response).
    pub fn take_backlog(&mut self) -> Vec<Record> {
        self.backlog.drain(..).collect()
    }

    /// Whether the server closed the connection (reads EOF or reset) within
    /// the limit, discarding anything else it sends.
    pub async fn closed(&mut self) -> bool {
        tokio::time::timeout(LIMIT, async {
            let mut chunk = [0u8; 65536];
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                }
            }
        })
        .await
        .unwrap_or(false)
    }
}

pub fn complete() -> u8 {
    ProtocolStatus::RequestComplete as u8
}

pub fn bytes(b: &'static [u8]) -> Bytes {
    Bytes::from_static(b)
}

/// The path of a built example (`cargo test` builds every example first).
pub fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build --example {name}`",
        path.display()
    );
    path
}

/// Kills a child process when dropped, so a failing test leaves nothing
/// running.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An example app started on a unix socket of its own, killed on drop.
pub struct ExampleApp {
    pub socket: PathBuf,
    pub dir: PathBuf,
    _child: ChildGuard,
}

impl ExampleApp {
    pub async fn start(name: &str, env: &[(&str, &str)]) -> Self {
        let dir = temp_dir(&format!("example-{name}"));
        let socket = dir.join("app.sock");
        let mut command = std::process::Command::new(example_path(name));
        command
            .env("FCGI_BIND", format!("unix:{}", socket.display()))
            .env_remove("LISTEN_FDS")
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let child = ChildGuard(command.spawn().unwrap());
        for _ in 0..200 {
            if tokio::net::UnixStream::connect(&socket).await.is_ok() {
                return Self {
                    socket,
                    dir,
                    _child: child,
                };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "example {name} did not start listening on {}",
            socket.display()
        );
    }

    pub async fn connect(&self) -> RawPeer<tokio::net::UnixStream> {
        RawPeer::from_stream(tokio::net::UnixStream::connect(&self.socket).await.unwrap())
    }

    /// The app's resident memory now, in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self._child.0.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// One request on a fresh connection.
    pub async fn get(&self, pairs: &[(&str, &str)], body: &[u8]) -> RawResponse {
        let mut peer = self.connect().await;
        peer.request(1, true, pairs, body).await;
        peer.response(1).await
    }
}

impl Drop for ExampleApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
