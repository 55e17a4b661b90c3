//! Counters of what a server has done, for health checks and monitoring.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use serde::Serialize;

/// Live counters of a [`Server`](super::Server): connections, requests,
/// refusals, protocol errors and panics. Cheap to clone; every clone reads
/// the same counters. Get it with
/// [`Server::metrics`](super::Server::metrics) and serve it with
/// [`StatusHandler`](crate::status::StatusHandler).
#[derive(Debug, Clone)]
pub struct Metrics {
    counters: Arc<Counters>,
}

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
            }),
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
        }
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
        let metrics: [(&str, &str, &str, u64); 11] = [
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
