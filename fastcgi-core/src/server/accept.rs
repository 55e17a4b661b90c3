//! Serving: the accept loop with its limits, one task per connection,
//! signals, the development front beside it, and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::connection::{Connection, Outcome, Shared};
use super::listen::SocketFile;
use super::socket::{Accepted, AcceptedSocket, Acceptor};
use super::{Listener, Server, ShutdownHandle};
use crate::error::Error;
use crate::extract::BackgroundTasks;
use crate::handler::Handler;

impl Server {
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

    pub(super) async fn run<H: Handler>(mut self, handler: H) -> Result<(), Error> {
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
            Listener::Unix {
                path: Some(path), ..
            } => SocketFile::of(path),
            _ => None,
        };
        let defer = self
            .config
            .defer_accept
            .then_some(self.config.params_timeout.max(Duration::from_secs(1)));
        let accept = Acceptor::new(listener, defer)?;
        tracing::info!(%addr, "serving FastCGI");
        let background = self.state.get::<BackgroundTasks>().cloned();
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
                    let ctx = (&shared, &shutdown, self.peer_filter.as_ref(), &self.metrics);
                    spawn_connection(&mut connections, stream, ctx, Some(permit));
                }
            }
        }
        // Connections the kernel completed but nobody accepted yet would be
        // reset when the listener closes, after the web server may have
        // written its request on them (with SO_REUSEPORT the kernel keeps
        // handing this listener its share of new connections until it
        // closes). Accept them all and serve them: they are served like any
        // connection accepted before the shutdown (see `connection/drain.rs`).
        if accept.stop_deferring() {
            // Connections made but held back by the kernel until their
            // request comes: web servers write it at once, so a moment
            // is enough for it to arrive and the connection to be queued.
            tokio::time::sleep(DEFERRED_REQUEST_WAIT).await;
        }
        let mut late = 0usize;
        while let Some(stream) = accept.accept_queued() {
            late += 1;
            // Past max_connections if need be: dropping them is what this
            // is here to avoid, and the backlog bounds how many there are.
            let permit = Arc::clone(&slots).try_acquire_owned().ok();
            let ctx = (&shared, &shutdown, self.peer_filter.as_ref(), &self.metrics);
            spawn_connection(&mut connections, stream, ctx, permit);
        }
        // Then close the listening socket: new connections are refused at
        // once (a web server retries them elsewhere) instead of waiting in
        // the backlog of a server that will never accept them.
        drop(accept);
        if let Some(file) = &socket_file {
            file.remove_if_ours();
        }
        if late > 0 {
            tracing::debug!(
                connections = late,
                "accepted the connections queued at shutdown"
            );
        }
        while connections.try_join_next().is_some() {}
        tracing::info!(
            connections = connections.len(),
            "shutting down: letting in-flight requests finish"
        );
        let grace_ends = tokio::time::Instant::now() + self.config.grace_period;
        let drained = tokio::time::timeout_at(grace_ends, async {
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
        // Work handlers left to run after their responses: the rest of the
        // same grace period.
        if let Some(background) = background {
            let left = grace_ends.saturating_duration_since(tokio::time::Instant::now());
            let cancelled = background.finish(left).await;
            if cancelled > 0 {
                tracing::warn!(
                    tasks = cancelled,
                    "grace period over: cancelling work left to run after responses"
                );
            }
        }
        Ok(())
    }
}

/// How long, at shutdown, connections held back by `TCP_DEFER_ACCEPT` get
/// for their request to arrive before the listener closes.
const DEFERRED_REQUEST_WAIT: Duration = Duration::from_millis(20);

/// Aborts the task when dropped: dropping the `serve` future stops the
/// accept loop it started, as it would if the loop ran inside it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What a new connection's task is spawned with.
type SpawnContext<'a, H> = (
    &'a Arc<Shared<H>>,
    &'a ShutdownHandle,
    Option<&'a super::PeerFilter>,
    &'a super::Metrics,
);

/// Spawns the task serving an accepted connection, unless its peer is not
/// one FCGI_WEB_SERVER_ADDRS allows.
fn spawn_connection<H: Handler>(
    connections: &mut JoinSet<()>,
    accepted: Accepted,
    (shared, shutdown, peer_filter, metrics): SpawnContext<'_, H>,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
) {
    let shared = Arc::clone(shared);
    let shutdown = shutdown.clone();
    match accepted {
        Accepted::Tcp(stream, peer) => {
            if let Some(filter) = peer_filter
                && !filter.allows(peer.ip())
            {
                tracing::warn!(%peer, "closing a connection from a peer not in FCGI_WEB_SERVER_ADDRS");
                metrics.peer_rejected();
                return;
            }
            connections.spawn(serve_one(stream, shared, shutdown, Peer::Tcp(peer), permit));
        }
        Accepted::Unix(stream) => {
            connections.spawn(serve_one(stream, shared, shutdown, Peer::Unix, permit));
        }
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
async fn serve_one<H: Handler>(
    io: AcceptedSocket,
    shared: Arc<Shared<H>>,
    shutdown: ShutdownHandle,
    peer: Peer,
    _permit: Option<tokio::sync::OwnedSemaphorePermit>,
) {
    let shutdown = Box::pin(async move { shutdown.wait().await });
    // Everything logged while serving this connection (protocol errors,
    // panics) carries the peer.
    let metrics = shared.metrics.clone();
    metrics.connection_opened();
    let span = tracing::info_span!("fastcgi_connection", %peer);
    // Boxed: the task's future is then a few words instead of the whole
    // connection (about 1 KiB), which tokio copies several times while
    // spawning and starting it; one allocation costs less than the copies.
    let tcp = matches!(peer, Peer::Tcp(_));
    let connection = Connection::new(io, shared, shutdown).on_socket(tcp);
    let serving = Box::pin(connection.run());
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
