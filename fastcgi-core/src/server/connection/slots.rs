//! The requests active on the connection, each in a slot: begun, started
//! when its params are complete, polled in place, then finished, aborted
//! or failed.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::Connection;
use crate::cgi::INTERNAL_ERROR_DOCUMENT;
use crate::handler::Handler;
use crate::output::{RequestKey, RequestOutput};
use crate::protocol::{
    self, FCGI_KEEP_CONN, ParamsDecoder, ProtocolError, ProtocolStatus, Role, StreamType,
};
use crate::request::body::{self, BodySender};
use crate::request::{AbortSignal, Body, Environ, Request, RequestParts};
use crate::response::ResponseWriter;
use crate::server::in_flight::{Label, RequestLabel};
use crate::server::request_task::{RequestEnd, run_request};

type RequestFuture = Pin<Box<dyn Future<Output = RequestEnd> + Send>>;

pub(super) enum Phase {
    /// FCGI_PARAMS is still arriving.
    Params(ParamsDecoder),
    /// The handler runs.
    Running(RequestFuture),
    /// Aborted: the handler gets one last poll to see the signal.
    Aborting(RequestFuture),
}

pub(super) struct Slot {
    pub(super) key: RequestKey,
    role: Role,
    keep_conn: bool,
    /// Where the current phase's deadline counts from: BEGIN_REQUEST while
    /// the params arrive (the params timeout), then the body's last
    /// progress (the body timeout, while `stdin_open` or `data_open`).
    pub(super) since: Instant,
    /// BEGIN_REQUEST: where the request timeout and the slow log count
    /// from.
    pub(super) began: Instant,
    /// A copy of the params, once complete: what logs and the status page
    /// say about the request.
    pub(super) label: RequestLabel,
    /// The label, read from the copy the first time it is asked for.
    read_label: Option<Box<Label>>,
    /// The slow log wrote its line for this request.
    pub(super) slow_logged: bool,
    /// The request timeout ended this request: answer 503 if nothing was
    /// sent yet.
    pub(super) timed_out: bool,
    pub(super) phase: Phase,
    /// FCGI_STDIN has not ended yet.
    pub(super) stdin_open: bool,
    /// A Filter's FCGI_DATA has not ended yet (always false for other
    /// roles).
    pub(super) data_open: bool,
    /// The body timeout ended this request: answer 408 if nothing was
    /// sent yet.
    pub(super) body_timed_out: bool,
    pub(super) abort: AbortSignal,
    pub(super) stdin: BodySender,
    stdin_reader: Option<Body>,
    pub(super) data: Option<(BodySender, Option<Body>)>,
}

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    pub(super) fn find(&self, request_id: u16) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.key.request_id == request_id)
    }

    pub(super) fn begin(
        &mut self,
        request_id: u16,
        role: u16,
        flags: u8,
    ) -> Result<(), ProtocolError> {
        if self.find(request_id).is_some() {
            return Err(ProtocolError::DuplicateBeginRequest { request_id });
        }
        let keep_conn = flags & FCGI_KEEP_CONN != 0;
        let began = self.now();
        self.last_activity = began;
        if !keep_conn {
            // Close once this request ends (spec §5.1).
            self.close_when_idle = true;
            self.asked_to_close = true;
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
            return Ok(());
        };
        let key = RequestKey {
            request_id,
            serial: self.next_serial,
        };
        self.next_serial += 1;
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
            since: began,
            began,
            label: RequestLabel::with_buffer(std::mem::take(&mut self.spare_label)),
            read_label: None,
            slow_logged: false,
            timed_out: false,
            phase: Phase::Params(ParamsDecoder::new(config.protocol_limits)),
            stdin_open: true,
            data_open: role == Role::Filter,
            body_timed_out: false,
            abort: AbortSignal::new(),
            stdin,
            stdin_reader: Some(stdin_reader),
            data,
        });
        Ok(())
    }

    /// The params are complete: build the request and start its handler.
    pub(super) fn start(&mut self, index: usize) -> Result<(), ProtocolError> {
        let now = self.now();
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
        slot.label.fill(environ.params());
        // Read while the params were arriving (the status page lists the
        // request from BEGIN_REQUEST on), it was empty.
        slot.read_label = None;
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
        slot.since = now;
        slot.phase = Phase::Running(Box::pin(run_request(handler, request, output)));
        Ok(())
    }

    /// Polls every running request once. Returns whether any ended.
    pub(super) fn poll_requests(&mut self, cx: &mut Context<'_>) -> bool {
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
                Ok(Poll::Ready(RequestEnd { timed_out: true })) => {
                    // A route's own time limit answered it.
                    self.shared.metrics.request_timed_out();
                    self.finish(index);
                    ended = true;
                }
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

    /// Ends the request at `index`: end of STDOUT, end of STDERR when
    /// something was written there (spec §3.3: a stream ends with an empty
    /// record; Appendix B sends it just before END_REQUEST), then
    /// END_REQUEST.
    pub(super) fn finish(&mut self, index: usize) {
        let mut slot = self.slots.swap_remove(index);
        let now = self.now();
        self.last_activity = now;
        // Begun and finished within one wake-up (the clock is read once
        // per wake-up): no subtraction (55 instructions per request).
        let elapsed = if now == slot.began {
            std::time::Duration::ZERO
        } else {
            now.saturating_duration_since(slot.began)
        };
        let ran = !matches!(slot.phase, Phase::Params(_));
        if ran {
            self.shared.metrics.requests_finished(1);
            self.shared.metrics.request_took(elapsed);
        }
        let id = slot.key.request_id;
        if slot.body_timed_out {
            self.answer_body_timeout(slot.key);
        }
        if slot.timed_out {
            self.answer_request_timeout(&mut slot);
        }
        let sent = self.output.end_request(slot.key, |buf, stderr_written| {
            protocol::encode_stream_end(buf, StreamType::Stdout, id);
            if stderr_written {
                protocol::encode_stream_end(buf, StreamType::Stderr, id);
            }
            protocol::encode_end_request(buf, id, 0, ProtocolStatus::RequestComplete);
        });
        if slot.slow_logged {
            let label = slot.label();
            tracing::warn!(
                target: crate::access_log::SLOW_TARGET,
                request_id = id,
                method = label.method,
                uri = label.uri,
                elapsed_ms = elapsed.as_millis() as u64,
                "slow request finished after {elapsed:?}: {} {}",
                label.method,
                label.uri,
            );
        }
        if ran
            && let Some(sent) = sent
            && tracing::enabled!(target: crate::access_log::ACCESS_TARGET, tracing::Level::INFO)
        {
            super::report::log_access(&mut slot, sent, elapsed);
        }
        self.spare_label = slot.label.into_buffer();
        // A body the handler left unread is discarded from here on.
        slot.stdin.abort();
        if self.blocked_on == Some(slot.key) {
            self.input_resumed();
        }
    }

    /// The web server aborted the request: trip its signal and give the
    /// handler one last poll to notice; it is dropped after that.
    pub(super) fn abort(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        slot.abort.abort();
        slot.stdin.abort();
        if let Some((data, _)) = &slot.data {
            data.abort();
        }
        self.last_poll_or_finish(index);
    }

    /// A request being ended: a running handler gets one last poll to
    /// notice (its future is dropped after it); one still receiving its
    /// params has no handler yet and finishes at once.
    pub(super) fn last_poll_or_finish(&mut self, index: usize) {
        let slot = &mut self.slots[index];
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
    pub(super) fn abort_all(&mut self) {
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
        if !self.output.stdout_started(key) {
            let _ = self.output.append(key, StreamType::Stdout, |buf| {
                protocol::encode_stream(
                    buf,
                    StreamType::Stdout,
                    key.request_id,
                    INTERNAL_ERROR_DOCUMENT,
                );
            });
        }
        let _ = self.output.append(key, StreamType::Stderr, |buf| {
            protocol::encode_stream(buf, StreamType::Stderr, key.request_id, line.as_bytes());
        });
        self.finish(index);
    }
}

impl Slot {
    /// What logs and the status page say about the request.
    pub(super) fn label(&mut self) -> &Label {
        let label = &self.label;
        self.read_label
            .get_or_insert_with(|| Box::new(label.read()))
    }
}
