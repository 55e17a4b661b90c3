//! The requests in flight, for the status page (PHP-FPM's `?full`).
//!
//! Each connection owns a list of its requests, published to the server's
//! registry only when a wake-up of the connection ends with requests still
//! running: the common keep-alive request, begun and finished within one
//! wake-up, never takes the list's lock. The registry itself is touched
//! once when a connection opens and once when it closes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use tokio::time::Instant;

/// One request being served, as the status page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InFlightRequest {
    /// The FastCGI request id (unique on its connection only).
    pub request_id: u16,
    /// `REMOTE_ADDR`: the client, as the web server reports it.
    pub peer: String,
    /// `REQUEST_METHOD`.
    pub method: String,
    /// `REQUEST_URI`, query included (cut at 200 bytes).
    pub uri: String,
    /// Milliseconds since the request's BEGIN_REQUEST.
    pub elapsed_ms: u64,
    /// What it is doing, as [`RequestState::as_str`] names it.
    pub state: &'static str,
}

/// What a request in flight is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Its params (FCGI_PARAMS) are still arriving.
    ReceivingParams,
    /// Its handler runs while its body (FCGI_STDIN) is still arriving.
    ReceivingBody,
    /// Its handler runs.
    Running,
    /// Its output waits for the web server to read it.
    Writing,
}

impl RequestState {
    /// `receiving-params`, `receiving-body`, `running`, `writing`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::ReceivingParams => "receiving-params",
            RequestState::ReceivingBody => "receiving-body",
            RequestState::Running => "running",
            RequestState::Writing => "writing",
        }
    }
}

/// The params a label keeps, each with the most bytes it keeps (PHP-FPM's
/// scoreboard keeps 128 of the URI); longer values are cut on a character
/// boundary.
const FIELDS: [(&[u8], usize); 7] = [
    (b"REQUEST_METHOD", 16),
    (b"REQUEST_URI", 200),
    (b"REMOTE_ADDR", 46),
    (b"SERVER_PROTOCOL", 16),
    (b"REMOTE_USER", 32),
    (b"HTTP_REFERER", 100),
    (b"HTTP_USER_AGENT", 100),
];
const LABEL_LEN: usize = 16 + 200 + 46 + 16 + 32 + 100 + 100;

/// Which of [`FIELDS`] a label field is.
#[derive(Clone, Copy)]
pub(crate) enum Field {
    Method,
    Uri,
    Peer,
    Protocol,
    User,
    Referer,
    UserAgent,
}

/// What logs and the status page say about a request (method, URI,
/// client, and what the combined log format adds), copied inline when its
/// params are complete, since they then move into the handler: kept in
/// the request's slot, so no allocation per request.
#[derive(Clone, Copy)]
pub(crate) struct RequestLabel {
    buf: [u8; LABEL_LEN],
    lens: [u8; FIELDS.len()],
}

impl RequestLabel {
    pub(crate) const EMPTY: RequestLabel = RequestLabel {
        buf: [0; LABEL_LEN],
        lens: [0; FIELDS.len()],
    };

    /// The label of a request with these params (names upper-case): one
    /// pass over them.
    pub(crate) fn from_params(params: &crate::protocol::Params) -> Self {
        let mut values: [&[u8]; FIELDS.len()] = [b""; FIELDS.len()];
        for (name, value) in params.iter() {
            if let Some(index) = FIELDS.iter().position(|(field, _)| *field == name) {
                values[index] = value;
            }
        }
        let mut label = RequestLabel::EMPTY;
        let mut at = 0;
        for (index, value) in values.iter().enumerate() {
            let value = cut(value, FIELDS[index].1);
            label.buf[at..at + value.len()].copy_from_slice(value);
            label.lens[index] = value.len() as u8;
            at += value.len();
        }
        label
    }

    /// One field ("" when the web server did not send it).
    pub(crate) fn get(&self, field: Field) -> &str {
        let index = field as usize;
        let start: usize = self.lens[..index].iter().map(|&n| n as usize).sum();
        text(&self.buf[start..start + self.lens[index] as usize])
    }

    pub(crate) fn method(&self) -> &str {
        self.get(Field::Method)
    }

    pub(crate) fn uri(&self) -> &str {
        self.get(Field::Uri)
    }

    pub(crate) fn peer(&self) -> &str {
        self.get(Field::Peer)
    }
}

/// At most `max` bytes of `value`, cut on a UTF-8 character boundary (a
/// non-UTF-8 value is kept as far as it is valid).
fn cut(value: &[u8], max: usize) -> &[u8] {
    let value = match std::str::from_utf8(value) {
        Ok(_) => value,
        Err(err) => &value[..err.valid_up_to()],
    };
    if value.len() <= max {
        return value;
    }
    let mut end = max;
    while end > 0 && (value[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    &value[..end]
}

fn text(bytes: &[u8]) -> &str {
    // `cut` only keeps whole UTF-8 characters.
    std::str::from_utf8(bytes).unwrap_or("")
}

/// One request as its connection last published it.
#[derive(Clone, Copy)]
pub(crate) struct Published {
    pub(crate) request_id: u16,
    pub(crate) began: Instant,
    pub(crate) state: RequestState,
    pub(crate) label: RequestLabel,
}

/// One connection's requests, as last published.
#[derive(Default)]
pub(crate) struct ConnRequests {
    requests: Mutex<Vec<Published>>,
}

impl ConnRequests {
    fn lock(&self) -> MutexGuard<'_, Vec<Published>> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces what is published with `requests`.
    pub(crate) fn publish(&self, requests: impl Iterator<Item = Published>) {
        let mut list = self.lock();
        list.clear();
        list.extend(requests);
    }
}

/// Every open connection's list.
#[derive(Default)]
pub(crate) struct Registry {
    connections: Mutex<Vec<Arc<ConnRequests>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Vec<Arc<ConnRequests>>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A list for a new connection, listed until the returned guard drops.
    pub(crate) fn register(self: &Arc<Self>) -> Registration {
        let list = Arc::new(ConnRequests::default());
        self.lock().push(Arc::clone(&list));
        Registration {
            registry: Arc::clone(self),
            list,
        }
    }

    /// Every request published, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<InFlightRequest> {
        let now = Instant::now();
        let connections: Vec<Arc<ConnRequests>> = self.lock().clone();
        let mut all: Vec<(Instant, InFlightRequest)> = Vec::new();
        for conn in connections {
            for p in conn.lock().iter() {
                all.push((
                    p.began,
                    InFlightRequest {
                        request_id: p.request_id,
                        peer: p.label.peer().to_owned(),
                        method: p.label.method().to_owned(),
                        uri: p.label.uri().to_owned(),
                        elapsed_ms: now.saturating_duration_since(p.began).as_millis() as u64,
                        state: p.state.as_str(),
                    },
                ));
            }
        }
        all.sort_by_key(|(began, _)| *began);
        all.into_iter().map(|(_, request)| request).collect()
    }
}

/// A connection's place in the registry; leaving drops it from the list.
pub(crate) struct Registration {
    registry: Arc<Registry>,
    pub(crate) list: Arc<ConnRequests>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut connections = self.registry.lock();
        if let Some(index) = connections.iter().position(|c| Arc::ptr_eq(c, &self.list)) {
            connections.swap_remove(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Params;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs.iter().copied().collect()
    }

    #[test]
    fn a_label_keeps_method_uri_and_peer() {
        let label = RequestLabel::from_params(&params(&[
            ("REMOTE_ADDR", "10.0.0.7"),
            ("REQUEST_METHOD", "POST"),
            ("REQUEST_URI", "/upload?x=1"),
        ]));
        assert_eq!(label.method(), "POST");
        assert_eq!(label.uri(), "/upload?x=1");
        assert_eq!(label.peer(), "10.0.0.7");
    }

    #[test]
    fn a_long_uri_is_cut_on_a_character_boundary() {
        let uri = format!("/{}", "é".repeat(150));
        let label = RequestLabel::from_params(&params(&[("REQUEST_URI", &uri)]));
        assert!(label.uri().len() <= 200);
        assert!(uri.starts_with(label.uri()));
        assert!(label.uri().len() >= 199);
    }

    #[test]
    fn the_registry_lists_published_requests_until_the_connection_leaves() {
        let registry = Arc::new(Registry::default());
        let registration = registry.register();
        let label = RequestLabel::from_params(&params(&[
            ("REQUEST_METHOD", "GET"),
            ("REQUEST_URI", "/slow"),
        ]));
        registration.list.publish(std::iter::once(Published {
            request_id: 3,
            began: Instant::now(),
            state: RequestState::Running,
            label,
        }));
        let listed = registry.snapshot();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].uri, "/slow");
        assert_eq!(listed[0].state, "running");
        drop(registration);
        assert!(registry.snapshot().is_empty());
    }
}
