//! The `Range` header, for one range of bytes (RFC 9110 §14.2).

use std::ops::Range;

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// The whole file: no range, several ranges (answering them whole is
    /// allowed, RFC 9110 §14.2), or a header this parser does not know.
    Whole,
    /// One satisfiable range.
    Part(Range<u64>),
    /// A well-formed range that lies past the end: 416.
    Unsatisfiable,
}

/// Reads `header` (e.g. `bytes=0-99`, `bytes=500-`, `bytes=-200`).
pub(crate) fn parse(header: &str, len: u64) -> Wanted {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let range = match (first.parse::<u64>(), last.parse::<u64>()) {
        // `-N`: the last N bytes.
        (Err(_), Ok(suffix)) if first.is_empty() => {
            if suffix == 0 {
                return Wanted::Unsatisfiable;
            }
            len.saturating_sub(suffix)..len
        }
        // `N-`: from N to the end.
        (Ok(start), Err(_)) if last.is_empty() => start..len,
        (Ok(start), Ok(end)) if start <= end => start..end.saturating_add(1).min(len),
        _ => return Wanted::Whole,
    };
    if range.start >= len {
        Wanted::Unsatisfiable
    } else {
        Wanted::Part(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_range_of_each_form() {
        assert_eq!(parse("bytes=0-99", 1000), Wanted::Part(0..100));
        assert_eq!(parse("bytes=990-2000", 1000), Wanted::Part(990..1000));
        assert_eq!(parse("bytes=500-", 1000), Wanted::Part(500..1000));
        assert_eq!(parse("bytes=-200", 1000), Wanted::Part(800..1000));
        assert_eq!(parse("bytes=-2000", 1000), Wanted::Part(0..1000));
    }

    #[test]
    fn past_the_end_is_unsatisfiable_and_the_rest_is_whole() {
        assert_eq!(parse("bytes=1000-", 1000), Wanted::Unsatisfiable);
        assert_eq!(parse("bytes=-0", 1000), Wanted::Unsatisfiable);
        assert_eq!(parse("bytes=0-1,5-9", 1000), Wanted::Whole);
        assert_eq!(parse("items=0-1", 1000), Wanted::Whole);
        assert_eq!(parse("bytes=9-1", 1000), Wanted::Whole);
        assert_eq!(parse("bytes=x-1", 1000), Wanted::Whole);
    }
}
