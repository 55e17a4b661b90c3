//! Bodies between this crate and the `http-body` world: the request body
//! and [`ResponseBody`] implement [`http_body::Body`], and any
//! `http_body::Body` becomes one of them.

use std::any::Any;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use futures_core::Stream;
use http_body::{Frame, SizeHint};

use crate::request::{Body, BodyError};
use crate::response::{BoxError, ResponseBody};

/// Unread body bytes buffered between a middleware's request body and the
/// handler reading it.
const PUMP_BUFFER: usize = 256 * 1024;

/// The request body (FCGI_STDIN) as an `http_body::Body`: data frames as
/// the web server sends them, no trailers.
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.get_mut()
            .poll_chunk(cx)
            .map(|chunk| chunk.map(|result| result.map(Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        self.is_end()
    }
}

/// A response body as an `http_body::Body`, for middleware that wraps it
/// (compression, tracing...): a full body is one data frame of known size.
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.poll_next(cx)
            .map(|chunk| chunk.map(|result| result.map(Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        self.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        match ResponseBody::size_hint(self) {
            Some(len) => SizeHint::with_exact(len),
            None => SizeHint::default(),
        }
    }
}

/// `value` as a `T` when it is one: lets generic code skip a conversion
/// when a middleware left the body type alone.
pub(crate) fn downcast<T: 'static, K: 'static>(value: K) -> Result<T, K> {
    let mut slot = Some(value);
    if let Some(value) = (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<T>>()
        .and_then(Option::take)
    {
        return Ok(value);
    }
    match slot {
        Some(value) => Err(value),
        None => unreachable!("`slot` is emptied only by a downcast that succeeded and returned"),
    }
}

/// Any `http_body::Body` as a [`ResponseBody`], streamed frame by frame
/// (trailers, which CGI cannot carry, are dropped).
pub(crate) fn into_response_body<B>(body: B) -> ResponseBody
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    match downcast::<ResponseBody, B>(body) {
        Ok(body) => body,
        Err(body) if body.is_end_stream() => ResponseBody::empty(),
        Err(body) => ResponseBody::from_stream(DataFrames(Box::pin(body))),
    }
}

/// The data frames of an `http_body::Body`, as a stream of chunks.
struct DataFrames<B>(Pin<Box<B>>);

impl<B> Stream for DataFrames<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let frame = match ready!(self.0.as_mut().poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Err(err)) => return Poll::Ready(Some(Err(err.into()))),
                Some(Ok(frame)) => frame,
            };
            if let Ok(mut data) = frame.into_data() {
                let bytes = data.copy_to_bytes(data.remaining());
                if !bytes.is_empty() {
                    return Poll::Ready(Some(Ok(bytes)));
                }
            }
        }
    }
}

/// One step of copying a body into a request [`Body`].
enum Pump {
    Data(Bytes),
    End,
    Failed,
}

/// Any `http_body::Body` as a request [`Body`]: the body itself when no
/// middleware replaced it, otherwise a task that reads it into a bounded
/// buffer as the handler reads. An error of the middleware's body (a size
/// limit...) reaches the handler as [`BodyError::Aborted`].
pub(crate) fn into_request_body<B>(body: B) -> Body
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    let body = match downcast::<Body, B>(body) {
        Ok(body) => return body,
        Err(body) => body,
    };
    let (sender, reader) = crate::request::body::channel(PUMP_BUFFER);
    tokio::spawn(async move {
        let mut body = std::pin::pin!(body);
        loop {
            let step = std::future::poll_fn(|cx| {
                body.as_mut().poll_frame(cx).map(|frame| match frame {
                    None => Pump::End,
                    Some(Err(_)) => Pump::Failed,
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(mut data) => Pump::Data(data.copy_to_bytes(data.remaining())),
                        Err(_trailers) => Pump::Data(Bytes::new()),
                    },
                })
            })
            .await;
            match step {
                Pump::End => return sender.end(),
                Pump::Failed => return sender.abort(),
                Pump::Data(bytes) => {
                    if !bytes.is_empty() && !sender.push(bytes) {
                        std::future::poll_fn(|cx| sender.poll_space(cx)).await;
                    }
                }
            }
        }
    });
    reader
}
