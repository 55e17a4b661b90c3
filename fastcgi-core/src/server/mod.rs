//! The tokio server: where it listens, the accept loop with its limits, one
//! task per connection, graceful shutdown.
//!
//! ```no_run
//! use fastcgi_core::handler::from_fn;
//! use fastcgi_core::server::Server;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), fastcgi_core::Error> {
//!     let hello = from_fn(|_request| async { "Hello, World!" });
//!     // FCGI_BIND, systemd socket activation, or fd 0: whichever is there.
//!     Server::from_env()?.serve(hello).await
//! }
//! ```

mod config;
mod connection;
mod listen;
mod metrics;
pub(crate) mod output;
mod peer_filter;
mod request_task;
mod shutdown;

use std::future::Future;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use listen::{BindAddr, Listener};
pub use metrics::{Metrics, MetricsSnapshot};
pub use peer_filter::PeerFilter;
pub use shutdown::ShutdownHandle;

use crate::error::Error;
use crate::handler::Handler;
use crate::protocol::ProtocolLimits;
use config::ServerConfig;
pub(crate) use connection::Shared;
use connection::{Connection, Outcome};

/// A FastCGI server: a listening socket, limits, application state, and a
/// handler to serve with (the seed's `FcgiServer`/`AsyncFcgiServer`).
///
/// Build it with [`from_env`](Self::from_env) (what a deployed app does),
/// [`bind`](Self::bind), or [`from_listener`](Self::from_listener); adjust
/// limits with the builder methods; then [`serve`](Self::serve).
///
/// ```no_run
/// # use fastcgi_core::handler::from_fn;
/// use std::time::Duration;
/// use fastcgi_core::server::Server;
///
/// # async fn run() -> Result<(), fastcgi_core::Error> {
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
    /// The server a deployed app wants: it listens where its environment
    /// says, in this order:
    ///
    /// 1. systemd socket activation (`LISTEN_FDS`, `LISTEN_PID`: fd 3);
    /// 2. `FCGI_BIND`: `HOST:PORT`, `[V6]:PORT` or `unix:/path` (with
    ///    `FCGI_REUSEPORT=1`, a TCP port is bound with `SO_REUSEPORT` so
    ///    several processes can share it);
    /// 3. fd 0, when it is a listening socket (FCGI_LISTENSOCK_FILENO: how
    ///    spawn-fcgi, lighttpd's `bin-path` and mod_fcgid start apps).
    ///
    /// Anything else is [`Error::NoListener`], which names these three.
    /// `FCGI_WEB_SERVER_ADDRS`, when set, limits which TCP peers may connect.
    ///
    /// For development, `FCGI_DEV_HTTP=127.0.0.1:8080` (with the `dev-http`
    /// feature) also serves HTTP there through the
    /// development front (the `dev` module), and listens for FastCGI on a free
    /// local port when none of the three is given.
    pub fn from_env() -> Result<Self, Error> {
        let dev_http = dev_http_from_env()?;
        let listener = if let Some(listener) = Listener::from_systemd()? {
            listener
        } else if let Ok(bind) = std::env::var("FCGI_BIND") {
            match bind.parse()? {
                BindAddr::Tcp(addr) if reuse_port_from_env() => Listener::bind_reuse_port(addr)?,
                addr => Listener::bind(&addr)?,
            }
        } else if let Some(listener) = Listener::from_stdin()? {
            listener
        } else if dev_http.is_some() {
            Listener::bind(&BindAddr::Tcp(SocketAddr::from(([127, 0, 0, 1], 0))))?
        } else {
            return Err(Error::NoListener);
        };
        let mut server = Self::from_listener(listener);
        server.peer_filter = PeerFilter::from_env()?;
        server.dev_http = dev_http;
        Ok(server)
    }

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
            state: http::Extensions::new(),
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

    /// The listening socket's file descriptor (the seed's `fileno()`);
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
    /// closed.
    pub fn grace_period(mut self, period: Duration) -> Self {
        self.config.grace_period = period;
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

    /// Calls `action` every `every` while serving (the seed's
    /// `service_actions()`), on the accept loop's task: keep it short.
    pub fn service_actions(
        mut self,
        every: Duration,
        action: impl FnMut() + Send + 'static,
    ) -> Self {
        self.service = Some((every, Box::new(action)));
        self
    }

    /// Serves every connection with `handler` until shutdown (a
    /// [`ShutdownHandle`], or SIGTERM/SIGINT unless
    /// [`handle_signals`](Self::handle_signals) is off), then lets in-flight
    /// requests finish within the grace period and returns.
    pub async fn serve<H: Handler>(self, handler: H) -> Result<(), Error> {
        let shutdown = self.shutdown.clone();
        if self.handle_signals {
            spawn_signal_listener(shutdown.clone())?;
        }
        // The accept loop runs as a task of its own, on a runtime worker:
        // `serve` is usually awaited by `block_on` on the main thread, and
        // from there every accepted connection would be handed to a worker
        // by waking it from outside (measured: 15% more CPU per connection).
        let mut accept_loop = AbortOnDrop(tokio::spawn(self.run(handler)));
        match (&mut accept_loop.0).await {
            Ok(served) => served,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            // Cancelled: the runtime is shutting down.
            Err(_) => Ok(()),
        }
    }

    /// Serves one already-connected stream (any `AsyncRead + AsyncWrite`:
    /// a socket you accepted yourself, an in-memory duplex in tests) with
    /// this server's limits and state, until the connection ends. Shutdown
    /// handles and signals do not apply to it. The future owns everything
    /// it needs, so it can be spawned.
    pub fn serve_io<H, IO>(&self, io: IO, handler: H) -> impl Future<Output = ()> + Send + 'static
    where
        H: Handler,
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        serve_shared(self.shared(handler), io)
    }

    /// What every connection served with `handler` shares.
    pub(crate) fn shared<H: Handler>(&self, handler: H) -> Arc<Shared<H>> {
        Arc::new(Shared {
            handler: Arc::new(handler),
            config: self.config.clone(),
            state: Arc::new(self.state.clone()),
            metrics: self.metrics.clone(),
        })
    }

    async fn run<H: Handler>(mut self, handler: H) -> Result<(), Error> {
        let Some(listener) = self.listener.take() else {
            return Err(Error::NoListener);
        };
        if let Some(mode) = self.unix_mode {
            listener.set_unix_mode(mode)?;
        }
        listener.set_nonblocking()?;
        if let Some(http) = self.dev_http {
            start_dev_front(http, &listener, self.shutdown.clone()).await?;
        }
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let socket_file = match &listener {
            Listener::Unix { path, .. } => path.clone(),
            Listener::Tcp(_) => None,
        };
        let accept = Acceptor::new(listener)?;
        tracing::info!(%addr, "serving FastCGI");
        let shared = Arc::new(Shared {
            handler: Arc::new(handler),
            config: self.config.clone(),
            state: Arc::new(std::mem::take(&mut self.state)),
            metrics: self.metrics.clone(),
        });
        let slots = Arc::new(Semaphore::new(self.config.max_connections));
        let mut connections = JoinSet::new();
        let mut service = self.service.take().map(|(every, action)| {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            (interval, action)
        });
        let shutdown = self.shutdown.clone();
        // One waiter for the whole loop: a new one per iteration would
        // subscribe and register again for every accepted connection.
        let shutdown_signal = shutdown.wait();
        tokio::pin!(shutdown_signal);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown_signal => break,
                _ = async {
                    match &mut service {
                        Some((interval, _)) => interval.tick().await,
                        None => std::future::pending().await,
                    }
                } => {
                    if let Some((_, action)) = &mut service {
                        action();
                    }
                }
                // A free connection slot, then a connection: both inside the
                // select, so shutdown interrupts the wait.
                accepted = async {
                    let permit = Arc::clone(&slots).acquire_owned().await;
                    (permit, accept.accept().await)
                } => {
                    let (Ok(permit), accepted) = accepted else { break };
                    let stream = match accepted {
                        Ok(stream) => stream,
                        Err(err) => {
                            // EMFILE and friends: back off instead of spinning.
                            tracing::error!(error = %err, "accept failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    // Finished connections are collected here, without
                    // waiting: a select branch for them would be polled, and
                    // re-register its waker, at every turn of the loop.
                    while connections.try_join_next().is_some() {}
                    let shared = Arc::clone(&shared);
                    match stream {
                        Accepted::Tcp(stream, peer) => {
                            if let Some(filter) = &self.peer_filter
                                && !filter.allows(peer.ip())
                            {
                                    tracing::warn!(%peer, "closing a connection from a peer not in FCGI_WEB_SERVER_ADDRS");
                                self.metrics.peer_rejected();
                                continue;
                            }
                            let _ = stream.set_nodelay(true);
                            connections.spawn(serve_one(stream, shared, shutdown.clone(), Peer::Tcp(peer), permit));
                        }
                        Accepted::Unix(stream) => {
                            connections.spawn(serve_one(stream, shared, shutdown.clone(), Peer::Unix, permit));
                        }
                    }
                }
            }
        }
        // Close the listening socket first: new connections are refused at
        // once (a web server retries them elsewhere) instead of waiting in
        // the backlog of a server that will never accept them.
        drop(accept);
        if let Some(path) = &socket_file {
            let _ = std::fs::remove_file(path);
        }
        while connections.try_join_next().is_some() {}
        tracing::info!(
            connections = connections.len(),
            "shutting down: letting in-flight requests finish"
        );
        let drained = tokio::time::timeout(self.config.grace_period, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                connections = connections.len(),
                "grace period over: cancelling the requests still running"
            );
            connections.shutdown().await;
        }
        Ok(())
    }
}

/// Aborts the task when dropped: dropping the `serve` future stops the
/// accept loop it started, as it would if the loop ran inside it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Serves one connection outside the accept loop (no shutdown signal).
pub(crate) async fn serve_shared<H, IO>(shared: Arc<Shared<H>>, io: IO)
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let never = Box::pin(std::future::pending());
    let metrics = shared.metrics.clone();
    metrics.connection_opened();
    Connection::new(io, shared, never).run().await;
    metrics.connection_closed();
}

/// Serves one accepted connection; the permit frees its slot when done.
async fn serve_one<H, IO>(
    io: IO,
    shared: Arc<Shared<H>>,
    shutdown: ShutdownHandle,
    peer: Peer,
    _permit: tokio::sync::OwnedSemaphorePermit,
) where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let shutdown = Box::pin(async move { shutdown.wait().await });
    // Everything logged while serving this connection (protocol errors,
    // panics) carries the peer.
    let metrics = shared.metrics.clone();
    metrics.connection_opened();
    let span = tracing::info_span!("fastcgi_connection", %peer);
    // Boxed: the task's future is then a few words instead of the whole
    // connection (about 1 KiB), which tokio copies several times while
    // spawning and starting it; one allocation costs less than the copies.
    let serving = Box::pin(Connection::new(io, shared, shutdown).run());
    let outcome = tracing::Instrument::instrument(serving, span).await;
    match outcome {
        Outcome::Done | Outcome::PeerClosed | Outcome::IdleTimeout => {
            tracing::debug!(%peer, ?outcome, "connection closed");
        }
        // Logged where it happened, inside the connection's span.
        Outcome::Protocol(err) => tracing::debug!(%peer, error = %err, "connection closed"),
        Outcome::Io(err) => tracing::warn!(%peer, error = %err, "connection failed"),
        other => tracing::warn!(%peer, outcome = ?other, "connection closed"),
    }
    metrics.connection_closed();
}

/// Who is at the other end of a connection, for logs: formatted only when
/// a log line is written, not for every connection.
#[derive(Debug, Clone, Copy)]
enum Peer {
    Tcp(SocketAddr),
    Unix,
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Peer::Tcp(addr) => addr.fmt(f),
            Peer::Unix => f.write_str("unix"),
        }
    }
}

enum Acceptor {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

enum Accepted {
    Tcp(tokio::net::TcpStream, SocketAddr),
    Unix(tokio::net::UnixStream),
}

impl Acceptor {
    fn new(listener: Listener) -> std::io::Result<Self> {
        Ok(match listener {
            Listener::Tcp(l) => Acceptor::Tcp(tokio::net::TcpListener::from_std(l)?),
            Listener::Unix { listener, .. } => {
                Acceptor::Unix(tokio::net::UnixListener::from_std(listener)?)
            }
        })
    }

    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Acceptor::Tcp(l) => l.accept().await.map(|(s, peer)| Accepted::Tcp(s, peer)),
            Acceptor::Unix(l) => l.accept().await.map(|(s, _)| Accepted::Unix(s)),
        }
    }
}

/// `FCGI_REUSEPORT=1`: bind FCGI_BIND's TCP port with `SO_REUSEPORT`.
fn reuse_port_from_env() -> bool {
    std::env::var("FCGI_REUSEPORT").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Reads `FCGI_DEV_HTTP`; an error when it is set in a build without the
/// development front.
fn dev_http_from_env() -> Result<Option<SocketAddr>, Error> {
    let Ok(value) = std::env::var("FCGI_DEV_HTTP") else {
        return Ok(None);
    };
    if cfg!(not(feature = "dev-http")) {
        return Err(Error::InvalidAddress {
            value,
            reason: "FCGI_DEV_HTTP is set, but this program was built without the development HTTP front: enable the `dev-http` feature of the fastcgi crate, or unset FCGI_DEV_HTTP".to_owned(),
        });
    }
    value.parse().map(Some).map_err(|_| Error::InvalidAddress {
        value,
        reason: "FCGI_DEV_HTTP takes an IP address and port".to_owned(),
    })
}

#[cfg(feature = "dev-http")]
async fn start_dev_front(
    http: SocketAddr,
    listener: &Listener,
    shutdown: ShutdownHandle,
) -> Result<(), Error> {
    let app = listener.local_addr()?.to_string();
    let socket = tokio::net::TcpListener::bind(http)
        .await
        .map_err(|source| Error::Bind {
            address: http.to_string(),
            source,
        })?;
    let front = crate::dev::DevFront::new(app.clone());
    // Printed, not just logged: it is what the developer who set
    // FCGI_DEV_HTTP is waiting for.
    eprintln!(
        "fastcgi: development HTTP front on http://{http}/ -> FastCGI {app} (for development only; use nginx, Apache or lighttpd in production)"
    );
    tokio::spawn(async move {
        if let Err(err) = front.serve(socket, shutdown).await {
            tracing::error!(error = %err, "development HTTP front stopped");
        }
    });
    Ok(())
}

#[cfg(not(feature = "dev-http"))]
async fn start_dev_front(
    _http: SocketAddr,
    _listener: &Listener,
    _shutdown: ShutdownHandle,
) -> Result<(), Error> {
    Ok(())
}

fn spawn_signal_listener(shutdown: ShutdownHandle) -> Result<(), Error> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: shutting down gracefully"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down gracefully"),
            () = shutdown.wait() => return,
        }
        shutdown.shutdown();
    });
    Ok(())
}
