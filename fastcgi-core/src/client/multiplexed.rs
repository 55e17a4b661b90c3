//! [`MultiplexedConnection`]: many requests in flight on one connection,
//! routed by request id by a background task.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};

use super::body::{Fill, Upload};
use super::connection::{closed, unexpected_error};
use super::inbox::{Inbox, InboxGuard};
use super::stream::ResponseStream;
use super::wire::{HIGH_WATER, Wire};
use super::{ClientError, ClientRequest, ClientResponse, Connection, EndRequest, ResponseEvent};
use crate::protocol::{
    self, Params, ProtocolError, ProtocolLimits, ProtocolStatus, Record, RecordType,
};

/// Unread response bytes buffered per request by default before the task
/// stops reading the connection.
pub const DEFAULT_RESPONSE_BUFFER: usize = 1024 * 1024;

/// Body bytes framed for one request before the next one gets a turn.
const FAIR_SHARE: usize = 64 * 1024;

/// Loop rounds of the task before it yields to the runtime.
const ROUNDS_BEFORE_YIELD: usize = 32;

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
        let mut task = Task {
            wire,
            commands: receiver,
            commands_open: true,
            slots: Vec::new(),
            free: Vec::new(),
            active: 0,
            uploads: VecDeque::new(),
            blocked_on: None,
            get_values: VecDeque::new(),
            stale_values,
            response_buffer: bytes.max(1),
            write_error: None,
            shared: Arc::clone(&shared),
        };
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

/// One request in flight on the task.
struct Slot {
    inbox: InboxGuard,
    upload: Option<Upload>,
    abort_sent: bool,
    /// Nobody reads its events any more: they are dropped.
    abandoned: bool,
}

/// The task that owns the socket.
struct Task {
    wire: Wire,
    commands: mpsc::UnboundedReceiver<Command>,
    commands_open: bool,
    /// Requests in flight, at index `request_id - 1`.
    slots: Vec<Option<Slot>>,
    /// Ids below `slots.len()` that are free again.
    free: Vec<u16>,
    active: usize,
    /// Requests with body left to frame, in turn order.
    uploads: VecDeque<u16>,
    /// The request whose full queue holds back reading.
    blocked_on: Option<u16>,
    /// `FCGI_GET_VALUES` callers, in the order their records went out.
    get_values: VecDeque<oneshot::Sender<Result<Params, ClientError>>>,
    /// Answers to `FCGI_GET_VALUES` a [`Connection`] sent before it was
    /// taken over, whose callers gave up: skipped.
    stale_values: u64,
    response_buffer: usize,
    write_error: Option<ClientError>,
    shared: Arc<Shared>,
}

/// Why the task's loop ended.
enum Stop {
    /// Every handle is gone and nothing is in flight.
    Idle,
    /// The application closed an idle connection.
    PeerClosedIdle,
    Failed(ClientError),
}

impl Task {
    async fn run(mut self) {
        let stop = poll_fn(|cx| self.poll_run(cx)).await;
        let graceful = matches!(stop, Stop::Idle);
        let error = match stop {
            Stop::Idle | Stop::PeerClosedIdle => closed(None, None),
            Stop::Failed(err) => err,
        };
        *self
            .shared
            .closed
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error.clone());
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Start { inbox, .. } => inbox.0.fail(error.clone()),
                Command::GetValues { reply, .. } => {
                    let _ = reply.send(Err(error.clone()));
                }
                Command::Abort(_) | Command::Abandon(_) | Command::Close => {}
            }
        }
        for slot in self.slots.drain(..).flatten() {
            slot.inbox.0.fail(error.clone());
        }
        for reply in self.get_values.drain(..) {
            let _ = reply.send(Err(error.clone()));
        }
        if graceful {
            let close = self.wire.shutdown();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), close).await;
        }
    }

    fn poll_run(&mut self, cx: &mut Context<'_>) -> Poll<Stop> {
        for _ in 0..ROUNDS_BEFORE_YIELD {
            let mut progress = false;

            while self.commands_open {
                match self.commands.poll_recv(cx) {
                    Poll::Ready(Some(command)) => {
                        progress = true;
                        if let Some(stop) = self.command(command) {
                            return Poll::Ready(stop);
                        }
                    }
                    Poll::Ready(None) => self.commands_open = false,
                    Poll::Pending => break,
                }
            }

            if self.write_error.is_none() {
                let queued = self.wire.out.len();
                self.fill_uploads(cx);
                let written = self.wire.written();
                match self.wire.poll_write_out(cx) {
                    Poll::Ready(Err(err)) => self.write_failed(err),
                    Poll::Ready(Ok(())) | Poll::Pending => {}
                }
                progress |= self.wire.out.len() != queued || self.wire.written() != written;
            }

            if let Some(id) = self.blocked_on {
                match self.slot(id) {
                    Some(slot) if !slot.abandoned => {
                        if slot.inbox.0.poll_room(cx, self.response_buffer).is_ready() {
                            self.blocked_on = None;
                        }
                    }
                    _ => self.blocked_on = None,
                }
            }
            if self.blocked_on.is_none() {
                match self.wire.poll_record(cx) {
                    Poll::Pending => {}
                    Poll::Ready(Err(err)) => return Poll::Ready(Stop::Failed(err)),
                    Poll::Ready(Ok(None)) => {
                        if self.active == 0 && self.get_values.is_empty() {
                            return Poll::Ready(Stop::PeerClosedIdle);
                        }
                        return Poll::Ready(Stop::Failed(closed(None, self.write_error.as_ref())));
                    }
                    Poll::Ready(Ok(Some(record))) => {
                        progress = true;
                        if let Err(err) = self.route(record) {
                            return Poll::Ready(Stop::Failed(err));
                        }
                    }
                }
            }

            if !self.commands_open
                && self.active == 0
                && self.get_values.is_empty()
                && self.wire.out.is_empty()
            {
                return Poll::Ready(Stop::Idle);
            }
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    // ----- commands ---------------------------------------------------

    /// Handles one command; `Some` stops the task.
    fn command(&mut self, command: Command) -> Option<Stop> {
        match command {
            Command::Start { request, inbox } => self.start(request, inbox),
            Command::Abort(inbox) => self.abort(&inbox, false),
            Command::Abandon(inbox) => self.abort(&inbox, true),
            Command::GetValues { names, reply } => {
                if let Some(err) = &self.write_error {
                    let _ = reply.send(Err(err.clone()));
                } else {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    protocol::encode_get_values(&mut self.wire.out, &names);
                    self.get_values.push_back(reply);
                }
            }
            Command::Close => {
                return Some(Stop::Failed(ClientError::ConnectionClosed {
                    request_id: None,
                    detail: Some(Arc::from(
                        "closed by the client with MultiplexedConnection::close",
                    )),
                }));
            }
        }
        None
    }

    fn start(&mut self, request: ClientRequest, inbox: InboxGuard) {
        if let Some(err) = &self.write_error {
            inbox.0.fail(err.clone());
            return;
        }
        let Some(id) = self.allocate() else {
            inbox.0.fail(ClientError::NoFreeRequestId);
            return;
        };
        let (body, data) = match request.encode_head(id, &mut self.wire.out) {
            Ok(bodies) => bodies,
            Err(err) => {
                self.release(id);
                inbox.0.fail(err);
                return;
            }
        };
        inbox.0.accept(id);
        self.uploads.push_back(id);
        self.put(
            id,
            Slot {
                inbox,
                upload: Some(Upload::new(id, body, data)),
                abort_sent: false,
                abandoned: false,
            },
        );
    }

    fn abort(&mut self, inbox: &Arc<Inbox>, abandon: bool) {
        let Some(id) = inbox.request_id() else {
            return;
        };
        let write_ok = self.write_error.is_none();
        let Some(slot) = self
            .slot_mut(id)
            .filter(|slot| Arc::ptr_eq(&slot.inbox.0, inbox))
        else {
            // Already ended (the id may even be in use again).
            return;
        };
        slot.upload = None;
        slot.abandoned |= abandon;
        let send = !slot.abort_sent && write_ok;
        slot.abort_sent = true;
        if send {
            protocol::encode_abort_request(&mut self.wire.out, id);
        }
        if abandon && self.blocked_on == Some(id) {
            self.blocked_on = None;
        }
    }

    /// A request a [`Connection`] gave up on: wait for its END_REQUEST.
    fn adopt_abandoned(&mut self, id: u16) {
        let inbox = Inbox::new();
        inbox.accept(id);
        self.put(
            id,
            Slot {
                inbox: InboxGuard(inbox),
                upload: None,
                abort_sent: true,
                abandoned: true,
            },
        );
    }

    // ----- request ids ------------------------------------------------

    fn allocate(&mut self) -> Option<u16> {
        if let Some(id) = self.free.pop() {
            return Some(id);
        }
        let next = u16::try_from(self.slots.len() + 1).ok()?;
        self.slots.push(None);
        Some(next)
    }

    fn release(&mut self, id: u16) {
        self.free.push(id);
    }

    fn put(&mut self, id: u16, slot: Slot) {
        let index = usize::from(id) - 1;
        while self.slots.len() <= index {
            self.slots.push(None);
            if self.slots.len() <= index {
                // A gap below `id`: those ids are free.
                self.free.extend(u16::try_from(self.slots.len()).ok());
            }
        }
        if let Some(place) = self.slots.get_mut(index) {
            if place.is_none() {
                self.active += 1;
            }
            *place = Some(slot);
        }
    }

    fn slot(&self, id: u16) -> Option<&Slot> {
        self.slots.get(usize::from(id).checked_sub(1)?)?.as_ref()
    }

    fn slot_mut(&mut self, id: u16) -> Option<&mut Slot> {
        self.slots
            .get_mut(usize::from(id).checked_sub(1)?)?
            .as_mut()
    }

    fn remove(&mut self, id: u16) -> Option<Slot> {
        let slot = self
            .slots
            .get_mut(usize::from(id).checked_sub(1)?)?
            .take()?;
        self.active -= 1;
        self.release(id);
        if self.blocked_on == Some(id) {
            self.blocked_on = None;
        }
        Some(slot)
    }

    // ----- writing ----------------------------------------------------

    /// Frames body records, request by request in turns, while the write
    /// buffer is under its high-water mark.
    fn fill_uploads(&mut self, cx: &mut Context<'_>) {
        let mut turns = self.uploads.len();
        while turns > 0 && self.wire.out.len() < HIGH_WATER {
            turns -= 1;
            let Some(id) = self.uploads.pop_front() else {
                break;
            };
            let limit = (self.wire.out.len() + FAIR_SHARE).min(HIGH_WATER);
            let out = &mut self.wire.out;
            let Some(slot) = self
                .slots
                .get_mut(usize::from(id) - 1)
                .and_then(Option::as_mut)
            else {
                continue;
            };
            let Some(upload) = slot.upload.as_mut() else {
                continue;
            };
            match upload.fill(cx, out, limit) {
                Ok(Fill::Done) => slot.upload = None,
                Ok(Fill::Full | Fill::Waiting) => self.uploads.push_back(id),
                Err(err) => {
                    slot.upload = None;
                    if !slot.abort_sent {
                        slot.abort_sent = true;
                        protocol::encode_abort_request(out, id);
                    }
                    slot.inbox.0.fail(err);
                    slot.abandoned = true;
                }
            }
        }
    }

    /// Writing failed: the connection is half dead. Nothing more is sent;
    /// what the application already sent is still read.
    fn write_failed(&mut self, err: ClientError) {
        self.wire.out.clear();
        self.uploads.clear();
        for slot in self.slots.iter_mut().flatten() {
            slot.upload = None;
        }
        self.write_error = Some(err);
    }

    // ----- reading ----------------------------------------------------

    fn route(&mut self, record: Record) -> Result<(), ClientError> {
        let capacity = self.response_buffer;
        match record {
            Record::Stdout {
                request_id,
                content,
            } => self.deliver(
                request_id,
                RecordType::Stdout,
                ResponseEvent::Stdout(content),
                capacity,
            ),
            Record::Stderr {
                request_id,
                content,
            } => self.deliver(
                request_id,
                RecordType::Stderr,
                ResponseEvent::Stderr(content),
                capacity,
            ),
            Record::EndRequest {
                request_id,
                app_status,
                protocol_status,
            } => {
                let Some(slot) = self.remove(request_id) else {
                    return Err(unexpected_error(&record));
                };
                let Some(protocol_status) = ProtocolStatus::from_u8(protocol_status) else {
                    let err = ClientError::UnknownProtocolStatus {
                        request_id,
                        status: protocol_status,
                    };
                    slot.inbox.0.fail(err.clone());
                    return Err(err);
                };
                if !slot.abandoned {
                    slot.inbox.0.push(
                        ResponseEvent::End(EndRequest {
                            app_status,
                            protocol_status,
                        }),
                        capacity,
                    );
                }
                Ok(())
            }
            Record::GetValuesResult { .. } | Record::UnknownType { .. }
                if self.stale_values > 0 =>
            {
                self.stale_values -= 1;
                Ok(())
            }
            Record::GetValuesResult { content } => {
                if let Some(reply) = self.get_values.pop_front() {
                    let _ = reply.send(
                        protocol::decode_pairs(&content, ProtocolLimits::default())
                            .map_err(ClientError::from),
                    );
                }
                Ok(())
            }
            Record::UnknownType { .. } => {
                if let Some(reply) = self.get_values.pop_front() {
                    let _ = reply.send(Err(unexpected_error(&record)));
                }
                Ok(())
            }
            Record::Unknown { request_id: 0, .. } => Ok(()),
            other => Err(unexpected_error(&other)),
        }
    }

    /// Queues an event for request `id`; an end-of-stream record (empty
    /// content) only needs the request to exist.
    fn deliver(
        &mut self,
        id: u16,
        record_type: RecordType,
        event: ResponseEvent,
        capacity: usize,
    ) -> Result<(), ClientError> {
        let Some(slot) = self.slot(id) else {
            return Err(ProtocolError::UnexpectedRecord {
                record_type,
                request_id: id,
            }
            .into());
        };
        let empty =
            matches!(&event, ResponseEvent::Stdout(b) | ResponseEvent::Stderr(b) if b.is_empty());
        if !empty && !slot.abandoned && !slot.inbox.0.push(event, capacity) {
            self.blocked_on = Some(id);
        }
        Ok(())
    }
}
