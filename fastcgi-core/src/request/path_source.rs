//! [`PathSource`]: which CGI meta-variables hold a request's path, and that
//! path read from the environ.

use std::borrow::Cow;
use std::fmt;

use super::Environ;
use crate::cgi::{percent_decode, uri_path};

/// Which path of a request the [`Router`](crate::routing::Router) matches its routes
/// against. Web servers split the path they pass differently, so the choice
/// is explicit; set it with [`Router::path_source`](crate::routing::Router::path_source).
///
/// Whatever the source, the router then normalizes the path as nginx,
/// lighttpd and Apache do: percent-decoded, `.` and `..` segments resolved
/// (encoded ones too), repeated slashes merged; a trailing slash is kept.
///
/// What the three servers send for `GET /items/a%20b?x=1`, configured as
/// in `examples/deploy/` (every path to the app):
///
/// | | `SCRIPT_NAME` | `PATH_INFO` | `REQUEST_URI` |
/// |---|---|---|---|
/// | nginx (`fastcgi_params`) | `/items/a b` | not sent | `/items/a%20b?x=1` |
/// | lighttpd (`fix-root-scriptname`) | empty | `/items/a b` | `/items/a%20b?x=1` |
/// | Apache (`mod_proxy_fcgi`) | `/items/a b` | not sent | `/items/a%20b?x=1` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathSource {
    /// `SCRIPT_NAME` followed by `PATH_INFO`, either of which may be absent
    /// or empty (the default).
    ///
    /// This is the path the web server itself resolved, decoded and
    /// normalized, and matched its own `location`s and access rules
    /// against, so the app's routes never disagree with them. It follows
    /// the web server's internal rewrites (nginx `rewrite ... last`,
    /// `try_files`), and it is the whole path however the server splits
    /// it: nginx and Apache put it all in `SCRIPT_NAME`, lighttpd with
    /// `fix-root-scriptname` all in `PATH_INFO`, a server that splits at a
    /// script name (`/app.fcgi/items/3`) across both.
    ///
    /// Not for IIS, which repeats the path in both; use
    /// [`RequestUri`](Self::RequestUri) there.
    #[default]
    ScriptNameAndPathInfo,
    /// The path part of `REQUEST_URI`: the path exactly as the client sent
    /// it, before any rewrite, then percent-decoded and normalized like
    /// the others.
    ///
    /// Every server sends it with the same value, however it splits
    /// `SCRIPT_NAME`; but it does not follow the web server's internal
    /// rewrites: behind `rewrite ^/old/(.*)$ /new/$1 last;` the app still
    /// sees `/old/...`.
    RequestUri,
    /// `PATH_INFO` alone: for an app mounted under a script name
    /// (`SCRIPT_NAME=/app.fcgi`, `PATH_INFO=/items/3`), or under a prefix
    /// lighttpd puts in `SCRIPT_NAME`. An absent or empty `PATH_INFO` is
    /// `/`.
    PathInfo,
    /// Another meta-variable that holds a decoded path, such as nginx's
    /// `DOCUMENT_URI` or one the web server's configuration sets.
    Param(&'static str),
}

impl PathSource {
    /// The path this source names in `environ`, percent-decoded, before
    /// normalization.
    pub(crate) fn path<'a>(self, environ: &'a Environ) -> Result<Cow<'a, [u8]>, MissingPath> {
        match self {
            PathSource::ScriptNameAndPathInfo => {
                // One pass over the params for both (PATH_INFO is usually
                // absent, so a look-up of its own would read them all).
                let (mut script, mut info) = (None, None);
                for (name, value) in environ.iter() {
                    match name {
                        b"SCRIPT_NAME" if script.is_none() => script = Some(value),
                        b"PATH_INFO" if info.is_none() => info = Some(value),
                        _ => {}
                    }
                }
                match (script, info) {
                    (None, None) => Err(MissingPath(self)),
                    (Some(one), None | Some(b"")) | (None | Some(b""), Some(one)) => {
                        Ok(Cow::Borrowed(one))
                    }
                    (Some(script), Some(info)) => Ok(Cow::Owned([script, info].concat())),
                }
            }
            PathSource::RequestUri => {
                let uri = environ.get_bytes("REQUEST_URI").ok_or(MissingPath(self))?;
                Ok(percent_decode(uri_path(uri)))
            }
            PathSource::PathInfo => match environ.get_bytes("PATH_INFO") {
                None | Some(b"") => Ok(Cow::Borrowed(b"/")),
                Some(info) => Ok(Cow::Borrowed(info)),
            },
            PathSource::Param(name) => environ
                .get_bytes(name)
                .map(Cow::Borrowed)
                .ok_or(MissingPath(self)),
        }
    }
}

/// The web server did not send the meta-variable(s) a [`PathSource`]
/// reads: a configuration problem, answered with 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MissingPath(pub(crate) PathSource);

impl fmt::Display for MissingPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            PathSource::ScriptNameAndPathInfo => f.write_str(
                "the router cannot route this request: the web server sent neither SCRIPT_NAME nor PATH_INFO; add `fastcgi_param SCRIPT_NAME $fastcgi_script_name;` to nginx's configuration (`include fastcgi_params;` has it), or route on REQUEST_URI with `Router::path_source(PathSource::RequestUri)`",
            ),
            PathSource::RequestUri => f.write_str(
                "the router cannot route this request: the web server sent no REQUEST_URI; add `fastcgi_param REQUEST_URI $request_uri;` to nginx's configuration, or route on SCRIPT_NAME and PATH_INFO with `Router::path_source(PathSource::ScriptNameAndPathInfo)`",
            ),
            PathSource::PathInfo => f.write_str("PATH_INFO is always available"),
            PathSource::Param(name) => write!(
                f,
                "the router cannot route this request: it routes on {name} (`Router::path_source`), which the web server did not send; add it to the web server's FastCGI params or choose another PathSource"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_read_their_variables() {
        let environ: Environ = [
            ("SCRIPT_NAME", "/app.fcgi"),
            ("PATH_INFO", "/items/3"),
            ("REQUEST_URI", "/app.fcgi/items/%33?x"),
            ("DOCUMENT_URI", "/doc"),
        ]
        .into_iter()
        .collect();
        let path = |source: PathSource| source.path(&environ).map(|p| p.into_owned());
        assert_eq!(
            path(PathSource::ScriptNameAndPathInfo).unwrap(),
            b"/app.fcgi/items/3"
        );
        assert_eq!(path(PathSource::RequestUri).unwrap(), b"/app.fcgi/items/3");
        assert_eq!(path(PathSource::PathInfo).unwrap(), b"/items/3");
        assert_eq!(path(PathSource::Param("DOCUMENT_URI")).unwrap(), b"/doc");
        assert!(path(PathSource::Param("NOPE")).is_err());

        let lighttpd: Environ = [("SCRIPT_NAME", ""), ("PATH_INFO", "/a")]
            .into_iter()
            .collect();
        assert_eq!(
            PathSource::ScriptNameAndPathInfo.path(&lighttpd).unwrap(),
            &b"/a"[..]
        );
        let empty = Environ::default();
        let err = PathSource::ScriptNameAndPathInfo.path(&empty).unwrap_err();
        assert!(err.to_string().contains("PathSource::RequestUri"));
        assert_eq!(PathSource::PathInfo.path(&empty).unwrap(), &b"/"[..]);
    }
}
