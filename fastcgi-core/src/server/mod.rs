//! The tokio server: where it listens, the accept loop with its limits, one
//! task per connection, graceful shutdown.
//!
//! ```no_run
//! use fastcgi::handler::from_fn;
//! use fastcgi::server::Server;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), fastcgi::Error> {
//!     let hello = from_fn(|_request| async { "Hello, World!" });
//!     // FCGI_BIND, systemd socket activation, or fd 0: whichever is there.
//!     Server::from_env()?.serve(hello).await
//! }
//! ```

mod accept;
mod config;
mod connection;
mod discover;
mod in_flight;
mod listen;
mod metrics;
mod peer_filter;
mod request_task;
mod socket;

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

pub use crate::shutdown::ShutdownHandle;
pub use in_flight::{InFlightRequest, RequestState};
pub use listen::{BindAddr, Listener};
pub use metrics::{Metrics, MetricsSnapshot};
pub use peer_filter::PeerFilter;

use crate::error::Error;
use crate::protocol::ProtocolLimits;
pub(crate) use accept::serve_shared;
use config::ServerConfig;
pub(crate) use connection::Shared;

/// A FastCGI server: a listening socket, limits, application state, and a
/// handler to serve with (simple-fastcgi's `FcgiServer`/`AsyncFcgiServer`).
///
/// Build it with [`from_env`](Self::from_env) (what a deployed app does),
/// [`bind`](Self::bind), or [`from_listener`](Self::from_listener); adjust
/// limits with the builder methods; then [`serve`](Self::serve).
///
/// ```no_run
/// # use fastcgi::handler::from_fn;
/// use std::time::Duration;
/// use fastcgi::server::Server;
///
/// # async fn run() -> Result<(), fastcgi::Error> {
/// # let handler = from_fn(|_| async { "hi" });
/// Server::bind("unix:/run/app/fcgi.sock")?
///     .unix_socket_mode(0o660)
///     .max_connections(1024)
///     .idle_timeout(Duration::from_secs(120))
///     .serve(handler)
///     .await
/// # }
/// ```
pub struct Server {
    listener: Option<Listener>,
    config: ServerConfig,
    state: http::Extensions,
    peer_filter: Option<PeerFilter>,
    shutdown: ShutdownHandle,
    handle_signals: bool,
    service: Option<(Duration, ServiceAction)>,
    unix_mode: Option<u32>,
    /// `FCGI_DEV_HTTP`: also serve the development HTTP front here.
    dev_http: Option<SocketAddr>,
    metrics: Metrics,
}

type ServiceAction = Box<dyn FnMut() + Send + 'static>;

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("config", &self.config)
            .field("peer_filter", &self.peer_filter)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Listens on `addr`: `HOST:PORT`, `[V6]:PORT` or `unix:/path` (a stale
    /// socket file is replaced, a live one is an error).
    pub fn bind(addr: &str) -> Result<Self, Error> {
        Ok(Self::from_listener(Listener::bind(&addr.parse()?)?))
    }

    /// Serves on a listener you created.
    pub fn from_listener(listener: Listener) -> Self {
        Self {
            listener: Some(listener),
            ..Self::new()
        }
    }

    /// A server with no listening socket yet: set limits and state, then
    /// serve single connections with [`serve_io`](Self::serve_io) (tests,
    /// custom transports). [`serve`](Self::serve) needs a listener.
    pub fn new() -> Self {
        Self {
            listener: None,
            config: ServerConfig::default(),
            state: {
                // Where `AfterResponse` work is kept, for shutdown to wait.
                let mut state = http::Extensions::new();
                state.insert(crate::extract::BackgroundTasks::default());
                state
            },
            peer_filter: None,
            shutdown: ShutdownHandle::new(),
            handle_signals: true,
            service: None,
            unix_mode: None,
            dev_http: None,
            metrics: Metrics::default(),
        }
    }

    /// Serves on a bound std TCP listener.
    pub fn from_tcp(listener: std::net::TcpListener) -> Self {
        Self::from_listener(Listener::Tcp(listener))
    }

    /// Serves on a bound std unix listener (its file is left in place on
    /// shutdown).
    pub fn from_unix(listener: std::os::unix::net::UnixListener) -> Self {
        Self::from_listener(Listener::Unix {
            listener,
            path: None,
        })
    }

    /// The address served; `None` without a listener.
    pub fn local_addr(&self) -> Option<BindAddr> {
        self.listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The TCP address served, when it is TCP: handy after binding port 0.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        match self.local_addr() {
            Some(BindAddr::Tcp(addr)) => Some(addr),
            _ => None,
        }
    }

    /// The listening socket's file descriptor (simple-fastcgi's `fileno()`);
    /// `None` without a listener.
    pub fn fileno(&self) -> Option<RawFd> {
        self.listener.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// The server's live counters (connections, requests, errors,
    /// panics); serve them with [`StatusHandler`](crate::status::StatusHandler).
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// A handle that stops the server gracefully from anywhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Registers application state, read by handlers with
    /// [`State<T>`](crate::extract::State). One value per type.
    pub fn with_state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.state.insert(state);
        self
    }

    /// Sets the [`BodyLimit`](crate::extract::BodyLimit) for every request:
    /// how large a body `Bytes`, `Text`, `Json` and `Form` read whole
    /// before answering 413 (default
    /// [`DEFAULT_BODY_LIMIT`](crate::extract::DEFAULT_BODY_LIMIT), 2 MiB).
    /// A router's or a route's `body_limit` overrides it.
    ///
    /// ```
    /// use fastcgi::extract::BodyLimit;
    /// use fastcgi::server::Server;
    ///
    /// let server = Server::new().body_limit(BodyLimit::max(16 * 1024 * 1024));
    /// # let _ = server;
    /// ```
    pub fn body_limit(mut self, limit: crate::extract::BodyLimit) -> Self {
        self.state.insert(crate::extract::ServerBodyLimit(limit));
        self
    }

    /// Only TCP peers in `filter` may connect (what `FCGI_WEB_SERVER_ADDRS`
    /// sets in [`from_env`](Self::from_env)); others are closed at once,
    /// with a log line. Unix-socket peers are not filtered: the socket
    /// file's permissions decide who may connect.
    pub fn peer_filter(mut self, filter: Option<PeerFilter>) -> Self {
        self.peer_filter = filter;
        self
    }

    /// At most this many connections at once (default 16384); beyond it
    /// the server stops accepting until one closes, so the kernel's backlog
    /// holds the rest. Reported as FCGI_MAX_CONNS.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.config.max_connections = max.max(1);
        self
    }

    /// At most this many concurrent requests on one connection (default
    /// 64); more are refused with FCGI_OVERLOADED. Reported as
    /// FCGI_MAX_REQS.
    pub fn max_requests_per_connection(mut self, max: usize) -> Self {
        self.config.max_requests_per_connection = max.max(1);
        self
    }

    /// Whether one connection may carry concurrent requests (default
    /// true). When off, a second concurrent request is refused with
    /// FCGI_CANT_MPX_CONN and FCGI_MPXS_CONNS reports 0.
    pub fn multiplexing(mut self, enabled: bool) -> Self {
        self.config.multiplexing = enabled;
        self
    }

    /// Limits on the params of one request (default: 256 KiB per pair,
    /// 1 MiB in all); a request over them closes its connection with a
    /// logged protocol error.
    pub fn protocol_limits(mut self, limits: ProtocolLimits) -> Self {
        self.config.protocol_limits = limits;
        self
    }

    /// Unread request body buffered per request before the server stops
    /// reading the connection (default 256 KiB). While it is full, other
    /// requests on the same connection wait too.
    pub fn body_buffer(mut self, bytes: usize) -> Self {
        self.config.body_buffer = bytes.max(1);
        self
    }

    /// Output buffered per connection before writers wait for the web
    /// server to read (default 256 KiB).
    pub fn output_buffer(mut self, bytes: usize) -> Self {
        self.config.output_buffer = bytes.max(1);
        self
    }

    /// Time a request's params may take to arrive after its BEGIN_REQUEST
    /// (default 30 s); past it the connection is closed.
    pub fn params_timeout(mut self, timeout: Duration) -> Self {
        self.config.params_timeout = timeout;
        self
    }

    /// Time a request's body may go without progress (default 120 s): once
    /// its params are complete, while FCGI_STDIN (or a Filter's FCGI_DATA)
    /// has not ended, the web server must send more of it within this
    /// time. Past it the request is ended and the connection carries on:
    /// the handler's body reads fail with
    /// [`BodyError::TimedOut`](crate::request::BodyError::TimedOut), its
    /// abort signal trips and it gets one last poll; if nothing of the
    /// response was sent by then, the server answers `408 Request
    /// Timeout` (a partial response is ended where it stands); a line on
    /// FCGI_STDERR says why. Records the web server sends for the request
    /// afterwards are ignored.
    ///
    /// Time the server itself stops reading, because a request's body
    /// buffer is full (see [`body_buffer`](Self::body_buffer)), does not
    /// count. The default is longer than nginx's `client_body_timeout`
    /// and Apache's `Timeout` (60 s each), so with a slow client the web
    /// server, which can tell the client, gives up first.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_timeout = timeout;
        self
    }

    /// Time a connection may sit idle between requests (default 300 s:
    /// longer than nginx's upstream `keepalive_timeout` of 60 s, so nginx
    /// closes first and never reuses a connection the app just closed).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// Time a write may stall because the web server does not read
    /// (default 60 s); past it the connection is closed.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.config.write_timeout = timeout;
        self
    }

    /// Time in-flight requests get to finish after shutdown begins
    /// (default 30 s); then they are cancelled and their connections
    /// closed. Work handlers left to run after their response
    /// ([`AfterResponse`](crate::extract::AfterResponse)) gets the same
    /// period, counted from the same moment; what still runs at its end is
    /// cancelled.
    pub fn grace_period(mut self, period: Duration) -> Self {
        self.config.grace_period = period;
        self
    }

    /// The longest a request may take, from its BEGIN_REQUEST to its
    /// END_REQUEST (default: no limit; PHP-FPM's
    /// `request_terminate_timeout`). A request over it is cancelled: its
    /// handler's future is dropped and its abort signal trips. If nothing
    /// of the response was sent yet it is answered `503 Service
    /// Unavailable` with the text body `Request timed out`; a response
    /// that had begun is ended where it stands (FCGI_STDOUT's end record
    /// and END_REQUEST: the web server sees a short response, not a
    /// broken connection). One line on FCGI_STDERR, which the web server
    /// writes to its error log with the client's request, names the
    /// method, `REQUEST_URI` and the limit, and
    /// [`MetricsSnapshot::request_timeouts`] counts it. The connection
    /// carries on. A route can have its own limit:
    /// [`Router::timeout`](crate::routing::Router::timeout).
    ///
    /// The limit is checked by the connection's own timer, which already
    /// keeps its idle and body deadlines: it costs no timer per request.
    pub fn request_timeout(mut self, limit: Duration) -> Self {
        self.config.request_timeout = Some(limit);
        self
    }

    /// Logs a request still running after `threshold` (default: off;
    /// PHP-FPM's `request_slowlog_timeout`, with the URL its slow log
    /// lacks): once, as it passes the threshold, a `tracing` warning with
    /// target `fastcgi_core::slow` giving the method, `REQUEST_URI`, the
    /// elapsed time and what the request is doing
    /// ([`RequestState`]: receiving params or body, running, or waiting
    /// for the web server to take its output); and, when it ends, a
    /// second warning with its total time.
    /// [`MetricsSnapshot::slow_requests`] counts them. Any `tracing`
    /// subscriber that prints warnings (e.g. `tracing_subscriber::fmt`,
    /// which writes to the process's stderr) shows them.
    pub fn slow_request_log(mut self, threshold: Duration) -> Self {
        self.config.slow_request = Some(threshold);
        self
    }

    /// Whether, on a TCP listener, the kernel hands the server a new
    /// connection only once its first bytes have arrived (Linux's
    /// `TCP_DEFER_ACCEPT`, nginx's `listen ... deferred`, Apache httpd's
    /// default `AcceptFilter http data`; default true). A web server
    /// writes its request as soon as its connection is made, but the
    /// server would otherwise be woken for the connection first, find no
    /// request on it, and wait for it: with a connection per request
    /// (Apache without `enablereuse`, lighttpd), deferring spares each
    /// connection a wake-up and a registration with the reactor
    /// (BENCHMARKS.md, *Issue 18*). A
    /// connection that sends nothing is handed over after the
    /// [`params_timeout`](Self::params_timeout) (30 s) and then closed
    /// when idle for the [`idle_timeout`](Self::idle_timeout); until then
    /// it is not counted among the server's connections. At shutdown the
    /// server stops deferring and serves the connections whose request
    /// arrives within a few milliseconds more, before it closes the
    /// listener; one that has sent nothing by then goes with the listener,
    /// and its peer learns it when it writes. Not applied to a listener
    /// shared with `SO_REUSEPORT` (`FCGI_REUSEPORT`, for hand-overs between
    /// instances), where the connections held back for a closing instance
    /// would be lost while the others carry on; and no effect on unix
    /// sockets.
    ///
    /// Turn it off when something must see connections that send nothing
    /// at once (a test of the idle timeout, a connection count of probes).
    pub fn defer_accept(mut self, enabled: bool) -> Self {
        self.config.defer_accept = enabled;
        self
    }

    /// Permission bits of a unix socket file the server creates (e.g.
    /// `0o660`, so the web server's group can connect).
    pub fn unix_socket_mode(mut self, mode: u32) -> Self {
        self.unix_mode = Some(mode);
        self
    }

    /// Whether [`serve`](Self::serve) shuts down gracefully on SIGTERM and
    /// SIGINT (default true).
    pub fn handle_signals(mut self, enabled: bool) -> Self {
        self.handle_signals = enabled;
        self
    }

    /// Calls `action` every `every` while serving (simple-fastcgi's
    /// `service_actions()`), on the accept loop's task: keep it short.
    pub fn service_actions(
        mut self,
        every: Duration,
        action: impl FnMut() + Send + 'static,
    ) -> Self {
        self.service = Some((every, Box::new(action)));
        self
    }
}
