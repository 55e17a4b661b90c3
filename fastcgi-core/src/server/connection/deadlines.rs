//! What a passed deadline does to a request: the body timeout, the
//! request timeout, the slow-request log.

use tokio::io::{AsyncRead, AsyncWrite};

use super::Connection;
use super::slots::Slot;
use crate::handler::Handler;
use crate::output::RequestKey;
use crate::protocol::{self, StreamType};
use crate::request::BodyError;

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// No more of the request's body arrived within the body timeout: its
    /// body reads fail, its abort signal trips, and the handler gets one
    /// last poll; [`finish`](Self::finish) then answers what is left to
    /// answer.
    pub(super) fn time_out_body(&mut self, index: usize) {
        let timeout = self.shared.config.body_timeout;
        let slot = &mut self.slots[index];
        tracing::warn!(
            request_id = slot.key.request_id,
            ?timeout,
            "ending a request: no more of its body arrived within the body timeout"
        );
        self.shared.metrics.body_timed_out();
        slot.body_timed_out = true;
        slot.stdin.fail(BodyError::TimedOut { timeout });
        if let Some((data, _)) = &slot.data {
            data.fail(BodyError::TimedOut { timeout });
        }
        slot.abort.abort();
        self.last_poll_or_finish(index);
    }

    /// The request ran over [`Server::request_timeout`](crate::server::Server::request_timeout):
    /// its future is dropped (the handler is cancelled) and its abort
    /// signal trips; [`finish`](Self::finish) answers what is left to
    /// answer.
    pub(super) fn time_out_request(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        let request_id = slot.key.request_id;
        let label = slot.label();
        tracing::warn!(
            request_id,
            method = label.method,
            uri = label.uri,
            limit = ?self.shared.config.request_timeout,
            "cancelling a request: it ran over the request timeout"
        );
        self.shared.metrics.request_timed_out();
        slot.timed_out = true;
        slot.abort.abort();
        slot.stdin.fail(BodyError::Aborted);
        self.finish(index);
    }

    /// 503 if nothing of the response was sent (what was sent stays as it
    /// is otherwise), and why, on FCGI_STDERR: the web server logs it with
    /// the client's request.
    pub(super) fn answer_request_timeout(&mut self, slot: &mut Slot) {
        let key = slot.key;
        if !self.output.stdout_started(key) {
            const BODY: &[u8] = b"Request timed out\n";
            let _ = self.output.append_response(key, Some(503), BODY.len(), |buf| {
                protocol::encode_stream(
                    buf,
                    StreamType::Stdout,
                    key.request_id,
                    b"Status: 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\n\r\nRequest timed out\n",
                );
            });
        }
        let label = slot.label();
        let line = format!(
            "fastcgi: request {}: {} {} timed out: it ran over the request timeout of {:?} (Server::request_timeout) and was cancelled\n",
            key.request_id,
            label.method,
            label.uri,
            self.shared.config.request_timeout.unwrap_or_default(),
        );
        let _ = self.output.append(key, StreamType::Stderr, |buf| {
            protocol::encode_stream(buf, StreamType::Stderr, key.request_id, line.as_bytes());
        });
    }

    /// The request at `index` passed the slow-request threshold: one
    /// warning, as it happens.
    pub(super) fn log_slow(&mut self, index: usize) {
        let writing = !self.front.is_empty();
        let now = self.now();
        let slot = &mut self.slots[index];
        slot.slow_logged = true;
        self.shared.metrics.request_slow();
        let elapsed = now.saturating_duration_since(slot.began);
        let state = slot.state(writing).as_str();
        let request_id = slot.key.request_id;
        let label = slot.label();
        tracing::warn!(
            target: crate::access_log::SLOW_TARGET,
            request_id,
            method = label.method,
            uri = label.uri,
            elapsed_ms = elapsed.as_millis() as u64,
            state,
            "slow request: {} {} still {state} after {elapsed:?}",
            label.method,
            label.uri,
        );
    }

    /// The answer to a request ended by the body timeout: 408 if nothing
    /// of the response was sent (what was sent stays as it is otherwise),
    /// and why, on FCGI_STDERR.
    pub(super) fn answer_body_timeout(&mut self, key: RequestKey) {
        if !self.output.stdout_started(key) {
            let _ = self.output.append(key, StreamType::Stdout, |buf| {
                protocol::encode_stream(
                    buf,
                    StreamType::Stdout,
                    key.request_id,
                    b"Status: 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\n\r\nRequest Timeout\n",
                );
            });
        }
        let line = format!(
            "fastcgi: request {}: no more of the request body arrived for {:?} (Server::body_timeout); the request was ended\n",
            key.request_id, self.shared.config.body_timeout
        );
        let _ = self.output.append(key, StreamType::Stderr, |buf| {
            protocol::encode_stream(buf, StreamType::Stderr, key.request_id, line.as_bytes());
        });
    }
}
