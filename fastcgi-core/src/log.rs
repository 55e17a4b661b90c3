//! Routing a request's log events to its FCGI_STDERR, so they land in the
//! web server's error log beside the request (nginx writes them as
//! "FastCGI sent in stderr: ...").
//!
//! Add [`RequestStderrLayer`] to your `tracing` subscriber to switch it on;
//! without it nothing is routed and the server pays nothing for it.
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//! use fastcgi::log::RequestStderrLayer;
//!
//! let subscriber = tracing_subscriber::registry()
//!     .with(RequestStderrLayer::new(tracing::Level::INFO));
//! tracing::subscriber::set_global_default(subscriber).unwrap();
//! ```
//!
//! Events a handler emits while the server polls it are routed; events from
//! tasks or threads the handler spawned are not (they run outside the
//! request). The server's own events (target `fastcgi_core`) are not routed
//! either: what a request should know of them, such as a panic message, is
//! written to its FCGI_STDERR directly.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::output::RequestOutput;
use crate::protocol::{StreamType, encode_stream};

/// Set once a layer exists: until then the server skips the bookkeeping.
static ENABLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static CURRENT: RefCell<Option<RequestOutput>> = const { RefCell::new(None) };
}

/// Marks `output`'s request as the one being polled on this thread, until
/// the guard drops.
pub(crate) fn enter(output: impl FnOnce() -> RequestOutput) -> Option<CurrentRequest> {
    if !ENABLED.load(Ordering::Relaxed) {
        return None;
    }
    let previous = CURRENT.with(|c| c.replace(Some(output())));
    Some(CurrentRequest { previous })
}

pub(crate) struct CurrentRequest {
    previous: Option<RequestOutput>,
}

impl Drop for CurrentRequest {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// A `tracing` layer that writes each event a handler emits, at or above
/// its level, as one line on that request's FCGI_STDERR.
#[derive(Debug, Clone)]
pub struct RequestStderrLayer {
    max_level: Level,
}

impl RequestStderrLayer {
    /// Routes events of `max_level` and more severe (`Level::WARN` routes
    /// warnings and errors).
    pub fn new(max_level: Level) -> Self {
        ENABLED.store(true, Ordering::Relaxed);
        Self { max_level }
    }
}

impl<S: Subscriber> Layer<S> for RequestStderrLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if *metadata.level() > self.max_level || metadata.target().starts_with("fastcgi_core") {
            return;
        }
        CURRENT.with(|current| {
            let current = current.borrow();
            let Some(output) = current.as_ref() else {
                return;
            };
            let mut line = LineWriter(format!("{} {}: ", metadata.level(), metadata.target()));
            event.record(&mut line);
            line.0.push('\n');
            let id = output.key.request_id;
            // A request that already ended has nobody to tell.
            let _ = output.conn.append(output.key, StreamType::Stderr, |buf| {
                encode_stream(buf, StreamType::Stderr, id, line.0.as_bytes())
            });
        });
    }
}

struct LineWriter(String);

impl Visit for LineWriter {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}
