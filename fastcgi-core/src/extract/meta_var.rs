//! Arguments taken by name: the CGI meta-variable named after the argument.

use std::fmt::{self, Display};
use std::str::FromStr;

use http::StatusCode;

use crate::request::Environ;
use crate::response::{IntoResponse, Response};

/// Why a meta-variable argument could not be taken.
///
/// - missing and required: for a request header (`HTTP_*`), 400 naming
///   the header, since the client did not send it; for any other variable,
///   500, since only the web server's configuration sets it (the name and
///   a hint go to FCGI_STDERR, the web server's error log).
/// - present but unparsable: 400 with the reason when the client controls
///   the value (`HTTP_*`, `QUERY_STRING`, `REQUEST_URI`, `PATH_INFO`,
///   `CONTENT_TYPE`, `CONTENT_LENGTH`...), 500 when the web server set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaVarRejection {
    name: &'static str,
    problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    Missing,
    NotUtf8,
    Invalid(String),
}

impl MetaVarRejection {
    /// The meta-variable's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the client, rather than the web server, is at fault: it
    /// chose the bad value, or did not send the header.
    pub fn is_client_error(&self) -> bool {
        match self.problem {
            Problem::Missing => header_name(self.name).is_some(),
            _ => is_client_controlled(self.name),
        }
    }

    /// The status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        if self.is_client_error() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

impl Display for MetaVarRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name;
        if let (Problem::Missing, Some(header)) = (&self.problem, header_name(name)) {
            return write!(
                f,
                "the request has no `{header}` header ({name}), which this resource requires"
            );
        }
        match &self.problem {
            Problem::Missing => write!(
                f,
                "the CGI meta-variable {name} is required but the web server did not send it; add it to the web server's FastCGI params (nginx: `fastcgi_param {name} ...;`) or make the argument an Option"
            ),
            Problem::NotUtf8 => write!(f, "the CGI meta-variable {name} is not valid UTF-8"),
            Problem::Invalid(reason) => {
                write!(
                    f,
                    "the CGI meta-variable {name} has an invalid value: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for MetaVarRejection {}

impl IntoResponse for MetaVarRejection {
    fn into_response(self) -> Response {
        if self.is_client_error() {
            (StatusCode::BAD_REQUEST, format!("Bad Request: {self}\n")).into_response()
        } else {
            crate::response::internal_error(&self)
        }
    }
}

/// The HTTP header a meta-variable carries (`HTTP_X_REQUIRED` is
/// `X-Required`), as the client would have written it.
fn header_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("HTTP_")?;
    let words: Vec<String> = rest
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect();
    Some(words.join("-"))
}

/// Names whose values come from the client's request rather than from the
/// web server's configuration.
fn is_client_controlled(name: &str) -> bool {
    name.starts_with("HTTP_")
        || matches!(
            name,
            "QUERY_STRING"
                | "REQUEST_URI"
                | "DOCUMENT_URI"
                | "PATH_INFO"
                | "PATH_TRANSLATED"
                | "SCRIPT_NAME"
                | "CONTENT_TYPE"
                | "CONTENT_LENGTH"
                | "REQUEST_METHOD"
                | "REMOTE_USER"
        )
}

fn parse<T>(name: &'static str, raw: &[u8]) -> Result<T, MetaVarRejection>
where
    T: FromStr,
    T::Err: Display,
{
    let text = std::str::from_utf8(raw).map_err(|_| MetaVarRejection {
        name,
        problem: Problem::NotUtf8,
    })?;
    text.parse().map_err(|err: T::Err| MetaVarRejection {
        name,
        problem: Problem::Invalid(err.to_string()),
    })
}

/// A required meta-variable.
pub(crate) fn required<T>(environ: &Environ, name: &'static str) -> Result<T, MetaVarRejection>
where
    T: FromStr,
    T::Err: Display,
{
    match environ.get_bytes(name) {
        Some(raw) => parse(name, raw),
        None => Err(MetaVarRejection {
            name,
            problem: Problem::Missing,
        }),
    }
}

/// An optional meta-variable: absent is `None`, and so is an empty value
/// for a type that cannot be empty (nginx sends `CONTENT_LENGTH` empty for a
/// GET), while a `String` or `PathBuf` keeps its empty value.
pub(crate) fn optional<T>(
    environ: &Environ,
    name: &'static str,
) -> Result<Option<T>, MetaVarRejection>
where
    T: FromStr,
    T::Err: Display,
{
    match environ.get_bytes(name) {
        None => Ok(None),
        Some(b"") => Ok("".parse().ok()),
        Some(raw) => parse(name, raw).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::path::PathBuf;

    use super::*;

    fn environ() -> Environ {
        [
            ("DOCUMENT_ROOT", "/srv"),
            ("CONTENT_LENGTH", ""),
            ("REMOTE_ADDR", "not-an-ip"),
            ("HTTP_X_COUNT", "x"),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn required_values_parse() {
        let root: PathBuf = required(&environ(), "DOCUMENT_ROOT").unwrap();
        assert_eq!(root, PathBuf::from("/srv"));
    }

    #[test]
    fn missing_is_server_error_and_says_how_to_fix() {
        let err = required::<String>(&environ(), "SCRIPT_FILENAME").unwrap_err();
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(err.to_string().contains("fastcgi_param SCRIPT_FILENAME"));
    }

    #[test]
    fn a_missing_header_is_the_clients_omission() {
        let err = required::<String>(&environ(), "HTTP_X_REQUIRED").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(
            err.to_string()
                .contains("no `X-Required` header (HTTP_X_REQUIRED)"),
            "{err}"
        );
        // Only the web server sets DOCUMENT_ROOT or SCRIPT_NAME.
        let err = required::<String>(&environ(), "SCRIPT_NAME").unwrap_err();
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn unparsable_is_client_or_server_error_by_origin() {
        let err = required::<u32>(&environ(), "HTTP_X_COUNT").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let err = required::<IpAddr>(&environ(), "REMOTE_ADDR").unwrap_err();
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn empty_optional_is_none_unless_string() {
        assert_eq!(optional::<u64>(&environ(), "CONTENT_LENGTH"), Ok(None));
        assert_eq!(
            optional::<String>(&environ(), "CONTENT_LENGTH"),
            Ok(Some(String::new()))
        );
        assert_eq!(optional::<u64>(&environ(), "NOPE"), Ok(None));
    }
}
