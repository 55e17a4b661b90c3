//! The one boxed stream type that streamed bodies are stored as, on both
//! sides of the protocol: request bodies the client sends and response
//! bodies the server writes. Callers hand over any stream of chunks and
//! errors; storing a single type keeps the body enums free of generics and
//! the framing code free of conversions.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

/// A boxed error, as carried by streaming bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A streamed body as the framing code reads it.
pub(crate) type BoxStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send + 'static>>;

/// `stream`, its chunks turned into `Bytes` and its errors boxed as they
/// come, without buffering or spawning anything.
pub(crate) fn boxed<S, B, E>(stream: S) -> BoxStream
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: Into<Bytes>,
    E: Into<BoxError>,
{
    Box::pin(MapStream { inner: stream })
}

/// Written by hand because the crate does not depend on `futures-util`
/// (whose `map_ok`/`map_err` would do it) for this alone.
struct MapStream<S> {
    inner: S,
}

impl<S, B, E> Stream for MapStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: Into<Bytes>,
    E: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of
        // `self`, and `MapStream` has no `Drop` impl nor `Unpin` override.
        let inner = unsafe { self.map_unchecked_mut(|s| &mut s.inner) };
        inner
            .poll_next(cx)
            .map(|item| item.map(|r| r.map(Into::into).map_err(Into::into)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items that are all ready at once.
    struct Items<T>(std::collections::VecDeque<T>);

    impl<T: Unpin> Stream for Items<T> {
        type Item = T;

        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
            Poll::Ready(self.get_mut().0.pop_front())
        }
    }

    #[test]
    fn chunks_become_bytes_and_errors_are_boxed_in_order() {
        let items: Vec<Result<Vec<u8>, String>> = vec![
            Ok(b"ab".to_vec()),
            Err("broken".to_owned()),
            Ok(b"c".to_vec()),
        ];
        let mut stream = boxed(Items(items.into()));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut seen = Vec::new();
        while let Poll::Ready(Some(item)) = stream.as_mut().poll_next(&mut cx) {
            seen.push(item.map_err(|e| e.to_string()));
        }
        assert_eq!(
            seen,
            [
                Ok(Bytes::from_static(b"ab")),
                Err("broken".to_owned()),
                Ok(Bytes::from_static(b"c"))
            ]
        );
    }
}
