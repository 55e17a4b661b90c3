//! Files under a directory, answered as a web server would (PHP apps use
//! `readfile` or hand them to the web server): Content-Type from the
//! extension, Content-Length, Last-Modified, ETag, `304 Not Modified` for
//! conditional requests and `206 Partial Content` for one range; or, with
//! an [`Offload`], handed to the web server with `X-Accel-Redirect`
//! (nginx) or `X-Sendfile` (lighttpd; Apache with mod_xsendfile), so the
//! app writes only a header block however big the file.
//!
//! ```no_run
//! use fastcgi::file::{NamedFile, Offload};
//! use fastcgi::prelude::*;
//!
//! /// `GET /download?name=report.pdf`, once the app has checked who may.
//! #[fcgi_handler]
//! async fn download(environ: Environ) -> Response {
//!     let name = environ.query_string().strip_prefix("name=").unwrap_or("");
//!     match NamedFile::open("/srv/files", name) {
//!         Ok(file) => file
//!             .offload(Some(Offload::XAccelRedirect { prefix: "/protected/".into() }))
//!             .respond(&environ),
//!         // Missing, a directory, or outside /srv/files: 404.
//!         Err(err) => err.into_response(),
//!     }
//! }
//! ```

mod http_date;
mod mime;
mod range;

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use crate::path::{PathError, safe_join};
use crate::request::Environ;
use crate::response::{Response, ResponseBody, unfold};
use range::Wanted;

/// How much of the file one body chunk holds.
const CHUNK: u64 = 64 * 1024;

/// Who sends the file's bytes instead of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Offload {
    /// nginx: `X-Accel-Redirect: PREFIX` followed by the file's path under
    /// the directory, percent-encoded. `PREFIX` names an `internal`
    /// location of nginx that maps onto the same directory (`location
    /// /protected/ { internal; alias /srv/files/; }`): nginx answers the
    /// client from it, Range and conditional requests included.
    XAccelRedirect {
        /// The location's URI prefix, e.g. `/protected/`.
        prefix: String,
    },
    /// lighttpd (`"x-sendfile" => "enable"` in `fastcgi.server`) and
    /// Apache with mod_xsendfile (`XSendFile On`, `XSendFilePath DIR`):
    /// `X-Sendfile:` the file's absolute path.
    XSendfile,
}

/// A regular file found under a directory, ready to answer a request.
#[derive(Debug)]
pub struct NamedFile {
    file: File,
    /// Where it is, symlinks resolved.
    path: PathBuf,
    /// The requested path under the directory, normalized (`/`-joined
    /// components), for `X-Accel-Redirect`.
    relative: String,
    len: u64,
    modified: Option<SystemTime>,
    offload: Option<Offload>,
}

impl NamedFile {
    /// Opens `untrusted` (a client-chosen path, already percent-decoded)
    /// under `root`, joined as [`safe_join`] does: `..`, a symlink leading
    /// out of `root`, a missing file and a directory are all errors, which
    /// answer 404 as responses. A leading `/` means `root` itself.
    ///
    /// It opens and stats the file on the calling thread: two system
    /// calls, as a web server makes them.
    pub fn open(root: impl AsRef<Path>, untrusted: &str) -> Result<Self, PathError> {
        let path = safe_join(root.as_ref(), untrusted)?;
        let file = File::open(&path).map_err(PathError::NotFound)?;
        let metadata = file.metadata().map_err(PathError::NotFound)?;
        if !metadata.is_file() {
            return Err(PathError::NotFound(io::Error::new(
                io::ErrorKind::IsADirectory,
                "not a regular file",
            )));
        }
        let relative = Path::new(untrusted)
            .components()
            .filter_map(|c| match c {
                Component::Normal(name) => name.to_str(),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/");
        Ok(Self {
            file,
            path,
            relative,
            len: metadata.len(),
            modified: metadata.modified().ok(),
            offload: None,
        })
    }

    /// Lets the web server send the bytes (`None`: the app sends them).
    pub fn offload(mut self, offload: Option<Offload>) -> Self {
        self.offload = offload;
        self
    }

    /// The file's resolved path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `"MTIME-SIZE"` in hex, as nginx makes it: it changes when the file
    /// is rewritten.
    fn etag(&self) -> String {
        let mtime = self
            .modified
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        format!("\"{mtime:x}-{:x}\"", self.len)
    }

    /// The answer to the request whose params are `environ`:
    /// - `304 Not Modified` when `If-None-Match` holds the file's ETag (or
    ///   `*`), or, without `If-None-Match`, when `If-Modified-Since` is not
    ///   older than the file;
    /// - with an offload, `200` with `X-Accel-Redirect` or `X-Sendfile` and
    ///   no body (the web server answers Range itself);
    /// - `206 Partial Content` for one satisfiable byte range (`If-Range`
    ///   respected), `416` for one past the end;
    /// - otherwise `200` with the whole file, streamed.
    ///
    /// Each answer carries `ETag` and `Last-Modified`, and those with the
    /// file's bytes `Content-Type` (from the extension) and
    /// `Content-Length`.
    pub fn respond(self, environ: &Environ) -> Response {
        let etag = self.etag();
        let last_modified = self.modified.map(http_date::format);
        if self.not_modified(environ, &etag) {
            let mut response = Response::new(ResponseBody::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            self.validators(&mut response, &etag, last_modified.as_deref());
            return response;
        }
        let content_type = mime::for_extension(
            self.path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default(),
        );
        if let Some(offload) = &self.offload {
            let mut response = Response::new(ResponseBody::empty());
            let value = match offload {
                Offload::XAccelRedirect { prefix } => (
                    "x-accel-redirect",
                    format!("{prefix}{}", encode_path(&self.relative)),
                ),
                Offload::XSendfile => ("x-sendfile", self.path.to_string_lossy().into_owned()),
            };
            if let Ok(header_value) = HeaderValue::from_str(&value.1) {
                response.headers_mut().insert(value.0, header_value);
            }
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            self.validators(&mut response, &etag, last_modified.as_deref());
            return response;
        }
        let wanted = match environ.get("HTTP_RANGE") {
            Some(range) if if_range_holds(environ, &etag, last_modified.as_deref()) => {
                range::parse(range, self.len)
            }
            _ => Wanted::Whole,
        };
        let len = self.len;
        let (status, part) = match wanted {
            Wanted::Whole => (StatusCode::OK, 0..len),
            Wanted::Part(part) => (StatusCode::PARTIAL_CONTENT, part),
            Wanted::Unsatisfiable => {
                let mut response = Response::new(ResponseBody::empty());
                *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
                insert(
                    &mut response,
                    header::CONTENT_RANGE,
                    format!("bytes */{len}"),
                );
                self.validators(&mut response, &etag, last_modified.as_deref());
                return response;
            }
        };
        let mut response = Response::new(ResponseBody::empty());
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(header::CONTENT_LENGTH, (part.end - part.start).into());
        if status == StatusCode::PARTIAL_CONTENT {
            let value = format!("bytes {}-{}/{len}", part.start, part.end - 1);
            insert(&mut response, header::CONTENT_RANGE, value);
        }
        self.validators(&mut response, &etag, last_modified.as_deref());
        *response.body_mut() = stream(Arc::new(self.file), part);
        response
    }

    fn not_modified(&self, environ: &Environ, etag: &str) -> bool {
        if let Some(tags) = environ.get("HTTP_IF_NONE_MATCH") {
            // Weak comparison (RFC 9110 §13.1.2).
            return tags
                .split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == "*" || tag == etag);
        }
        match (environ.get("HTTP_IF_MODIFIED_SINCE"), self.modified) {
            (Some(since), Some(modified)) => http_date::parse(since).is_some_and(|since| {
                let modified = modified
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let since = since.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                modified <= since
            }),
            _ => false,
        }
    }

    fn validators(&self, response: &mut Response, etag: &str, last_modified: Option<&str>) {
        insert(response, header::ETAG, etag.to_owned());
        if let Some(date) = last_modified {
            insert(response, header::LAST_MODIFIED, date.to_owned());
        }
    }
}

/// `If-Range` absent, or naming the file as it is now (strong comparison
/// for a tag, an exact date otherwise): the Range applies.
fn if_range_holds(environ: &Environ, etag: &str, last_modified: Option<&str>) -> bool {
    match environ.get("HTTP_IF_RANGE") {
        None => true,
        Some(value) => value == etag || Some(value) == last_modified,
    }
}

fn insert(response: &mut Response, name: header::HeaderName, value: String) {
    if let Ok(value) = HeaderValue::try_from(value) {
        response.headers_mut().insert(name, value);
    }
}

/// `path` percent-encoded as a URI path: `/` and unreserved characters
/// stay, every other byte becomes `%XX`.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The bytes `part` of `file`, read in chunks on the blocking pool as the
/// web server takes them.
fn stream(file: Arc<File>, part: std::ops::Range<u64>) -> ResponseBody {
    ResponseBody::from_stream(unfold(part, move |part| {
        let file = Arc::clone(&file);
        async move {
            if part.start >= part.end {
                return None;
            }
            let want = (part.end - part.start).min(CHUNK);
            let start = part.start;
            let read = tokio::task::spawn_blocking(move || {
                let mut buf = vec![0; want as usize];
                file.read_exact_at(&mut buf, start).map(|()| buf)
            })
            .await
            .map_err(io::Error::other)
            .and_then(|read| read);
            let next = start + want..part.end;
            match read {
                Ok(buf) => Some((Ok::<_, io::Error>(Bytes::from(buf)), next)),
                // The file shrank or failed: the response ends early, with
                // the error on FCGI_STDERR.
                Err(err) => Some((Err(err), part.end..part.end)),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_for_nginx() {
        assert_eq!(encode_path("a b/ü?#.txt"), "a%20b/%C3%BC%3F%23.txt");
    }
}
