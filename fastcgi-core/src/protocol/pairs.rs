//! The name-value pair format of spec section 3.4: decoding a stream of
//! pairs into [`Params`] and encoding pairs.
//!
//! Each pair is a name length, a value length, the name, then the value. A
//! length below 128 takes one byte; a longer one takes four bytes, big-endian,
//! with the top bit set as the marker and 31 bits of length.

use bytes::BufMut;

use super::params::PairOffsets;
use super::{Params, ProtocolError, ProtocolLimits};

/// The top bit of the first byte of a 4-byte length.
const LONG_LENGTH_MARKER: u32 = 0x8000_0000;

/// The longest name or value a 4-byte length can express: 2^31 - 1 bytes.
const MAX_FIELD_LEN: usize = 0x7fff_ffff;

/// Decodes the name-value pairs of one request's `FCGI_PARAMS` stream
/// incrementally: a pair may be split across any number of records, at any
/// byte, including inside a 4-byte length.
///
/// The decoder does not know request ids; the caller feeds it one request's
/// stream and adds the id to errors it reports.
///
/// ```
/// use fastcgi::protocol::{ParamsDecoder, ProtocolLimits};
///
/// let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
/// // "HTTPS" = "on", split across two FCGI_PARAMS records.
/// decoder.push(b"\x05\x02HTT")?;
/// decoder.push(b"PSon")?;
/// let params = decoder.finish()?; // at the empty FCGI_PARAMS record
/// assert_eq!(params.get("HTTPS"), Some("on"));
/// # Ok::<(), fastcgi::protocol::ProtocolError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ParamsDecoder {
    limits: ProtocolLimits,
    /// Every byte received so far, in the wire format, and the pairs found
    /// in them.
    params: Params,
    /// How many leading bytes of the params buffer form whole pairs; the
    /// rest is a pair still arriving.
    parsed: usize,
}

/// How much of a pair's two length prefixes a buffer holds.
#[derive(Debug, Clone, Copy)]
enum PairHead {
    /// The first `have` bytes of a 4-byte name length.
    NameLength { have: usize },
    /// The name length, taking `name_prefix` bytes, and the first `have`
    /// bytes of the value length.
    ValueLength {
        name_len: usize,
        name_prefix: usize,
        have: usize,
    },
    /// Both lengths, taking `prefix` bytes.
    Complete {
        prefix: usize,
        name_len: usize,
        value_len: usize,
    },
}

impl ParamsDecoder {
    /// A decoder for one stream of pairs, enforcing `limits`.
    pub fn new(limits: ProtocolLimits) -> Self {
        Self {
            limits,
            params: Params::new(),
            parsed: 0,
        }
    }

    /// Decodes the content of one `FCGI_PARAMS` record (any slice, really; an
    /// empty one is a no-op).
    ///
    /// # Errors
    ///
    /// - [`ParamsTooLarge`](ProtocolError::ParamsTooLarge) once the bytes received,
    ///   or those a pair's lengths announce, exceed `max_params_len`;
    /// - [`PairTooLarge`](ProtocolError::PairTooLarge) as soon as a pair's
    ///   lengths announce more than `max_pair_len` bytes.
    ///
    /// Both are checked before any memory is reserved: memory grows with the
    /// bytes actually received, never with what a length claims.
    pub fn push(&mut self, content: &[u8]) -> Result<(), ProtocolError> {
        let received = self.received_len().saturating_add(content.len());
        if received > self.limits.max_params_len {
            return Err(ProtocolError::ParamsTooLarge {
                len: received,
                limit: self.limits.max_params_len,
            });
        }
        if content.is_empty() {
            return Ok(());
        }
        if self.params.is_empty() {
            // nginx sends about 30 bytes per pair; a guess, bounded either way.
            self.params.reserve_pairs((content.len() / 16 + 1).min(64));
        }
        // One copy per record, whatever the number of pairs in it.
        self.params.data_mut().extend_from_slice(content);
        self.find_pairs()
    }

    /// Ends the stream (at the empty `FCGI_PARAMS` record) and returns the pairs.
    ///
    /// # Errors
    ///
    /// [`TruncatedPair`](ProtocolError::TruncatedPair) if the stream ended inside a pair.
    pub fn finish(self) -> Result<Params, ProtocolError> {
        let rest = self.unparsed();
        if rest.is_empty() {
            return Ok(self.params);
        }
        let missing = match pair_head(rest) {
            // The rest of the name length, then at least one byte of value length.
            PairHead::NameLength { have } => 4usize.saturating_sub(have) + 1,
            PairHead::ValueLength { name_len, have, .. } => {
                let value_length_missing = if have == 0 { 1 } else { 4 - have };
                value_length_missing.saturating_add(name_len)
            }
            PairHead::Complete {
                prefix,
                name_len,
                value_len,
            } => name_len
                .saturating_add(value_len)
                .saturating_sub(rest.len() - prefix),
        };
        Err(ProtocolError::TruncatedPair { missing })
    }

    /// Content bytes pushed so far, length prefixes included.
    pub fn received_len(&self) -> usize {
        self.params.as_wire_bytes().len()
    }

    /// The bytes after the last whole pair.
    fn unparsed(&self) -> &[u8] {
        self.params
            .as_wire_bytes()
            .get(self.parsed..)
            .unwrap_or_default()
    }

    /// Records every whole pair after `parsed`, checking the lengths of the
    /// pair that is still arriving against the limits.
    fn find_pairs(&mut self) -> Result<(), ProtocolError> {
        let limits = self.limits;
        let (data, pairs) = self.params.data_and_pairs_mut();
        let mut parsed = self.parsed;
        let found = loop {
            let rest = data.get(parsed..).unwrap_or_default();
            if rest.is_empty() {
                break Ok(());
            }
            match pair_head(rest) {
                PairHead::NameLength { .. } => break Ok(()),
                PairHead::ValueLength {
                    name_len,
                    name_prefix,
                    ..
                } => break check_pair(limits, name_len, parsed + name_prefix),
                PairHead::Complete {
                    prefix,
                    name_len,
                    value_len,
                } => {
                    let len = name_len.saturating_add(value_len);
                    let name = parsed + prefix;
                    if let Err(err) = check_pair(limits, len, name) {
                        break Err(err);
                    }
                    if rest.len() - prefix < len {
                        break Ok(());
                    }
                    let value = name + name_len;
                    let end = value + value_len;
                    pairs.push(PairOffsets { name, value, end });
                    parsed = end;
                }
            }
        };
        self.parsed = parsed;
        found
    }
}

/// Checks a pair announcing `len` bytes of name and value that start at
/// `start` in the stream, against the limits.
#[inline]
fn check_pair(limits: ProtocolLimits, len: usize, start: usize) -> Result<(), ProtocolError> {
    if len > limits.max_pair_len {
        return Err(ProtocolError::PairTooLarge {
            len,
            limit: limits.max_pair_len,
        });
    }
    let announced = start.saturating_add(len);
    if announced > limits.max_params_len {
        return Err(ProtocolError::ParamsTooLarge {
            len: announced,
            limit: limits.max_params_len,
        });
    }
    Ok(())
}

/// Reads the two length prefixes at the start of `bytes` (not empty), as far
/// as they are there.
#[inline]
fn pair_head(bytes: &[u8]) -> PairHead {
    // Nearly every CGI pair: a name and a value under 128 bytes each.
    if let [name_len @ 0..0x80, value_len @ 0..0x80, ..] = *bytes {
        return PairHead::Complete {
            prefix: 2,
            name_len: usize::from(name_len),
            value_len: usize::from(value_len),
        };
    }
    let (name_len, name_prefix) = match read_length(bytes) {
        Ok(length) => length,
        Err(have) => return PairHead::NameLength { have },
    };
    let after_name_length = bytes.get(name_prefix..).unwrap_or_default();
    match read_length(after_name_length) {
        Ok((value_len, value_prefix)) => PairHead::Complete {
            prefix: name_prefix + value_prefix,
            name_len,
            value_len,
        },
        Err(have) => PairHead::ValueLength {
            name_len,
            name_prefix,
            have,
        },
    }
}

/// The length at the start of `bytes` and how many bytes it takes, or how
/// many bytes of it are there when it is not whole.
#[inline]
fn read_length(bytes: &[u8]) -> Result<(usize, usize), usize> {
    match bytes.first() {
        None => Err(0),
        Some(&first) if first < 0x80 => Ok((usize::from(first), 1)),
        Some(_) => match bytes.first_chunk::<4>() {
            Some(long) => Ok((long_length(*long), 4)),
            None => Err(bytes.len()),
        },
    }
}

/// The length a 4-byte length field holds: its low 31 bits.
#[inline]
fn long_length(bytes: [u8; 4]) -> usize {
    (u32::from_be_bytes(bytes) & !LONG_LENGTH_MARKER) as usize
}

/// Decodes a complete block of pairs, such as the content of `FCGI_GET_VALUES`
/// or `FCGI_GET_VALUES_RESULT`.
///
/// # Errors
///
/// As [`ParamsDecoder::push`] and [`ParamsDecoder::finish`].
pub fn decode_pairs(content: &[u8], limits: ProtocolLimits) -> Result<Params, ProtocolError> {
    let mut decoder = ParamsDecoder::new(limits);
    decoder.push(content)?;
    decoder.finish()
}

/// Writes one name-value pair: a 1-byte length for a name or value shorter than
/// 128 bytes, else a 4-byte length with the top bit set.
///
/// # Panics
///
/// If `name` or `value` is 2 GiB (2^31 bytes) or longer, which the format
/// cannot express. That is a bug in the caller, never an effect of peer input.
pub fn encode_pair(out: &mut impl BufMut, name: &[u8], value: &[u8]) {
    let (lengths, lengths_len) = encode_lengths(name.len(), value.len());
    out.put_slice(lengths.get(..lengths_len).unwrap_or_default());
    out.put_slice(name);
    out.put_slice(value);
}

/// The encoded size of a name-value pair: length prefixes, name and value.
pub fn pair_len(name: &[u8], value: &[u8]) -> usize {
    length_len(name.len()) + length_len(value.len()) + name.len() + value.len()
}

/// The encoded size of one length prefix.
#[inline]
fn length_len(len: usize) -> usize {
    if len < 128 { 1 } else { 4 }
}

/// The two length prefixes of a pair and how many of the returned bytes they use.
///
/// # Panics
///
/// If a length is 2^31 or more.
#[inline]
pub(super) fn encode_lengths(name_len: usize, value_len: usize) -> ([u8; 8], usize) {
    let mut bytes = [0; 8];
    let mut used = 0;
    for len in [name_len, value_len] {
        if len < 128 {
            if let Some(slot) = bytes.get_mut(used) {
                *slot = len as u8;
            }
            used += 1;
        } else {
            assert!(
                len <= MAX_FIELD_LEN,
                "a FastCGI name or value of {len} bytes cannot be encoded: lengths have 31 bits (< 2 GiB)"
            );
            let long = (len as u32 | LONG_LENGTH_MARKER).to_be_bytes();
            if let Some(slots) = bytes.get_mut(used..used + 4) {
                slots.copy_from_slice(&long);
            }
            used += 4;
        }
    }
    (bytes, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_switch_to_four_bytes_at_128() {
        assert_eq!(encode_lengths(127, 0), ([127, 0, 0, 0, 0, 0, 0, 0], 2));
        assert_eq!(encode_lengths(128, 1), ([0x80, 0, 0, 128, 1, 0, 0, 0], 5));
        assert_eq!(
            encode_lengths(MAX_FIELD_LEN, 300),
            ([0xff, 0xff, 0xff, 0xff, 0x80, 0, 1, 44], 8)
        );
    }

    #[test]
    #[should_panic(expected = "cannot be encoded")]
    fn lengths_of_2_gib_panic() {
        let _ = encode_lengths(MAX_FIELD_LEN + 1, 0);
    }

    #[test]
    fn four_byte_length_ignores_the_marker_bit() {
        assert_eq!(long_length([0x80, 0, 0, 5]), 5);
        assert_eq!(long_length([0xff, 0xff, 0xff, 0xff]), MAX_FIELD_LEN);
    }
}
