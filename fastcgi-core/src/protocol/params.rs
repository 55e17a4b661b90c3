//! [`Params`]: the name-value pairs of one request, in one buffer.

use std::fmt;
use std::iter::FusedIterator;

/// The end offsets of one pair in [`Params::data`]; it starts where the previous pair ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PairEnds {
    name: usize,
    value: usize,
}

/// The params of one request (its CGI meta-variables), or any list of
/// name-value pairs.
///
/// Names and values are bytes, kept in arrival order with duplicates, all in
/// one contiguous buffer plus one vector of offsets (not one allocation per
/// pair). `&str` access is cheap: [`get`](Self::get) checks UTF-8 of the one
/// value it returns.
///
/// ```
/// use fastcgi_core::protocol::Params;
///
/// let mut params: Params = [("REQUEST_METHOD", "GET"), ("QUERY_STRING", "a=1")].into_iter().collect();
/// params.insert(b"HTTP_X_RAW", b"\xff");
/// assert_eq!(params.get("QUERY_STRING"), Some("a=1"));
/// assert_eq!(params.get("HTTP_X_RAW"), None); // not UTF-8
/// assert_eq!(params.get_bytes(b"HTTP_X_RAW"), Some(&b"\xff"[..]));
/// assert_eq!(params.len(), 3);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Every pair's name then value, back to back.
    data: Vec<u8>,
    /// Where each pair's name and value end in `data`.
    ends: Vec<PairEnds>,
}

impl Params {
    /// No pairs, no allocation.
    pub fn new() -> Self {
        Self::default()
    }

    /// No pairs yet, with room for `pairs` pairs of `bytes` name plus value bytes in all.
    pub fn with_capacity(bytes: usize, pairs: usize) -> Self {
        Self {
            data: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(pairs),
        }
    }

    /// The value of the first pair named exactly `name` (case-sensitive), if
    /// that value is UTF-8.
    ///
    /// Returns `None` both when there is no such pair and when its value is not
    /// valid UTF-8 (web servers pass raw header and URL bytes through); use
    /// [`get_bytes`](Self::get_bytes) to see those.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name.as_bytes())
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The value of the first pair named exactly `name` (case-sensitive).
    pub fn get_bytes(&self, name: &[u8]) -> Option<&[u8]> {
        self.iter()
            .find(|&(pair_name, _)| pair_name == name)
            .map(|(_, value)| value)
    }

    /// Every pair as `(name, value)`, in arrival order, duplicates kept.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            data: &self.data,
            ends: self.ends.iter(),
            start: 0,
        }
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Appends a pair (duplicates are kept; [`get`](Self::get) finds the first).
    pub fn insert(&mut self, name: &[u8], value: &[u8]) {
        self.data.reserve(name.len() + value.len());
        self.data.extend_from_slice(name);
        let name_end = self.data.len();
        self.data.extend_from_slice(value);
        self.push_ends(name_end);
    }

    /// Upper-cases the ASCII letters of every name in place (no allocation):
    /// CGI meta-variable names are case-insensitive, and web servers send them
    /// upper-case, but not every one.
    pub fn make_names_uppercase(&mut self) {
        let mut start = 0;
        for ends in &self.ends {
            if let Some(name) = self.data.get_mut(start..ends.name) {
                name.make_ascii_uppercase();
            }
            start = ends.value;
        }
    }

    /// Number of name plus value bytes stored (length prefixes not counted).
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// Removes every pair, keeping the allocations for reuse.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }

    /// The buffer the pair decoder appends name and value bytes to.
    pub(super) fn data_mut(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// Closes the pair whose bytes were appended last: its name ends at
    /// `name_end` in the buffer, its value at the buffer's end.
    pub(super) fn push_ends(&mut self, name_end: usize) {
        self.ends.push(PairEnds {
            name: name_end,
            value: self.data.len(),
        });
    }

    /// Makes room for `pairs` more pairs in the offset table.
    pub(super) fn reserve_pairs(&mut self, pairs: usize) {
        self.ends.reserve(pairs);
    }
}

impl fmt::Debug for Params {
    /// The pairs, lossily converted to strings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(name, value)| {
                (
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(value),
                )
            }))
            .finish()
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for Params {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(iter: I) -> Self {
        iter.into_iter()
            .map(|(name, value)| (name.as_bytes(), value.as_bytes()))
            .collect()
    }
}

impl<'a> FromIterator<(&'a [u8], &'a [u8])> for Params {
    fn from_iter<I: IntoIterator<Item = (&'a [u8], &'a [u8])>>(iter: I) -> Self {
        let mut params = Params::new();
        params.extend(iter);
        params
    }
}

impl<'a> Extend<(&'a [u8], &'a [u8])> for Params {
    fn extend<I: IntoIterator<Item = (&'a [u8], &'a [u8])>>(&mut self, iter: I) {
        for (name, value) in iter {
            self.insert(name, value);
        }
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = (&'a [u8], &'a [u8]);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over the `(name, value)` pairs of [`Params`], in arrival order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    data: &'a [u8],
    ends: std::slice::Iter<'a, PairEnds>,
    start: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let ends = self.ends.next()?;
        let start = std::mem::replace(&mut self.start, ends.value);
        let name = self.data.get(start..ends.name).unwrap_or_default();
        let value = self.data.get(ends.name..ends.value).unwrap_or_default();
        Some((name, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl FusedIterator for Iter<'_> {}
