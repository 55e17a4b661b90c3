//! Server-Sent Events: a `text/event-stream` response, event by event.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderValue, header};
use serde::Serialize;
use tokio::time::{Instant, Sleep};

use super::{BoxError, IntoResponse, Response, ResponseBody};

/// One Server-Sent Event: `data` (one `data:` line per line of it), and
/// optionally an `id`, an `event` type and a `retry` time for the
/// browser's reconnection, as the HTML standard's `EventSource` reads them.
///
/// ```
/// use std::time::Duration;
/// use fastcgi::response::Event;
///
/// let event = Event::data("line 1\nline 2").id("7").event("update").retry(Duration::from_secs(3));
/// assert_eq!(
///     event.to_string(),
///     "id: 7\nevent: update\nretry: 3000\ndata: line 1\ndata: line 2\n\n"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    id: Option<String>,
    event: Option<String>,
    retry: Option<Duration>,
    data: String,
}

impl Event {
    /// An event carrying `data`; a multi-line text becomes one `data:`
    /// line per line, which the browser joins again with `\n`.
    pub fn data(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            ..Self::default()
        }
    }

    /// An event whose data is `value` as JSON (one line).
    pub fn json<T: Serialize>(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::data(serde_json::to_string(value)?))
    }

    /// The event's id: the browser sends the last one it saw as
    /// `Last-Event-ID` (`HTTP_LAST_EVENT_ID` in the params) when it
    /// reconnects. Line breaks are removed (they would end the field).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(one_line(id.into()));
        self
    }

    /// The event's type (`addEventListener(type, ...)` in the browser;
    /// `message` when absent). Line breaks are removed.
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(one_line(event.into()));
        self
    }

    /// How long the browser waits before reconnecting after the stream
    /// ends or breaks.
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }
}

fn one_line(mut text: String) -> String {
    text.retain(|c| c != '\n' && c != '\r');
    text
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(id) = &self.id {
            writeln!(f, "id: {id}")?;
        }
        if let Some(event) = &self.event {
            writeln!(f, "event: {event}")?;
        }
        if let Some(retry) = self.retry {
            writeln!(f, "retry: {}", retry.as_millis())?;
        }
        // `\r\n`, `\r` and `\n` all end a line for the browser.
        let data = self.data.replace("\r\n", "\n").replace('\r', "\n");
        for line in data.split('\n') {
            writeln!(f, "data: {line}")?;
        }
        f.write_char('\n')
    }
}

/// A Server-Sent Events response: `200`, `Content-Type:
/// text/event-stream`, `Cache-Control: no-cache` and `X-Accel-Buffering:
/// no`, which tells nginx to pass each event on at once even where it
/// buffers responses (its default), so no separate unbuffered location is
/// needed. Each event of the stream is sent as soon as it is produced;
/// with [`keep_alive`](Self::keep_alive), a comment line goes out whenever
/// the stream is quiet that long, so proxies and browsers do not time the
/// connection out.
///
/// When the client leaves, the web server closes the request (or the
/// connection): the next write fails, the stream is dropped and the
/// handler's [`AbortSignal`](crate::request::AbortSignal) trips, so a
/// producer that watches it stops too.
///
/// ```
/// use std::time::Duration;
/// use fastcgi::response::{Event, IntoResponse, Sse, unfold};
///
/// let ticks = unfold(0u64, |i| async move {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     Some((Event::data(format!("tick {i}")).id(i.to_string()), i + 1))
/// });
/// let response = Sse::new(ticks).keep_alive(Duration::from_secs(15)).into_response();
/// assert_eq!(response.headers()["content-type"], "text/event-stream");
/// assert_eq!(response.headers()["x-accel-buffering"], "no");
/// ```
pub struct Sse<S> {
    events: S,
    keep_alive: Option<Duration>,
}

impl<S> Sse<S>
where
    S: Stream<Item = Event> + Send + 'static,
{
    /// Sends `events`, each as it comes.
    pub fn new(events: S) -> Self {
        Self {
            events,
            keep_alive: None,
        }
    }

    /// Sends the comment `: keep-alive` whenever no event went out for
    /// `every`.
    pub fn keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = Some(every);
        self
    }
}

impl<S> IntoResponse for Sse<S>
where
    S: Stream<Item = Event> + Send + 'static,
{
    fn into_response(self) -> Response {
        let chunks = Chunks {
            events: Box::pin(self.events),
            keep_alive: self.keep_alive.map(|every| (every, None)),
        };
        let mut response = Response::new(ResponseBody::from_stream(chunks));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }
}

/// The events as body chunks, with keep-alive comments in the pauses.
struct Chunks {
    events: Pin<Box<dyn Stream<Item = Event> + Send>>,
    /// The period, and its timer, made at the first poll: a response may
    /// be built outside the runtime, which a timer needs.
    keep_alive: Option<(Duration, Option<Pin<Box<Sleep>>>)>,
}

impl Stream for Chunks {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(event) = self.events.as_mut().poll_next(cx) {
            if let Some((every, Some(timer))) = &mut self.keep_alive {
                timer.as_mut().reset(Instant::now() + *every);
            }
            return Poll::Ready(event.map(|event| Ok(Bytes::from(event.to_string()))));
        }
        if let Some((every, timer)) = &mut self.keep_alive {
            let every = *every;
            let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
            if timer.as_mut().poll(cx).is_ready() {
                timer.as_mut().reset(Instant::now() + every);
                return Poll::Ready(Some(Ok(Bytes::from_static(b": keep-alive\n\n"))));
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_with_only_data_is_one_data_line_and_a_blank_line() {
        assert_eq!(Event::data("{\"i\":0}").to_string(), "data: {\"i\":0}\n\n");
        assert_eq!(Event::data("").to_string(), "data: \n\n");
    }

    #[test]
    fn line_breaks_cannot_forge_fields() {
        let event = Event::data("a\r\nb\rc").id("1\nevent: x").event("e\r");
        assert_eq!(
            event.to_string(),
            "id: 1event: x\nevent: e\ndata: a\ndata: b\ndata: c\n\n"
        );
    }
}
