//! A FastCGI request as an `http::Request` and back, and an
//! `http::Response` as a response.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};

use super::RemoteAddr;
use super::body::{into_request_body, into_response_body};
use crate::cgi::{
    HeaderVariable, OWN_VARIABLES, header_variable, percent_decode, percent_encode, variable_header,
};
use crate::request::path_source::PathSource;
use crate::request::{Body, Environ, Request, RequestParts};
use crate::response::{BoxError, IntoResponse, Response, ResponseWriter, internal_error};

/// What an `http::Request` has no place for, carried through middleware
/// in its extensions: the response writer and the Filter role's data
/// stream. Cloning shares them; the first to take them has them.
#[derive(Clone)]
struct Carried(Arc<Mutex<(Option<ResponseWriter>, Option<Body>)>>);

/// The request as an `http::Request`: method from `REQUEST_METHOD`, URI
/// from `source` (`REQUEST_URI` as sent, for [`PathSource::RequestUri`]),
/// version from `SERVER_PROTOCOL`, headers from `HTTP_*`, `CONTENT_TYPE`
/// and `CONTENT_LENGTH`, the body streamed from FCGI_STDIN; and in its
/// extensions the request's own [`RequestParts::extensions`] (path
/// parameters...), the [`RequestParts`] (environ, abort signal, stderr,
/// state) and the peer's [`RemoteAddr`].
///
/// `Err` is the answer when the web server's params cannot make a
/// request: 500 without `REQUEST_METHOD`, 400 for an invalid one.
pub(crate) fn into_http_request(
    request: Request,
    source: PathSource,
) -> Result<http::Request<Body>, Box<Response>> {
    let Request {
        mut parts,
        body,
        data,
        writer,
    } = request;
    let environ = &parts.environ;
    let method = match environ.get_bytes("REQUEST_METHOD") {
        None => {
            return Err(Box::new(internal_error(
                &"the web server sent no REQUEST_METHOD, so the request cannot be passed to the service; add `fastcgi_param REQUEST_METHOD $request_method;` to its configuration",
            )));
        }
        Some(method) => Method::from_bytes(method).map_err(|_| {
            Box::new(
                (
                    StatusCode::BAD_REQUEST,
                    "Bad Request: the request method is not a valid HTTP method\n",
                )
                    .into_response(),
            )
        })?,
    };
    let mut http = http::Request::new(body.unwrap_or_else(Body::empty));
    *http.method_mut() = method;
    *http.uri_mut() = uri(environ, source);
    *http.version_mut() = version(environ.get("SERVER_PROTOCOL"));
    *http.headers_mut() = headers(environ);
    // Moved, not copied: they come back in `from_http_request`, with
    // whatever the layers in between added.
    *http.extensions_mut() = std::mem::take(&mut parts.extensions);
    let extensions = http.extensions_mut();
    if let Some(addr) = remote_addr(environ) {
        extensions.insert(RemoteAddr(addr));
    }
    extensions.insert(Carried(Arc::new(Mutex::new((writer, data)))));
    extensions.insert(parts);
    Ok(http)
}

/// An `http::Request` as a FastCGI request for a handler: the
/// [`RequestParts`] it carries (or, for a request that did not come from
/// FastCGI, an environ made from its method, URI and headers), with its
/// other extensions (those [`into_http_request`] moved out, and any a
/// middleware added) back in [`RequestParts::extensions`], where
/// [`Extension<T>`](super::Extension) finds them. The application state
/// is not touched: it stays shared.
pub(crate) fn from_http_request<B>(request: http::Request<B>) -> Request
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    let (mut head, body) = request.into_parts();
    let mut parts = match head.extensions.remove::<RequestParts>() {
        Some(parts) => parts,
        None => RequestParts::new(environ_of(&head)),
    };
    let (writer, data) = match head.extensions.remove::<Carried>() {
        Some(Carried(carried)) => {
            let mut carried = carried.lock().unwrap_or_else(PoisonError::into_inner);
            (carried.0.take(), carried.1.take())
        }
        None => (None, None),
    };
    head.extensions.remove::<RemoteAddr>();
    // Into an empty map (as `into_http_request` left it) this moves the
    // map over without copying.
    parts.extensions.extend(head.extensions);
    Request {
        parts,
        body: Some(into_request_body(body)),
        data,
        writer,
    }
}

/// An `http::Response` of any body as a response: streamed as it comes,
/// with a `Content-Length` when its body's size is known.
pub(crate) fn from_http_response<B>(response: http::Response<B>) -> Response
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (mut head, body) = response.into_parts();
    if let Some(len) = body.size_hint().exact()
        && !head.headers.contains_key(CONTENT_LENGTH)
        && len > 0
    {
        head.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    Response::from_parts(head, into_response_body(body))
}

/// A 500 for a service that failed instead of answering, its error on
/// FCGI_STDERR.
pub(crate) fn service_failed(err: BoxError) -> Response {
    internal_error(&format!("the service failed instead of answering: {err}"))
}

fn uri(environ: &Environ, source: PathSource) -> Uri {
    if source == PathSource::RequestUri
        && let Some(raw) = environ.get_bytes("REQUEST_URI")
    {
        if let Ok(uri) = Uri::from_maybe_shared(Bytes::copy_from_slice(raw)) {
            return uri;
        }
        // Raw bytes the client sent unencoded (nginx passes them on).
        if let Ok(uri) = Uri::from_maybe_shared(Bytes::from(percent_encode(raw, b"%?"))) {
            return uri;
        }
    }
    let path = match source {
        PathSource::RequestUri => PathSource::ScriptNameAndPathInfo.path(environ),
        other => other.path(environ),
    };
    let path = path.unwrap_or(std::borrow::Cow::Borrowed(b"/"));
    let mut target = percent_encode(&path, b"");
    if target.first() != Some(&b'/') {
        target.insert(0, b'/');
    }
    let query = environ.query_string();
    if !query.is_empty() {
        target.push(b'?');
        target.extend_from_slice(&percent_encode(query.as_bytes(), b"%?&=+"));
    }
    Uri::from_maybe_shared(Bytes::from(target)).unwrap_or_else(|_| Uri::from_static("/"))
}

fn version(protocol: Option<&str>) -> Version {
    match protocol {
        Some("HTTP/1.0") => Version::HTTP_10,
        Some("HTTP/2" | "HTTP/2.0") => Version::HTTP_2,
        Some("HTTP/3" | "HTTP/3.0") => Version::HTTP_3,
        Some("HTTP/0.9") => Version::HTTP_09,
        _ => Version::HTTP_11,
    }
}

/// The request headers: each `HTTP_NAME` as `name`, plus `CONTENT_TYPE`
/// and `CONTENT_LENGTH` when not empty. Names or values that are not valid
/// in HTTP are left out.
fn headers(environ: &Environ) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(environ.len() / 2);
    for (name, value) in environ.iter() {
        let Some(name) = variable_header(name) else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&name),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    for (variable, header) in OWN_VARIABLES {
        if let Some(value) = environ.get_bytes(variable).filter(|v| !v.is_empty())
            && let Ok(value) = HeaderValue::from_bytes(value)
        {
            headers.insert(header, value);
        }
    }
    headers
}

fn remote_addr(environ: &Environ) -> Option<SocketAddr> {
    let ip = environ.remote_addr()?;
    let port = environ
        .get("REMOTE_PORT")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    Some(SocketAddr::new(ip, port))
}

/// The CGI meta-variables of a request that did not come from FastCGI
/// (a handler service called by other tower code).
fn environ_of(head: &http::request::Parts) -> Environ {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let path = head.uri.path();
    pairs.push(("REQUEST_METHOD".into(), head.method.as_str().into()));
    pairs.push((
        "REQUEST_URI".into(),
        head.uri
            .path_and_query()
            .map_or_else(|| path.to_owned(), |pq| pq.as_str().to_owned()),
    ));
    pairs.push((
        "SCRIPT_NAME".into(),
        String::from_utf8_lossy(&percent_decode(path.as_bytes())).into_owned(),
    ));
    pairs.push(("QUERY_STRING".into(), head.uri.query().unwrap_or("").into()));
    pairs.push(("SERVER_PROTOCOL".into(), format!("{:?}", head.version)));
    for (name, value) in &head.headers {
        let Ok(value) = value.to_str() else { continue };
        let variable = match header_variable(name.as_str()) {
            HeaderVariable::Own(variable) => variable.to_owned(),
            // From a valid header name: ASCII.
            HeaderVariable::Http(variable) => String::from_utf8_lossy(&variable).into_owned(),
            HeaderVariable::Withheld => continue,
        };
        pairs.push((variable, value.to_owned()));
    }
    pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environ(pairs: &[(&str, &str)]) -> Environ {
        pairs.iter().copied().collect()
    }

    #[test]
    fn uri_is_request_uri_as_sent_or_rebuilt() {
        let env = environ(&[
            ("REQUEST_URI", "/a%20b/c?x=1&y"),
            ("SCRIPT_NAME", "/a b/c"),
            ("QUERY_STRING", "x=1&y"),
        ]);
        assert_eq!(uri(&env, PathSource::RequestUri), "/a%20b/c?x=1&y");
        assert_eq!(
            uri(&env, PathSource::ScriptNameAndPathInfo),
            "/a%20b/c?x=1&y"
        );
        let raw = environ(&[("REQUEST_URI", "/caf\u{e9} x?q=\u{e9}")]);
        assert_eq!(uri(&raw, PathSource::RequestUri), "/caf%C3%A9%20x?q=%C3%A9");
        let none = environ(&[("PATH_INFO", "/p%q"), ("QUERY_STRING", "")]);
        assert_eq!(uri(&none, PathSource::RequestUri), "/p%25q");
        assert_eq!(uri(&Environ::default(), PathSource::RequestUri), "/");
    }

    #[test]
    fn headers_from_http_variables() {
        let env = environ(&[
            ("HTTP_X_FORWARDED_FOR", "10.0.0.1"),
            ("HTTP_ACCEPT", "text/html"),
            ("HTTP_BAD NAME", "x"),
            ("CONTENT_TYPE", "application/json"),
            ("CONTENT_LENGTH", ""),
            ("REMOTE_ADDR", "192.0.2.1"),
        ]);
        let headers = headers(&env);
        assert_eq!(headers["x-forwarded-for"], "10.0.0.1");
        assert_eq!(headers["accept"], "text/html");
        assert_eq!(headers["content-type"], "application/json");
        assert!(!headers.contains_key("content-length"));
        assert_eq!(headers.len(), 3);
    }

    #[derive(Clone, Debug, PartialEq)]
    struct Own(u32);
    #[derive(Clone, Debug, PartialEq)]
    struct Added(u32);
    #[derive(Clone, Debug, PartialEq)]
    struct App(u32);

    #[test]
    fn extensions_go_out_and_come_back_leaving_the_state_shared() {
        let mut parts = RequestParts::new(environ(&[
            ("REQUEST_METHOD", "GET"),
            ("REMOTE_ADDR", "192.0.2.1"),
        ]));
        let mut app = http::Extensions::new();
        app.insert(App(1));
        let state = Arc::new(app);
        parts.state = Arc::clone(&state);
        parts.extensions.insert(Own(2));
        let Ok(mut http) =
            into_http_request(Request::new(parts, Body::empty()), PathSource::RequestUri)
        else {
            panic!("a GET makes an http::Request");
        };
        assert_eq!(http.extensions().get::<Own>(), Some(&Own(2)));
        let carried = http.extensions().get::<RequestParts>();
        assert!(carried.is_some_and(|parts| parts.extensions().is_empty()));
        // What a layer would do.
        http.extensions_mut().insert(Added(3));

        let parts = from_http_request(http).parts;
        assert_eq!(parts.extensions().get::<Own>(), Some(&Own(2)));
        assert_eq!(parts.extensions().get::<Added>(), Some(&Added(3)));
        // Only what the request carried for the way back is removed.
        assert_eq!(parts.extensions().len(), 2);
        assert!(parts.state::<Added>().is_none());
        assert_eq!(parts.state::<App>(), Some(&App(1)));
        assert!(Arc::ptr_eq(&parts.state, &state), "the state was copied");
    }

    // A foreign body is pumped by a task of its own.
    #[tokio::test]
    async fn a_foreign_request_brings_its_extensions() {
        let mut http = http::Request::new(String::new());
        http.extensions_mut().insert(Added(4));
        let parts = from_http_request(http).parts;
        assert_eq!(parts.extensions().get::<Added>(), Some(&Added(4)));
        assert!(parts.state::<Added>().is_none());
    }

    #[test]
    fn versions() {
        assert_eq!(version(Some("HTTP/1.0")), Version::HTTP_10);
        assert_eq!(version(Some("HTTP/2.0")), Version::HTTP_2);
        assert_eq!(version(None), Version::HTTP_11);
    }
}
