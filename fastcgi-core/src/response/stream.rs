//! Streamed responses: chunks, and NDJSON records, written as they come.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderValue, header};
use serde::Serialize;

use super::{BoxError, IntoResponse, Response, ResponseBody};

/// A response whose body is streamed from a [`Stream`] of chunks, each sent
/// to the web server as soon as it is produced.
///
/// The content type defaults to `application/octet-stream`; set another
/// with [`content_type`](Self::content_type). Behind nginx, turn off
/// `fastcgi_buffering` for the location so the chunks reach the client as
/// they come.
///
/// ```
/// use fastcgi::response::{IntoResponse, StreamBody};
/// # struct Iter(std::vec::IntoIter<Result<&'static str, std::io::Error>>);
/// # impl futures_core::Stream for Iter {
/// #     type Item = Result<&'static str, std::io::Error>;
/// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
/// #         std::task::Poll::Ready(self.0.next())
/// #     }
/// # }
/// # let chunks = Iter(vec![Ok("a"), Ok("b")].into_iter());
/// let response = StreamBody::new(chunks).content_type("text/plain").into_response();
/// assert_eq!(response.headers()["content-type"], "text/plain");
/// ```
pub struct StreamBody<S> {
    stream: S,
    content_type: &'static str,
}

impl<S> StreamBody<S> {
    /// Streams `stream`'s chunks as `application/octet-stream`.
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            content_type: "application/octet-stream",
        }
    }

    /// Sets the content type.
    pub fn content_type(mut self, content_type: &'static str) -> Self {
        self.content_type = content_type;
        self
    }
}

impl<S, B, E> IntoResponse for StreamBody<S>
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: Into<Bytes>,
    E: Into<BoxError>,
{
    fn into_response(self) -> Response {
        let mut response = Response::new(ResponseBody::from_stream(self.stream));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        response
    }
}

/// A response of newline-delimited JSON (`application/x-ndjson`): each item
/// of the stream is serialized on its own line and sent as soon as it is
/// produced, like simple-fastcgi's `dir_listing`.
///
/// For a stream of `Result`s, where an `Err` should end the response early
/// (with the error on FCGI_STDERR), use [`TryNdjson`].
///
/// ```
/// use fastcgi::response::{IntoResponse, Ndjson};
/// # struct Iter(std::vec::IntoIter<u32>);
/// # impl futures_core::Stream for Iter {
/// #     type Item = u32;
/// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<u32>> {
/// #         std::task::Poll::Ready(self.0.next())
/// #     }
/// # }
/// let numbers = Iter(vec![1, 2, 3].into_iter());
/// let response = Ndjson(numbers).into_response();
/// assert_eq!(response.headers()["content-type"], "application/x-ndjson");
/// ```
pub struct Ndjson<S>(pub S);

/// Like [`Ndjson`], for a stream of `Result<T, E>`: `Ok` items are records,
/// an `Err` ends the response early and is written to FCGI_STDERR.
pub struct TryNdjson<S>(pub S);

fn record<T: Serialize>(value: &T) -> Result<Bytes, BoxError> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    Ok(Bytes::from(line))
}

struct Records<S, F> {
    inner: S,
    to_record: F,
}

impl<S, F> Stream for Records<S, F>
where
    S: Stream,
    F: FnMut(S::Item) -> Result<Bytes, BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // SAFETY: `inner` is structurally pinned: it is never moved out and
        // `Records` has no Drop impl; `to_record` is never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above, `inner` stays where it is.
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        inner
            .poll_next(cx)
            .map(|item| item.map(&mut this.to_record))
    }
}

fn ndjson_response(body: ResponseBody) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}

impl<S> IntoResponse for Ndjson<S>
where
    S: Stream + Send + 'static,
    S::Item: Serialize,
{
    fn into_response(self) -> Response {
        ndjson_response(ResponseBody::from_stream(Records {
            inner: self.0,
            to_record: |item: S::Item| record(&item),
        }))
    }
}

impl<S, T, E> IntoResponse for TryNdjson<S>
where
    S: Stream<Item = Result<T, E>> + Send + 'static,
    T: Serialize,
    E: Into<BoxError>,
{
    fn into_response(self) -> Response {
        ndjson_response(ResponseBody::from_stream(Records {
            inner: self.0,
            to_record: |item: Result<T, E>| record(&item.map_err(Into::into)?),
        }))
    }
}
