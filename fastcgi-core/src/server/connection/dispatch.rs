//! What each record from the web server does to the connection: begin,
//! abort, a stream's content for its request, a management record.

use tokio::io::{AsyncRead, AsyncWrite};

use super::Connection;
use super::slots::Phase;
use crate::handler::Handler;
use crate::protocol::{
    self, FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS, ProtocolError, Record, RecordType,
};
use crate::request::body::BodySender;

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    pub(super) fn dispatch(&mut self, record: Record) -> Result<(), ProtocolError> {
        let request_id = match record {
            Record::BeginRequest {
                request_id,
                role,
                flags,
            } => {
                self.last_request_id = Some(request_id);
                if self.draining.is_some() {
                    self.request_began_while_draining();
                }
                return self.begin(request_id, role, flags);
            }
            Record::GetValues { content } => {
                self.last_activity = self.now();
                self.answer_get_values(&content);
                return Ok(());
            }
            Record::Unknown {
                record_type,
                request_id: protocol::NULL_REQUEST_ID,
                ..
            } => {
                self.last_activity = self.now();
                self.output
                    .append_unchecked(|buf| protocol::encode_unknown_type(buf, record_type));
                return Ok(());
            }
            // Management records only an application sends.
            Record::GetValuesResult { .. } | Record::UnknownType { .. } => {
                return Err(ProtocolError::UnexpectedRecord {
                    record_type: RecordType::from_u8(record.record_type())
                        .unwrap_or(RecordType::UnknownType),
                    request_id: protocol::NULL_REQUEST_ID,
                });
            }
            // The decoder lets no other record through with id 0.
            ref other => other.request_id(),
        };
        let Some(index) = self.find(request_id) else {
            self.ignore_inactive(&record);
            return Ok(());
        };
        match record {
            Record::AbortRequest { .. } => {
                self.abort(index);
                Ok(())
            }
            Record::Params { content, .. } => {
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
            Record::Stdin { content, .. } => {
                let slot = &mut self.slots[index];
                if !slot.stdin_open {
                    return Err(ProtocolError::StreamAfterEnd {
                        record_type: RecordType::Stdin,
                        request_id,
                    });
                }
                if content.is_empty() {
                    // The common case (nginx sends the whole body, then
                    // this): no clock needed, the body timeout is over.
                    slot.stdin_open = false;
                    slot.stdin.end();
                    return Ok(());
                }
                if !slot.stdin.push(content) {
                    self.blocked_on = Some(slot.key);
                }
                let now = self.now();
                self.slots[index].since = now;
                Ok(())
            }
            Record::Data { content, .. } => {
                let now = self.now();
                let slot = &mut self.slots[index];
                // FCGI_DATA only means something to a Filter.
                let Some((sender, _)) = &slot.data else {
                    return Ok(());
                };
                if !slot.data_open {
                    return Err(ProtocolError::StreamAfterEnd {
                        record_type: RecordType::Data,
                        request_id,
                    });
                }
                slot.since = now;
                slot.data_open = !content.is_empty();
                if !push_stream(sender, content) {
                    self.blocked_on = Some(slot.key);
                }
                Ok(())
            }
            Record::Unknown { record_type, .. } => {
                tracing::debug!(record_type, request_id, "ignoring a record of unknown type");
                Ok(())
            }
            // Records only an application sends, for an active request.
            other => Err(ProtocolError::UnexpectedRecord {
                record_type: RecordType::from_u8(other.record_type())
                    .unwrap_or(RecordType::UnknownType),
                request_id,
            }),
        }
    }

    /// A record for a request id with no active request is ignored, as
    /// spec §3.3 says ("While a request ID R is inactive, the application
    /// ignores records with requestId == R, except for
    /// FCGI_BEGIN_REQUEST records"), whether that request ended (a body
    /// the handler left unread, an ABORT racing END_REQUEST) or never
    /// began. It is counted and logged at debug level; nothing of it is
    /// kept, and it does not count as activity, so a peer that sends
    /// nothing else is closed by the idle timeout.
    fn ignore_inactive(&self, record: &Record) {
        self.shared.metrics.record_ignored();
        tracing::debug!(
            record_type = record.record_type(),
            request_id = record.request_id(),
            "ignoring a record for a request id with no active request"
        );
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
}

/// Queues a stream record's content for its reader; empty content ends
/// the stream. Returns false when the reader's buffer is full: reading
/// waits for it.
fn push_stream(sender: &BodySender, content: bytes::Bytes) -> bool {
    if content.is_empty() {
        sender.end();
        return true;
    }
    sender.push(content)
}
