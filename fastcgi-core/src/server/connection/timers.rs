//! The idle, params and write deadlines, on one timer.

use std::task::Context;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::slots::Phase;
use super::{Connection, Outcome};
use crate::handler::Handler;

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Checks the idle, params and write deadlines; arms the timer for the
    /// nearest. The timer is moved only when a deadline comes nearer, so
    /// the common path does not touch the timer wheel per request.
    pub(super) fn poll_timers(&mut self, cx: &mut Context<'_>) -> Option<Outcome> {
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
                let idle_since = self.last_activity.max(self.last_write);
                consider(idle_since + config.idle_timeout, || Outcome::IdleTimeout);
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
}
