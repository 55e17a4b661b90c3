//! The idle, params, body and write deadlines, and each request's time
//! limit and slow-log threshold, on one timer.

use std::task::Context;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::slots::Phase;
use super::{Connection, Outcome};
use crate::handler::Handler;

/// What happens when a deadline passes.
#[derive(Clone, Copy)]
enum Expiry {
    /// The connection closes.
    Close(fn() -> Outcome),
    /// The request in this slot ends: its body stopped arriving.
    Body(usize),
    /// The request in this slot ran over the request timeout.
    Request(usize),
    /// The request in this slot passed the slow-request threshold.
    Slow(usize),
}

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Checks the idle, params, body and write deadlines; arms the timer
    /// for the nearest. The timer is moved only when a deadline comes
    /// nearer, so the common path does not touch the timer wheel per
    /// request.
    pub(super) fn poll_timers(&mut self, cx: &mut Context<'_>) -> Option<Outcome> {
        let mut now = self.now();
        loop {
            let config = &self.shared.config;
            let mut next: Option<(Instant, Expiry)> = None;
            let mut consider = |deadline: Instant, expiry: Expiry| {
                if next.is_none_or(|(current, _)| deadline < current) {
                    next = Some((deadline, expiry));
                }
            };
            if self.slots.is_empty() && self.front.is_empty() {
                let idle_since = self.last_activity.max(self.last_write);
                consider(
                    idle_since + config.idle_timeout,
                    Expiry::Close(|| Outcome::IdleTimeout),
                );
                if let Some(deadline) = self.drain_deadline(idle_since) {
                    consider(deadline, Expiry::Close(|| Outcome::IdleTimeout));
                }
            }
            // While a full body buffer holds reading back, the silence is
            // ours: no body deadline runs.
            let reading = self.blocked_on.is_none();
            for (index, slot) in self.slots.iter().enumerate() {
                match slot.phase {
                    Phase::Params(_) => consider(
                        slot.since + config.params_timeout,
                        Expiry::Close(|| Outcome::ParamsTimeout),
                    ),
                    Phase::Running(_) if reading && (slot.stdin_open || slot.data_open) => {
                        consider(slot.since + config.body_timeout, Expiry::Body(index));
                    }
                    Phase::Running(_) | Phase::Aborting(_) => {}
                }
                if let Some(limit) = config.request_timeout {
                    consider(slot.began + limit, Expiry::Request(index));
                }
                if let Some(threshold) = config.slow_request
                    && !slot.slow_logged
                {
                    consider(slot.began + threshold, Expiry::Slow(index));
                }
            }
            if !self.front.is_empty() {
                consider(
                    self.last_write + config.write_timeout,
                    Expiry::Close(|| Outcome::WriteTimeout),
                );
            }
            let (deadline, expiry) = next?;
            if deadline <= now {
                match expiry {
                    Expiry::Close(outcome) => return Some(outcome()),
                    Expiry::Body(index) => {
                        // The request ends, the connection carries on: the
                        // handler's last poll comes at once.
                        self.time_out_body(index);
                        cx.waker().wake_by_ref();
                        return None;
                    }
                    Expiry::Request(index) => {
                        self.time_out_request(index);
                        // Its answer is to be written.
                        cx.waker().wake_by_ref();
                        return None;
                    }
                    Expiry::Slow(index) => {
                        self.log_slow(index);
                        continue;
                    }
                }
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
}
