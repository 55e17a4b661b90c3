//! The environ: the FastCGI params (CGI meta-variables) of one request.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::protocol::Params;

/// The CGI meta-variables the web server sent for a request (simple-fastcgi's
/// `environ` dict): names upper-cased, values as sent.
///
/// Values are bytes, since not every value is UTF-8 (a percent-decoded
/// `PATH_INFO` may not be); [`get`](Self::get) gives the UTF-8 ones as
/// `&str`, [`get_bytes`](Self::get_bytes) any of them. `Environ` serializes
/// as a JSON object of name → value (non-UTF-8 bytes replaced by U+FFFD).
///
/// ```
/// use fastcgi::request::Environ;
/// let environ: Environ = [("REQUEST_METHOD", "GET"), ("query_string", "a=1")]
///     .into_iter()
///     .collect();
/// assert_eq!(environ.get("QUERY_STRING"), Some("a=1"));
/// assert_eq!(environ.request_method(), Some("GET"));
/// assert_eq!(
///     serde_json::to_string(&environ).unwrap(),
///     r#"{"REQUEST_METHOD":"GET","QUERY_STRING":"a=1"}"#
/// );
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Environ {
    params: Params,
}

impl Environ {
    /// Wraps decoded params, upper-casing their names in place.
    pub fn from_params(mut params: Params) -> Self {
        params.make_names_uppercase();
        Self { params }
    }

    /// The value of `name` (upper-case) when present and UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// The raw bytes of `name`'s value.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.params.get_bytes(name.as_bytes())
    }

    /// Whether `name` was sent at all (even with an empty value).
    pub fn contains(&self, name: &str) -> bool {
        self.get_bytes(name).is_some()
    }

    /// Every (name, value) pair, in the order the web server sent them.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.params.iter()
    }

    /// How many meta-variables were sent.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether no meta-variable was sent.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The underlying params.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// `REQUEST_METHOD`, e.g. `GET`.
    pub fn request_method(&self) -> Option<&str> {
        self.get("REQUEST_METHOD")
    }

    /// `QUERY_STRING`, empty when absent.
    pub fn query_string(&self) -> &str {
        self.get("QUERY_STRING").unwrap_or("")
    }

    /// `CONTENT_LENGTH` as a number; `None` when absent or empty (nginx
    /// sends an empty one for requests without a body).
    pub fn content_length(&self) -> Option<u64> {
        self.get("CONTENT_LENGTH")
            .filter(|v| !v.is_empty())
            .and_then(|v| v.parse().ok())
    }

    /// `CONTENT_TYPE`, when present and not empty.
    pub fn content_type(&self) -> Option<&str> {
        self.get("CONTENT_TYPE").filter(|v| !v.is_empty())
    }

    /// `REQUEST_URI`: the path and query the client asked for.
    pub fn request_uri(&self) -> Option<&str> {
        self.get("REQUEST_URI")
    }

    /// `DOCUMENT_ROOT`.
    pub fn document_root(&self) -> Option<&str> {
        self.get("DOCUMENT_ROOT")
    }

    /// `SCRIPT_NAME`.
    pub fn script_name(&self) -> Option<&str> {
        self.get("SCRIPT_NAME")
    }

    /// `PATH_INFO`.
    pub fn path_info(&self) -> Option<&str> {
        self.get("PATH_INFO")
    }

    /// `REMOTE_ADDR` parsed as an IP address.
    pub fn remote_addr(&self) -> Option<std::net::IpAddr> {
        self.get("REMOTE_ADDR").and_then(|v| v.parse().ok())
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for Environ {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(iter: I) -> Self {
        let mut params = Params::new();
        for (name, value) in iter {
            params.insert(name.as_bytes(), value.as_bytes());
        }
        Self::from_params(params)
    }
}

impl From<Params> for Environ {
    fn from(params: Params) -> Self {
        Self::from_params(params)
    }
}

impl fmt::Debug for Environ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(n, v)| (String::from_utf8_lossy(n), String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

impl Serialize for Environ {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(
                &*String::from_utf8_lossy(name),
                &*String::from_utf8_lossy(value),
            )?;
        }
        map.end()
    }
}
