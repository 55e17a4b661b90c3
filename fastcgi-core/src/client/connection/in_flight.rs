//! The request in flight on a [`Connection`]: request ids, sending its
//! head and body, and reading its records as the caller polls.

use std::task::{Context, Poll, ready};

use super::{Connection, closed, unexpected_error};
use crate::client::body::Fill;
use crate::client::wire::HIGH_WATER;
use crate::client::{ClientError, EndRequest, ResponseEvent};
use crate::protocol::{self, ProtocolStatus, Record};

impl Connection {
    /// The smallest request id not taken by an abandoned request.
    pub(super) fn free_id(&self) -> Result<u16, ClientError> {
        (1..=u16::MAX)
            .find(|id| !self.abandoned.contains(id))
            .ok_or(ClientError::NoFreeRequestId)
    }

    /// Gives up on request `id`: aborts it and drops its remaining records.
    pub(crate) fn abandon(&mut self, id: u16) {
        self.abort(id);
        if self.current == Some(id) {
            self.current = None;
            self.pending.clear();
        }
        if !self.abandoned.contains(&id) {
            self.abandoned.push(id);
        }
    }

    /// Queues `FCGI_ABORT_REQUEST` for `id` and stops sending its body.
    pub(crate) fn abort(&mut self, id: u16) {
        if self.upload.as_ref().is_some_and(|u| u.request_id() == id) {
            self.upload = None;
        }
        if self.broken.is_none() && self.write_error.is_none() {
            protocol::encode_abort_request(&mut self.wire.out, id);
        }
    }

    /// The next event of request `id` (the current one).
    pub(crate) fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
        id: u16,
    ) -> Poll<Result<ResponseEvent, ClientError>> {
        if let Some(err) = &self.broken {
            return Poll::Ready(Err(err.clone().for_request(id)));
        }
        loop {
            let record = match self.pending.pop_front() {
                Some(record) => record,
                None => match ready!(self.poll_record(cx)) {
                    Ok(Some(record)) => record,
                    Ok(None) => {
                        let err = closed(Some(id), self.write_error.as_ref());
                        self.broken = Some(err.clone());
                        return Poll::Ready(Err(err));
                    }
                    Err(ClientError::Body(err)) => {
                        self.abandon(id);
                        return Poll::Ready(Err(ClientError::Body(err)));
                    }
                    Err(err) => {
                        self.broken = Some(err.clone());
                        return Poll::Ready(Err(err.for_request(id)));
                    }
                },
            };
            if record.request_id() != id {
                if let Err(err) = self.unexpected(record) {
                    self.broken = Some(err.clone());
                    return Poll::Ready(Err(err));
                }
                continue;
            }
            match record {
                Record::Stdout { content, .. } if !content.is_empty() => {
                    return Poll::Ready(Ok(ResponseEvent::Stdout(content)));
                }
                Record::Stderr { content, .. } if !content.is_empty() => {
                    return Poll::Ready(Ok(ResponseEvent::Stderr(content)));
                }
                // Ends of the output streams: the END_REQUEST follows.
                Record::Stdout { .. } | Record::Stderr { .. } => {}
                Record::EndRequest {
                    app_status,
                    protocol_status,
                    ..
                } => {
                    self.current = None;
                    if self.upload.as_ref().is_some_and(|u| u.request_id() == id) {
                        // Answered before its whole body was sent: the
                        // application discards the rest anyway.
                        self.upload = None;
                    }
                    let Some(protocol_status) = ProtocolStatus::from_u8(protocol_status) else {
                        let err = ClientError::UnknownProtocolStatus {
                            request_id: id,
                            status: protocol_status,
                        };
                        self.broken = Some(err.clone());
                        return Poll::Ready(Err(err));
                    };
                    return Poll::Ready(Ok(ResponseEvent::End(EndRequest {
                        app_status,
                        protocol_status,
                    })));
                }
                other => {
                    let err = unexpected_error(&other);
                    self.broken = Some(err.clone());
                    return Poll::Ready(Err(err));
                }
            }
        }
    }

    /// Writes until the head of request `id` (ending at `head_end`) is on
    /// the socket, keeping any record of `id` that arrives meanwhile.
    pub(super) fn poll_head_sent(
        &mut self,
        cx: &mut Context<'_>,
        id: u16,
        head_end: u64,
    ) -> Poll<Result<(), ClientError>> {
        loop {
            if let Err(err) = self.poll_send(cx) {
                return Poll::Ready(Err(err));
            }
            if let Some(err) = &self.write_error {
                return Poll::Ready(Err(err.clone()));
            }
            if self.wire.written() >= head_end {
                return Poll::Ready(Ok(()));
            }
            match ready!(self.poll_incoming(cx)) {
                Ok(Some(record)) if record.request_id() == id => self.pending.push_back(record),
                Ok(Some(record)) => {
                    if let Err(err) = self.unexpected(record) {
                        self.broken = Some(err.clone());
                        return Poll::Ready(Err(err));
                    }
                }
                Ok(None) => {
                    let err = closed(Some(id), None);
                    self.broken = Some(err.clone());
                    return Poll::Ready(Err(err));
                }
                Err(err) => {
                    self.broken = Some(err.clone());
                    return Poll::Ready(Err(err));
                }
            }
        }
    }

    /// Makes write progress, then returns the next record not dropped
    /// (see [`poll_incoming`](Self::poll_incoming)).
    pub(super) fn poll_record(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Record>, ClientError>> {
        self.poll_send(cx)?;
        self.poll_incoming(cx)
    }

    /// The next record read, except those of abandoned requests, which
    /// are dropped here (their `FCGI_END_REQUEST` frees their id).
    fn poll_incoming(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Record>, ClientError>> {
        loop {
            let Some(record) = ready!(self.wire.poll_record(cx))? else {
                return Poll::Ready(Ok(None));
            };
            let id = record.request_id();
            if id != 0 && self.abandoned.contains(&id) {
                if matches!(record, Record::EndRequest { .. }) {
                    self.abandoned.retain(|&a| a != id);
                }
                continue;
            }
            return Poll::Ready(Ok(Some(record)));
        }
    }

    /// Frames body records and writes them while the socket takes them.
    /// A body stream's error aborts its request and is returned; a write
    /// error stops writing (reading goes on) and is kept in `write_error`.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Result<(), ClientError> {
        if self.write_error.is_some() {
            return Ok(());
        }
        loop {
            let mut refill = false;
            if let Some(upload) = &mut self.upload {
                match upload.fill(cx, &mut self.wire.out, HIGH_WATER) {
                    Ok(Fill::Done) => self.upload = None,
                    Ok(Fill::Full) => refill = true,
                    Ok(Fill::Waiting) => {}
                    Err(err) => {
                        // The caller abandons the request, which aborts it.
                        self.upload = None;
                        return Err(err);
                    }
                }
            }
            match self.poll_write(cx) {
                Poll::Ready(true) if refill => {}
                _ => return Ok(()),
            }
        }
    }

    /// Writes the buffer; `Ready(true)` once it is empty.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        match self.wire.poll_write_out(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(true),
            Poll::Ready(Err(err)) => {
                self.upload = None;
                self.wire.out.clear();
                self.write_error = Some(err);
                Poll::Ready(false)
            }
        }
    }

    /// A record that is not for the current request: management answers
    /// nobody waits for are dropped, anything else is a protocol error.
    pub(super) fn unexpected(&mut self, record: Record) -> Result<(), ClientError> {
        match record {
            Record::GetValuesResult { .. } | Record::UnknownType { .. } => {
                self.values_answered += 1;
                Ok(())
            }
            Record::Unknown { request_id: 0, .. } => Ok(()),
            // A draining application's "do not reuse this connection" (an
            // empty FCGI_STDERR for an id with no request, see
            // `server::connection::drain`): it ends nothing, and it serves
            // requests until the connection closes.
            Record::Stderr { content, .. } if content.is_empty() => Ok(()),
            other => Err(unexpected_error(&other)),
        }
    }
}
