//! URI helpers for CGI meta-variables: the path of a request target,
//! percent-decoding (`SCRIPT_NAME` and `PATH_INFO` arrive decoded,
//! `REQUEST_URI` does not) and percent-encoding back.

use std::borrow::Cow;

/// The path of a request target: before `?` or `#`, and without
/// `scheme://authority` when the client sent the absolute form.
pub(crate) fn uri_path(uri: &[u8]) -> &[u8] {
    let end = uri
        .iter()
        .position(|b| *b == b'?' || *b == b'#')
        .unwrap_or(uri.len());
    let target = &uri[..end];
    if target.first() == Some(&b'/') {
        return target;
    }
    match target.windows(3).position(|w| w == b"://") {
        Some(at) => {
            let after = &target[at + 3..];
            match after.iter().position(|b| *b == b'/') {
                Some(slash) => &after[slash..],
                None => b"/",
            }
        }
        None => target,
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it
/// is. Borrows when there is nothing to decode.
pub(crate) fn percent_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&b'%') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                input.get(i + 1).and_then(|b| hex(*b)),
                input.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes what a URI path or query cannot hold as it is, keeping
/// the bytes in `keep` (e.g. an existing `%XX`).
#[cfg(feature = "tower")]
pub(crate) fn percent_encode(raw: &[u8], keep: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for &b in raw {
        let plain =
            b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) || keep.contains(&b);
        if plain {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(&*percent_decode(b"/a%2Fb%zz%4"), b"/a/b%zz%4");
        assert!(matches!(percent_decode(b"/plain"), Cow::Borrowed(_)));
    }

    #[cfg(feature = "tower")]
    #[test]
    fn percent_encoding_keeps_what_a_uri_holds() {
        assert_eq!(percent_encode(b"/a b/\xc3\xa9", b""), b"/a%20b/%C3%A9");
        assert_eq!(percent_encode(b"x=1%20&y", b"%?&="), b"x=1%20&y");
    }

    #[test]
    fn uri_path_drops_query_fragment_and_authority() {
        assert_eq!(uri_path(b"/a/b?x#f"), b"/a/b");
        assert_eq!(uri_path(b"http://host:8/p?q"), b"/p");
        assert_eq!(uri_path(b"http://host"), b"/");
    }
}
