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

use crate::protocol::{Params, ProtocolLimits};

/// One request being served, as the status page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InFlightRequest {
    /// The FastCGI request id (unique on its connection only).
    pub request_id: u16,
    /// `REMOTE_ADDR`: the client, as the web server reports it.
    pub peer: String,
    /// `REQUEST_METHOD`.
    pub method: String,
    /// `REQUEST_URI`, query included.
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

/// A copy of a request's params in the wire format, taken when they are
/// complete (they then move into the handler): what logs and the status
/// page say about the request is read from it only when one of them asks,
/// which the common request, finished within the wake-up it began in and
/// with no access log listening, never does. The copy is one `memcpy`
/// into a buffer the connection hands from one request to the next: no
/// allocation per request after a connection's first. (Picking the few
/// params out at once cost ~1,400 instructions per request.)
#[derive(Default)]
pub(crate) struct RequestLabel {
    wire: Vec<u8>,
}

impl RequestLabel {
    /// An empty label that will fill `buf` (cleared).
    pub(crate) fn with_buffer(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Self { wire: buf }
    }

    /// The buffer, for the connection's next request.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.wire
    }

    /// Keeps a copy of `params` (names upper-case).
    pub(crate) fn fill(&mut self, params: &Params) {
        self.wire.clear();
        self.wire.extend_from_slice(params.as_wire_bytes());
    }

    /// The request's method, URI, client and what the combined log
    /// format adds, read from the copy.
    pub(crate) fn read(&self) -> Label {
        // The params passed the server's limits once already.
        let unlimited = ProtocolLimits {
            max_pair_len: usize::MAX,
            max_params_len: usize::MAX,
        };
        let params = crate::protocol::decode_pairs(&self.wire, unlimited).unwrap_or_default();
        let get = |name: &str| {
            params
                .get_bytes(name.as_bytes())
                .map(|value| String::from_utf8_lossy(value).into_owned())
                .unwrap_or_default()
        };
        Label {
            method: get("REQUEST_METHOD"),
            uri: get("REQUEST_URI"),
            peer: get("REMOTE_ADDR"),
            protocol: get("SERVER_PROTOCOL"),
            user: get("REMOTE_USER"),
            referer: get("HTTP_REFERER"),
            user_agent: get("HTTP_USER_AGENT"),
        }
    }
}

/// What logs and the status page say about a request, empty where the web
/// server sent nothing (non-UTF-8 bytes replaced by U+FFFD).
#[derive(Debug, Clone, Default)]
pub(crate) struct Label {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) peer: String,
    pub(crate) protocol: String,
    pub(crate) user: String,
    pub(crate) referer: String,
    pub(crate) user_agent: String,
}

/// One request as its connection last published it.
#[derive(Clone)]
pub(crate) struct Published {
    pub(crate) request_id: u16,
    pub(crate) began: Instant,
    pub(crate) state: RequestState,
    pub(crate) label: Label,
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
                        peer: p.label.peer.clone(),
                        method: p.label.method.clone(),
                        uri: p.label.uri.clone(),
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

    fn label(pairs: &[(&str, &str)]) -> Label {
        let mut label = RequestLabel::default();
        label.fill(&params(pairs));
        label.read()
    }

    #[test]
    fn a_label_keeps_method_uri_and_peer() {
        let label = label(&[
            ("REMOTE_ADDR", "10.0.0.7"),
            ("REQUEST_METHOD", "POST"),
            ("REQUEST_URI", "/upload?x=1"),
        ]);
        assert_eq!(label.method, "POST");
        assert_eq!(label.uri, "/upload?x=1");
        assert_eq!(label.peer, "10.0.0.7");
        assert_eq!(label.user_agent, "");
    }

    #[test]
    fn the_registry_lists_published_requests_until_the_connection_leaves() {
        let registry = Arc::new(Registry::default());
        let registration = registry.register();
        let label = label(&[("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/slow")]);
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
