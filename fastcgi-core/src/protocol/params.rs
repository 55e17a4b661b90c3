//! [`Params`]: the name-value pairs of one request, in one buffer.

use std::fmt;
use std::iter::FusedIterator;

/// Where one pair lies in [`Params::data`]: its name from `name` to `value`,
/// its value from `value` to `end` (the wire format puts the value right
/// after the name, and the two length prefixes before the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PairOffsets {
    pub(super) name: usize,
    pub(super) value: usize,
    pub(super) end: usize,
}

/// The params of one request (its CGI meta-variables), or any list of
/// name-value pairs.
///
/// Names and values are bytes, kept in arrival order with duplicates, all in
/// one contiguous buffer in the wire format of spec section 3.4 (length
/// prefixes, name, value) plus one vector of offsets: decoding copies a
/// record's content once, not once per pair, and encoding copies the buffer
/// as it is. `&str` access is cheap: [`get`](Self::get) checks UTF-8 of the
/// one value it returns.
///
/// ```
/// use fastcgi::protocol::Params;
///
/// let mut params: Params = [("REQUEST_METHOD", "GET"), ("QUERY_STRING", "a=1")].into_iter().collect();
/// params.insert(b"HTTP_X_RAW", b"\xff");
/// assert_eq!(params.get("QUERY_STRING"), Some("a=1"));
/// assert_eq!(params.get("HTTP_X_RAW"), None); // not UTF-8
/// assert_eq!(params.get_bytes(b"HTTP_X_RAW"), Some(&b"\xff"[..]));
/// assert_eq!(params.len(), 3);
/// ```
#[derive(Clone, Default)]
pub struct Params {
    /// Every pair in the wire format, back to back.
    data: Vec<u8>,
    /// Where each pair's name and value are in `data`.
    pairs: Vec<PairOffsets>,
}

impl Params {
    /// No pairs, no allocation.
    pub fn new() -> Self {
        Self::default()
    }

    /// No pairs yet, with room for `pairs` pairs taking `bytes` bytes in all
    /// (names, values and their length prefixes, as [`pair_len`](super::pair_len) counts them).
    pub fn with_capacity(bytes: usize, pairs: usize) -> Self {
        Self {
            data: Vec::with_capacity(bytes),
            pairs: Vec::with_capacity(pairs),
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
            pairs: self.pairs.iter(),
        }
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Appends a pair (duplicates are kept; [`get`](Self::get) finds the first).
    ///
    /// # Panics
    ///
    /// If `name` or `value` is 2 GiB (2^31 bytes) or longer, which the
    /// FastCGI format cannot express.
    pub fn insert(&mut self, name: &[u8], value: &[u8]) {
        super::encode_pair(&mut self.data, name, value);
        let end = self.data.len();
        let value_start = end - value.len();
        self.pairs.push(PairOffsets {
            name: value_start - name.len(),
            value: value_start,
            end,
        });
    }

    /// Upper-cases the ASCII letters of every name in place (no allocation):
    /// CGI meta-variable names are case-insensitive, and web servers send them
    /// upper-case, but not every one.
    ///
    /// Names already upper-case (all of them, from nginx, Apache and
    /// lighttpd) are only read.
    pub fn make_names_uppercase(&mut self) {
        for pair in &self.pairs {
            if let Some(name) = self.data.get_mut(pair.name..pair.value)
                && has_ascii_lowercase(name)
            {
                name.make_ascii_uppercase();
            }
        }
    }

    /// Number of name plus value bytes stored (length prefixes not counted).
    pub fn byte_len(&self) -> usize {
        self.pairs.iter().map(|pair| pair.end - pair.name).sum()
    }

    /// The pairs in the wire format of spec section 3.4, back to back: the
    /// content of the `FCGI_PARAMS` stream that sends them.
    pub fn as_wire_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Removes every pair, keeping the allocations for reuse.
    pub fn clear(&mut self) {
        self.data.clear();
        self.pairs.clear();
    }

    /// The buffer the pair decoder appends content to.
    pub(super) fn data_mut(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// The buffer and the offset table, for the decoder to record the pairs
    /// it finds in the bytes it appended.
    pub(super) fn data_and_pairs_mut(&mut self) -> (&[u8], &mut Vec<PairOffsets>) {
        (&self.data, &mut self.pairs)
    }

    /// Makes room for `pairs` more pairs in the offset table.
    pub(super) fn reserve_pairs(&mut self, pairs: usize) {
        self.pairs.reserve(pairs);
    }
}

/// Whether `bytes` holds an ASCII lower-case letter.
///
/// Eight bytes at a time: names are short (10 to 20 bytes), where a
/// byte-by-byte loop costs more than the rest of decoding them.
#[inline]
fn has_ascii_lowercase(bytes: &[u8]) -> bool {
    let word = |chunk: &[u8; 8]| lowercase_bytes(u64::from_le_bytes(*chunk));
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        // Most CGI names: 8 to 16 bytes, two words (overlapping below 16).
        (Some(first), Some(last)) if bytes.len() <= 16 => (word(first) | word(last)) != 0,
        (Some(_), Some(last)) => {
            let seen = bytes.chunks_exact(8).fold(0, |seen, chunk| {
                seen | chunk.first_chunk::<8>().map_or(0, word)
            });
            // The last word overlaps the chunks when the length is not a multiple of 8.
            (seen | word(last)) != 0
        }
        _ => match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
            (Some(first), Some(last)) => {
                let halves = u64::from(u32::from_le_bytes(*first))
                    | u64::from(u32::from_le_bytes(*last)) << 32;
                lowercase_bytes(halves) != 0
            }
            _ => bytes.iter().any(u8::is_ascii_lowercase),
        },
    }
}

/// The high bit of each byte of `word` that is an ASCII lower-case letter.
#[inline]
fn lowercase_bytes(word: u64) -> u64 {
    const EACH_BYTE: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x80 * EACH_BYTE;
    // With the high bits cleared, adding at most 0x1f to a byte cannot carry
    // into the next one; the sum's high bit says whether the byte reached the bound.
    let low = word & !HIGH_BITS;
    let from_a = low + (0x80 - u64::from(b'a')) * EACH_BYTE;
    let past_z = low + (0x80 - u64::from(b'z') - 1) * EACH_BYTE;
    from_a & !past_z & !word & HIGH_BITS
}

/// Two `Params` are equal when they hold the same pairs in the same order,
/// however their lengths were encoded.
impl PartialEq for Params {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Params {}

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
    pairs: std::slice::Iter<'a, PairOffsets>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let pair = self.pairs.next()?;
        let name = self.data.get(pair.name..pair.value).unwrap_or_default();
        let value = self.data.get(pair.value..pair.end).unwrap_or_default();
        Some((name, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl FusedIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_check_agrees_with_the_byte_by_byte_one() {
        // Every byte value at every position of names of 0 to 40 bytes.
        for len in 0..=40 {
            for at in 0..len {
                for byte in 0..=u8::MAX {
                    let mut name = vec![b'A'; len];
                    name[at] = byte;
                    assert_eq!(
                        has_ascii_lowercase(&name),
                        name.iter().any(u8::is_ascii_lowercase),
                        "{name:?}"
                    );
                }
            }
        }
        assert!(!has_ascii_lowercase(b""));
        assert!(!has_ascii_lowercase(b"HTTP_X_\xe4\xf6\xfc_[`{@]"));
        assert!(has_ascii_lowercase(b"HTTP_X_FORWARDED_FOr"));
    }
}
