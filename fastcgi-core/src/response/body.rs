//! The body of a response: nothing, bytes known up front, or a stream of
//! chunks written as they come.

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;

pub use crate::body_stream::BoxError;
use crate::body_stream::{self, BoxStream};

/// The body of a [`Response`](super::Response).
///
/// A full body's length is known, so the response carries a
/// `Content-Length`; a streamed body's chunks are sent as they are
/// produced, each pushed to the web server at once.
pub struct ResponseBody {
    pub(crate) kind: BodyKind,
}

pub(crate) enum BodyKind {
    Empty,
    Full(Bytes),
    Stream(BoxStream),
}

impl ResponseBody {
    /// No body.
    pub fn empty() -> Self {
        Self {
            kind: BodyKind::Empty,
        }
    }

    /// A body of `bytes`, sent with a `Content-Length`.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Self::empty();
        }
        Self {
            kind: BodyKind::Full(bytes),
        }
    }

    /// A body streamed from `stream`: each chunk is sent to the web server
    /// as soon as it is produced. An error ends the response early and is
    /// logged to the request's FCGI_STDERR.
    pub fn from_stream<S, B, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes>,
        E: Into<BoxError>,
    {
        Self {
            kind: BodyKind::Stream(body_stream::boxed(stream)),
        }
    }

    /// The body's length when known up front.
    pub fn size_hint(&self) -> Option<u64> {
        match &self.kind {
            BodyKind::Empty => Some(0),
            BodyKind::Full(bytes) => Some(bytes.len() as u64),
            BodyKind::Stream(_) => None,
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.size_hint() == Some(0)
    }

    /// Collects a full body's bytes; `None` for a stream.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            BodyKind::Empty => Some(&[]),
            BodyKind::Full(bytes) => Some(bytes),
            BodyKind::Stream(_) => None,
        }
    }
}

impl Default for ResponseBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Empty => f.write_str("ResponseBody::Empty"),
            BodyKind::Full(bytes) => f.debug_tuple("ResponseBody::Full").field(bytes).finish(),
            BodyKind::Stream(_) => f.write_str("ResponseBody::Stream(..)"),
        }
    }
}

macro_rules! full_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for ResponseBody {
            fn from(value: $ty) -> Self {
                Self::full(value)
            }
        }
    )*};
}
full_from!(Bytes, Vec<u8>, String, &'static str, &'static [u8]);

/// JSON text: simple-fastcgi's `send_response(..., data)` with a JSON value.
impl From<serde_json::Value> for ResponseBody {
    fn from(value: serde_json::Value) -> Self {
        Self::full(value.to_string())
    }
}

impl From<()> for ResponseBody {
    fn from((): ()) -> Self {
        Self::empty()
    }
}

/// The body's chunks, in order: a full body is one chunk, an empty one
/// none, a streamed one each chunk as it is produced. This is how a body
/// reaches code other than the server's writer (middleware that wraps it,
/// tests that read it).
impl Stream for ResponseBody {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match &mut this.kind {
            BodyKind::Empty => std::task::Poll::Ready(None),
            BodyKind::Full(_) => match std::mem::replace(&mut this.kind, BodyKind::Empty) {
                BodyKind::Full(bytes) => std::task::Poll::Ready(Some(Ok(bytes))),
                _ => std::task::Poll::Ready(None),
            },
            BodyKind::Stream(stream) => stream.as_mut().poll_next(cx),
        }
    }
}
