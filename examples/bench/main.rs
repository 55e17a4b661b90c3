//! Helpers for `examples/bench/run.sh`'s memory checks (the throughput
//! figures come from the `loadgen` example):
//!
//! ```sh
//! # An app that streams N bytes (default 1 GiB) in 64 KiB chunks, for
//! # `/?n=N`, listening where `Server::from_env()` decides.
//! FCGI_BIND=unix:/tmp/big.sock cargo run --release --example bench -- big-response
//!
//! # A client that reads that response at 1 MiB/s for 20 s, printing the
//! # app's resident memory (from /proc/PID/status) as it goes.
//! cargo run --release --example bench -- slow-client --connect unix:/tmp/big.sock --pid PID
//!
//! # 10,000 keep-alive connections, one request each, then held idle while
//! # the app's resident memory is read.
//! cargo run --release --example bench -- idle --connect 127.0.0.1:9000 -n 10000 --pid PID
//!
//! # 10,000 connections that each send part of a request and then nothing
//! # (slowloris): the app's resident memory while they wait, and after
//! # they are gone. `--phase params` stops inside the params, `--phase
//! # body` inside the body.
//! cargo run --release --example bench -- slow-requests --connect 127.0.0.1:9000 -n 10000 --pid PID
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fastcgi::client::{ClientRequest, Connection};
use fastcgi::prelude::*;
use fastcgi::response::unfold;
use serde::Deserialize;

const USAGE: &str = "\
usage: bench big-response                       (an app: FCGI_BIND=... bench big-response)
       bench slow-client --connect ADDR --pid PID [--bytes N] [--rate BYTES_PER_S] [--seconds S]
       bench idle --connect ADDR --pid PID [-n N] [--requests-each K] [--hold S]
       bench slow-requests --connect ADDR --pid PID [-n N] [--phase params|body] [--hold S]";

/// One 64 KiB chunk, sent again and again without copying.
static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];

#[derive(Deserialize)]
#[serde(default)]
struct Size {
    n: u64,
}

impl Default for Size {
    fn default() -> Self {
        Self { n: 1 << 30 }
    }
}

/// `n` bytes (1 GiB by default), produced as fast as the web server takes
/// them: the framework holds the handler back while its output buffer is
/// full, so memory stays flat however slowly the client reads.
#[fcgi_handler]
async fn big_response(Query(size): Query<Size>) -> impl IntoResponse {
    StreamBody::new(unfold(size.n, |left| async move {
        if left == 0 {
            return None;
        }
        let len = left.min(CHUNK.len() as u64) as usize;
        let chunk = Bytes::from_static(&CHUNK[..len]);
        Some((Ok::<_, std::io::Error>(chunk), left - len as u64))
    }))
}

/// The resident set of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

struct Args(Vec<String>);

impl Args {
    fn value(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .map(String::as_str)
    }

    fn number(&self, name: &str, default: u64) -> Result<u64, String> {
        match self.value(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{name}: {v:?} is not a number")),
        }
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.value(name)
            .ok_or_else(|| format!("{name} is required"))
    }
}

/// Reads one `n`-byte response at `rate` bytes/s for at most `seconds`,
/// printing the app's RSS every second; ends with a summary line.
async fn slow_client(args: &Args) -> Result<(), String> {
    let addr = args.required("--connect")?;
    let pid = args.number("--pid", 0)? as u32;
    let bytes = args.number("--bytes", 1 << 30)?;
    let rate = args.number("--rate", 1 << 20)?.max(1);
    let seconds = args.number("--seconds", 20)?;
    let before = rss_kib(pid).ok_or("--pid: no such process")?;
    let mut conn = Connection::connect(addr).await.map_err(|e| e.to_string())?;
    let mut stream = conn
        .start(ClientRequest::get(&format!("/?n={bytes}")))
        .await
        .map_err(|e| e.to_string())?;
    let head = stream.head().await.map_err(|e| e.to_string())?;
    if head.status() != 200 {
        return Err(format!("status {}", head.status()));
    }
    let start = Instant::now();
    let (mut read, mut peak, mut next_report) = (0u64, before, 1);
    while start.elapsed() < Duration::from_secs(seconds) {
        match stream.next_chunk().await.map_err(|e| e.to_string())? {
            None => break,
            Some(chunk) => read += chunk.len() as u64,
        }
        // Hold the pace: sleep until the bytes read so far are due.
        let due = Duration::from_secs_f64(read as f64 / rate as f64);
        if let Some(ahead) = due.checked_sub(start.elapsed()) {
            tokio::time::sleep(ahead).await;
        }
        let rss = rss_kib(pid).unwrap_or(0);
        peak = peak.max(rss);
        if start.elapsed() >= Duration::from_secs(next_report) {
            eprintln!(
                "[{next_report:>3}s] read {:>6.1} MiB, app RSS {:.1} MiB",
                read as f64 / 1048576.0,
                rss as f64 / 1024.0
            );
            next_report += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{{\"check\":\"slow_client\",\"bytes_read\":{read},\"seconds\":{elapsed:.1},\"read_rate_mib_s\":{:.2},\"rss_before_mib\":{:.1},\"rss_peak_mib\":{:.1}}}",
        read as f64 / 1048576.0 / elapsed,
        before as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    Ok(())
}

/// Opens `n` keep-alive connections, sends `--requests-each` requests on
/// each (default 1), holds them
/// idle for `hold` seconds and reports the app's RSS.
async fn idle(args: &Args) -> Result<(), String> {
    let addr = args.required("--connect")?;
    let pid = args.number("--pid", 0)? as u32;
    let n = args.number("-n", 10_000)?;
    let hold = args.number("--hold", 3)?;
    let each = args.number("--requests-each", 1)?.max(1);
    let before = rss_kib(pid).ok_or("--pid: no such process")?;
    let mut held = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut conn = Connection::connect(addr)
            .await
            .map_err(|e| format!("connection {i}: {e} (is `ulimit -n` high enough?)"))?;
        for _ in 0..each {
            let response = conn
                .send(ClientRequest::get("/"))
                .await
                .map_err(|e| format!("connection {i}: {e}"))?;
            if response.status() != 200 {
                return Err(format!("connection {i}: status {}", response.status()));
            }
        }
        held.push(conn);
    }
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let after = rss_kib(pid).ok_or("the app exited")?;
    // Every connection must still be open: one more request on each.
    let mut alive = 0;
    for conn in &mut held {
        if conn.send(ClientRequest::get("/")).await.is_ok() {
            alive += 1;
        }
    }
    println!(
        "{{\"check\":\"idle\",\"connections\":{n},\"requests_each\":{each},\"still_open\":{alive},\"rss_before_mib\":{:.1},\"rss_idle_mib\":{:.1},\"kib_per_connection\":{:.2}}}",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        after.saturating_sub(before) as f64 / n.max(1) as f64
    );
    Ok(())
}

/// Opens `n` connections that each send part of a request (BEGIN_REQUEST
/// and half the params, or the params and half a body record) and then
/// nothing; reports the app's RSS while they wait and after they close.
async fn slow_requests(args: &Args) -> Result<(), String> {
    use fastcgi::protocol::{self, FCGI_KEEP_CONN, Role, StreamType};
    use tokio::io::AsyncWriteExt;

    let addr = args.required("--connect")?;
    let pid = args.number("--pid", 0)? as u32;
    let n = args.number("-n", 10_000)?;
    let hold = args.number("--hold", 3)?;
    let phase = args.value("--phase").unwrap_or("params");
    // What nginx sends for a request (its stock fastcgi_params), cut in
    // the middle of a record.
    let request = ClientRequest::post("/upload", "application/octet-stream", vec![7u8; 4000]);
    let mut whole = bytes::BytesMut::new();
    protocol::encode_begin_request(&mut whole, 1, Role::Responder, FCGI_KEEP_CONN);
    let params_start = whole.len();
    protocol::encode_params(&mut whole, 1, request.params());
    let params_end = whole.len();
    protocol::encode_stream_end(&mut whole, StreamType::Params, 1);
    let body_start = whole.len();
    protocol::encode_stream(&mut whole, StreamType::Stdin, 1, &[7u8; 4000]);
    let partial = match phase {
        "params" => whole[..params_start + (params_end - params_start) / 2].to_vec(),
        "body" => whole[..body_start + 2000].to_vec(),
        other => return Err(format!("--phase: {other:?} is neither params nor body")),
    };
    let before = rss_kib(pid).ok_or("--pid: no such process")?;
    let mut held = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connection {i}: {e} (is `ulimit -n` high enough?)"))?;
        stream
            .write_all(&partial)
            .await
            .map_err(|e| format!("connection {i}: {e}"))?;
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let waiting = rss_kib(pid).ok_or("the app exited")?;
    drop(held);
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let after = rss_kib(pid).ok_or("the app exited")?;
    println!(
        "{{\"check\":\"slow_requests\",\"phase\":\"{phase}\",\"connections\":{n},\"bytes_sent_each\":{},\"rss_before_mib\":{:.1},\"rss_waiting_mib\":{:.1},\"rss_after_mib\":{:.1},\"kib_per_connection\":{:.2}}}",
        partial.len(),
        before as f64 / 1024.0,
        waiting as f64 / 1024.0,
        after as f64 / 1024.0,
        waiting.saturating_sub(before) as f64 / n.max(1) as f64
    );
    Ok(())
}

/// Runs a client on a current-thread runtime.
fn block_on(client: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(client)
}

fn main() -> ExitCode {
    let args = Args(std::env::args().skip(1).collect());
    let result = match args.0.first().map(String::as_str) {
        Some("big-response") => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string());
            runtime.and_then(|rt| {
                rt.block_on(async {
                    Server::from_env()
                        .map_err(|e| e.to_string())?
                        .serve(big_response)
                        .await
                        .map_err(|e| e.to_string())
                })
            })
        }
        Some("slow-client") => block_on(slow_client(&args)),
        Some("idle") => block_on(idle(&args)),
        Some("slow-requests") => block_on(slow_requests(&args)),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::FAILURE
        }
    }
}
