//! Response records routed to their requests by id, on the task of a
//! [`MultiplexedConnection`](super::MultiplexedConnection).

use super::task::Task;
use crate::client::connection::unexpected_error;
use crate::client::{ClientError, EndRequest, ResponseEvent};
use crate::protocol::{self, ProtocolError, ProtocolLimits, ProtocolStatus, Record, RecordType};

impl Task {
    pub(super) fn route(&mut self, record: Record) -> Result<(), ClientError> {
        let capacity = self.response_buffer;
        match record {
            Record::Stdout {
                request_id,
                content,
            } => self.deliver(
                request_id,
                RecordType::Stdout,
                ResponseEvent::Stdout(content),
                capacity,
            ),
            Record::Stderr {
                request_id,
                content,
            } => self.deliver(
                request_id,
                RecordType::Stderr,
                ResponseEvent::Stderr(content),
                capacity,
            ),
            Record::EndRequest {
                request_id,
                app_status,
                protocol_status,
            } => {
                let Some(slot) = self.remove(request_id) else {
                    return Err(unexpected_error(&record));
                };
                let Some(protocol_status) = ProtocolStatus::from_u8(protocol_status) else {
                    let err = ClientError::UnknownProtocolStatus {
                        request_id,
                        status: protocol_status,
                    };
                    slot.inbox.0.fail(err.clone());
                    return Err(err);
                };
                if !slot.abandoned {
                    slot.inbox.0.push(
                        ResponseEvent::End(EndRequest {
                            app_status,
                            protocol_status,
                        }),
                        capacity,
                    );
                }
                Ok(())
            }
            Record::GetValuesResult { .. } | Record::UnknownType { .. }
                if self.stale_values > 0 =>
            {
                self.stale_values -= 1;
                Ok(())
            }
            Record::GetValuesResult { content } => {
                if let Some(reply) = self.get_values.pop_front() {
                    let _ = reply.send(
                        protocol::decode_pairs(&content, ProtocolLimits::default())
                            .map_err(ClientError::from),
                    );
                }
                Ok(())
            }
            Record::UnknownType { .. } => {
                if let Some(reply) = self.get_values.pop_front() {
                    let _ = reply.send(Err(unexpected_error(&record)));
                }
                Ok(())
            }
            Record::Unknown { request_id: 0, .. } => Ok(()),
            other => Err(unexpected_error(&other)),
        }
    }

    /// Queues an event for request `id`; an end-of-stream record (empty
    /// content) only needs the request to exist.
    fn deliver(
        &mut self,
        id: u16,
        record_type: RecordType,
        event: ResponseEvent,
        capacity: usize,
    ) -> Result<(), ClientError> {
        let empty =
            matches!(&event, ResponseEvent::Stdout(b) | ResponseEvent::Stderr(b) if b.is_empty());
        let Some(slot) = self.slot(id) else {
            if empty && record_type == RecordType::Stderr {
                // A draining application's "do not reuse this connection"
                // (see `server::connection::drain`): it ends nothing.
                return Ok(());
            }
            return Err(ProtocolError::UnexpectedRecord {
                record_type,
                request_id: id,
            }
            .into());
        };
        if !empty && !slot.abandoned && !slot.inbox.0.push(event, capacity) {
            self.blocked_on = Some(id);
        }
        Ok(())
    }
}
