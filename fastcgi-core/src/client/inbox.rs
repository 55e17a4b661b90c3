//! The queue between the multiplexing task and one request's
//! [`ResponseStream`](super::ResponseStream): events in arrival order, a
//! byte budget, and the terminal error.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::{ClientError, ResponseEvent};

/// One request's events, shared by the task (writer) and the stream (reader).
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    state: Mutex<InboxState>,
}

#[derive(Debug, Default)]
struct InboxState {
    /// Set once the task has taken the request and given it an id.
    request_id: Option<u16>,
    events: VecDeque<ResponseEvent>,
    /// Output bytes queued and not yet read.
    buffered: usize,
    /// No more events will come: `End` was queued, or `error` is set.
    finished: bool,
    /// Why the request failed, returned once the queued events are read.
    error: Option<ClientError>,
    reader_waker: Option<Waker>,
    /// The task, waiting for the reader to make room.
    task_waker: Option<Waker>,
}

fn event_len(event: &ResponseEvent) -> usize {
    match event {
        ResponseEvent::Stdout(bytes) | ResponseEvent::Stderr(bytes) => bytes.len(),
        ResponseEvent::End(_) => 0,
    }
}

impl Inbox {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> MutexGuard<'_, InboxState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake_reader(state: &mut InboxState) {
        if let Some(waker) = state.reader_waker.take() {
            waker.wake();
        }
    }

    // ----- the task's side ----------------------------------------------

    /// The task took the request as `request_id`.
    pub(crate) fn accept(&self, request_id: u16) {
        let mut state = self.lock();
        state.request_id = Some(request_id);
        Self::wake_reader(&mut state);
    }

    /// Queues an event. Returns whether there is still room under `capacity`
    /// bytes; when not, the task stops reading until [`poll_room`](Self::poll_room).
    pub(crate) fn push(&self, event: ResponseEvent, capacity: usize) -> bool {
        let mut state = self.lock();
        if state.finished {
            return true;
        }
        state.buffered += event_len(&event);
        state.finished = matches!(event, ResponseEvent::End(_));
        state.events.push_back(event);
        Self::wake_reader(&mut state);
        state.buffered < capacity
    }

    /// Fails the request (unless it already ended): the reader gets `error`
    /// after the events already queued.
    pub(crate) fn fail(&self, error: ClientError) {
        let mut state = self.lock();
        if state.finished {
            return;
        }
        let error = match state.request_id {
            Some(id) => error.for_request(id),
            None => error,
        };
        state.finished = true;
        state.error = Some(error);
        Self::wake_reader(&mut state);
    }

    /// Ready once the reader has brought the queue under `capacity` bytes.
    pub(crate) fn poll_room(&self, cx: &mut Context<'_>, capacity: usize) -> Poll<()> {
        let mut state = self.lock();
        if state.buffered < capacity {
            return Poll::Ready(());
        }
        state.task_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    pub(crate) fn request_id(&self) -> Option<u16> {
        self.lock().request_id
    }

    /// Whether the request is over: its end or its error is queued.
    pub(crate) fn is_finished(&self) -> bool {
        self.lock().finished
    }

    // ----- the reader's side --------------------------------------------

    /// Ready with the request id once the task took the request, or with
    /// the error that kept it from doing so.
    pub(crate) fn poll_accepted(&self, cx: &mut Context<'_>) -> Poll<Result<u16, ClientError>> {
        let mut state = self.lock();
        if let Some(id) = state.request_id {
            return Poll::Ready(Ok(id));
        }
        if let Some(error) = &state.error {
            return Poll::Ready(Err(error.clone()));
        }
        Self::register(&mut state, cx);
        Poll::Pending
    }

    /// The next event, or the request's error once the events before it
    /// are read.
    pub(crate) fn poll_next(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<ResponseEvent, ClientError>> {
        let mut state = self.lock();
        if let Some(event) = state.events.pop_front() {
            state.buffered -= event_len(&event);
            if let Some(waker) = state.task_waker.take() {
                waker.wake();
            }
            return Poll::Ready(Ok(event));
        }
        if let Some(error) = &state.error {
            return Poll::Ready(Err(error.clone()));
        }
        Self::register(&mut state, cx);
        Poll::Pending
    }

    fn register(state: &mut InboxState, cx: &mut Context<'_>) {
        match &state.reader_waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.reader_waker = Some(cx.waker().clone()),
        }
    }
}

/// The task's hold on an inbox: when dropped before the request ended (the
/// task stopped, or a command was never processed), the reader learns that
/// the connection is gone instead of waiting forever.
#[derive(Debug)]
pub(crate) struct InboxGuard(pub(crate) Arc<Inbox>);

impl Drop for InboxGuard {
    fn drop(&mut self) {
        self.0.fail(ClientError::ConnectionClosed {
            request_id: None,
            detail: Some(Arc::from("the connection's task stopped")),
        });
    }
}
