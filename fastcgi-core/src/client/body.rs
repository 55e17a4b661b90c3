//! Request bodies (`FCGI_STDIN`, and `FCGI_DATA` for the Filter role): bytes
//! known up front or a stream, and how they are framed into records as the
//! connection has room for them.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use tokio::sync::mpsc;

use super::ClientError;
use crate::body_stream::BoxError;
use crate::body_stream::{self, BoxStream};
use crate::protocol::{StreamType, encode_stream, encode_stream_end};

/// Content per record when a body is framed: a multiple of 8 below 65535,
/// so full records need no padding.
const RECORD_PIECE: usize = 65528;

/// The body of a request: nothing, bytes known up front, or a stream of
/// chunks sent as they come.
///
/// A streamed body is read only as fast as the connection can send it, and
/// the application's server in turn reads the connection only as fast as
/// the handler consumes the body: a big upload never sits in memory whole.
///
/// ```
/// use fastcgi::client::RequestBody;
///
/// let full = RequestBody::from("name=value");
/// assert_eq!(full.len(), Some(10));
///
/// // Fed by hand (or use `from_stream` with any `Stream` of chunks):
/// let (writer, streamed) = RequestBody::channel();
/// assert_eq!(streamed.len(), None);
/// # drop(writer);
/// ```
pub struct RequestBody {
    pub(crate) kind: BodyKind,
}

pub(crate) enum BodyKind {
    Full(Bytes),
    Stream { stream: BoxStream, len: Option<u64> },
}

impl RequestBody {
    /// No body (the empty `FCGI_STDIN` record alone).
    pub fn empty() -> Self {
        Self::full(Bytes::new())
    }

    /// A body of `bytes`.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self {
            kind: BodyKind::Full(bytes.into()),
        }
    }

    /// A body read from `stream` as the connection has room for it; `len`,
    /// when known, is sent as `CONTENT_LENGTH` by the request builders.
    ///
    /// An error from the stream aborts the request (`FCGI_ABORT_REQUEST`)
    /// and is reported as [`ClientError::Body`].
    pub fn from_stream<S, B, E>(stream: S, len: Option<u64>) -> Self
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes>,
        E: Into<BoxError>,
    {
        Self {
            kind: BodyKind::Stream {
                stream: body_stream::boxed(stream),
                len,
            },
        }
    }

    /// A streamed body fed by hand: write chunks with the returned
    /// [`BodyWriter`]; dropping the writer ends the body.
    ///
    /// The channel holds a few chunks; [`BodyWriter::send`] waits while it
    /// is full, so the writer goes as fast as the application reads.
    pub fn channel() -> (BodyWriter, Self) {
        let (sender, receiver) = mpsc::channel(4);
        (
            BodyWriter { sender },
            Self {
                kind: BodyKind::Stream {
                    stream: Box::pin(ChannelStream { receiver }),
                    len: None,
                },
            },
        )
    }

    /// The body's length when known: always for bytes, for a stream when
    /// it was given.
    pub fn len(&self) -> Option<u64> {
        match &self.kind {
            BodyKind::Full(bytes) => Some(bytes.len() as u64),
            BodyKind::Stream { len, .. } => *len,
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// A copy of a bytes body; `None` for a stream, which can be read once.
    pub fn try_clone(&self) -> Option<Self> {
        match &self.kind {
            BodyKind::Full(bytes) => Some(Self::full(bytes.clone())),
            BodyKind::Stream { .. } => None,
        }
    }
}

impl Default for RequestBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Full(bytes) => f
                .debug_tuple("RequestBody::Full")
                .field(&bytes.len())
                .finish(),
            BodyKind::Stream { len, .. } => f
                .debug_struct("RequestBody::Stream")
                .field("len", len)
                .finish(),
        }
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        Self::full(bytes)
    }
}

impl From<Vec<u8>> for RequestBody {
    fn from(bytes: Vec<u8>) -> Self {
        Self::full(bytes)
    }
}

impl From<String> for RequestBody {
    fn from(text: String) -> Self {
        Self::full(text)
    }
}

impl From<&'static str> for RequestBody {
    fn from(text: &'static str) -> Self {
        Self::full(text)
    }
}

impl From<&'static [u8]> for RequestBody {
    fn from(bytes: &'static [u8]) -> Self {
        Self::full(bytes)
    }
}

impl From<()> for RequestBody {
    fn from((): ()) -> Self {
        Self::empty()
    }
}

/// Feeds a [`RequestBody::channel`] body. Dropping it ends the body;
/// [`fail`](Self::fail) aborts the request instead.
#[derive(Debug, Clone)]
pub struct BodyWriter {
    sender: mpsc::Sender<Result<Bytes, BoxError>>,
}

/// The request a [`BodyWriter`] feeds is gone: it ended, was aborted, or
/// its connection closed. The bytes were not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the request body can no longer be written: its request ended (the application answered without reading all of it), was aborted, or its connection closed"
)]
pub struct BodyClosed;

impl BodyWriter {
    /// Sends one chunk of the body, waiting while the channel is full.
    pub async fn send(&self, chunk: impl Into<Bytes>) -> Result<(), BodyClosed> {
        self.sender
            .send(Ok(chunk.into()))
            .await
            .map_err(|_| BodyClosed)
    }

    /// Aborts the request: the client sends `FCGI_ABORT_REQUEST` and the
    /// response reports [`ClientError::Body`] with `reason`.
    pub async fn fail(self, reason: impl Into<BoxError>) {
        let _ = self.sender.send(Err(reason.into())).await;
    }

    /// Whether the request is gone, so nothing more can be sent.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

struct ChannelStream {
    receiver: mpsc::Receiver<Result<Bytes, BoxError>>,
}

impl Stream for ChannelStream {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

/// Where one body is in being framed.
enum Source {
    Full(Bytes),
    Stream(BoxStream),
}

impl From<RequestBody> for Source {
    fn from(body: RequestBody) -> Self {
        match body.kind {
            BodyKind::Full(bytes) => Source::Full(bytes),
            BodyKind::Stream { stream, .. } => Source::Stream(stream),
        }
    }
}

/// What [`Upload::fill`] stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fill {
    /// Every stream was framed, its end record included.
    Done,
    /// The output buffer reached its high-water mark: write it first.
    Full,
    /// The body stream has nothing ready; it wakes the task when it has.
    Waiting,
}

/// The body streams of one request that still have to be framed: STDIN,
/// then (for a Filter) DATA.
pub(crate) struct Upload {
    request_id: u16,
    current: Option<(StreamType, Source)>,
    data: Option<Source>,
}

impl Upload {
    pub(crate) fn new(request_id: u16, stdin: RequestBody, data: Option<RequestBody>) -> Self {
        Self {
            request_id,
            current: Some((StreamType::Stdin, stdin.into())),
            data: data.map(Source::from),
        }
    }

    pub(crate) fn request_id(&self) -> u16 {
        self.request_id
    }

    /// Frames body records into `out` until it holds `high_water` bytes,
    /// the body stream has nothing ready, or every stream has ended.
    pub(crate) fn fill(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut BytesMut,
        high_water: usize,
    ) -> Result<Fill, ClientError> {
        let id = self.request_id;
        loop {
            if out.len() >= high_water {
                return Ok(Fill::Full);
            }
            let Some((stream_type, source)) = &mut self.current else {
                return Ok(Fill::Done);
            };
            let stream_type = *stream_type;
            let ended = match source {
                Source::Full(bytes) if bytes.is_empty() => true,
                Source::Full(bytes) => {
                    let piece = bytes.split_to(bytes.len().min(RECORD_PIECE));
                    encode_stream(out, stream_type, id, &piece);
                    false
                }
                Source::Stream(stream) => match stream.as_mut().poll_next(cx) {
                    Poll::Pending => return Ok(Fill::Waiting),
                    Poll::Ready(None) => true,
                    Poll::Ready(Some(Err(err))) => {
                        self.current = None;
                        self.data = None;
                        return Err(ClientError::body(err));
                    }
                    Poll::Ready(Some(Ok(chunk))) => {
                        encode_stream(out, stream_type, id, &chunk);
                        false
                    }
                },
            };
            if ended {
                encode_stream_end(out, stream_type, id);
                self.current = self.data.take().map(|data| (StreamType::Data, data));
            }
        }
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("request_id", &self.request_id)
            .field("stream", &self.current.as_ref().map(|(t, _)| *t))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Record, RecordDecoder};

    fn noop_cx<T>(f: impl FnOnce(&mut Context<'_>) -> T) -> T {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        f(&mut cx)
    }

    #[test]
    fn bytes_bodies_are_framed_in_pieces_then_ended() {
        let body = RequestBody::full(vec![7u8; 70_000]);
        let mut upload = Upload::new(3, body, Some(RequestBody::full("data")));
        let mut out = BytesMut::new();
        let fill = noop_cx(|cx| upload.fill(cx, &mut out, 1 << 20));
        assert_eq!(fill.ok(), Some(Fill::Done));
        let mut decoder = RecordDecoder::new();
        decoder.feed(&out);
        let mut records = Vec::new();
        while let Ok(Some(record)) = decoder.next_record() {
            records.push(record);
        }
        let lens: Vec<_> = records
            .iter()
            .map(|r| (r.record_type(), r.stream_content().map_or(0, Bytes::len)))
            .collect();
        assert_eq!(lens, [(5, 65528), (5, 4472), (5, 0), (8, 4), (8, 0)]);
        assert!(
            matches!(&records[3], Record::Data { request_id: 3, content } if content == "data")
        );
    }

    #[test]
    fn filling_stops_at_the_high_water_mark() {
        let mut upload = Upload::new(1, RequestBody::full(vec![0u8; 200_000]), None);
        let mut out = BytesMut::new();
        let fill = noop_cx(|cx| upload.fill(cx, &mut out, 100_000));
        assert_eq!(fill.ok(), Some(Fill::Full));
        assert!(out.len() >= 100_000 && out.len() < 200_000);
    }
}
