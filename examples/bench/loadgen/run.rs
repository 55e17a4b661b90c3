//! The run: connections, workers, the progress line, and what each
//! worker measured.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fastcgi::client::{ClientError, ClientRequest, Connection, MultiplexedConnection};
use fastcgi::client::{RequestBody, ResponseStream};

use crate::histogram::Histogram;
use crate::options::Options;

/// How long requests still in flight when the run ends may take to finish.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// What every worker shares: the clock, the counters the progress line
/// reads, the error tally.
pub(crate) struct Run {
    pub(crate) options: Options,
    pub(crate) target: Target,
    /// The request body (shared by every request, cloned by reference count).
    pub(crate) body: Option<Bytes>,
    /// The body every response must have.
    pub(crate) expected: Option<Bytes>,
    pub(crate) start: Instant,
    pub(crate) measure_from: Instant,
    pub(crate) deadline: Option<Instant>,
    /// Requests handed out (for `-n`).
    pub(crate) issued: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) stop: AtomicBool,
    pub(crate) errors: Mutex<BTreeMap<String, u64>>,
}

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Target {
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        if let Some(path) = value.strip_prefix("unix:") {
            return Ok(Target::Unix(PathBuf::from(path)));
        }
        use std::net::ToSocketAddrs;
        value
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .map(Target::Tcp)
            .ok_or_else(|| format!("--connect {value:?}: not HOST:PORT or unix:/path"))
    }
}

/// What one worker measured.
pub(crate) struct Tally {
    pub(crate) latency: Histogram,
    /// Answered within the measured window (for requests/s).
    pub(crate) in_window: u64,
    /// Answered after the warm-up (their latency is in the histogram).
    pub(crate) answered: u64,
    pub(crate) errors: u64,
    pub(crate) body_bytes: u64,
    /// Connections (or, with `--no-keep-conn`, connection slots) with at
    /// least one answer in the measured window: a server that serves some
    /// connections and leaves others waiting shows it here, since the
    /// waiting ones add next to nothing to the latency percentiles.
    pub(crate) served_connections: u64,
}

impl Tally {
    pub(crate) fn new() -> Self {
        Self {
            latency: Histogram::new(),
            in_window: 0,
            answered: 0,
            errors: 0,
            body_bytes: 0,
            served_connections: 0,
        }
    }

    pub(crate) fn merge(&mut self, other: &Tally) {
        self.latency.merge(&other.latency);
        self.in_window += other.in_window;
        self.answered += other.answered;
        self.errors += other.errors;
        self.body_bytes += other.body_bytes;
        self.served_connections += other.served_connections;
    }
}

/// Why one request failed.
pub(crate) enum Failure {
    Client(ClientError),
    /// Status or body not as expected.
    Unexpected(String),
    TimedOut,
    /// Still unanswered `GRACE` after the end of the run.
    Unanswered,
}

impl Run {
    /// Takes a ticket for one more request, or says the run is over.
    pub(crate) fn next_request(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        if let Some(deadline) = self.deadline
            && Instant::now() >= deadline
        {
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        if let Some(limit) = self.options.requests
            && self.issued.fetch_add(1, Ordering::Relaxed) >= limit
        {
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// The request every worker sends copies of (a worker keeps its own:
    /// requests are `Send` but not `Sync`).
    pub(crate) fn template(&self) -> ClientRequest {
        let request = match &self.body {
            Some(body) => ClientRequest::post(
                &self.options.uri,
                "application/octet-stream",
                RequestBody::full(body.clone()),
            ),
            None => ClientRequest::get(&self.options.uri),
        };
        let mut request = request.keep_conn(self.options.keep_conn);
        for (name, value) in &self.options.params {
            request = request.param(name, value);
        }
        request
    }

    pub(crate) async fn connect(&self) -> Result<Connection, ClientError> {
        match &self.target {
            Target::Tcp(addr) => Connection::connect_tcp(*addr).await,
            Target::Unix(path) => Connection::connect_unix(path).await,
        }
    }

    /// When a request started at `started` gives up: after `--timeout`, or
    /// `GRACE` after the end of the run.
    pub(crate) fn give_up_at(&self, started: Instant) -> (Instant, bool) {
        let timeout = started + self.options.timeout;
        match self.deadline.map(|d| d + GRACE) {
            Some(end) if end < timeout => (end, true),
            _ => (timeout, false),
        }
    }

    /// Runs one exchange under the run's time limits.
    pub(crate) async fn timed<F>(&self, started: Instant, exchange: F) -> Result<(), Failure>
    where
        F: std::future::Future<Output = Result<(), Failure>>,
    {
        let (give_up, at_end) = self.give_up_at(started);
        match tokio::time::timeout_at(give_up.into(), exchange).await {
            Ok(result) => result,
            Err(_) if at_end => Err(Failure::Unanswered),
            Err(_) => Err(Failure::TimedOut),
        }
    }

    /// Reads a response, checking its status and body as it comes (the body
    /// is compared chunk by chunk, never gathered).
    pub(crate) async fn check(&self, mut stream: ResponseStream<'_>) -> Result<(), Failure> {
        let status = stream.head().await.map_err(Failure::Client)?.status();
        if status.as_u16() != self.options.status {
            return Err(Failure::Unexpected(format!(
                "status {status} instead of {}",
                self.options.status
            )));
        }
        let mut at = 0;
        while let Some(chunk) = stream.next_chunk().await.map_err(Failure::Client)? {
            if let Some(expected) = &self.expected {
                let end = at + chunk.len();
                if expected.get(at..end) != Some(&chunk[..]) {
                    return Err(Failure::Unexpected(format!(
                        "unexpected body (bytes {at}..{end} differ): {:?}",
                        String::from_utf8_lossy(&chunk[..chunk.len().min(60)])
                    )));
                }
            }
            at += chunk.len();
        }
        if let Some(expected) = &self.expected
            && at != expected.len()
        {
            return Err(Failure::Unexpected(format!(
                "body of {at} bytes instead of {}",
                expected.len()
            )));
        }
        Ok(())
    }

    /// Counts one finished request.
    pub(crate) fn finish(&self, tally: &mut Tally, started: Instant, result: Result<(), Failure>) {
        let message = match result {
            Ok(()) => {
                let ended = Instant::now();
                self.completed.fetch_add(1, Ordering::Relaxed);
                if ended >= self.measure_from {
                    tally.answered += 1;
                    tally.latency.record(ended - started);
                    if self.deadline.is_none_or(|deadline| ended <= deadline) {
                        tally.in_window += 1;
                        tally.body_bytes += self.options.body as u64;
                    }
                }
                return;
            }
            Err(Failure::Client(err)) => err.to_string(),
            Err(Failure::Unexpected(message)) => message,
            Err(Failure::TimedOut) => format!("no answer within {:?}", self.options.timeout),
            Err(Failure::Unanswered) => {
                format!("still unanswered {GRACE:?} after the end of the run")
            }
        };
        tally.errors += 1;
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut errors = self
            .errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *errors.entry(message).or_insert(0) += 1;
    }
}

/// A copy of `template`: a bytes body clones by reference count, only
/// the params are copied.
pub(crate) fn copy(template: &ClientRequest) -> ClientRequest {
    template.try_clone().unwrap_or_default()
}

/// One connection, one request at a time, reconnecting after a failure.
pub(crate) async fn keep_alive_worker(run: Arc<Run>) -> Tally {
    let template = run.template();
    let mut tally = Tally::new();
    let mut conn: Option<Connection> = None;
    while run.next_request() {
        let request = copy(&template);
        let started = Instant::now();
        let result = run
            .timed(started, async {
                if conn.as_ref().is_none_or(Connection::is_broken) {
                    conn = Some(run.connect().await.map_err(Failure::Client)?);
                }
                let Some(c) = conn.as_mut() else {
                    return Err(Failure::Unexpected("no connection".to_owned()));
                };
                let stream = c.start(request).await.map_err(Failure::Client)?;
                run.check(stream).await
            })
            .await;
        match &result {
            // The connection is in an unknown state: start over.
            Err(Failure::TimedOut | Failure::Unanswered) => conn = None,
            Err(Failure::Client(err)) if err.is_connection_error() => {
                conn = None;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            _ => {}
        }
        run.finish(&mut tally, started, result);
    }
    tally
}

/// A new connection for every request, closed once it is answered.
pub(crate) async fn new_connection_worker(run: Arc<Run>) -> Tally {
    let template = run.template();
    let mut tally = Tally::new();
    while run.next_request() {
        let request = copy(&template);
        let started = Instant::now();
        let result = run
            .timed(started, async {
                let mut conn = run.connect().await.map_err(Failure::Client)?;
                let stream = conn.start(request).await.map_err(Failure::Client)?;
                run.check(stream).await
            })
            .await;
        run.finish(&mut tally, started, result);
    }
    tally
}

/// One multiplexed connection with `-m` requests in flight.
pub(crate) async fn multiplexed_worker(run: Arc<Run>) -> Tally {
    let mut tally = Tally::new();
    while !run.stop.load(Ordering::Relaxed) {
        let conn = match run.connect().await {
            Ok(conn) => MultiplexedConnection::from_connection(conn),
            Err(err) => {
                run.finish(&mut tally, Instant::now(), Err(Failure::Client(err)));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let mut lanes = tokio::task::JoinSet::new();
        for _ in 0..run.options.in_flight {
            let (run, conn) = (Arc::clone(&run), conn.clone());
            lanes.spawn(async move {
                let template = run.template();
                let mut tally = Tally::new();
                while !conn.is_closed() && run.next_request() {
                    let request = copy(&template);
                    let started = Instant::now();
                    let result = run
                        .timed(started, async {
                            let stream = conn.start(request).await.map_err(Failure::Client)?;
                            run.check(stream).await
                        })
                        .await;
                    run.finish(&mut tally, started, result);
                }
                tally
            });
        }
        while let Some(lane) = lanes.join_next().await {
            if let Ok(lane) = lane {
                tally.merge(&lane);
            }
        }
        conn.close();
    }
    tally
}

pub(crate) async fn progress(run: Arc<Run>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    let mut last = 0;
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    loop {
        ticker.tick().await;
        if run.stop.load(Ordering::Relaxed) {
            break;
        }
        let done = run.completed.load(Ordering::Relaxed);
        let failed = run.failed.load(Ordering::Relaxed);
        let line = format!(
            "[{:>5.1}s] {:>9} req/s  {:>10} done  {} errors",
            run.start.elapsed().as_secs_f64(),
            done - last,
            done,
            failed
        );
        if tty {
            eprint!("\r{line}");
        } else {
            eprintln!("{line}");
        }
        last = done;
    }
    if tty {
        eprintln!();
    }
}

pub(crate) async fn run_load(run: Arc<Run>) -> (Tally, Duration) {
    let ticker = (!run.options.quiet).then(|| tokio::spawn(progress(Arc::clone(&run))));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..run.options.connections {
        let run = Arc::clone(&run);
        if !run.options.keep_conn {
            workers.spawn(new_connection_worker(run));
        } else if run.options.in_flight > 1 {
            workers.spawn(multiplexed_worker(run));
        } else {
            workers.spawn(keep_alive_worker(run));
        }
    }
    let mut total = Tally::new();
    while let Some(worker) = workers.join_next().await {
        match worker {
            Ok(tally) => {
                total.served_connections += u64::from(tally.in_window > 0);
                total.merge(&tally);
            }
            Err(err) => eprintln!("loadgen: a worker failed: {err}"),
        }
    }
    run.stop.store(true, Ordering::Relaxed);
    // Bounded by -d: measured up to the deadline (requests started before
    // it count); bounded by -n: up to the last answer.
    let end = match run.deadline {
        Some(deadline) if Instant::now() >= deadline => deadline,
        _ => Instant::now(),
    };
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    (total, end.saturating_duration_since(run.measure_from))
}
