//! What each record from the web server does to the connection: begin,
//! abort, a stream's content for its request, a management record.

use tokio::io::{AsyncRead, AsyncWrite};

use super::Connection;
use super::slots::Phase;
use crate::handler::Handler;
use crate::output::RequestKey;
use crate::protocol::{
    self, FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS, ProtocolError, Record, RecordType,
};
use crate::request::body::BodySender;

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
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

    pub(super) fn dispatch(&mut self, record: Record) -> Result<(), ProtocolError> {
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
