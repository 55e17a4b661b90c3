//! [`unfold`]: a stream from an async step function, for streamed responses
//! written as plain async code.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

/// A stream whose items come from repeatedly awaiting `step(state)`: each
/// call returns the next item and the state for the call after it, or
/// `None` to end the stream.
///
/// Feed it to [`Ndjson`](super::Ndjson) or [`StreamBody`](super::StreamBody)
/// to stream a response from an async loop, each item sent as it is made:
///
/// ```
/// use std::time::Duration;
/// use fastcgi::response::{IntoResponse, Ndjson, unfold};
///
/// #[derive(serde::Serialize)]
/// struct Tick { i: u32 }
///
/// async fn ticks() -> impl IntoResponse {
///     Ndjson(unfold(0, |i| async move {
///         if i == 3 {
///             return None;
///         }
///         tokio::time::sleep(Duration::from_millis(10)).await;
///         Some((Tick { i }, i + 1))
///     }))
/// }
/// ```
pub fn unfold<S, F, Fut, T>(state: S, step: F) -> Unfold<S, F, Fut>
where
    F: FnMut(S) -> Fut,
    Fut: Future<Output = Option<(T, S)>>,
{
    Unfold {
        state: Some(state),
        step,
        pending: None,
    }
}

/// The stream made by [`unfold`].
pub struct Unfold<S, F, Fut> {
    state: Option<S>,
    step: F,
    /// The step being awaited, boxed so the stream itself is `Unpin`.
    pending: Option<Pin<Box<Fut>>>,
}

impl<S, F, Fut> Unpin for Unfold<S, F, Fut> {}

impl<S, F, Fut, T> Stream for Unfold<S, F, Fut>
where
    F: FnMut(S) -> Fut,
    Fut: Future<Output = Option<(T, S)>>,
{
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            let Some(state) = this.state.take() else {
                return Poll::Ready(None);
            };
            this.pending = Some(Box::pin((this.step)(state)));
        }
        let Some(pending) = this.pending.as_mut() else {
            return Poll::Ready(None);
        };
        let step = std::task::ready!(pending.as_mut().poll(cx));
        this.pending = None;
        Poll::Ready(step.map(|(item, state)| {
            this.state = Some(state);
            item
        }))
    }
}
