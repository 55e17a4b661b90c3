//! The conformance app every implementation answers to
//! (`shared/echo-contract.md`): test suites, ours and others', drive it.
//!
//! It listens where `Server::from_env()` decides: `FCGI_BIND=127.0.0.1:9000`
//! or `FCGI_BIND=unix:/path`, systemd socket activation, or a listening
//! socket on fd 0. What it answers depends on the query's `mode`:
//!
//! | mode | response |
//! | --- | --- |
//! | `env` or absent | the params as a JSON object |
//! | `body` | the request body, verbatim |
//! | `bytes&n=N` | N bytes, byte i = i % 251, produced as they are sent |
//! | `sleep&ms=M` | `slept M` after M ms, without blocking other requests |
//! | `stream&n=K&ms=M` | K NDJSON lines `{"i":I}`, M ms apart, each flushed; stops when aborted |
//! | `stderr&msg=S` | writes S to FCGI_STDERR, answers `ok` |
//! | `redirect&to=T` | a local redirect for a path, a 302 client redirect for a URL |
//! | `status&code=C` | status C with a text body |
//! | `panic` | the handler panics: 500, and the app keeps serving |
//! | `json` | `{"name":"echo","n":3,"tags":["a","b"]}` from a typed value |
//! | `sse&n=K&ms=M` | K Server-Sent Events `data: {"i":I}` with `id: I`, M ms apart; stops when aborted |
//! | `file&path=P` | the file P under `DOCUMENT_ROOT` (404 when missing, a directory or outside), with Range and conditional requests; `ECHO_OFFLOAD` hands it to the web server |
//! | `server-status` | the framework's status endpoint as JSON, with `in_flight` |
//!
//! Read at start-up: `ECHO_REQUEST_TIMEOUT_MS` (the request timeout),
//! `ECHO_SLOW_MS` (the slow-request log, on stderr), `ECHO_ACCESS_LOG=1`
//! (the access log in the combined format plus the duration, on stderr),
//! `ECHO_OFFLOAD=nginx:PREFIX` or `ECHO_OFFLOAD=x-sendfile` (`file` answers
//! with `X-Accel-Redirect: PREFIX` + P, or `X-Sendfile:` its path).

use std::convert::Infallible;
use std::sync::LazyLock;
use std::time::Duration;

use bytes::Bytes;
use fastcgi::access_log::CombinedLogFormat;
use fastcgi::file::{NamedFile, Offload};
use fastcgi::handler::{Handler, from_fn};
use fastcgi::prelude::*;
use fastcgi::response::{Event, Sse, Stderr, StreamBody, unfold};
use fastcgi::status::StatusHandler;
use serde::{Deserialize, Serialize};

/// The query string, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EchoQuery {
    mode: Option<String>,
    n: u64,
    ms: u64,
    msg: String,
    to: String,
    code: u16,
    path: String,
}

#[derive(Serialize)]
struct Typed {
    name: &'static str,
    n: u32,
    tags: [&'static str; 2],
}

#[derive(Serialize)]
struct Line {
    i: u64,
}

/// Answers according to the contract's `mode`.
#[fcgi_handler]
async fn echo(
    Query(q): Query<EchoQuery>,
    environ: Environ,
    abort: AbortSignal,
    stderr: Stderr,
    body: Body,
) -> Response {
    match q.mode.as_deref().unwrap_or("env") {
        "env" => Json(environ).into_response(),
        "body" => match body.to_bytes(usize::MAX).await {
            Ok(bytes) => bytes.into_response(),
            Err(err) => (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
        },
        "bytes" => pattern_bytes(q.n),
        "sleep" => {
            tokio::time::sleep(Duration::from_millis(q.ms)).await;
            format!("slept {}", q.ms).into_response()
        }
        "stream" => {
            let (count, pause) = (q.n, Duration::from_millis(q.ms));
            Ndjson(fastcgi::response::unfold(0, move |i| {
                let abort = abort.clone();
                async move {
                    if i >= count || abort.is_aborted() {
                        return None;
                    }
                    if i > 0 {
                        tokio::time::sleep(pause).await;
                    }
                    Some((Line { i }, i + 1))
                }
            }))
            .into_response()
        }
        "sse" => {
            let (count, pause) = (q.n, Duration::from_millis(q.ms));
            Sse::new(unfold(0, move |i| {
                let abort = abort.clone();
                async move {
                    if i >= count || abort.is_aborted() {
                        return None;
                    }
                    if i > 0 {
                        tokio::time::sleep(pause).await;
                    }
                    let event = Event::json(&Line { i }).ok()?.id(i.to_string());
                    Some((event, i + 1))
                }
            }))
            .keep_alive(Duration::from_secs(15))
            .into_response()
        }
        "file" => {
            let root = environ.get("DOCUMENT_ROOT").unwrap_or("");
            // The contract: P is relative to DOCUMENT_ROOT; an absolute P is
            // refused rather than read as root-relative.
            if q.path.starts_with('/') || root.is_empty() {
                return (StatusCode::NOT_FOUND, "Not Found\n").into_response();
            }
            match NamedFile::open(root, &q.path) {
                Ok(file) => file.offload(OFFLOAD.clone()).respond(&environ),
                Err(err) => err.into_response(),
            }
        }
        "stderr" => match stderr.write(&q.msg).await {
            Ok(()) => "ok".into_response(),
            Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
        },
        "redirect" => Redirect::to(&q.to).into_response(),
        "status" => match StatusCode::from_u16(q.code) {
            Ok(code) => (code, format!("status {}\n", code.as_u16())).into_response(),
            Err(_) => (StatusCode::BAD_REQUEST, "code must be 100..=999\n").into_response(),
        },
        "panic" => panic!("echo: panic requested"),
        "json" => Json(Typed {
            name: "echo",
            n: 3,
            tags: ["a", "b"],
        })
        .into_response(),
        other => (StatusCode::NOT_FOUND, format!("unknown mode {other:?}\n")).into_response(),
    }
}

/// `ECHO_OFFLOAD`: who sends the files of `mode=file`.
static OFFLOAD: LazyLock<Option<Offload>> = LazyLock::new(|| {
    let value = std::env::var("ECHO_OFFLOAD").ok()?;
    if value == "x-sendfile" {
        return Some(Offload::XSendfile);
    }
    match value.strip_prefix("nginx:") {
        Some(prefix) => Some(Offload::XAccelRedirect {
            prefix: prefix.to_owned(),
        }),
        None => {
            eprintln!("echo: ignoring ECHO_OFFLOAD={value:?}: expected nginx:PREFIX or x-sendfile");
            None
        }
    }
});

/// Byte i of `mode=bytes` is i % 251: this pattern holds 261 periods
/// (65,511 bytes, just under the 64 KiB of a FastCGI record) plus one
/// more, so every chunk is a slice of it, whatever the chunk's offset.
static PATTERN: LazyLock<Bytes> = LazyLock::new(|| {
    (0..PERIODS_PER_CHUNK * 251 + 251)
        .map(|i| (i % 251) as u8)
        .collect()
});
const PERIODS_PER_CHUNK: usize = 261;
const CHUNK: u64 = (PERIODS_PER_CHUNK * 251) as u64;

/// `n` bytes of the pattern, produced as they are sent: one chunk at a
/// time, each made when the web server has taken the previous ones, so a
/// response of any size costs about one output buffer of memory, even for
/// a client that reads slowly or not at all. A chunk is a slice of
/// [`PATTERN`]: nothing is allocated or copied per chunk.
fn pattern_bytes(n: u64) -> Response {
    let chunks = unfold(0u64, move |sent| async move {
        if sent >= n {
            return None;
        }
        let len = (n - sent).min(CHUNK);
        let start = (sent % 251) as usize;
        let chunk = PATTERN.slice(start..start + len as usize);
        Some((Ok::<_, Infallible>(chunk), sent + len))
    });
    let mut response = StreamBody::new(chunks).into_response();
    response
        .headers_mut()
        .insert(http::header::CONTENT_LENGTH, n.into());
    response
}

/// A number of milliseconds from the environment.
fn env_ms(name: &str) -> Option<Duration> {
    let value = std::env::var(name).ok()?;
    match value.parse() {
        Ok(ms) => Some(Duration::from_millis(ms)),
        Err(_) => {
            eprintln!("echo: ignoring {name}={value:?}: expected a number of milliseconds");
            None
        }
    }
}

/// Warnings (the slow-request log among them) on stderr; with
/// `ECHO_ACCESS_LOG=1`, the access log too.
fn init_logs() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt;
    let access = std::env::var("ECHO_ACCESS_LOG")
        .is_ok_and(|v| v == "1")
        .then(|| CombinedLogFormat::stderr().with_duration());
    let warnings = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(tracing_subscriber::filter::LevelFilter::WARN);
    let subscriber = tracing_subscriber::registry().with(warnings).with(access);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    init_logs();
    LazyLock::force(&OFFLOAD);
    let mut server = Server::from_env()?;
    if let Some(limit) = env_ms("ECHO_REQUEST_TIMEOUT_MS") {
        server = server.request_timeout(limit);
    }
    if let Some(threshold) = env_ms("ECHO_SLOW_MS") {
        server = server.slow_request_log(threshold);
    }
    let status = StatusHandler::new(server.metrics());
    let app = from_fn(move |request: Request| {
        let status = status.clone();
        async move {
            let wants_status = request
                .environ()
                .query_string()
                .split('&')
                .any(|pair| pair == "mode=server-status");
            if wants_status {
                status.call(request).await
            } else {
                echo.call(request).await
            }
        }
    });
    server.serve(app).await
}
