//! Running a future to completion on the current thread, for the blocking
//! (`std::io`) faces of [`Body`](crate::request::Body) and
//! [`ResponseWriter`](crate::response::ResponseWriter).
//!
//! The futures involved wait only on the connection task (through wakers),
//! never on the tokio reactor of the calling thread, so a park/unpark waker
//! is all they need and this works on any thread, inside `spawn_blocking`
//! or outside any runtime.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Blocks the current thread until `future` completes.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}
