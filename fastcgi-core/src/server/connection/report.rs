//! What the connection tells about its requests: the status page's list
//! of requests in flight, and the access log.

use tokio::io::{AsyncRead, AsyncWrite};

use super::Connection;
use super::slots::{Phase, Slot};
use crate::handler::Handler;
use crate::output::Sent;
use crate::server::in_flight::{Published, RequestState};

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Publishes the requests still in flight for the status page, when
    /// there are any or were at the last publication: a connection whose
    /// requests begin and end within one wake-up (the keep-alive common
    /// path) takes no lock here.
    pub(super) fn publish_in_flight(&mut self) {
        if self.slots.is_empty() && !self.published {
            return;
        }
        let writing = !self.front.is_empty();
        let metrics = &self.shared.metrics;
        let registration = self
            .in_flight
            .get_or_insert_with(|| metrics.in_flight.register());
        registration
            .list
            .publish(self.slots.iter_mut().map(|slot| Published {
                request_id: slot.key.request_id,
                began: slot.began,
                state: slot.state(writing),
                label: slot.label().clone(),
            }));
        self.published = !self.slots.is_empty();
    }
}

impl Slot {
    /// What the request is doing; `writing`: the connection's output waits
    /// for the web server to read.
    pub(super) fn state(&self, writing: bool) -> RequestState {
        match self.phase {
            Phase::Params(_) => RequestState::ReceivingParams,
            _ if self.stdin_open || self.data_open => RequestState::ReceivingBody,
            _ if writing => RequestState::Writing,
            _ => RequestState::Running,
        }
    }
}

/// The access log's event for a finished request (target
/// [`ACCESS_TARGET`](crate::access_log::ACCESS_TARGET)): free when no
/// subscriber listens to it.
pub(super) fn log_access(slot: &mut Slot, sent: Sent, elapsed: std::time::Duration) {
    let (request_id, timed_out) = (slot.key.request_id, slot.timed_out);
    let label = slot.label();
    tracing::info!(
        target: crate::access_log::ACCESS_TARGET,
        request_id,
        peer = label.peer,
        user = label.user,
        method = label.method,
        uri = label.uri,
        protocol = label.protocol,
        status = if sent.status == 0 { 200 } else { sent.status },
        bytes = sent.body_bytes,
        duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        referer = label.referer,
        user_agent = label.user_agent,
        timed_out,
    );
}
