//! [`Connection`]: one request at a time, driven by the caller's task;
//! the request in flight is driven in `in_flight.rs`.

mod in_flight;

use std::collections::VecDeque;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::task::{Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite};

use super::body::Upload;
use super::stream::ResponseStream;
use super::transport::{Address, Transport};
use super::wire::Wire;
use super::{ClientError, ClientRequest, ClientResponse, MultiplexedConnection};
use crate::protocol::{self, Params, ProtocolError, ProtocolLimits, Record, RecordType};

/// A client connection that runs one request at a time, in the caller's
/// task: the fast path for keep-alive traffic (what nginx does by default
/// with `fastcgi_keep_conn on`).
///
/// # Cost model
///
/// No task, channel, lock or `Arc` per request: [`send`](Self::send) and
/// [`start`](Self::start) encode the request into one write buffer that is
/// reused for the life of the connection, and read the socket into one
/// decoder buffer; `FCGI_STDOUT` content is handed out as zero-copy
/// [`Bytes`](https://docs.rs/bytes/1/bytes/struct.Bytes.html) slices of it. A small request (params and body
/// under the 128 KiB high-water mark) leaves in one `write`; a response
/// whose header and body came in one record is collected without copying
/// its body. What remains per request is building its [`Params`] (two
/// allocations) and the response's `HeaderMap`.
///
/// Bodies are written as the socket accepts them while the response is
/// read, so an application that answers before reading its whole body
/// cannot deadlock against the client. Memory stays bounded: a streamed
/// body is pulled only while less than 128 KiB is waiting to be written.
///
/// For several requests in flight at once on one connection, turn it into
/// a [`MultiplexedConnection`] with [`into_multiplexed`](Self::into_multiplexed).
///
/// # Cancellation
///
/// Dropping a [`ResponseStream`] before its end (or cancelling `send`)
/// aborts the request: `FCGI_ABORT_REQUEST` goes out with the connection's
/// next write, the rest of that request's records are dropped when they
/// come, and the next request uses another request id meanwhile.
///
/// ```no_run
/// use fastcgi::client::{ClientRequest, Connection};
///
/// # async fn run() -> Result<(), fastcgi::client::ClientError> {
/// let mut conn = Connection::connect("127.0.0.1:9000").await?;
/// for i in 0..100 {
///     let response = conn.send(ClientRequest::get(&format!("/items/{i}"))).await?;
///     assert_eq!(response.status(), 200);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Connection {
    wire: Wire,
    /// The request whose records [`poll_event`](Self::poll_event) returns.
    current: Option<u16>,
    /// The body of `current` still to be framed.
    upload: Option<Upload>,
    /// Records of `current` read while its head was still being written.
    pending: VecDeque<Record>,
    /// Requests given up on (aborted and dropped): their records are
    /// dropped until their `FCGI_END_REQUEST` frees the id.
    abandoned: Vec<u16>,
    /// A failed write: nothing more is written, but what the application
    /// already sent can still be read.
    write_error: Option<ClientError>,
    /// The error that made the connection unusable.
    broken: Option<ClientError>,
    /// `FCGI_GET_VALUES` records sent, and answers read: an answer whose
    /// caller gave up (was cancelled) is skipped, not given to the next one.
    values_asked: u64,
    values_answered: u64,
}

impl Connection {
    /// Connects to `addr`: `HOST:PORT`, `[V6]:PORT` (TCP, with
    /// `TCP_NODELAY`) or `unix:/path/to.sock`.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidAddress`] for an address that does not parse,
    /// [`ClientError::Connect`] when nothing accepts the connection there.
    pub async fn connect(addr: &str) -> Result<Self, ClientError> {
        let addr = Address::parse(addr)?;
        Ok(Self::from_transport(Transport::connect(&addr).await?))
    }

    /// Connects over TCP, with `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Connect`] when nothing accepts the connection.
    pub async fn connect_tcp(addr: SocketAddr) -> Result<Self, ClientError> {
        Ok(Self::from_transport(Transport::connect_tcp(addr).await?))
    }

    /// Connects to a unix socket.
    ///
    /// # Errors
    ///
    /// [`ClientError::Connect`] when there is no socket at `path` or
    /// nothing accepts on it.
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, ClientError> {
        Ok(Self::from_transport(
            Transport::connect_unix(path.as_ref()).await?,
        ))
    }

    /// Runs over a stream you opened: any `AsyncRead + AsyncWrite`, such as
    /// one half of [`tokio::io::duplex`]. TCP and unix streams are used
    /// directly (TCP gets `TCP_NODELAY`), others through a box.
    pub fn new<S>(stream: S) -> Self
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        Self::from_transport(Transport::from_stream(stream))
    }

    fn from_transport(io: Transport) -> Self {
        Self {
            wire: Wire::new(io),
            current: None,
            upload: None,
            pending: VecDeque::new(),
            abandoned: Vec::new(),
            write_error: None,
            broken: None,
            values_asked: 0,
            values_answered: 0,
        }
    }

    /// Sends `request` and collects its whole response (see
    /// [`ResponseStream::collect`]).
    ///
    /// # Errors
    ///
    /// Connection failures ([`ClientError::is_connection_error`]), a
    /// request the application refused ([`ClientError::Rejected`]), a
    /// malformed CGI header block, or a failed body stream.
    pub async fn send(&mut self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        self.start(request).await?.collect().await
    }

    /// Sends `request`'s `FCGI_BEGIN_REQUEST` and params, and returns the
    /// stream its response arrives on. The body is written as the stream
    /// is read.
    ///
    /// # Errors
    ///
    /// When the connection is unusable, the request cannot be encoded, or
    /// the head cannot be written.
    pub async fn start(
        &mut self,
        request: ClientRequest,
    ) -> Result<ResponseStream<'_>, ClientError> {
        if let Some(err) = &self.broken {
            return Err(err.clone());
        }
        if let Some(err) = &self.write_error {
            return Err(err.clone());
        }
        if let Some(id) = self.current {
            // A stream was leaked without being dropped: give up on it.
            self.abandon(id);
        }
        let id = self.free_id()?;
        let (body, data) = request.encode_head(id, &mut self.wire.out)?;
        let head_end = self.wire.queued_end();
        self.current = Some(id);
        self.upload = Some(Upload::new(id, body, data));
        self.pending.clear();
        if let Err(err) = poll_fn(|cx| self.poll_head_sent(cx, id, head_end)).await {
            if self.broken.is_none() {
                self.abandon(id);
            }
            return Err(err);
        }
        Ok(ResponseStream::direct(self, id))
    }

    /// Asks the application for its `FCGI_GET_VALUES` variables, e.g.
    /// [`FCGI_MPXS_CONNS`](protocol::FCGI_MPXS_CONNS); it answers those it
    /// knows.
    ///
    /// # Errors
    ///
    /// Connection failures, or a malformed answer.
    pub async fn get_values(&mut self, names: &[&str]) -> Result<Params, ClientError> {
        if let Some(err) = self.broken.as_ref().or(self.write_error.as_ref()) {
            return Err(err.clone());
        }
        if let Some(id) = self.current {
            self.abandon(id);
        }
        protocol::encode_get_values(&mut self.wire.out, names);
        self.values_asked += 1;
        let ticket = self.values_asked;
        let result = poll_fn(|cx| {
            loop {
                let record = match ready!(self.poll_record(cx)) {
                    Ok(Some(record)) => record,
                    Ok(None) => return Poll::Ready(Err(closed(None, self.write_error.as_ref()))),
                    Err(err) => return Poll::Ready(Err(err)),
                };
                match record {
                    Record::GetValuesResult { content } => {
                        self.values_answered += 1;
                        if self.values_answered == ticket {
                            return Poll::Ready(
                                protocol::decode_pairs(&content, ProtocolLimits::default())
                                    .map_err(ClientError::from),
                            );
                        }
                    }
                    Record::UnknownType { .. } => {
                        self.values_answered += 1;
                        if self.values_answered == ticket {
                            return Poll::Ready(Err(ProtocolError::UnexpectedRecord {
                                record_type: RecordType::UnknownType,
                                request_id: 0,
                            }
                            .into()));
                        }
                    }
                    other => {
                        if let Err(err) = self.unexpected(other) {
                            return Poll::Ready(Err(err));
                        }
                    }
                }
            }
        })
        .await;
        if let Err(err) = &result
            && err.is_connection_error()
        {
            self.broken = Some(err.clone());
        }
        result
    }

    /// Turns this connection into one that carries many requests at once,
    /// with a background task (spawned on the current tokio runtime).
    pub fn into_multiplexed(self) -> MultiplexedConnection {
        MultiplexedConnection::from_connection(self)
    }

    /// Writes what is still queued (an abort, say), then closes the
    /// connection's write side; the application sees the end of input.
    ///
    /// # Errors
    ///
    /// When the write or the shutdown fails.
    pub async fn close(mut self) -> Result<(), ClientError> {
        self.wire.shutdown().await
    }

    /// Whether the connection failed and cannot carry more requests.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Takes the connection apart for the multiplexing task: the wire, the
    /// requests still to be awaited, and the number of `FCGI_GET_VALUES`
    /// answers nobody waits for any more.
    pub(crate) fn into_parts(mut self) -> (Wire, Vec<u16>, u64) {
        if let Some(id) = self.current {
            self.abandon(id);
        }
        let stale = self.values_asked - self.values_answered;
        (self.wire, self.abandoned, stale)
    }
}

/// The protocol error for a record the application should not have sent.
pub(crate) fn unexpected_error(record: &Record) -> ClientError {
    ProtocolError::UnexpectedRecord {
        record_type: RecordType::from_u8(record.record_type()).unwrap_or(RecordType::UnknownType),
        request_id: record.request_id(),
    }
    .into()
}

/// The connection closed with `request_id` waiting.
pub(crate) fn closed(request_id: Option<u16>, cause: Option<&ClientError>) -> ClientError {
    ClientError::ConnectionClosed {
        request_id,
        detail: cause.map(|err| Arc::from(err.to_string())),
    }
}
