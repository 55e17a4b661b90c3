//! [`ClientRequest`]: what a client sends for one request, with builders
//! that fill the params nginx sends.

use std::sync::Arc;

use bytes::BytesMut;
use serde::Serialize;

use super::{ClientError, RequestBody};
// nginx decodes `$uri` the same way the router does.
use crate::cgi::{HeaderVariable, header_variable, percent_decode};
use crate::protocol::{
    FCGI_KEEP_CONN, Params, Role, StreamType, encode_begin_request, encode_params,
    encode_stream_end,
};

/// The `SERVER_SOFTWARE` the builders send.
const SERVER_SOFTWARE: &str = concat!("fastcgi-core/", env!("CARGO_PKG_VERSION"));

/// One request as a client (a web server, a test, a load generator) sends
/// it: the role, the params (CGI meta-variables), the keep-connection flag,
/// the body (`FCGI_STDIN`) and, for the Filter role, the data
/// (`FCGI_DATA`).
///
/// [`get`](Self::get), [`post`](Self::post) and [`new`](Self::new) fill the
/// params nginx's stock `fastcgi_params` sends for a method and URI, with
/// defaults for what a real connection would supply (addresses, ports,
/// document root); [`param`](Self::param) and [`header`](Self::header)
/// override or add to them.
///
/// | param | `get("/items/a%20b?id=3")` |
/// |---|---|
/// | `QUERY_STRING` | `id=3` |
/// | `REQUEST_METHOD` | `GET` |
/// | `CONTENT_TYPE`, `CONTENT_LENGTH` | empty (set by `post` and [`body`](Self::body)) |
/// | `SCRIPT_NAME`, `DOCUMENT_URI` | `/items/a b` (the path, percent-decoded as nginx's `$uri`) |
/// | `REQUEST_URI` | `/items/a%20b?id=3` |
/// | `DOCUMENT_ROOT` | `/var/www/html` |
/// | `SERVER_PROTOCOL`, `REQUEST_SCHEME`, `GATEWAY_INTERFACE` | `HTTP/1.1`, `http`, `CGI/1.1` |
/// | `SERVER_SOFTWARE` | `fastcgi-core/VERSION` |
/// | `REMOTE_ADDR`, `REMOTE_PORT` | `127.0.0.1`, `54321` |
/// | `SERVER_ADDR`, `SERVER_PORT`, `SERVER_NAME` | `127.0.0.1`, `80`, `localhost` |
/// | `REDIRECT_STATUS` | `200` |
/// | `HTTP_HOST` | `localhost` (every HTTP/1.1 request has a `Host` header) |
///
/// ```
/// use fastcgi::client::ClientRequest;
///
/// let request = ClientRequest::get("/items?id=3")
///     .header("User-Agent", "test")
///     .param("DOCUMENT_ROOT", "/srv/app");
/// let params = request.params();
/// assert_eq!(params.get("QUERY_STRING"), Some("id=3"));
/// assert_eq!(params.get("SCRIPT_NAME"), Some("/items"));
/// assert_eq!(params.get("HTTP_USER_AGENT"), Some("test"));
/// assert_eq!(params.get("DOCUMENT_ROOT"), Some("/srv/app"));
///
/// let upload = ClientRequest::post("/upload", "text/plain", "hello");
/// assert_eq!(upload.params().get("CONTENT_LENGTH"), Some("5"));
/// ```
#[derive(Debug)]
pub struct ClientRequest {
    role: Role,
    keep_conn: bool,
    /// Shared by copies ([`try_clone`](Self::try_clone)) until one is edited:
    /// a request sent over and over costs no copy of its params.
    params: Arc<Params>,
    body: RequestBody,
    data: Option<RequestBody>,
}

impl Default for ClientRequest {
    /// A Responder request with no params and no body, keeping the connection.
    fn default() -> Self {
        Self::from_params(Params::new())
    }
}

impl ClientRequest {
    /// A Responder request with exactly these params (nothing filled in),
    /// an empty body, keeping the connection open.
    pub fn from_params(params: Params) -> Self {
        Self {
            role: Role::Responder,
            keep_conn: true,
            params: Arc::new(params),
            body: RequestBody::empty(),
            data: None,
        }
    }

    /// A request for `method` and `uri` (origin form: `/path?query`; a
    /// `#fragment` is dropped, as browsers never send it), with the params
    /// nginx sends (see the table above) and an empty body.
    pub fn new(method: &str, uri: &str) -> Self {
        let uri = uri.split_once('#').map_or(uri, |(before, _)| before);
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let decoded_path = percent_decode(path.as_bytes());
        let mut params = Params::with_capacity(512, 20);
        let pairs: [(&[u8], &[u8]); 19] = [
            (b"QUERY_STRING", query.as_bytes()),
            (b"REQUEST_METHOD", method.as_bytes()),
            (b"CONTENT_TYPE", b""),
            (b"CONTENT_LENGTH", b""),
            (b"SCRIPT_NAME", &decoded_path),
            (b"REQUEST_URI", uri.as_bytes()),
            (b"DOCUMENT_URI", &decoded_path),
            (b"DOCUMENT_ROOT", b"/var/www/html"),
            (b"SERVER_PROTOCOL", b"HTTP/1.1"),
            (b"REQUEST_SCHEME", b"http"),
            (b"GATEWAY_INTERFACE", b"CGI/1.1"),
            (b"SERVER_SOFTWARE", SERVER_SOFTWARE.as_bytes()),
            (b"REMOTE_ADDR", b"127.0.0.1"),
            (b"REMOTE_PORT", b"54321"),
            (b"SERVER_ADDR", b"127.0.0.1"),
            (b"SERVER_PORT", b"80"),
            (b"SERVER_NAME", b"localhost"),
            (b"REDIRECT_STATUS", b"200"),
            (b"HTTP_HOST", b"localhost"),
        ];
        params.extend(pairs);
        Self::from_params(params)
    }

    /// A `GET` request for `uri`: see [`new`](Self::new).
    pub fn get(uri: &str) -> Self {
        Self::new("GET", uri)
    }

    /// A `POST` request for `uri` with a body of `content_type`;
    /// `CONTENT_LENGTH` is set when the body's length is known.
    pub fn post(uri: &str, content_type: &str, body: impl Into<RequestBody>) -> Self {
        Self::new("POST", uri)
            .header("Content-Type", content_type)
            .body(body)
    }

    /// Sets param `name` to `value`, replacing every pair of that name (in
    /// place, so the order nginx sends is kept) or appending it.
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.set_param(name.as_bytes(), value.as_bytes());
        self
    }

    /// Sets param `name` to raw bytes (params need not be UTF-8).
    pub fn param_bytes(mut self, name: &[u8], value: &[u8]) -> Self {
        self.set_param(name, value);
        self
    }

    /// Sets an HTTP request header as nginx passes it: `User-Agent` becomes
    /// `HTTP_USER_AGENT` (upper case, `-` as `_`). `Content-Type` and
    /// `Content-Length` set `CONTENT_TYPE` and `CONTENT_LENGTH`, as CGI
    /// wants them, and no `HTTP_` duplicate (RFC 3875 §4.1.18).
    ///
    /// A `Proxy` header is dropped (httpoxy, CVE-2016-5385): as
    /// `HTTP_PROXY` it would look like the proxy setting of that name, and
    /// code in the app that reads it would send its own requests wherever
    /// the HTTP client said. Set the param with [`param`](Self::param) if
    /// you really mean to.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match header_variable(name) {
            HeaderVariable::Own(variable) => self.set_param(variable.as_bytes(), value.as_bytes()),
            HeaderVariable::Http(variable) => self.set_param(&variable, value.as_bytes()),
            HeaderVariable::Withheld => {}
        }
        self
    }

    /// Appends `query` (any `Serialize` struct or map, URL-encoded) to
    /// `QUERY_STRING` and `REQUEST_URI`.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidRequest`] when `query` cannot be URL-encoded
    /// (nested structs, for one).
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Result<Self, ClientError> {
        let encoded = serde_urlencoded::to_string(query).map_err(|e| {
            ClientError::InvalidRequest(format!("the query cannot be URL-encoded: {e}"))
        })?;
        if encoded.is_empty() {
            return Ok(self);
        }
        let joined = |old: &[u8], separator: u8| {
            let mut value = Vec::with_capacity(old.len() + 1 + encoded.len());
            value.extend_from_slice(old);
            if !matches!(old.last(), None | Some(b'&' | b'?')) {
                value.push(separator);
            }
            value.extend_from_slice(encoded.as_bytes());
            value
        };
        let query_string = joined(
            self.params.get_bytes(b"QUERY_STRING").unwrap_or_default(),
            b'&',
        );
        let uri = self
            .params
            .get_bytes(b"REQUEST_URI")
            .map(|uri| joined(uri, if uri.contains(&b'?') { b'&' } else { b'?' }));
        self.set_param(b"QUERY_STRING", &query_string);
        if let Some(uri) = uri {
            self.set_param(b"REQUEST_URI", &uri);
        }
        Ok(self)
    }

    /// Sets the body (`FCGI_STDIN`), and `CONTENT_LENGTH` when its length
    /// is known.
    pub fn body(mut self, body: impl Into<RequestBody>) -> Self {
        let body = body.into();
        if let Some(len) = body.len() {
            self.set_param(b"CONTENT_LENGTH", len.to_string().as_bytes());
        }
        self.body = body;
        self
    }

    /// Sets a JSON body: `CONTENT_TYPE: application/json` and the
    /// serialized value.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidRequest`] when `value` cannot be serialized.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, ClientError> {
        let body = serde_json::to_vec(value).map_err(|e| {
            ClientError::InvalidRequest(format!("the JSON body cannot be serialized: {e}"))
        })?;
        Ok(self.header("Content-Type", "application/json").body(body))
    }

    /// Sets a form body: `CONTENT_TYPE: application/x-www-form-urlencoded`
    /// and the URL-encoded value.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidRequest`] when `value` cannot be URL-encoded.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, ClientError> {
        let body = serde_urlencoded::to_string(value).map_err(|e| {
            ClientError::InvalidRequest(format!("the form body cannot be URL-encoded: {e}"))
        })?;
        Ok(self
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body))
    }

    /// Sets the role (default [`Role::Responder`]).
    pub fn role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }

    /// Sets the Filter role's data file (`FCGI_DATA`), and makes the
    /// request a [`Role::Filter`] request with `FCGI_DATA_LENGTH` set when
    /// the length is known.
    pub fn data(mut self, data: impl Into<RequestBody>) -> Self {
        let data = data.into();
        if let Some(len) = data.len() {
            self.set_param(b"FCGI_DATA_LENGTH", len.to_string().as_bytes());
        }
        self.role = Role::Filter;
        self.data = Some(data);
        self
    }

    /// Whether the application keeps the connection open after this
    /// request (`FCGI_KEEP_CONN`, default true). Without it the application
    /// closes the connection once it has answered, as with nginx's default
    /// `fastcgi_keep_conn off`.
    pub fn keep_conn(mut self, keep: bool) -> Self {
        self.keep_conn = keep;
        self
    }

    /// The role the request asks for.
    pub fn requested_role(&self) -> Role {
        self.role
    }

    /// Whether `FCGI_KEEP_CONN` is set.
    pub fn keeps_conn(&self) -> bool {
        self.keep_conn
    }

    /// The params, in the order they are sent.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The params, to edit freely (appending, clearing...).
    pub fn params_mut(&mut self) -> &mut Params {
        Arc::make_mut(&mut self.params)
    }

    /// A copy of the request; `None` when its body or data is a stream,
    /// which can be sent once.
    pub fn try_clone(&self) -> Option<Self> {
        Some(Self {
            role: self.role,
            keep_conn: self.keep_conn,
            params: Arc::clone(&self.params),
            body: self.body.try_clone()?,
            data: match &self.data {
                Some(data) => Some(data.try_clone()?),
                None => None,
            },
        })
    }

    /// Replaces every pair named `name` in place, or appends one.
    fn set_param(&mut self, name: &[u8], value: &[u8]) {
        if self.params.get_bytes(name).is_none() {
            Arc::make_mut(&mut self.params).insert(name, value);
            return;
        }
        let mut params = Params::with_capacity(
            self.params.as_wire_bytes().len() + 8 + value.len(),
            self.params.len(),
        );
        let mut replaced = false;
        for (pair_name, pair_value) in self.params.iter() {
            if pair_name != name {
                params.insert(pair_name, pair_value);
            } else if !replaced {
                params.insert(name, value);
                replaced = true;
            }
        }
        self.params = Arc::new(params);
    }

    /// Writes `FCGI_BEGIN_REQUEST` and the whole `FCGI_PARAMS` stream for
    /// request `request_id`, and returns the bodies left to send.
    pub(crate) fn encode_head(
        self,
        request_id: u16,
        out: &mut BytesMut,
    ) -> Result<(RequestBody, Option<RequestBody>), ClientError> {
        // Params hold only encodable pairs: decoded ones came off the wire,
        // and `Params::insert` panics on a name or value of 2 GiB or more.
        let flags = if self.keep_conn { FCGI_KEEP_CONN } else { 0 };
        encode_begin_request(out, request_id, self.role, flags);
        encode_params(out, request_id, &self.params);
        encode_stream_end(out, StreamType::Params, request_id);
        let data = match (self.role, self.data) {
            (_, Some(data)) => Some(data),
            (Role::Filter, None) => Some(RequestBody::empty()),
            (_, None) => None,
        };
        Ok((self.body, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_fills_nginx_params() {
        let request = ClientRequest::get("/a%20b/c?x=1&y=2#frag");
        let p = request.params();
        assert_eq!(p.get("QUERY_STRING"), Some("x=1&y=2"));
        assert_eq!(p.get("REQUEST_URI"), Some("/a%20b/c?x=1&y=2"));
        assert_eq!(p.get("SCRIPT_NAME"), Some("/a b/c"));
        assert_eq!(p.get("DOCUMENT_URI"), Some("/a b/c"));
        assert_eq!(p.get("REQUEST_METHOD"), Some("GET"));
        assert_eq!(p.get("CONTENT_LENGTH"), Some(""));
        assert_eq!(p.get("REDIRECT_STATUS"), Some("200"));
        assert_eq!(request.requested_role(), Role::Responder);
        assert!(request.keeps_conn());
    }

    #[test]
    fn overrides_replace_in_place() {
        let request = ClientRequest::post("/p", "application/json", "{}")
            .param("REMOTE_ADDR", "10.0.0.1")
            .header("X-Forwarded-For", "1.2.3.4")
            .header("user-agent", "a")
            .header("User-Agent", "b");
        let p = request.params();
        assert_eq!(p.get("REMOTE_ADDR"), Some("10.0.0.1"));
        assert_eq!(p.get("CONTENT_TYPE"), Some("application/json"));
        assert_eq!(p.get("HTTP_CONTENT_TYPE"), None);
        assert_eq!(p.get("CONTENT_LENGTH"), Some("2"));
        assert_eq!(p.get("HTTP_X_FORWARDED_FOR"), Some("1.2.3.4"));
        assert_eq!(p.get("HTTP_USER_AGENT"), Some("b"));
        let names: Vec<_> = p.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names.iter().filter(|n| **n == b"HTTP_USER_AGENT").count(),
            1
        );
        assert_eq!(names[2], b"CONTENT_TYPE");
    }

    #[test]
    fn a_proxy_header_never_becomes_http_proxy() {
        let request = ClientRequest::get("/")
            .header("Proxy", "http://evil.example")
            .header("proxy", "http://evil.example")
            .header("Proxy-Authorization", "kept");
        let p = request.params();
        assert_eq!(p.get("HTTP_PROXY"), None);
        assert_eq!(p.get("HTTP_PROXY_AUTHORIZATION"), Some("kept"));
    }

    #[test]
    fn query_appends_to_query_string_and_uri() -> Result<(), ClientError> {
        let request = ClientRequest::get("/s").query(&[("q", "a b"), ("n", "1")])?;
        assert_eq!(request.params().get("QUERY_STRING"), Some("q=a+b&n=1"));
        assert_eq!(request.params().get("REQUEST_URI"), Some("/s?q=a+b&n=1"));
        let request = ClientRequest::get("/s?x=0").query(&[("q", "1")])?;
        assert_eq!(request.params().get("QUERY_STRING"), Some("x=0&q=1"));
        assert_eq!(request.params().get("REQUEST_URI"), Some("/s?x=0&q=1"));
        Ok(())
    }
}
