//! HTTP request headers ⇄ CGI meta-variables (RFC 3875 §4.1.18): the one
//! mapping the client, the development front and the tower bridge share,
//! so a header means the same variable whichever way a request travels.
//!
//! - `Content-Type` and `Content-Length` have variables of their own,
//!   `CONTENT_TYPE` and `CONTENT_LENGTH`, and no `HTTP_` duplicate: RFC
//!   3875 §4.1.18 says a server should not pass headers that are
//!   available in other variables. (nginx passes `HTTP_CONTENT_TYPE` as
//!   well; an application must not rely on it.)
//! - Any other header `Name-Part` is `HTTP_NAME_PART`: upper case, `-` as
//!   `_`; back the other way, lower case with `-`.
//! - Headers on [`WITHHELD_HEADERS`] are never passed, either way.

/// The variable an HTTP request header is passed as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderVariable {
    /// A variable of its own (`CONTENT_TYPE`, `CONTENT_LENGTH`), with no
    /// `HTTP_` duplicate.
    Own(&'static str),
    /// `HTTP_` and the name, upper case, `-` as `_`.
    Http(Vec<u8>),
    /// Not passed at all: see [`is_withheld`].
    Withheld,
}

/// The variables that stand for a header of their own (and the header).
pub(crate) const OWN_VARIABLES: [(&str, http::HeaderName); 2] = [
    ("CONTENT_TYPE", http::header::CONTENT_TYPE),
    ("CONTENT_LENGTH", http::header::CONTENT_LENGTH),
];

/// Request headers never passed to the application as meta-variables (nor
/// turned back into headers from them), compared without regard to case.
/// Headers that would reach the application as something it trusts go
/// here.
///
/// `Proxy` (httpoxy, CVE-2016-5385): as `HTTP_PROXY` it looks like the
/// proxy setting of that name, and code in the app that reads it would send
/// its own outgoing requests wherever the HTTP client said.
pub(crate) const WITHHELD_HEADERS: &[&str] = &["proxy"];

/// Whether the request header `name` is withheld from the application.
pub(crate) fn is_withheld(name: &str) -> bool {
    WITHHELD_HEADERS
        .iter()
        .any(|withheld| name.eq_ignore_ascii_case(withheld))
}

/// The variable the request header `name` is passed as.
pub(crate) fn header_variable(name: &str) -> HeaderVariable {
    if is_withheld(name) {
        return HeaderVariable::Withheld;
    }
    if let Some((variable, _)) = OWN_VARIABLES
        .iter()
        .find(|(_, header)| name.eq_ignore_ascii_case(header.as_str()))
    {
        return HeaderVariable::Own(variable);
    }
    let mut variable = Vec::with_capacity(5 + name.len());
    variable.extend_from_slice(b"HTTP_");
    variable.extend(name.bytes().map(|b| match b {
        b'-' => b'_',
        b => b.to_ascii_uppercase(),
    }));
    HeaderVariable::Http(variable)
}

/// The header name an `HTTP_*` variable stands for (lower case, `_` as
/// `-`), or `None` for any other variable and for withheld headers. The
/// name may still be invalid in HTTP; the caller checks.
#[cfg(feature = "tower")]
pub(crate) fn variable_header(variable: &[u8]) -> Option<Vec<u8>> {
    let rest = variable.strip_prefix(b"HTTP_")?;
    let name: Vec<u8> = rest
        .iter()
        .map(|b| {
            if *b == b'_' {
                b'-'
            } else {
                b.to_ascii_lowercase()
            }
        })
        .collect();
    match std::str::from_utf8(&name) {
        Ok(text) if is_withheld(text) => None,
        _ => Some(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_become_http_variables_and_back() {
        assert_eq!(
            header_variable("User-Agent"),
            HeaderVariable::Http(b"HTTP_USER_AGENT".to_vec())
        );
    }

    #[cfg(feature = "tower")]
    #[test]
    fn http_variables_become_headers() {
        assert_eq!(
            variable_header(b"HTTP_USER_AGENT").as_deref(),
            Some(&b"user-agent"[..])
        );
        assert_eq!(variable_header(b"REMOTE_ADDR"), None);
    }

    #[test]
    fn content_type_and_length_have_variables_of_their_own() {
        for name in ["Content-Type", "content-type", "CONTENT-TYPE"] {
            assert_eq!(header_variable(name), HeaderVariable::Own("CONTENT_TYPE"));
        }
        assert_eq!(
            header_variable("Content-Length"),
            HeaderVariable::Own("CONTENT_LENGTH")
        );
    }
}
