//! The output side of one connection: a buffer every request of the
//! connection appends whole records to, drained to the socket by the
//! connection task, and [`RequestOutput`], one request's handle on it.
//!
//! Appending whole records under one lock keeps records of multiplexed
//! requests from interleaving, and lets everything a handler produced within
//! one poll leave the process in a single write. Writers wait (backpressure)
//! while the buffer holds more than the configured high-water mark.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;

use crate::protocol::StreamType;

/// The largest piece of one `write` appended before waiting for the
/// connection to drain: keeps a huge write from growing the buffer.
pub(crate) const WRITE_PIECE: usize = 64 * 1024;

/// Why an append was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputClosed {
    /// The connection is gone (closed by the peer, reset, or shut down).
    Connection,
    /// The request already ended (its END_REQUEST was sent).
    RequestEnded,
}

pub(crate) struct ConnOutput {
    state: Mutex<OutputState>,
    high_water: usize,
    /// True while the connection task polls request futures inline: it
    /// looks at the buffer right after, so appends need not wake it.
    ///
    /// Outside the lock, so the connection task flips it without locking
    /// (twice per request otherwise). Relaxed is enough: appends read it
    /// under the lock, and the connection task clears it before it locks
    /// to take the buffer, so an append that still sees it set comes
    /// before that take in the lock's order, and its bytes are taken.
    conn_polling: AtomicBool,
}

pub(crate) struct OutputState {
    /// Records appended and not yet taken by the connection task.
    buf: BytesMut,
    /// Bytes the connection task took and has not written yet.
    in_flight: usize,
    /// Total bytes ever appended / written, for flush positions.
    appended: u64,
    written: u64,
    closed: bool,
    conn_waker: Option<Waker>,
    /// Writers waiting for the buffer to drain below the high-water mark,
    /// or for their bytes to be written.
    waiters: Vec<Waker>,
    /// Requests that may still write: a request id is reused once its
    /// END_REQUEST is sent, so each is told apart by a connection-unique
    /// serial, and a writer that outlived its request is refused.
    active: Vec<ActiveRequest>,
}

/// Identifies one request on one connection, across request id reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestKey {
    pub(crate) request_id: u16,
    pub(crate) serial: u64,
}

struct ActiveRequest {
    key: RequestKey,
    /// Something was written on the request's STDOUT.
    stdout_started: bool,
    /// Something was written on the request's STDERR: that stream then
    /// needs its empty end record before END_REQUEST.
    stderr_started: bool,
    /// What the access log says about the response.
    sent: Sent,
}

/// What a request's response was, for the access log: its status as its
/// head gave it (0 for a CGI document written by hand through the
/// writer, which the access log shows as 200, CGI's default), and its
/// body bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sent {
    pub(crate) status: u16,
    pub(crate) body_bytes: u64,
}

impl ConnOutput {
    pub(crate) fn new(high_water: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(OutputState {
                buf: BytesMut::new(),
                in_flight: 0,
                appended: 0,
                written: 0,
                closed: false,
                conn_waker: None,
                waiters: Vec::new(),
                active: Vec::new(),
            }),
            high_water,
            conn_polling: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, OutputState> {
        // A panic while holding this lock can only come from an encoder
        // bug; the buffer is still a sequence of whole records.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends records of `stream` produced by `encode` for the request
    /// `key`, unless the connection closed or the request ended; the stream
    /// is marked as started. Returns the stream position after the
    /// appended bytes, for [`poll_written`](Self::poll_written).
    pub(crate) fn append(
        &self,
        key: RequestKey,
        stream: StreamType,
        encode: impl FnOnce(&mut BytesMut),
    ) -> Result<u64, OutputClosed> {
        self.append_for(key, encode, |active| match stream {
            StreamType::Stdout => active.stdout_started = true,
            StreamType::Stderr => active.stderr_started = true,
            // Streams the web server sends: the application never does.
            StreamType::Params | StreamType::Stdin | StreamType::Data => {}
        })
    }

    /// [`append`](Self::append) on STDOUT, noting the response's status
    /// (when this is its head) and `body_len` bytes of its body for the
    /// access log.
    pub(crate) fn append_response(
        &self,
        key: RequestKey,
        status: Option<u16>,
        body_len: usize,
        encode: impl FnOnce(&mut BytesMut),
    ) -> Result<u64, OutputClosed> {
        self.append_for(key, encode, |active| {
            active.stdout_started = true;
            if let Some(status) = status {
                active.sent.status = status;
            }
            active.sent.body_bytes += body_len as u64;
        })
    }

    /// Appends what `encode` produces for the request `key`, after `note`
    /// has recorded it on the request, unless the connection closed or the
    /// request ended. One lock for both.
    #[inline]
    fn append_for(
        &self,
        key: RequestKey,
        encode: impl FnOnce(&mut BytesMut),
        note: impl FnOnce(&mut ActiveRequest),
    ) -> Result<u64, OutputClosed> {
        let mut state = self.lock();
        if state.closed {
            return Err(OutputClosed::Connection);
        }
        let Some(active) = state.active.iter_mut().find(|a| a.key == key) else {
            return Err(OutputClosed::RequestEnded);
        };
        note(active);
        Ok(state.push(self.conn_polling(), encode))
    }

    /// Appends connection-level records (management replies, END_REQUEST
    /// for a refused request).
    pub(crate) fn append_unchecked(&self, encode: impl FnOnce(&mut BytesMut)) {
        let mut state = self.lock();
        if !state.closed {
            state.push(self.conn_polling(), encode);
        }
    }

    fn conn_polling(&self) -> bool {
        self.conn_polling.load(Ordering::Relaxed)
    }

    /// Lets `key` write.
    pub(crate) fn open_request(&self, key: RequestKey) {
        self.lock().active.push(ActiveRequest {
            key,
            stdout_started: false,
            stderr_started: false,
            sent: Sent::default(),
        });
    }

    /// Ready once `key` has ended (its END_REQUEST appended) or the
    /// connection closed; checked again at each write of the connection.
    pub(crate) fn poll_ended(&self, cx: &mut Context<'_>, key: RequestKey) -> Poll<()> {
        let mut state = self.lock();
        if state.closed || !state.active.iter().any(|a| a.key == key) {
            return Poll::Ready(());
        }
        register(&mut state.waiters, cx.waker());
        Poll::Pending
    }

    /// Whether anything was written on `key`'s STDOUT.
    pub(crate) fn stdout_started(&self, key: RequestKey) -> bool {
        self.lock()
            .active
            .iter()
            .any(|a| a.key == key && a.stdout_started)
    }

    /// Appends the request's final records (`encode`: end of streams and
    /// END_REQUEST; its second argument says whether STDERR was written,
    /// so that stream needs ending too) and stops it from writing, in one
    /// step, so exactly one END_REQUEST is ever sent. Returns what the
    /// response was, or `None` (appending nothing) when the request had
    /// already ended.
    pub(crate) fn end_request(
        &self,
        key: RequestKey,
        encode: impl FnOnce(&mut BytesMut, bool),
    ) -> Option<Sent> {
        let mut state = self.lock();
        let index = state.active.iter().position(|a| a.key == key)?;
        let ended = state.active.swap_remove(index);
        if !state.closed {
            state.push(self.conn_polling(), |buf| encode(buf, ended.stderr_started));
        }
        Some(ended.sent)
    }

    /// Ready once the buffered output is below the high-water mark, so a
    /// writer may append more.
    pub(crate) fn poll_space(&self, cx: &mut Context<'_>) -> Poll<Result<(), OutputClosed>> {
        let mut state = self.lock();
        if state.closed {
            return Poll::Ready(Err(OutputClosed::Connection));
        }
        if state.buf.len() + state.in_flight < self.high_water {
            return Poll::Ready(Ok(()));
        }
        register(&mut state.waiters, cx.waker());
        Poll::Pending
    }

    /// Ready once every byte up to `position` has been written to the socket.
    pub(crate) fn poll_written(
        &self,
        cx: &mut Context<'_>,
        position: u64,
    ) -> Poll<Result<(), OutputClosed>> {
        let mut state = self.lock();
        if state.written >= position {
            return Poll::Ready(Ok(()));
        }
        if state.closed {
            return Poll::Ready(Err(OutputClosed::Connection));
        }
        register(&mut state.waiters, cx.waker());
        if let Some(waker) = &state.conn_waker {
            waker.wake_by_ref();
        }
        Poll::Pending
    }

    /// Marks the connection gone: pending and future appends fail.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.buf = BytesMut::new();
        for waker in state.waiters.drain(..) {
            waker.wake();
        }
    }

    // --- the connection task's side ---

    pub(crate) fn set_conn_polling(&self, polling: bool) {
        self.conn_polling.store(polling, Ordering::Relaxed);
    }

    pub(crate) fn register_conn_waker(&self, waker: &Waker) {
        let mut state = self.lock();
        match &state.conn_waker {
            Some(current) if current.will_wake(waker) => {}
            _ => state.conn_waker = Some(waker.clone()),
        }
    }

    /// Moves everything appended so far into `front` (which must be empty),
    /// swapping buffers so both keep their capacity.
    pub(crate) fn take_into(&self, front: &mut BytesMut) {
        debug_assert!(front.is_empty());
        let mut state = self.lock();
        std::mem::swap(&mut state.buf, front);
        state.in_flight = front.len();
    }

    /// Records that `n` bytes of the taken buffer were written, waking
    /// writers that waited for space or for their bytes to go out.
    pub(crate) fn wrote(&self, n: usize, still_in_flight: usize) {
        let mut state = self.lock();
        state.written += n as u64;
        state.in_flight = still_in_flight;
        // Waiters re-check their own condition (space or position); there
        // are rarely more than a few, so waking them all is cheapest.
        for waker in state.waiters.drain(..) {
            waker.wake();
        }
    }

    /// Bytes waiting to be taken by the connection task.
    pub(crate) fn pending_len(&self) -> usize {
        self.lock().buf.len()
    }
}

impl OutputState {
    fn push(&mut self, conn_polling: bool, encode: impl FnOnce(&mut BytesMut)) -> u64 {
        let before = self.buf.len();
        encode(&mut self.buf);
        self.appended += (self.buf.len() - before) as u64;
        if !conn_polling && let Some(waker) = &self.conn_waker {
            waker.wake_by_ref();
        }
        self.appended
    }
}

fn register(waiters: &mut Vec<Waker>, waker: &Waker) {
    if !waiters.iter().any(|w| w.will_wake(waker)) {
        waiters.push(waker.clone());
    }
}

/// A request's handle on its connection's output.
#[derive(Clone)]
pub(crate) struct RequestOutput {
    pub(crate) conn: Arc<ConnOutput>,
    pub(crate) key: RequestKey,
}

impl std::fmt::Debug for RequestOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestOutput")
            .field("request_id", &self.key.request_id)
            .finish()
    }
}

pub(crate) fn closed_error(err: OutputClosed) -> io::Error {
    match err {
        OutputClosed::Connection => io::Error::new(
            io::ErrorKind::BrokenPipe,
            "the web server closed the FastCGI connection (usually because the client went away); stop writing this response",
        ),
        OutputClosed::RequestEnded => io::Error::other(
            "this request already ended (its handler returned or it was aborted); a writer cannot outlive its handler",
        ),
    }
}
