//! The task behind a [`MultiplexedConnection`](super::MultiplexedConnection):
//! it owns the socket, gives out request ids, frames request bodies in
//! turns, and routes response records to their requests by id.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};

use tokio::sync::{mpsc, oneshot};

use super::{Command, Shared};
use crate::client::body::{Fill, Upload};
use crate::client::connection::closed;
use crate::client::inbox::{Inbox, InboxGuard};
use crate::client::wire::{HIGH_WATER, Wire};
use crate::client::{ClientError, ClientRequest};
use crate::protocol::{self, Params};

/// Body bytes framed for one request before the next one gets a turn.
const FAIR_SHARE: usize = 64 * 1024;

/// Loop rounds of the task before it yields to the runtime.
const ROUNDS_BEFORE_YIELD: usize = 32;

/// One request in flight on the task.
pub(super) struct Slot {
    pub(super) inbox: InboxGuard,
    upload: Option<Upload>,
    abort_sent: bool,
    /// Nobody reads its events any more: they are dropped.
    pub(super) abandoned: bool,
}

/// The task that owns the socket.
pub(super) struct Task {
    wire: Wire,
    commands: mpsc::UnboundedReceiver<Command>,
    commands_open: bool,
    /// Requests in flight, at index `request_id - 1`.
    slots: Vec<Option<Slot>>,
    /// Ids below `slots.len()` that are free again.
    free: Vec<u16>,
    active: usize,
    /// Requests with body left to frame, in turn order.
    uploads: VecDeque<u16>,
    /// The request whose full queue holds back reading.
    pub(super) blocked_on: Option<u16>,
    /// `FCGI_GET_VALUES` callers, in the order their records went out.
    pub(super) get_values: VecDeque<oneshot::Sender<Result<Params, ClientError>>>,
    /// Answers to `FCGI_GET_VALUES` a [`Connection`] sent before it was
    /// taken over, whose callers gave up: skipped.
    pub(super) stale_values: u64,
    pub(super) response_buffer: usize,
    write_error: Option<ClientError>,
    shared: Arc<Shared>,
}

/// Why the task's loop ended.
enum Stop {
    /// Every handle is gone and nothing is in flight.
    Idle,
    /// The application closed an idle connection.
    PeerClosedIdle,
    Failed(ClientError),
}

impl Task {
    pub(super) fn new(
        wire: Wire,
        commands: mpsc::UnboundedReceiver<Command>,
        stale_values: u64,
        response_buffer: usize,
        shared: Arc<Shared>,
    ) -> Self {
        Task {
            wire,
            commands,
            commands_open: true,
            slots: Vec::new(),
            free: Vec::new(),
            active: 0,
            uploads: VecDeque::new(),
            blocked_on: None,
            get_values: VecDeque::new(),
            stale_values,
            response_buffer: response_buffer.max(1),
            write_error: None,
            shared,
        }
    }

    pub(super) async fn run(mut self) {
        let stop = poll_fn(|cx| self.poll_run(cx)).await;
        let graceful = matches!(stop, Stop::Idle);
        let error = match stop {
            Stop::Idle | Stop::PeerClosedIdle => closed(None, None),
            Stop::Failed(err) => err,
        };
        *self
            .shared
            .closed
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error.clone());
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Start { inbox, .. } => inbox.0.fail(error.clone()),
                Command::GetValues { reply, .. } => {
                    let _ = reply.send(Err(error.clone()));
                }
                Command::Abort(_) | Command::Abandon(_) | Command::Close => {}
            }
        }
        for slot in self.slots.drain(..).flatten() {
            slot.inbox.0.fail(error.clone());
        }
        for reply in self.get_values.drain(..) {
            let _ = reply.send(Err(error.clone()));
        }
        if graceful {
            let close = self.wire.shutdown();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), close).await;
        }
    }

    fn poll_run(&mut self, cx: &mut Context<'_>) -> Poll<Stop> {
        for _ in 0..ROUNDS_BEFORE_YIELD {
            let mut progress = false;

            while self.commands_open {
                match self.commands.poll_recv(cx) {
                    Poll::Ready(Some(command)) => {
                        progress = true;
                        if let Some(stop) = self.command(command) {
                            return Poll::Ready(stop);
                        }
                    }
                    Poll::Ready(None) => self.commands_open = false,
                    Poll::Pending => break,
                }
            }

            if self.write_error.is_none() {
                let queued = self.wire.out.len();
                self.fill_uploads(cx);
                let written = self.wire.written();
                match self.wire.poll_write_out(cx) {
                    Poll::Ready(Err(err)) => self.write_failed(err),
                    Poll::Ready(Ok(())) | Poll::Pending => {}
                }
                progress |= self.wire.out.len() != queued || self.wire.written() != written;
            }

            if let Some(id) = self.blocked_on {
                match self.slot(id) {
                    Some(slot) if !slot.abandoned => {
                        if slot.inbox.0.poll_room(cx, self.response_buffer).is_ready() {
                            self.blocked_on = None;
                        }
                    }
                    _ => self.blocked_on = None,
                }
            }
            if self.blocked_on.is_none() {
                match self.wire.poll_record(cx) {
                    Poll::Pending => {}
                    Poll::Ready(Err(err)) => return Poll::Ready(Stop::Failed(err)),
                    Poll::Ready(Ok(None)) => {
                        if self.active == 0 && self.get_values.is_empty() {
                            return Poll::Ready(Stop::PeerClosedIdle);
                        }
                        return Poll::Ready(Stop::Failed(closed(None, self.write_error.as_ref())));
                    }
                    Poll::Ready(Ok(Some(record))) => {
                        progress = true;
                        if let Err(err) = self.route(record) {
                            return Poll::Ready(Stop::Failed(err));
                        }
                    }
                }
            }

            if !self.commands_open
                && self.active == 0
                && self.get_values.is_empty()
                && self.wire.out.is_empty()
            {
                return Poll::Ready(Stop::Idle);
            }
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    // ----- commands ---------------------------------------------------

    /// Handles one command; `Some` stops the task.
    fn command(&mut self, command: Command) -> Option<Stop> {
        match command {
            Command::Start { request, inbox } => self.start(request, inbox),
            Command::Abort(inbox) => self.abort(&inbox, false),
            Command::Abandon(inbox) => self.abort(&inbox, true),
            Command::GetValues { names, reply } => {
                if let Some(err) = &self.write_error {
                    let _ = reply.send(Err(err.clone()));
                } else {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    protocol::encode_get_values(&mut self.wire.out, &names);
                    self.get_values.push_back(reply);
                }
            }
            Command::Close => {
                return Some(Stop::Failed(ClientError::ConnectionClosed {
                    request_id: None,
                    detail: Some(Arc::from(
                        "closed by the client with MultiplexedConnection::close",
                    )),
                }));
            }
        }
        None
    }

    fn start(&mut self, request: ClientRequest, inbox: InboxGuard) {
        if let Some(err) = &self.write_error {
            inbox.0.fail(err.clone());
            return;
        }
        let Some(id) = self.allocate() else {
            inbox.0.fail(ClientError::NoFreeRequestId);
            return;
        };
        let (body, data) = match request.encode_head(id, &mut self.wire.out) {
            Ok(bodies) => bodies,
            Err(err) => {
                self.release(id);
                inbox.0.fail(err);
                return;
            }
        };
        inbox.0.accept(id);
        self.uploads.push_back(id);
        self.put(
            id,
            Slot {
                inbox,
                upload: Some(Upload::new(id, body, data)),
                abort_sent: false,
                abandoned: false,
            },
        );
    }

    fn abort(&mut self, inbox: &Arc<Inbox>, abandon: bool) {
        let Some(id) = inbox.request_id() else {
            return;
        };
        let write_ok = self.write_error.is_none();
        let Some(slot) = self
            .slot_mut(id)
            .filter(|slot| Arc::ptr_eq(&slot.inbox.0, inbox))
        else {
            // Already ended (the id may even be in use again).
            return;
        };
        slot.upload = None;
        slot.abandoned |= abandon;
        let send = !slot.abort_sent && write_ok;
        slot.abort_sent = true;
        if send {
            protocol::encode_abort_request(&mut self.wire.out, id);
        }
        if abandon && self.blocked_on == Some(id) {
            self.blocked_on = None;
        }
    }

    /// A request a [`Connection`] gave up on: wait for its END_REQUEST.
    pub(super) fn adopt_abandoned(&mut self, id: u16) {
        let inbox = Inbox::new();
        inbox.accept(id);
        self.put(
            id,
            Slot {
                inbox: InboxGuard(inbox),
                upload: None,
                abort_sent: true,
                abandoned: true,
            },
        );
    }

    // ----- request ids ------------------------------------------------

    fn allocate(&mut self) -> Option<u16> {
        if let Some(id) = self.free.pop() {
            return Some(id);
        }
        let next = u16::try_from(self.slots.len() + 1).ok()?;
        self.slots.push(None);
        Some(next)
    }

    fn release(&mut self, id: u16) {
        self.free.push(id);
    }

    fn put(&mut self, id: u16, slot: Slot) {
        let index = usize::from(id) - 1;
        while self.slots.len() <= index {
            self.slots.push(None);
            if self.slots.len() <= index {
                // A gap below `id`: those ids are free.
                self.free.extend(u16::try_from(self.slots.len()).ok());
            }
        }
        if let Some(place) = self.slots.get_mut(index) {
            if place.is_none() {
                self.active += 1;
            }
            *place = Some(slot);
        }
    }

    pub(super) fn slot(&self, id: u16) -> Option<&Slot> {
        self.slots.get(usize::from(id).checked_sub(1)?)?.as_ref()
    }

    fn slot_mut(&mut self, id: u16) -> Option<&mut Slot> {
        self.slots
            .get_mut(usize::from(id).checked_sub(1)?)?
            .as_mut()
    }

    pub(super) fn remove(&mut self, id: u16) -> Option<Slot> {
        let slot = self
            .slots
            .get_mut(usize::from(id).checked_sub(1)?)?
            .take()?;
        self.active -= 1;
        self.release(id);
        if self.blocked_on == Some(id) {
            self.blocked_on = None;
        }
        Some(slot)
    }

    // ----- writing ----------------------------------------------------

    /// Frames body records, request by request in turns, while the write
    /// buffer is under its high-water mark.
    fn fill_uploads(&mut self, cx: &mut Context<'_>) {
        let mut turns = self.uploads.len();
        while turns > 0 && self.wire.out.len() < HIGH_WATER {
            turns -= 1;
            let Some(id) = self.uploads.pop_front() else {
                break;
            };
            let limit = (self.wire.out.len() + FAIR_SHARE).min(HIGH_WATER);
            let out = &mut self.wire.out;
            let Some(slot) = self
                .slots
                .get_mut(usize::from(id) - 1)
                .and_then(Option::as_mut)
            else {
                continue;
            };
            let Some(upload) = slot.upload.as_mut() else {
                continue;
            };
            match upload.fill(cx, out, limit) {
                Ok(Fill::Done) => slot.upload = None,
                Ok(Fill::Full | Fill::Waiting) => self.uploads.push_back(id),
                Err(err) => {
                    slot.upload = None;
                    if !slot.abort_sent {
                        slot.abort_sent = true;
                        protocol::encode_abort_request(out, id);
                    }
                    slot.inbox.0.fail(err);
                    slot.abandoned = true;
                }
            }
        }
    }

    /// Writing failed: the connection is half dead. Nothing more is sent;
    /// what the application already sent is still read.
    fn write_failed(&mut self, err: ClientError) {
        self.wire.out.clear();
        self.uploads.clear();
        for slot in self.slots.iter_mut().flatten() {
            slot.upload = None;
        }
        self.write_error = Some(err);
    }
}
