//! [`MultiplexedConnection`]: many requests in flight on one connection,
//! routed by request id by a background task (`task.rs`), which routes
//! response records to their requests (`route.rs`).

mod route;
mod task;

use std::future::poll_fn;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};

use super::connection::closed;
use super::inbox::{Inbox, InboxGuard};
use super::stream::ResponseStream;
use super::{ClientError, ClientRequest, ClientResponse, Connection, ResponseEvent};
use crate::protocol::Params;
use task::Task;

/// Unread response bytes buffered per request by default before the task
/// stops reading the connection.
pub const DEFAULT_RESPONSE_BUFFER: usize = 1024 * 1024;

/// A client connection that carries many requests at once: each gets its
/// own request id, their records are interleaved on the wire, and the
/// responses are routed back by id. Cheap to clone; every clone uses the
/// same connection.
///
/// # Cost model
///
/// A background task (spawned on the current tokio runtime) owns the
/// socket. Per request, on top of what [`Connection`] costs: one `Arc`'d
/// queue, one message to the task, and a wake-up of the caller's task for
/// each batch of events. Request bodies are framed in turns of 64 KiB so
/// a big upload does not hold up the others.
///
/// FastCGI has no per-request flow control: while one request's unread
/// response exceeds the buffer (1 MiB by default, see
/// [`with_response_buffer`](Self::with_response_buffer)), the task stops
/// reading the connection, which holds up the other requests too. Read
/// (or drop) every response you start.
///
/// ```no_run
/// use fastcgi::client::{ClientRequest, MultiplexedConnection};
///
/// # async fn run() -> Result<(), fastcgi::client::ClientError> {
/// let conn = MultiplexedConnection::connect("unix:/run/app.sock").await?;
/// let (a, b) = tokio::join!(
///     conn.send(ClientRequest::get("/slow")),
///     conn.send(ClientRequest::get("/fast")),
/// );
/// assert_eq!(a?.status(), 200);
/// assert_eq!(b?.status(), 200);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MultiplexedConnection {
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
}

/// What the handles and the task share.
#[derive(Debug, Default)]
struct Shared {
    /// Why the task stopped, once it has.
    closed: Mutex<Option<ClientError>>,
}

impl Shared {
    fn closed_error(&self) -> ClientError {
        self.closed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| closed(None, None))
    }
}

/// A message from a handle to the task.
pub(crate) enum Command {
    Start {
        request: ClientRequest,
        inbox: InboxGuard,
    },
    /// Send FCGI_ABORT_REQUEST; keep delivering events until END_REQUEST.
    Abort(Arc<Inbox>),
    /// The stream was dropped: abort, and drop the request's events.
    Abandon(Arc<Inbox>),
    GetValues {
        names: Vec<String>,
        reply: oneshot::Sender<Result<Params, ClientError>>,
    },
    Close,
}

impl MultiplexedConnection {
    /// Connects to `addr` (`HOST:PORT`, `[V6]:PORT` or `unix:/path`) and
    /// spawns the connection's task.
    ///
    /// # Errors
    ///
    /// As [`Connection::connect`].
    pub async fn connect(addr: &str) -> Result<Self, ClientError> {
        Ok(Self::from_connection(Connection::connect(addr).await?))
    }

    /// Connects over TCP (with `TCP_NODELAY`) and spawns the task.
    ///
    /// # Errors
    ///
    /// As [`Connection::connect_tcp`].
    pub async fn connect_tcp(addr: SocketAddr) -> Result<Self, ClientError> {
        Ok(Self::from_connection(Connection::connect_tcp(addr).await?))
    }

    /// Connects to a unix socket and spawns the task.
    ///
    /// # Errors
    ///
    /// As [`Connection::connect_unix`].
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, ClientError> {
        Ok(Self::from_connection(Connection::connect_unix(path).await?))
    }

    /// Runs over a stream you opened (see [`Connection::new`]).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, which the task is spawned on.
    pub fn new<S>(stream: S) -> Self
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        Self::from_connection(Connection::new(stream))
    }

    /// Takes over a [`Connection`] (requests it abandoned are still
    /// awaited, so their ids are not reused too early).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, which the task is spawned on.
    pub fn from_connection(connection: Connection) -> Self {
        Self::with_response_buffer(connection, DEFAULT_RESPONSE_BUFFER)
    }

    /// Like [`from_connection`](Self::from_connection), buffering up to
    /// `bytes` of unread response per request (default 1 MiB) before the
    /// connection stops being read.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, which the task is spawned on.
    pub fn with_response_buffer(connection: Connection, bytes: usize) -> Self {
        let (wire, abandoned, stale_values) = connection.into_parts();
        let (commands, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let mut task = Task::new(wire, receiver, stale_values, bytes, Arc::clone(&shared));
        for id in abandoned {
            task.adopt_abandoned(id);
        }
        tokio::spawn(task.run());
        Self { commands, shared }
    }

    /// Sends `request` and collects its whole response.
    ///
    /// # Errors
    ///
    /// As [`Connection::send`].
    pub async fn send(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        self.start(request).await?.collect().await
    }

    /// Hands `request` to the connection and returns the stream its
    /// response arrives on, once the request has its id. Dropping the
    /// stream before its end aborts the request.
    ///
    /// # Errors
    ///
    /// When the connection is closed, all request ids are in use, or the
    /// request cannot be encoded.
    pub async fn start(
        &self,
        request: ClientRequest,
    ) -> Result<ResponseStream<'static>, ClientError> {
        let inbox = Inbox::new();
        self.commands
            .send(Command::Start {
                request,
                inbox: InboxGuard(Arc::clone(&inbox)),
            })
            .map_err(|_| self.shared.closed_error())?;
        let handle = RequestHandle {
            inbox,
            commands: self.commands.clone(),
        };
        let request_id = poll_fn(|cx| handle.inbox.poll_accepted(cx)).await?;
        Ok(ResponseStream::multiplexed(handle, request_id))
    }

    /// Asks the application for its `FCGI_GET_VALUES` variables.
    ///
    /// # Errors
    ///
    /// When the connection is closed or the answer is malformed.
    pub async fn get_values(&self, names: &[&str]) -> Result<Params, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::GetValues {
                names: names.iter().map(|name| (*name).to_owned()).collect(),
                reply,
            })
            .map_err(|_| self.shared.closed_error())?;
        answer.await.map_err(|_| self.shared.closed_error())?
    }

    /// Closes the connection at once, as a crashed web server would: the
    /// application sees the connection drop (its requests are aborted), and
    /// requests in flight here fail with [`ClientError::ConnectionClosed`].
    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }

    /// Whether the connection's task has stopped (the connection closed or
    /// failed); new requests fail at once.
    pub fn is_closed(&self) -> bool {
        self.commands.is_closed()
    }
}

/// A request's hold on the multiplexed connection. Dropped before the
/// request is over (its stream dropped, or `start` cancelled while waiting
/// for the id), it aborts the request and has its events dropped.
#[derive(Debug)]
pub(crate) struct RequestHandle {
    inbox: Arc<Inbox>,
    commands: mpsc::UnboundedSender<Command>,
}

impl RequestHandle {
    pub(crate) fn poll_event(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<ResponseEvent, ClientError>> {
        self.inbox.poll_next(cx)
    }

    pub(crate) fn abort(&self) {
        let _ = self.commands.send(Command::Abort(Arc::clone(&self.inbox)));
    }

    pub(crate) fn abandon(&self) {
        let _ = self
            .commands
            .send(Command::Abandon(Arc::clone(&self.inbox)));
    }
}

impl Drop for RequestHandle {
    fn drop(&mut self) {
        if !self.inbox.is_finished() {
            self.abandon();
        }
    }
}
