//! Counters of what a server has done, for health checks and monitoring.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::in_flight::{InFlightRequest, Registry};

/// Live counters of a [`Server`](super::Server): connections, requests,
/// refusals, protocol errors and panics. Cheap to clone; every clone reads
/// the same counters. Get it with
/// [`Server::metrics`](super::Server::metrics) and serve it with
/// [`StatusHandler`](crate::status::StatusHandler).
#[derive(Debug, Clone)]
pub struct Metrics {
    counters: Arc<Counters>,
    pub(crate) in_flight: Arc<Registry>,
}

/// Upper bounds of the request-duration histogram's buckets, in
/// microseconds: Prometheus's default buckets, 5 ms to 10 s.
const DURATION_BOUNDS_US: [u64; 11] = [
    5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
    10_000_000,
];

#[derive(Debug)]
struct Counters {
    started: Instant,
    connections_opened: AtomicU64,
    connections_closed: AtomicU64,
    requests_started: AtomicU64,
    requests_finished: AtomicU64,
    requests_refused: AtomicU64,
    protocol_errors: AtomicU64,
    records_ignored: AtomicU64,
    body_timeouts: AtomicU64,
    panics: AtomicU64,
    peers_rejected: AtomicU64,
    request_timeouts: AtomicU64,
    slow_requests: AtomicU64,
    /// Finished requests per duration bucket (the last: over 10 s).
    duration_buckets: [AtomicU64; DURATION_BOUNDS_US.len() + 1],
    duration_sum_us: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            counters: Arc::new(Counters {
                started: Instant::now(),
                connections_opened: AtomicU64::new(0),
                connections_closed: AtomicU64::new(0),
                requests_started: AtomicU64::new(0),
                requests_finished: AtomicU64::new(0),
                requests_refused: AtomicU64::new(0),
                protocol_errors: AtomicU64::new(0),
                records_ignored: AtomicU64::new(0),
                body_timeouts: AtomicU64::new(0),
                panics: AtomicU64::new(0),
                peers_rejected: AtomicU64::new(0),
                request_timeouts: AtomicU64::new(0),
                slow_requests: AtomicU64::new(0),
                duration_buckets: Default::default(),
                duration_sum_us: AtomicU64::new(0),
            }),
            in_flight: Arc::default(),
        }
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MetricsSnapshot {
    /// Seconds since the server was built.
    pub uptime_seconds: u64,
    /// Connections accepted so far.
    pub connections_total: u64,
    /// Connections open now.
    pub connections_active: u64,
    /// Requests whose handler started.
    pub requests_total: u64,
    /// Requests being handled now.
    pub requests_active: u64,
    /// Requests refused with FCGI_OVERLOADED, FCGI_CANT_MPX_CONN or
    /// FCGI_UNKNOWN_ROLE.
    pub requests_refused: u64,
    /// Connections closed because the peer broke the protocol.
    pub protocol_errors: u64,
    /// Records ignored because their request id had no active request
    /// (spec §3.3): late STDIN of a request that ended, an ABORT that
    /// crossed END_REQUEST, or records for an id never begun.
    pub records_ignored: u64,
    /// Requests ended because their body stopped arriving for the body
    /// timeout.
    pub body_timeouts: u64,
    /// Handlers that panicked (each answered 500).
    pub panics: u64,
    /// TCP peers refused by FCGI_WEB_SERVER_ADDRS.
    pub peers_rejected: u64,
    /// Requests cancelled for running over their time limit
    /// ([`Server::request_timeout`](super::Server::request_timeout) or a
    /// route's).
    pub request_timeouts: u64,
    /// Requests that ran past
    /// [`Server::slow_request_log`](super::Server::slow_request_log).
    pub slow_requests: u64,
}

impl Metrics {
    /// Reads every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let c = &self.counters;
        let opened = c.connections_opened.load(Relaxed);
        let closed = c.connections_closed.load(Relaxed);
        let started = c.requests_started.load(Relaxed);
        let finished = c.requests_finished.load(Relaxed);
        MetricsSnapshot {
            uptime_seconds: c.started.elapsed().as_secs(),
            connections_total: opened,
            connections_active: opened.saturating_sub(closed),
            requests_total: started,
            requests_active: started.saturating_sub(finished),
            requests_refused: c.requests_refused.load(Relaxed),
            protocol_errors: c.protocol_errors.load(Relaxed),
            records_ignored: c.records_ignored.load(Relaxed),
            body_timeouts: c.body_timeouts.load(Relaxed),
            panics: c.panics.load(Relaxed),
            peers_rejected: c.peers_rejected.load(Relaxed),
            request_timeouts: c.request_timeouts.load(Relaxed),
            slow_requests: c.slow_requests.load(Relaxed),
        }
    }

    /// The requests being served now, oldest first: those still running
    /// when their connection last paused (a request begun and finished
    /// in one wake-up of its connection, microseconds, is never listed).
    pub fn in_flight(&self) -> Vec<InFlightRequest> {
        self.in_flight.snapshot()
    }

    /// The request-duration histogram in the Prometheus text format
    /// (`fastcgi_request_duration_seconds`, from BEGIN_REQUEST to
    /// END_REQUEST, measured to the connection's wake-up).
    pub fn duration_histogram_prometheus(&self) -> String {
        let c = &self.counters;
        let mut text = String::with_capacity(1024);
        text.push_str("# HELP fastcgi_request_duration_seconds Time from BEGIN_REQUEST to END_REQUEST.\n# TYPE fastcgi_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (index, bucket) in c.duration_buckets.iter().enumerate() {
            cumulative += bucket.load(Relaxed);
            let le = DURATION_BOUNDS_US
                .get(index)
                .map_or_else(|| "+Inf".to_owned(), |us| format!("{}", *us as f64 / 1e6));
            text.push_str(&format!(
                "fastcgi_request_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}\n"
            ));
        }
        let sum = c.duration_sum_us.load(Relaxed) as f64 / 1e6;
        text.push_str(&format!(
            "fastcgi_request_duration_seconds_sum {sum}\nfastcgi_request_duration_seconds_count {cumulative}\n"
        ));
        text
    }

    /// A finished request took `elapsed`.
    pub(crate) fn request_took(&self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = DURATION_BOUNDS_US
            .iter()
            .position(|bound| us <= *bound)
            .unwrap_or(DURATION_BOUNDS_US.len());
        let c = &self.counters;
        c.duration_buckets[bucket].fetch_add(1, Relaxed);
        c.duration_sum_us.fetch_add(us, Relaxed);
    }

    pub(crate) fn request_timed_out(&self) {
        self.counters.request_timeouts.fetch_add(1, Relaxed);
    }

    pub(crate) fn request_slow(&self) {
        self.counters.slow_requests.fetch_add(1, Relaxed);
    }

    pub(crate) fn connection_opened(&self) {
        self.counters.connections_opened.fetch_add(1, Relaxed);
    }

    pub(crate) fn connection_closed(&self) {
        self.counters.connections_closed.fetch_add(1, Relaxed);
    }

    pub(crate) fn request_started(&self) {
        self.counters.requests_started.fetch_add(1, Relaxed);
    }

    pub(crate) fn requests_finished(&self, n: u64) {
        self.counters.requests_finished.fetch_add(n, Relaxed);
    }

    pub(crate) fn request_refused(&self) {
        self.counters.requests_refused.fetch_add(1, Relaxed);
    }

    pub(crate) fn protocol_error(&self) {
        self.counters.protocol_errors.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_ignored(&self) {
        self.counters.records_ignored.fetch_add(1, Relaxed);
    }

    pub(crate) fn body_timed_out(&self) {
        self.counters.body_timeouts.fetch_add(1, Relaxed);
    }

    pub(crate) fn panicked(&self) {
        self.counters.panics.fetch_add(1, Relaxed);
    }

    pub(crate) fn peer_rejected(&self) {
        self.counters.peers_rejected.fetch_add(1, Relaxed);
    }
}

impl MetricsSnapshot {
    /// The counters in the Prometheus text exposition format, each metric
    /// named `fastcgi_*` with its HELP and TYPE lines.
    ///
    /// ```
    /// use fastcgi::server::Metrics;
    /// let text = Metrics::default().snapshot().to_prometheus();
    /// assert!(text.contains("# TYPE fastcgi_requests_total counter\nfastcgi_requests_total 0\n"));
    /// ```
    pub fn to_prometheus(&self) -> String {
        let metrics: [(&str, &str, &str, u64); 13] = [
            (
                "uptime_seconds",
                "gauge",
                "Seconds since the server started.",
                self.uptime_seconds,
            ),
            (
                "connections_total",
                "counter",
                "Connections accepted.",
                self.connections_total,
            ),
            (
                "connections_active",
                "gauge",
                "Connections open now.",
                self.connections_active,
            ),
            (
                "requests_total",
                "counter",
                "Requests whose handler started.",
                self.requests_total,
            ),
            (
                "requests_active",
                "gauge",
                "Requests being handled now.",
                self.requests_active,
            ),
            (
                "requests_refused_total",
                "counter",
                "Requests refused (overloaded, no multiplexing, unknown role).",
                self.requests_refused,
            ),
            (
                "protocol_errors_total",
                "counter",
                "Connections closed for breaking the FastCGI protocol.",
                self.protocol_errors,
            ),
            (
                "records_ignored_total",
                "counter",
                "Records ignored for a request id with no active request.",
                self.records_ignored,
            ),
            (
                "body_timeouts_total",
                "counter",
                "Requests ended because their body stopped arriving.",
                self.body_timeouts,
            ),
            (
                "panics_total",
                "counter",
                "Handlers that panicked.",
                self.panics,
            ),
            (
                "peers_rejected_total",
                "counter",
                "TCP peers refused by FCGI_WEB_SERVER_ADDRS.",
                self.peers_rejected,
            ),
            (
                "request_timeouts_total",
                "counter",
                "Requests cancelled for running over their time limit.",
                self.request_timeouts,
            ),
            (
                "slow_requests_total",
                "counter",
                "Requests that ran past the slow-request threshold.",
                self.slow_requests,
            ),
        ];
        let mut text = String::with_capacity(1024);
        for (name, kind, help, value) in metrics {
            text.push_str(&format!(
                "# HELP fastcgi_{name} {help}\n# TYPE fastcgi_{name} {kind}\nfastcgi_{name} {value}\n"
            ));
        }
        text
    }
}
