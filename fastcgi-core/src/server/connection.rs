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

use std::future::Future;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::config::ServerConfig;
use super::output::{ConnOutput, RequestKey};
use super::request_task::run_request;
use crate::handler::Handler;
use crate::io_error::is_disconnect;
use crate::protocol::{
    self, FCGI_KEEP_CONN, FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS, ParamsDecoder,
    ProtocolError, ProtocolStatus, Record, RecordDecoder, RecordType, Role, StreamType,
};
use crate::request::body::{self, BodySender};
use crate::request::{AbortSignal, Body, Environ, Request, RequestParts};
use crate::response::{RequestOutput, ResponseWriter};

/// How much to read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;
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
    /// Closed on purpose: KEEP_CONN was clear, or the server shuts down.
    Done,
    /// The web server closed its side.
    PeerClosed,
    IdleTimeout,
    ParamsTimeout,
    WriteTimeout,
    Protocol(ProtocolError),
    Io(io::Error),
}

type RequestFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

enum Phase {
    /// FCGI_PARAMS is still arriving.
    Params(ParamsDecoder),
    /// The handler runs.
    Running(RequestFuture),
    /// Aborted: the handler gets one last poll to see the signal.
    Aborting(RequestFuture),
}

struct Slot {
    key: RequestKey,
    role: Role,
    keep_conn: bool,
    began: Instant,
    phase: Phase,
    abort: AbortSignal,
    stdin: BodySender,
    stdin_reader: Option<Body>,
    data: Option<(BodySender, Option<Body>)>,
}

/// The request ids begun on this connection: late records for one that
/// has ended (STDIN the handler did not read, an ABORT racing END_REQUEST)
/// are ignored, as the spec says, while records for an id never begun are a
/// protocol error. A bit set that grows with the largest id used: one word
/// for the small ids web servers use, 8 KiB at worst.
#[derive(Default)]
struct BegunIds {
    words: Vec<u64>,
}

impl BegunIds {
    fn insert(&mut self, id: u16) {
        let (word, bit) = (usize::from(id) / 64, id % 64);
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << bit;
    }

    fn contains(&self, id: u16) -> bool {
        let (word, bit) = (usize::from(id) / 64, id % 64);
        self.words.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }
}

pub(crate) struct Connection<H, IO> {
    io: IO,
    shared: Arc<Shared<H>>,
    decoder: RecordDecoder,
    output: Arc<ConnOutput>,
    /// Output taken from `output`, being written.
    front: BytesMut,
    slots: Vec<Slot>,
    begun: BegunIds,
    next_serial: u64,
    /// The request whose full body buffer holds back reading.
    blocked_on: Option<RequestKey>,
    read_closed: bool,
    close_when_idle: bool,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    shutdown_seen: bool,
    timer: Pin<Box<Sleep>>,
    last_activity: Instant,
    last_write: Instant,
    /// The time, read once per wake-up (see [`now`](Self::now)).
    clock: Option<Instant>,
    /// The waker last given to `output`, to give it again only when it
    /// changes (it takes the output's lock).
    registered_waker: Option<Waker>,
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
            begun: BegunIds::default(),
            next_serial: 0,
            blocked_on: None,
            read_closed: false,
            close_when_idle: false,
            shutdown,
            shutdown_seen: false,
            timer: Box::pin(tokio::time::sleep_until(now + shared.config.idle_timeout)),
            last_activity: now,
            last_write: now,
            clock: None,
            registered_waker: None,
            shared,
        }
    }

    /// Serves the connection until it ends, then closes it without losing
    /// output: see [`close`](Self::close).
    pub(crate) async fn run(mut self) -> Outcome {
        let outcome = std::future::poll_fn(|cx| self.poll_serve(cx)).await;
        if let Outcome::Protocol(err) = &outcome {
            self.shared.metrics.protocol_error();
            tracing::warn!(error = %err, "closing the connection: protocol error");
        }
        self.close(&outcome).await;
        outcome
    }

    fn poll_serve(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        self.clock = None;
        self.register_waker(cx);
        // Once per wake-up, not per round: the rounds below never wait, and
        // a shutdown that comes meanwhile wakes the task again. (Polling the
        // watch once per round cost ~700 instructions per request.)
        if !self.shutdown_seen && self.shutdown.as_mut().poll(cx).is_ready() {
            self.shutdown_seen = true;
            self.close_when_idle = true;
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
                return match self.poll_timers(cx) {
                    Some(outcome) => Poll::Ready(outcome),
                    None => Poll::Pending,
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

    // ----- input -----------------------------------------------------

    /// Dispatches buffered records, then reads more. Returns whether
    /// anything was read.
    fn poll_input(&mut self, cx: &mut Context<'_>) -> Result<bool, Outcome> {
        loop {
            if self.input_blocked(cx) {
                return Ok(false);
            }
            match self.decoder.next_record() {
                Err(err) => return Err(Outcome::Protocol(err)),
                Ok(Some(record)) => self.dispatch(record).map_err(Outcome::Protocol)?,
                Ok(None) => break,
            }
        }
        let buf = self.decoder.buffer_mut();
        buf.reserve(READ_CHUNK);
        let spare = buf.spare_capacity_mut();
        let mut read_buf = ReadBuf::uninit(spare);
        match Pin::new(&mut self.io).poll_read(cx, &mut read_buf) {
            Poll::Pending => Ok(false),
            Poll::Ready(Err(err)) => {
                if is_disconnect(&err) {
                    self.read_closed = true;
                    Ok(true)
                } else {
                    Err(Outcome::Io(err))
                }
            }
            Poll::Ready(Ok(())) => {
                let n = read_buf.filled().len();
                if n == 0 {
                    self.read_closed = true;
                    return Ok(true);
                }
                // SAFETY: `poll_read` initialized the first `n` bytes of the
                // spare capacity (that is what `filled` reports).
                unsafe {
                    let buf = self.decoder.buffer_mut();
                    buf.set_len(buf.len() + n);
                }
                self.last_activity = self.now();
                Ok(true)
            }
        }
    }

    /// Whether a request's full body buffer holds back reading.
    fn input_blocked(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(key) = self.blocked_on else {
            return false;
        };
        match self.slots.iter().find(|s| s.key == key) {
            Some(slot) if slot.stdin.poll_space(cx).is_pending() => true,
            _ => {
                self.blocked_on = None;
                false
            }
        }
    }

    fn find(&self, request_id: u16) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.key.request_id == request_id)
    }

    /// A stream record for an id with no active request: ignored when the
    /// request ended, an error when it never began.
    fn inactive(&self, record_type: RecordType, request_id: u16) -> Result<(), ProtocolError> {
        if self.begun.contains(request_id) {
            Ok(())
        } else {
            Err(ProtocolError::UnexpectedRecord {
                record_type,
                request_id,
            })
        }
    }

    fn dispatch(&mut self, record: Record) -> Result<(), ProtocolError> {
        match record {
            Record::BeginRequest {
                request_id,
                role,
                flags,
            } => self.begin(request_id, role, flags),
            Record::AbortRequest { request_id } => {
                if let Some(index) = self.find(request_id) {
                    self.abort(index);
                }
                Ok(())
            }
            Record::Params {
                request_id,
                content,
            } => {
                let Some(index) = self.find(request_id) else {
                    return self.inactive(RecordType::Params, request_id);
                };
                let slot = &mut self.slots[index];
                let Phase::Params(decoder) = &mut slot.phase else {
                    return Err(ProtocolError::StreamAfterEnd {
                        record_type: RecordType::Params,
                        request_id,
                    });
                };
                if content.is_empty() {
                    self.start(index)
                } else {
                    decoder.push(&content)
                }
            }
            Record::Stdin {
                request_id,
                content,
            } => {
                let Some(index) = self.find(request_id) else {
                    return self.inactive(RecordType::Stdin, request_id);
                };
                let slot = &self.slots[index];
                push_stream(&slot.stdin, slot.key, content, RecordType::Stdin)
                    .map(|blocked| self.blocked_on = blocked.or(self.blocked_on))
            }
            Record::Data {
                request_id,
                content,
            } => {
                let Some(index) = self.find(request_id) else {
                    return self.inactive(RecordType::Data, request_id);
                };
                let slot = &self.slots[index];
                match &slot.data {
                    Some((sender, _)) => push_stream(sender, slot.key, content, RecordType::Data)
                        .map(|blocked| self.blocked_on = blocked.or(self.blocked_on)),
                    // FCGI_DATA only means something to a Filter.
                    None => Ok(()),
                }
            }
            Record::GetValues { content } => {
                self.answer_get_values(&content);
                Ok(())
            }
            Record::Unknown {
                record_type,
                request_id,
                ..
            } => {
                if request_id == protocol::NULL_REQUEST_ID {
                    self.output
                        .append_unchecked(|buf| protocol::encode_unknown_type(buf, record_type));
                } else {
                    tracing::debug!(record_type, request_id, "ignoring a record of unknown type");
                }
                Ok(())
            }
            // Records only an application sends.
            other => Err(ProtocolError::UnexpectedRecord {
                record_type: RecordType::from_u8(other.record_type())
                    .unwrap_or(RecordType::UnknownType),
                request_id: other.request_id(),
            }),
        }
    }

    fn begin(&mut self, request_id: u16, role: u16, flags: u8) -> Result<(), ProtocolError> {
        if self.find(request_id).is_some() {
            return Err(ProtocolError::DuplicateBeginRequest { request_id });
        }
        let keep_conn = flags & FCGI_KEEP_CONN != 0;
        let began = self.now();
        if !keep_conn {
            // Close once this request ends (spec §5.1).
            self.close_when_idle = true;
        }
        let config = &self.shared.config;
        let refusal = match Role::from_u16(role) {
            None => Some(ProtocolStatus::UnknownRole),
            Some(_) if !config.multiplexing && !self.slots.is_empty() => {
                Some(ProtocolStatus::CantMpxConn)
            }
            Some(_) if self.slots.len() >= config.max_requests_per_connection => {
                Some(ProtocolStatus::Overloaded)
            }
            Some(_) => None,
        };
        let Some(role) = Role::from_u16(role).filter(|_| refusal.is_none()) else {
            let status = refusal.unwrap_or(ProtocolStatus::Overloaded);
            tracing::warn!(request_id, role, ?status, "refusing a request");
            self.shared.metrics.request_refused();
            self.output.append_unchecked(|buf| {
                protocol::encode_end_request(buf, request_id, 0, status);
            });
            self.begun.insert(request_id);
            return Ok(());
        };
        let key = RequestKey {
            request_id,
            serial: self.next_serial,
        };
        self.next_serial += 1;
        self.begun.insert(request_id);
        self.output.open_request(key);
        let (stdin, stdin_reader) = body::channel(config.body_buffer);
        let data = (role == Role::Filter).then(|| {
            let (sender, reader) = body::channel(config.body_buffer);
            (sender, Some(reader))
        });
        if self.slots.capacity() == 0 {
            // Room for one: what a web server that does not multiplex ever
            // uses, and it stays allocated while the connection idles (a
            // first push would make room for four, 1 KiB).
            self.slots.reserve_exact(1);
        }
        self.slots.push(Slot {
            key,
            role,
            keep_conn,
            began,
            phase: Phase::Params(ParamsDecoder::new(config.protocol_limits)),
            abort: AbortSignal::new(),
            stdin,
            stdin_reader: Some(stdin_reader),
            data,
        });
        Ok(())
    }

    /// The params are complete: build the request and start its handler.
    fn start(&mut self, index: usize) -> Result<(), ProtocolError> {
        let limits = self.shared.config.protocol_limits;
        let slot = &mut self.slots[index];
        let decoder =
            match std::mem::replace(&mut slot.phase, Phase::Params(ParamsDecoder::new(limits))) {
                Phase::Params(decoder) => decoder,
                other => {
                    slot.phase = other;
                    return Ok(());
                }
            };
        let environ = Environ::from_params(decoder.finish()?);
        let output = RequestOutput {
            conn: Arc::clone(&self.output),
            key: slot.key,
        };
        let request = Request {
            parts: RequestParts {
                request_id: slot.key.request_id,
                role: slot.role,
                keep_conn: slot.keep_conn,
                environ,
                abort: slot.abort.clone(),
                state: Arc::clone(&self.shared.state),
                extensions: http::Extensions::new(),
                output: Some(output.clone()),
            },
            body: slot.stdin_reader.take(),
            data: slot.data.as_mut().and_then(|(_, reader)| reader.take()),
            writer: Some(ResponseWriter::new(output.clone())),
        };
        let handler = Arc::clone(&self.shared.handler);
        self.shared.metrics.request_started();
        slot.phase = Phase::Running(Box::pin(run_request(handler, request, output)));
        Ok(())
    }

    fn answer_get_values(&mut self, content: &[u8]) {
        let config = &self.shared.config;
        let asked = match protocol::decode_pairs(content, config.protocol_limits) {
            Ok(asked) => asked,
            Err(err) => {
                tracing::warn!(error = %err, "ignoring a malformed FCGI_GET_VALUES");
                return;
            }
        };
        let max_conns = config.max_connections.to_string();
        let max_reqs = if config.multiplexing {
            config.max_requests_per_connection
        } else {
            1
        }
        .to_string();
        let mpxs = if config.multiplexing { "1" } else { "0" };
        let mut answer: Vec<(&str, &str)> = Vec::new();
        for (name, _) in asked.iter() {
            match name {
                n if n == FCGI_MAX_CONNS.as_bytes() => answer.push((FCGI_MAX_CONNS, &max_conns)),
                n if n == FCGI_MAX_REQS.as_bytes() => answer.push((FCGI_MAX_REQS, &max_reqs)),
                n if n == FCGI_MPXS_CONNS.as_bytes() => answer.push((FCGI_MPXS_CONNS, mpxs)),
                // Unknown names are left out of the answer (spec §4.1).
                _ => {}
            }
        }
        self.output
            .append_unchecked(|buf| protocol::encode_get_values_result(buf, &answer));
    }

    // ----- requests --------------------------------------------------

    /// Polls every running request once. Returns whether any ended.
    fn poll_requests(&mut self, cx: &mut Context<'_>) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let mut ended = false;
        self.output.set_conn_polling(true);
        let mut index = 0;
        while index < self.slots.len() {
            let slot = &mut self.slots[index];
            let (future, last_chance) = match &mut slot.phase {
                Phase::Params(_) => {
                    index += 1;
                    continue;
                }
                Phase::Running(future) => (future, false),
                Phase::Aborting(future) => (future, true),
            };
            let key = slot.key;
            let _current = crate::log::enter(|| RequestOutput {
                conn: Arc::clone(&self.output),
                key,
            });
            match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Pending) if !last_chance => index += 1,
                Ok(_) => {
                    self.finish(index);
                    ended = true;
                }
                Err(panic) => {
                    self.fail_panicked(index, panic.as_ref());
                    ended = true;
                }
            }
        }
        self.output.set_conn_polling(false);
        ended
    }

    /// Ends the request at `index`: end of STDOUT, then END_REQUEST.
    fn finish(&mut self, index: usize) {
        let slot = self.slots.swap_remove(index);
        if !matches!(slot.phase, Phase::Params(_)) {
            self.shared.metrics.requests_finished(1);
        }
        let id = slot.key.request_id;
        self.output.end_request(slot.key, |buf| {
            protocol::encode_stream_end(buf, StreamType::Stdout, id);
            protocol::encode_end_request(buf, id, 0, ProtocolStatus::RequestComplete);
        });
        // A body the handler left unread is discarded from here on.
        slot.stdin.abort();
        if self.blocked_on == Some(slot.key) {
            self.blocked_on = None;
        }
    }

    /// The web server aborted the request: trip its signal and give the
    /// handler one last poll to notice; it is dropped after that.
    fn abort(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        slot.abort.abort();
        slot.stdin.abort();
        if let Some((data, _)) = &slot.data {
            data.abort();
        }
        let phase = std::mem::replace(
            &mut slot.phase,
            Phase::Params(ParamsDecoder::new(self.shared.config.protocol_limits)),
        );
        match phase {
            Phase::Running(future) | Phase::Aborting(future) => {
                slot.phase = Phase::Aborting(future);
            }
            Phase::Params(_) => self.finish(index),
        }
    }

    /// The connection is gone: every request is aborted, with nobody to
    /// answer.
    fn abort_all(&mut self) {
        if self.slots.is_empty() {
            return;
        }
        self.output.close();
        let running = self
            .slots
            .iter()
            .filter(|s| !matches!(s.phase, Phase::Params(_)))
            .count();
        self.shared.metrics.requests_finished(running as u64);
        for slot in self.slots.drain(..) {
            tracing::debug!(
                request_id = slot.key.request_id,
                "aborting a request: the web server closed the connection"
            );
            slot.abort.abort();
            slot.stdin.abort();
            if let Some((data, _)) = &slot.data {
                data.abort();
            }
        }
    }

    /// A handler panicked: 500 if nothing was sent yet, the panic message on
    /// FCGI_STDERR, and the request ends; other requests carry on.
    fn fail_panicked(&mut self, index: usize, panic: &(dyn std::any::Any + Send)) {
        let key = self.slots[index].key;
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(a non-string panic payload)");
        tracing::error!(request_id = key.request_id, "handler panicked: {message}");
        self.shared.metrics.panicked();
        let line = format!(
            "fastcgi: request {}: handler panicked: {message}\n",
            key.request_id
        );
        let started = self.output.stdout_started(key);
        let _ = self.output.append(key, !started, |buf| {
            if !started {
                protocol::encode_stream(
                    buf,
                    StreamType::Stdout,
                    key.request_id,
                    b"Status: 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\n\r\nInternal Server Error\n",
                );
            }
            protocol::encode_stream(buf, StreamType::Stderr, key.request_id, line.as_bytes());
        });
        self.finish(index);
    }

    // ----- output ----------------------------------------------------

    /// Writes pending output. Returns whether anything was written.
    fn poll_output(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut wrote = false;
        loop {
            if self.front.is_empty() {
                self.front.clear();
                self.output.take_into(&mut self.front);
                if self.front.is_empty() {
                    return Ok(wrote);
                }
            }
            match Pin::new(&mut self.io).poll_write(cx, &self.front) {
                Poll::Pending => return Ok(wrote),
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    self.front.advance(n);
                    self.output.wrote(n, self.front.len());
                    self.last_write = self.now();
                    wrote = true;
                }
                Poll::Ready(Err(err)) => return Err(err),
            }
        }
    }

    // ----- time ------------------------------------------------------

    /// Checks the idle, params and write deadlines; arms the timer for the
    /// nearest. The timer is moved only when a deadline comes nearer, so
    /// the common path does not touch the timer wheel per request.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> Option<Outcome> {
        let mut now = self.now();
        let config = &self.shared.config;
        loop {
            let mut next: Option<(Instant, fn() -> Outcome)> = None;
            let mut consider = |deadline: Instant, outcome: fn() -> Outcome| {
                if next.is_none_or(|(current, _)| deadline < current) {
                    next = Some((deadline, outcome));
                }
            };
            if self.slots.is_empty() && self.front.is_empty() {
                consider(self.last_activity + config.idle_timeout, || {
                    Outcome::IdleTimeout
                });
            }
            for slot in &self.slots {
                if matches!(slot.phase, Phase::Params(_)) {
                    consider(slot.began + config.params_timeout, || {
                        Outcome::ParamsTimeout
                    });
                }
            }
            if !self.front.is_empty() {
                consider(self.last_write + config.write_timeout, || {
                    Outcome::WriteTimeout
                });
            }
            let (deadline, outcome) = next?;
            if deadline <= now {
                return Some(outcome());
            }
            let armed = self.timer.deadline();
            if armed > deadline || armed <= now {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return None;
            }
            now = Instant::now();
        }
    }

    // ----- closing ---------------------------------------------------

    /// Ends the connection without losing output: writes what is pending,
    /// half-closes, then reads and discards what the peer still sends
    /// (bounded in bytes and time) before dropping the socket. Closing a
    /// socket with unread input makes the kernel send RST, and the web
    /// server can then lose a response it has not read yet.
    async fn close(&mut self, outcome: &Outcome) {
        let config = &self.shared.config;
        let (write_timeout, drain_limit) = (config.write_timeout, config.drain_limit);
        let now = Instant::now();
        let deadline = now + config.drain_timeout;
        let peer_gone = matches!(outcome, Outcome::PeerClosed | Outcome::Io(_));
        if !peer_gone {
            self.within(now + write_timeout, |this, cx| {
                this.register_waker(cx);
                match this.poll_output(cx) {
                    Err(_) => Poll::Ready(()),
                    Ok(_) if this.output_drained() => Poll::Ready(()),
                    Ok(_) => Poll::Pending,
                }
            })
            .await;
        }
        self.abort_all();
        self.output.close();
        if peer_gone {
            return;
        }
        self.within(deadline, |this, cx| {
            Pin::new(&mut this.io).poll_shutdown(cx)
        })
        .await;
        let mut drained = 0;
        self.within(deadline, |this, cx| {
            // Into the spare room of the read buffer, which is done with:
            // nothing to allocate or zero, and nothing kept.
            let buf = this.decoder.buffer_mut();
            buf.clear();
            buf.reserve(8192);
            while drained < drain_limit {
                let mut read_buf = ReadBuf::uninit(buf.spare_capacity_mut());
                match ready!(Pin::new(&mut this.io).poll_read(cx, &mut read_buf)) {
                    Ok(()) if !read_buf.filled().is_empty() => drained += read_buf.filled().len(),
                    Ok(()) | Err(_) => break,
                }
            }
            Poll::Ready(())
        })
        .await;
    }

    /// Polls `step` until it is ready or `deadline` passes, on the
    /// connection's own timer: closing creates no timer of its own (three
    /// `tokio::time::timeout`s cost about a quarter of the instructions of
    /// a one-request connection).
    async fn within<T>(
        &mut self,
        deadline: Instant,
        mut step: impl FnMut(&mut Self, &mut Context<'_>) -> Poll<T>,
    ) -> Option<T> {
        let mut armed = false;
        std::future::poll_fn(|cx| {
            if let Poll::Ready(value) = step(self, cx) {
                return Poll::Ready(Some(value));
            }
            if !armed {
                self.timer.as_mut().reset(deadline);
                armed = true;
            }
            self.timer.as_mut().poll(cx).map(|()| None)
        })
        .await
    }
}

/// Queues a stream record's content for its reader. Returns the request to
/// wait on when its buffer is full.
fn push_stream(
    sender: &BodySender,
    key: RequestKey,
    content: bytes::Bytes,
    record_type: RecordType,
) -> Result<Option<RequestKey>, ProtocolError> {
    if sender.is_ended() {
        return Err(ProtocolError::StreamAfterEnd {
            record_type,
            request_id: key.request_id,
        });
    }
    if content.is_empty() {
        sender.end();
        return Ok(None);
    }
    Ok((!sender.push(content)).then_some(key))
}
