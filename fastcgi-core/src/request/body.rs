//! The request body: the FCGI_STDIN stream (and, for the Filter role, the
//! FCGI_DATA stream), read by the handler as it arrives.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};

/// Why reading a request body failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The web server aborted the request (FCGI_ABORT_REQUEST, or it closed
    /// the connection): the rest of the body will never come.
    #[error(
        "the request was aborted before its body ended (the web server sent FCGI_ABORT_REQUEST or closed the connection, usually because the client went away)"
    )]
    Aborted,
    /// The web server sent no more of the body for the server's body
    /// timeout ([`Server::body_timeout`](crate::server::Server::body_timeout)):
    /// the request was ended.
    #[error(
        "no more of the request body arrived for {timeout:?}, the server's body timeout: the web server (or its client) went silent mid-body, so the request was ended"
    )]
    TimedOut {
        /// The body timeout in force.
        timeout: std::time::Duration,
    },
    /// The body is longer than the limit the reader set.
    #[error(
        "the request body is larger than the limit of {limit} bytes; raise the limit if such bodies are expected"
    )]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body was already taken by another extractor or reader.
    #[error("the request body was already taken: only one argument of a handler can read the body")]
    AlreadyTaken,
}

impl From<BodyError> for io::Error {
    fn from(err: BodyError) -> Self {
        let kind = match err {
            BodyError::Aborted => io::ErrorKind::ConnectionAborted,
            BodyError::TimedOut { .. } => io::ErrorKind::TimedOut,
            BodyError::TooLarge { .. } => io::ErrorKind::InvalidData,
            BodyError::AlreadyTaken => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

/// A request's body stream, read as it arrives from the web server.
///
/// This is simple-fastcgi's `read`/`readinto`/`readall`: [`chunk`](Self::chunk)
/// hands out the bytes of each record without copying,
/// [`read`](Self::read) fills a buffer, [`to_bytes`](Self::to_bytes) reads
/// to the end under a size limit. `Body` also implements
/// [`tokio::io::AsyncRead`] and [`futures_core::Stream`]. A plain `fn`
/// handler takes [`BlockingBody`](super::BlockingBody) instead, whose
/// `read` is `std::io::Read`'s.
///
/// The server buffers only a bounded amount of unread body per request;
/// while that buffer is full it stops reading the connection, which also
/// holds back other requests multiplexed on it. A handler that never reads
/// its body costs nothing beyond that bound: whatever is left is discarded
/// when the handler finishes.
///
/// Note that nginx stops sending the rest of a body once the response
/// header has gone out, so read the body before writing a response. The
/// buffering extractors (`Bytes`, `Json`, `Form`, `Text`) do that for you.
pub struct Body {
    channel: Arc<BodyChannel>,
    /// The part of a chunk a `read` did not consume.
    partial: Bytes,
}

struct BodyChannel {
    state: Mutex<BodyState>,
}

struct BodyState {
    chunks: VecDeque<Bytes>,
    buffered: usize,
    /// The empty end-of-stream record arrived.
    ended: bool,
    /// Why the rest of the stream will never come (aborted, timed out).
    failed: Option<BodyError>,
    /// The reader is gone: the rest of the stream is discarded.
    reader_dropped: bool,
    reader_waker: Option<Waker>,
    /// The connection task, waiting for the reader to make room.
    sender_waker: Option<Waker>,
}

impl BodyChannel {
    fn lock(&self) -> MutexGuard<'_, BodyState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The connection task's end of a body stream.
pub(crate) struct BodySender {
    channel: Arc<BodyChannel>,
    capacity: usize,
}

/// Creates a body stream whose unread bytes the sender may buffer up to
/// `capacity` before [`BodySender::push`] asks it to wait.
pub(crate) fn channel(capacity: usize) -> (BodySender, Body) {
    let channel = Arc::new(BodyChannel {
        state: Mutex::new(BodyState {
            chunks: VecDeque::new(),
            buffered: 0,
            ended: false,
            failed: None,
            reader_dropped: false,
            reader_waker: None,
            sender_waker: None,
        }),
    });
    (
        BodySender {
            channel: Arc::clone(&channel),
            capacity,
        },
        Body {
            channel,
            partial: Bytes::new(),
        },
    )
}

impl BodySender {
    /// Queues one record's content for the reader. Returns `false` when the
    /// buffer is over capacity: the caller should stop reading the
    /// connection until [`poll_space`](Self::poll_space) is ready.
    pub(crate) fn push(&self, content: Bytes) -> bool {
        let mut state = self.channel.lock();
        if state.reader_dropped || state.ended || state.failed.is_some() {
            return true;
        }
        state.buffered += content.len();
        state.chunks.push_back(content);
        if let Some(waker) = state.reader_waker.take() {
            waker.wake();
        }
        state.buffered < self.capacity
    }

    /// The end-of-stream record arrived.
    pub(crate) fn end(&self) {
        let mut state = self.channel.lock();
        state.ended = true;
        if let Some(waker) = state.reader_waker.take() {
            waker.wake();
        }
    }

    /// The request was aborted or its connection lost.
    pub(crate) fn abort(&self) {
        self.fail(BodyError::Aborted);
    }

    /// The rest of the stream will never come, for `reason`: what arrived
    /// unread is discarded, and the reader's next read gets `reason`.
    pub(crate) fn fail(&self, reason: BodyError) {
        let mut state = self.channel.lock();
        if !state.ended && state.failed.is_none() {
            state.failed = Some(reason);
            state.chunks.clear();
            state.buffered = 0;
        }
        if let Some(waker) = state.reader_waker.take() {
            waker.wake();
        }
    }

    /// Ready when the reader has made room (or is gone).
    pub(crate) fn poll_space(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.channel.lock();
        if state.buffered < self.capacity || state.reader_dropped || state.failed.is_some() {
            return Poll::Ready(());
        }
        state.sender_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Body {
    /// A body that is already complete, holding `bytes`.
    ///
    /// Useful in tests and for handlers that call other handlers.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use fastcgi::request::Body;
    /// let body = Body::from_bytes("hello");
    /// assert_eq!(body.to_bytes(1024).await.unwrap(), "hello");
    /// # });
    /// ```
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let (sender, body) = channel(usize::MAX);
        let bytes = bytes.into();
        if !bytes.is_empty() {
            sender.push(bytes);
        }
        sender.end();
        body
    }

    /// An empty, complete body.
    pub fn empty() -> Self {
        Self::from_bytes(Bytes::new())
    }

    /// Polls for the next chunk of the body: `None` at the end.
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        if !self.partial.is_empty() {
            return Poll::Ready(Some(Ok(std::mem::take(&mut self.partial))));
        }
        let mut state = self.channel.lock();
        if let Some(chunk) = state.chunks.pop_front() {
            state.buffered -= chunk.len();
            if let Some(waker) = state.sender_waker.take() {
                waker.wake();
            }
            return Poll::Ready(Some(Ok(chunk)));
        }
        if state.ended {
            return Poll::Ready(None);
        }
        if let Some(reason) = &state.failed {
            return Poll::Ready(Some(Err(reason.clone())));
        }
        match &state.reader_waker {
            Some(current) if current.will_wake(cx.waker()) => {}
            _ => state.reader_waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The next chunk of the body as it arrived (one record's content, no
    /// copy), or `None` at the end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, BodyError> {
        std::future::poll_fn(|cx| self.poll_chunk(cx))
            .await
            .transpose()
    }

    /// Reads up to `buf.len()` bytes into `buf`, returning how many; 0 at
    /// the end of the body (simple-fastcgi's `readinto`).
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, BodyError> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.chunk().await? {
            None => Ok(0),
            Some(mut chunk) => {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                chunk.advance(n);
                self.partial = chunk;
                Ok(n)
            }
        }
    }

    /// Reads the whole body (simple-fastcgi's `readall`), failing with
    /// [`BodyError::TooLarge`] once it exceeds `limit` bytes.
    pub async fn to_bytes(mut self, limit: usize) -> Result<Bytes, BodyError> {
        let first = match self.chunk().await? {
            None => return Ok(Bytes::new()),
            Some(chunk) => chunk,
        };
        if first.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        let Some(second) = self.chunk().await? else {
            return Ok(first);
        };
        // The chunks are slices of the connection's read buffers: keep them
        // and copy once into a buffer of the final size. Growing one buffer
        // as they come would copy the body again at every doubling (and
        // page-fault in each new buffer).
        let mut len = first.len() + second.len();
        let mut chunks = vec![first, second];
        loop {
            if len > limit {
                return Err(BodyError::TooLarge { limit });
            }
            match self.chunk().await? {
                None => break,
                Some(chunk) => {
                    len += chunk.len();
                    chunks.push(chunk);
                }
            }
        }
        let mut all = BytesMut::with_capacity(len);
        for chunk in &chunks {
            all.extend_from_slice(chunk);
        }
        Ok(all.freeze())
    }

    /// Whether the whole body has arrived and been read.
    pub fn is_end(&self) -> bool {
        let state = self.channel.lock();
        self.partial.is_empty() && state.chunks.is_empty() && state.ended
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        let mut state = self.channel.lock();
        state.reader_dropped = true;
        state.chunks.clear();
        state.buffered = 0;
        if let Some(waker) = state.sender_waker.take() {
            waker.wake();
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.channel.lock();
        f.debug_struct("Body")
            .field("buffered", &(state.buffered + self.partial.len()))
            .field("ended", &state.ended)
            .field("failed", &state.failed)
            .finish()
    }
}

impl futures_core::Stream for Body {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_chunk(cx)
    }
}

impl tokio::io::AsyncRead for Body {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        match this.poll_chunk(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(Ok(())),
            Poll::Ready(Some(Err(err))) => Poll::Ready(Err(err.into())),
            Poll::Ready(Some(Ok(mut chunk))) => {
                let n = chunk.len().min(buf.remaining());
                buf.put_slice(&chunk[..n]);
                chunk.advance(n);
                this.partial = chunk;
                Poll::Ready(Ok(()))
            }
        }
    }
}

/// Blocking reads, for code that runs where blocking is fine. Do not use it
/// from async code: it blocks the thread. (The inherent async
/// [`Body::read`] shadows it; plain `fn` handlers take
/// [`BlockingBody`](super::BlockingBody), which has only this one.)
impl io::Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        crate::blocking::block_on(Body::read(self, buf)).map_err(io::Error::from)
    }
}
