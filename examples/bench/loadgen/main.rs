//! A FastCGI load generator on `fastcgi::client`: it plays the web server,
//! sending requests to an application as fast as the application answers.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --release --example plaintext &
//! cargo run --release --example loadgen -- --connect 127.0.0.1:9000 -c 32 -d 10s
//! ```
//!
//! Each of `-c` connections keeps `-m` requests in flight (more than one
//! multiplexes them on the connection); `--no-keep-conn` opens a new
//! connection per request instead. Every request carries the params nginx's
//! stock `fastcgi_params` send. It prints a progress line every second, then
//! requests/s, latency percentiles and errors; `--json` adds one
//! machine-readable line on stdout.
//!
//! Requests/s counts the requests answered between the warm-up and the end
//! of the run; the latency percentiles also cover requests answered in the
//! grace period after it (so a server that leaves some connections waiting
//! shows them in `max`), and requests still unanswered then are errors.
//! `served` counts the connections answered at least once in the measured
//! window: a server serving 8 of 32 connections shows `8 of 32` there.
//! Response bodies are checked chunk by chunk as they arrive, never gathered.
//! Run it on a core of its own (`taskset -c 0`): a current-thread runtime
//! is the default, as one core is all it should use.
//!
//! Run `loadgen --help` for every option.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fastcgi::client::{ClientError, ClientRequest, Connection, MultiplexedConnection};
use fastcgi::client::{RequestBody, ResponseStream};

const USAGE: &str = "\
usage: loadgen --connect ADDR [options]

  --connect ADDR       HOST:PORT or unix:/path/to.sock (required)
  -c, --connections N  connections (default 32)
  -m, --in-flight M    requests in flight per connection (default 1;
                       more than 1 multiplexes them on the connection)
  -d, --duration D     run for D (10s, 500ms, 2m; default 10s unless -n)
  -n, --requests N     stop after N requests (with -d: whichever comes first)
  --warmup D           requests answered in the first D are not counted (default 0)
  --no-keep-conn       a new connection per request (FCGI_KEEP_CONN clear)
  --uri URI            request URI (default /)
  --body N             POST a body of N bytes (application/octet-stream)
  --expect TEXT        the body every response must have
  --expect-echo        every response body must equal the request body
  --status CODE        the status every response must have (default 200)
  --timeout D          a request taking longer is an error (default 10s); requests
                       still unanswered 2 s after the end of the run are errors too
  --threads N          runtime worker threads (default 1: current-thread runtime)
  --json               also print a one-line JSON summary on stdout
  -q, --quiet          no progress line
  -h, --help           this text";

/// What to run, from the command line.
#[derive(Debug, Clone)]
struct Options {
    connect: String,
    connections: usize,
    in_flight: usize,
    duration: Option<Duration>,
    requests: Option<u64>,
    warmup: Duration,
    keep_conn: bool,
    uri: String,
    body: usize,
    expect: Option<Vec<u8>>,
    expect_echo: bool,
    status: u16,
    timeout: Duration,
    threads: usize,
    json: bool,
    quiet: bool,
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(n) = value.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('m') {
        (n, 60.0)
    } else {
        (value, 1.0)
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| Duration::from_secs_f64(n * scale))
        .ok_or_else(|| format!("{value:?} is not a duration (try 10s, 500ms or 2m)"))
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        connect: String::new(),
        connections: 32,
        in_flight: 1,
        duration: None,
        requests: None,
        warmup: Duration::ZERO,
        keep_conn: true,
        uri: "/".to_owned(),
        body: 0,
        expect: None,
        expect_echo: false,
        status: 200,
        timeout: Duration::from_secs(10),
        threads: 1,
        json: false,
        quiet: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        fn number<T: std::str::FromStr>(name: &str, v: String) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("{name}: {v:?} is not a valid number"))
        }
        match flag.as_str() {
            "--connect" => options.connect = value(&flag)?,
            "-c" | "--connections" => options.connections = number(&flag, value(&flag)?)?,
            "-m" | "--in-flight" => options.in_flight = number(&flag, value(&flag)?)?,
            "-d" | "--duration" => options.duration = Some(parse_duration(&value(&flag)?)?),
            "-n" | "--requests" => options.requests = Some(number(&flag, value(&flag)?)?),
            "--warmup" => options.warmup = parse_duration(&value(&flag)?)?,
            "--no-keep-conn" => options.keep_conn = false,
            "--uri" => options.uri = value(&flag)?,
            "--body" => options.body = number(&flag, value(&flag)?)?,
            "--expect" => options.expect = Some(value(&flag)?.into_bytes()),
            "--expect-echo" => options.expect_echo = true,
            "--status" => options.status = number(&flag, value(&flag)?)?,
            "--timeout" => options.timeout = parse_duration(&value(&flag)?)?,
            "--threads" => options.threads = number(&flag, value(&flag)?)?,
            "--json" => options.json = true,
            "-q" | "--quiet" => options.quiet = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.connect.is_empty() {
        return Err("--connect ADDR is required".to_owned());
    }
    if options.connections == 0 || options.in_flight == 0 || options.threads == 0 {
        return Err("-c, -m and --threads must be at least 1".to_owned());
    }
    if !options.keep_conn && options.in_flight > 1 {
        return Err(
            "--no-keep-conn sends one request per connection: -m must be 1 (raise -c instead)"
                .to_owned(),
        );
    }
    if options.duration.is_none() && options.requests.is_none() {
        options.duration = Some(Duration::from_secs(10));
    }
    Ok(options)
}

// ----- latency histogram ---------------------------------------------

/// A log-linear histogram of nanoseconds: exact below 128 ns, then 64
/// buckets per power of two (under 1.6% error), fixed size whatever the
/// run length.
struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

const SUB_BUCKETS: u64 = 64;
const BUCKETS: usize = 64 * 64;

impl Histogram {
    fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }

    fn index(value: u64) -> usize {
        if value < 2 * SUB_BUCKETS {
            return value as usize;
        }
        let msb = 63 - u64::from(value.leading_zeros());
        let shift = msb - 6;
        (shift * SUB_BUCKETS + (value >> shift)) as usize
    }

    /// The largest value that falls in bucket `index`.
    fn upper(index: usize) -> u64 {
        let index = index as u64;
        if index < 2 * SUB_BUCKETS {
            return index;
        }
        let shift = index / SUB_BUCKETS - 1;
        let sub = index % SUB_BUCKETS + SUB_BUCKETS;
        ((sub + 1) << shift) - 1
    }

    fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        if let Some(count) = self.counts.get_mut(Self::index(nanos)) {
            *count += 1;
        }
        self.total += 1;
        self.max = self.max.max(nanos);
    }

    fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The value below which `q` (0..=1) of the samples fall, in ns.
    fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Self::upper(index).min(self.max);
            }
        }
        self.max
    }
}

// ----- the run ---------------------------------------------------------

/// How long requests still in flight when the run ends may take to finish.
const GRACE: Duration = Duration::from_secs(2);

/// What every worker shares: the clock, the counters the progress line
/// reads, the error tally.
struct Run {
    options: Options,
    target: Target,
    /// The request body (shared by every request, cloned by reference count).
    body: Option<Bytes>,
    /// The body every response must have.
    expected: Option<Bytes>,
    start: Instant,
    measure_from: Instant,
    deadline: Option<Instant>,
    /// Requests handed out (for `-n`).
    issued: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    stop: AtomicBool,
    errors: Mutex<BTreeMap<String, u64>>,
}

#[derive(Debug, Clone)]
enum Target {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Target {
    fn parse(value: &str) -> Result<Self, String> {
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
struct Tally {
    latency: Histogram,
    /// Answered within the measured window (for requests/s).
    in_window: u64,
    /// Answered after the warm-up (their latency is in the histogram).
    answered: u64,
    errors: u64,
    body_bytes: u64,
    /// Connections (or, with `--no-keep-conn`, connection slots) with at
    /// least one answer in the measured window: a server that serves some
    /// connections and leaves others waiting shows it here, since the
    /// waiting ones add next to nothing to the latency percentiles.
    served_connections: u64,
}

impl Tally {
    fn new() -> Self {
        Self {
            latency: Histogram::new(),
            in_window: 0,
            answered: 0,
            errors: 0,
            body_bytes: 0,
            served_connections: 0,
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.latency.merge(&other.latency);
        self.in_window += other.in_window;
        self.answered += other.answered;
        self.errors += other.errors;
        self.body_bytes += other.body_bytes;
        self.served_connections += other.served_connections;
    }
}

/// Why one request failed.
enum Failure {
    Client(ClientError),
    /// Status or body not as expected.
    Unexpected(String),
    TimedOut,
    /// Still unanswered `GRACE` after the end of the run.
    Unanswered,
}

impl Run {
    /// Takes a ticket for one more request, or says the run is over.
    fn next_request(&self) -> bool {
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
    fn template(&self) -> ClientRequest {
        let request = match &self.body {
            Some(body) => ClientRequest::post(
                &self.options.uri,
                "application/octet-stream",
                RequestBody::full(body.clone()),
            ),
            None => ClientRequest::get(&self.options.uri),
        };
        request.keep_conn(self.options.keep_conn)
    }

    async fn connect(&self) -> Result<Connection, ClientError> {
        match &self.target {
            Target::Tcp(addr) => Connection::connect_tcp(*addr).await,
            Target::Unix(path) => Connection::connect_unix(path).await,
        }
    }

    /// When a request started at `started` gives up: after `--timeout`, or
    /// `GRACE` after the end of the run.
    fn give_up_at(&self, started: Instant) -> (Instant, bool) {
        let timeout = started + self.options.timeout;
        match self.deadline.map(|d| d + GRACE) {
            Some(end) if end < timeout => (end, true),
            _ => (timeout, false),
        }
    }

    /// Runs one exchange under the run's time limits.
    async fn timed<F>(&self, started: Instant, exchange: F) -> Result<(), Failure>
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
    async fn check(&self, mut stream: ResponseStream<'_>) -> Result<(), Failure> {
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
    fn finish(&self, tally: &mut Tally, started: Instant, result: Result<(), Failure>) {
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
fn copy(template: &ClientRequest) -> ClientRequest {
    template.try_clone().unwrap_or_default()
}

/// One connection, one request at a time, reconnecting after a failure.
async fn keep_alive_worker(run: Arc<Run>) -> Tally {
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
async fn new_connection_worker(run: Arc<Run>) -> Tally {
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
async fn multiplexed_worker(run: Arc<Run>) -> Tally {
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

async fn progress(run: Arc<Run>) {
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

async fn run_load(run: Arc<Run>) -> (Tally, Duration) {
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

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("loadgen: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let target = match Target::parse(&options.connect) {
        Ok(target) => target,
        Err(message) => {
            eprintln!("loadgen: {message}");
            return ExitCode::from(2);
        }
    };
    let body: Option<Bytes> =
        (options.body > 0).then(|| (0..options.body).map(|i| (i % 251) as u8).collect());
    let expected = if options.expect_echo {
        Some(body.clone().unwrap_or_default())
    } else {
        options.expect.clone().map(Bytes::from)
    };

    let runtime = if options.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("loadgen: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    let run = Arc::new(Run {
        target,
        body,
        expected,
        start,
        measure_from: start + options.warmup,
        deadline: options.duration.map(|d| start + options.warmup + d),
        issued: AtomicU64::new(0),
        completed: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        errors: Mutex::new(BTreeMap::new()),
        options: options.clone(),
    });
    let (total, elapsed) = runtime.block_on(run_load(Arc::clone(&run)));
    report(&run, &total, elapsed);
    if total.errors > 0 || total.answered == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn report(run: &Run, total: &Tally, elapsed: Duration) {
    let options = &run.options;
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let rps = total.in_window as f64 / seconds;
    let us = |q: f64| total.latency.quantile(q) as f64 / 1000.0;
    let (p50, p90, p99, max) = (
        us(0.50),
        us(0.90),
        us(0.99),
        total.latency.max as f64 / 1000.0,
    );
    let body_mib_s = total.body_bytes as f64 / seconds / (1024.0 * 1024.0);
    let shape = format!(
        "{} conns x {} in flight, keep-conn {}",
        options.connections,
        options.in_flight,
        if options.keep_conn { "on" } else { "off" }
    );
    println!("target     {} ({shape})", options.connect);
    println!(
        "requests   {} in {seconds:.2}s: {rps:.0} requests/s",
        total.in_window
    );
    if options.body > 0 {
        println!(
            "body       {} bytes each: {body_mib_s:.0} MiB/s of request body",
            options.body
        );
    }
    println!("latency    p50 {p50:.0} us  p90 {p90:.0} us  p99 {p99:.0} us  max {max:.0} us");
    println!(
        "served     {} of {} connections answered in the measured window",
        total.served_connections, options.connections
    );
    println!("errors     {}", total.errors);
    let errors = run
        .errors
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (message, count) in errors.iter().take(10) {
        println!("  {count} x {message}");
    }
    if options.json {
        let summary = serde_json::json!({
            "target": options.connect,
            "connections": options.connections,
            "in_flight": options.in_flight,
            "keep_conn": options.keep_conn,
            "body_bytes": options.body,
            "requests": total.in_window,
            "errors": total.errors,
            "served_connections": total.served_connections,
            "seconds": seconds,
            "rps": rps,
            "p50_us": p50,
            "p90_us": p90,
            "p99_us": p99,
            "max_us": max,
            "body_mib_s": body_mib_s,
        });
        println!("{summary}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_round_trip() {
        for value in [0, 1, 127, 128, 129, 1000, 65_535, 1 << 40, u64::MAX / 2] {
            let index = Histogram::index(value);
            assert!(Histogram::upper(index) >= value, "{value}");
            if index > 0 {
                assert!(Histogram::upper(index - 1) < value, "{value}");
            }
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("fast").is_err());
    }
}
