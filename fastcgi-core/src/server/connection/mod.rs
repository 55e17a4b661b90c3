//! One connection from the web server: reads records, runs the requests
//! they begin, writes what the requests produce.
//!
//! Everything for a connection happens in one task. Request futures are
//! polled in place rather than spawned, so the common path (nginx with
//! keep-alive, one request at a time) costs no task, channel or copy per
//! request: the records of a request usually arrive in one read, the
//! handler completes within the same poll, and its whole response with
//! END_REQUEST leaves in one write. Multiplexed requests take turns in the
//! same task; CPU-heavy handlers belong on `spawn_blocking`.

mod close;
mod deadlines;
mod dispatch;
mod drain;
mod read;
mod report;
mod slots;
mod timers;
mod write;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

use super::config::ServerConfig;
use super::in_flight::Registration;
use crate::handler::Handler;
use crate::output::{ConnOutput, RequestKey};
use crate::protocol::{ProtocolError, RecordDecoder};
use slots::Slot;

/// Poll-loop rounds before yielding to other tasks.
const ROUNDS_BEFORE_YIELD: usize = 32;

/// What the server shares with each of its connections.
pub(crate) struct Shared<H> {
    pub(crate) handler: Arc<H>,
    pub(crate) config: ServerConfig,
    pub(crate) state: Arc<http::Extensions>,
    pub(crate) metrics: super::Metrics,
}

/// Why a connection ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Closed on purpose: KEEP_CONN was clear.
    Done,
    /// The web server closed its side.
    PeerClosed,
    IdleTimeout,
    ParamsTimeout,
    WriteTimeout,
    Protocol(ProtocolError),
    Io(io::Error),
}

pub(crate) struct Connection<H, IO> {
    io: IO,
    shared: Arc<Shared<H>>,
    decoder: RecordDecoder,
    output: Arc<ConnOutput>,
    /// Output taken from `output`, being written.
    front: BytesMut,
    slots: Vec<Slot>,
    next_serial: u64,
    /// The request whose full body buffer holds back reading.
    blocked_on: Option<RequestKey>,
    read_closed: bool,
    /// The last read took less than the room it had, so the socket had
    /// nothing more then: reading again is left until the task would
    /// otherwise wait, or until its next wake-up (see `read.rs`).
    read_emptied: bool,
    /// The room made for the next read: it starts small and doubles while
    /// reads fill it (see `read.rs`).
    read_size: usize,
    close_when_idle: bool,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    shutdown_seen: bool,
    /// When shutdown began, once it has (see `drain.rs`).
    draining: Option<Instant>,
    /// While draining: the web server is yet to be told to let the
    /// connection go.
    nudge_due: bool,
    /// While draining: the web server was told (see `drain.rs`).
    nudged: bool,
    /// The socket's descriptor, when the connection serves a socket the
    /// server accepted (not `serve_io`'s streams): see `close.rs`.
    socket_fd: Option<std::os::fd::RawFd>,
    /// That socket is TCP (see `drain.rs`).
    tcp: bool,
    /// The last request began with FCGI_KEEP_CONN clear: the web server
    /// sends nothing after it and closes once it has the response.
    asked_to_close: bool,
    corked: bool,
    /// The request id of the last BEGIN_REQUEST, if any came.
    last_request_id: Option<u16>,
    timer: Pin<Box<Sleep>>,
    /// When the connection last did something that keeps it alive: a
    /// request began or ended, or a management record came. The idle
    /// timeout counts from this or the last write, whichever is later.
    last_activity: Instant,
    last_write: Instant,
    /// The time, read once per wake-up (see [`now`](Self::now)).
    clock: Option<Instant>,
    /// The waker last given to `output`, to give it again only when it
    /// changes (it takes the output's lock).
    registered_waker: Option<Waker>,
    /// This connection's list on the status page, made when it first has
    /// a request to list.
    in_flight: Option<Registration>,
    /// The list is not empty.
    published: bool,
    /// The buffer of the last finished request's label, for the next.
    spare_label: Vec<u8>,
}

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    pub(crate) fn new(
        io: IO,
        shared: Arc<Shared<H>>,
        shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Self {
        let now = Instant::now();
        let output = ConnOutput::new(shared.config.output_buffer);
        Self {
            io,
            decoder: RecordDecoder::new(),
            output,
            front: BytesMut::new(),
            slots: Vec::new(),
            next_serial: 0,
            blocked_on: None,
            read_closed: false,
            read_emptied: false,
            read_size: read::READ_MIN,
            close_when_idle: false,
            shutdown,
            shutdown_seen: false,
            draining: None,
            nudge_due: false,
            nudged: false,
            socket_fd: None,
            tcp: false,
            asked_to_close: false,
            corked: false,
            last_request_id: None,
            timer: Box::pin(tokio::time::sleep_until(now + shared.config.idle_timeout)),
            last_activity: now,
            last_write: now,
            clock: None,
            registered_waker: None,
            in_flight: None,
            published: false,
            spare_label: Vec::new(),
            shared,
        }
    }

    /// Serves the connection until it ends, then closes it without losing
    /// output: see [`close`](Self::close).
    pub(crate) async fn run(mut self) -> Outcome {
        self.take_spare_read_buffer();
        let outcome = std::future::poll_fn(|cx| self.poll_serve(cx)).await;
        if let Outcome::Protocol(err) = &outcome {
            self.shared.metrics.protocol_error();
            tracing::warn!(error = %err, "closing the connection: protocol error");
        }
        self.close(&outcome).await;
        self.leave_read_buffer();
        outcome
    }

    fn poll_serve(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        self.clock = None;
        // Reads skipped after a short read (see `read.rs`) are skipped
        // within one wake-up at most: output that keeps flowing for all
        // the rounds must not keep new requests or an abort unread.
        self.read_emptied = false;
        self.register_waker(cx);
        // Once per wake-up, not per round: the rounds below never wait, and
        // a shutdown that comes meanwhile wakes the task again. (Polling the
        // watch once per round cost ~700 instructions per request.)
        if !self.shutdown_seen && self.shutdown.as_mut().poll(cx).is_ready() {
            self.shutdown_seen = true;
            self.start_draining();
        }
        for _ in 0..ROUNDS_BEFORE_YIELD {
            let mut progress = false;

            if !self.read_closed {
                match self.poll_input(cx) {
                    Ok(read_something) => progress |= read_something,
                    Err(outcome) => return Poll::Ready(outcome),
                }
            }

            progress |= self.poll_requests(cx);

            if self.draining.is_some() {
                if self.close_when_idle && self.slots.is_empty() {
                    self.hold_last_output();
                }
                self.nudge_when_idle();
            }
            match self.poll_output(cx) {
                Ok(wrote_something) => progress |= wrote_something,
                Err(err) => return Poll::Ready(Outcome::Io(err)),
            }

            if self.read_closed {
                self.abort_all();
                return Poll::Ready(Outcome::PeerClosed);
            }
            if self.close_when_idle && self.slots.is_empty() && self.output_drained() {
                return Poll::Ready(Outcome::Done);
            }
            if !progress {
                if std::mem::take(&mut self.read_emptied) && !self.read_closed {
                    // Reads were skipped (see `read.rs`): one now, before
                    // waiting.
                    match self.poll_input(cx) {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(outcome) => return Poll::Ready(outcome),
                    }
                }
                return match self.poll_timers(cx) {
                    Some(outcome) => Poll::Ready(outcome),
                    None => {
                        self.publish_in_flight();
                        Poll::Pending
                    }
                };
            }
        }
        // Plenty done: let other connections run.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// The time, read once per wake-up of the task: a wake-up takes
    /// microseconds, and the deadlines it feeds are seconds away. (Four
    /// clock reads per request before.)
    fn now(&mut self) -> Instant {
        *self.clock.get_or_insert_with(Instant::now)
    }

    fn register_waker(&mut self, cx: &Context<'_>) {
        if !self
            .registered_waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            self.output.register_conn_waker(cx.waker());
            self.registered_waker = Some(cx.waker().clone());
        }
    }

    fn output_drained(&self) -> bool {
        self.front.is_empty() && self.output.pending_len() == 0
    }
}
