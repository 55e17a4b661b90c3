//! The name-value pair format of spec section 3.4: decoding a stream of
//! pairs into [`Params`] and encoding pairs.
//!
//! Each pair is a name length, a value length, the name, then the value. A
//! length below 128 takes one byte; a longer one takes four bytes, big-endian,
//! with the top bit set as the marker and 31 bits of length.

use bytes::BufMut;

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
/// use fastcgi_core::protocol::{ParamsDecoder, ProtocolLimits};
///
/// let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
/// // "HTTPS" = "on", split across two FCGI_PARAMS records.
/// decoder.push(b"\x05\x02HTT")?;
/// decoder.push(b"PSon")?;
/// let params = decoder.finish()?; // at the empty FCGI_PARAMS record
/// assert_eq!(params.get("HTTPS"), Some("on"));
/// # Ok::<(), fastcgi_core::protocol::ProtocolError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ParamsDecoder {
    limits: ProtocolLimits,
    params: Params,
    /// Content bytes pushed so far, length prefixes included.
    received: usize,
    state: State,
}

/// Where the decoder is inside the current pair.
#[derive(Debug, Clone, Copy)]
enum State {
    /// Reading the name length (possibly part of it already seen).
    NameLength(PartialLength),
    /// Reading the value length.
    ValueLength {
        name_len: usize,
        partial: PartialLength,
    },
    /// Copying the name then the value, `remaining` bytes to go; the name ends
    /// at `name_end` in the params buffer.
    Bytes { name_end: usize, remaining: usize },
}

/// The leading bytes of a 4-byte length that arrived split across pushes.
#[derive(Debug, Clone, Copy, Default)]
struct PartialLength {
    bytes: [u8; 4],
    have: u8,
}

impl ParamsDecoder {
    /// A decoder for one stream of pairs, enforcing `limits`.
    pub fn new(limits: ProtocolLimits) -> Self {
        Self {
            limits,
            params: Params::new(),
            received: 0,
            state: State::NameLength(PartialLength::default()),
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
        let received = self.received.saturating_add(content.len());
        if received > self.limits.max_params_len {
            return Err(ProtocolError::ParamsTooLarge {
                len: received,
                limit: self.limits.max_params_len,
            });
        }
        self.received = received;
        if self.params.is_empty() {
            // nginx sends about 30 bytes per pair; a guess, bounded either way.
            self.params.reserve_pairs((content.len() / 16 + 1).min(64));
        }
        // The pairs' bytes are at most the content's: no reallocation below.
        self.params.data_mut().reserve(content.len());

        let mut input = content;
        loop {
            match &mut self.state {
                State::NameLength(partial) => {
                    if partial.have == 0 && self.take_whole_pair(&mut input)? {
                        continue;
                    }
                    let State::NameLength(partial) = &mut self.state else {
                        continue;
                    };
                    let Some(name_len) = read_length(partial, &mut input) else {
                        return Ok(());
                    };
                    self.check_pair(name_len, input.len())?;
                    self.state = State::ValueLength {
                        name_len,
                        partial: PartialLength::default(),
                    };
                }
                State::ValueLength { name_len, partial } => {
                    let name_len = *name_len;
                    let Some(value_len) = read_length(partial, &mut input) else {
                        return Ok(());
                    };
                    let len = name_len.saturating_add(value_len);
                    self.check_pair(len, input.len())?;
                    self.state = State::Bytes {
                        name_end: self.params.byte_len().saturating_add(name_len),
                        remaining: len,
                    };
                }
                State::Bytes {
                    name_end,
                    remaining,
                } => {
                    let (bytes, rest) = input.split_at((*remaining).min(input.len()));
                    self.params.data_mut().extend_from_slice(bytes);
                    input = rest;
                    *remaining -= bytes.len();
                    if *remaining > 0 {
                        return Ok(());
                    }
                    self.params.push_ends(*name_end);
                    self.state = State::NameLength(PartialLength::default());
                }
            }
        }
    }

    /// Ends the stream (at the empty `FCGI_PARAMS` record) and returns the pairs.
    ///
    /// # Errors
    ///
    /// [`TruncatedPair`](ProtocolError::TruncatedPair) if the stream ended inside a pair.
    pub fn finish(self) -> Result<Params, ProtocolError> {
        let missing = match self.state {
            State::NameLength(PartialLength { have: 0, .. }) => return Ok(self.params),
            // The rest of the name length, then at least one byte of value length.
            State::NameLength(partial) => partial.missing() + 1,
            State::ValueLength { name_len, partial } => partial.missing() + name_len,
            State::Bytes { remaining, .. } => remaining,
        };
        Err(ProtocolError::TruncatedPair { missing })
    }

    /// Content bytes pushed so far, length prefixes included.
    pub fn received_len(&self) -> usize {
        self.received
    }

    /// The fast path: when `input` starts with a whole pair, stores it and
    /// advances `input` past it. `Ok(false)` leaves `input` untouched for the
    /// byte-by-byte path.
    #[inline]
    fn take_whole_pair(&mut self, input: &mut &[u8]) -> Result<bool, ProtocolError> {
        let mut cursor = *input;
        let (Some(name_len), Some(value_len)) = (
            read_whole_length(&mut cursor),
            read_whole_length(&mut cursor),
        ) else {
            return Ok(false);
        };
        let len = name_len.saturating_add(value_len);
        let Some((bytes, rest)) = cursor.split_at_checked(len) else {
            return Ok(false);
        };
        self.check_pair(len, cursor.len())?;
        let name_end = self.params.byte_len() + name_len;
        self.params.data_mut().extend_from_slice(bytes);
        self.params.push_ends(name_end);
        *input = rest;
        Ok(true)
    }

    /// Checks a pair announcing `len` bytes, with `unread` bytes of the current
    /// push not consumed yet, against the limits.
    fn check_pair(&self, len: usize, unread: usize) -> Result<(), ProtocolError> {
        if len > self.limits.max_pair_len {
            return Err(ProtocolError::PairTooLarge {
                len,
                limit: self.limits.max_pair_len,
            });
        }
        let announced = (self.received - unread).saturating_add(len);
        if announced > self.limits.max_params_len {
            return Err(ProtocolError::ParamsTooLarge {
                len: announced,
                limit: self.limits.max_params_len,
            });
        }
        Ok(())
    }
}

impl PartialLength {
    /// The fewest bytes that would complete this length.
    fn missing(&self) -> usize {
        if self.have == 0 {
            1
        } else {
            4 - usize::from(self.have)
        }
    }
}

/// Reads one length from `input`, advancing it; `None` if `input` ran out
/// first, the bytes seen so far being kept in `partial`.
#[inline]
fn read_length(partial: &mut PartialLength, input: &mut &[u8]) -> Option<usize> {
    if partial.have == 0 {
        let (&first, rest) = input.split_first()?;
        if u32::from(first) & (LONG_LENGTH_MARKER >> 24) == 0 {
            *input = rest;
            return Some(usize::from(first));
        }
        if let Some((long, rest)) = input.split_first_chunk::<4>() {
            *input = rest;
            return Some(long_length(*long));
        }
    }
    // A 4-byte length split across pushes: collect it byte by byte.
    while usize::from(partial.have) < 4 {
        let (&byte, rest) = input.split_first()?;
        *input = rest;
        if let Some(slot) = partial.bytes.get_mut(usize::from(partial.have)) {
            *slot = byte;
        }
        partial.have += 1;
    }
    let len = long_length(partial.bytes);
    *partial = PartialLength::default();
    Some(len)
}

/// Reads one length that is wholly in `input`, advancing it; `None` (and
/// `input` unchanged) if it is not.
#[inline]
fn read_whole_length(input: &mut &[u8]) -> Option<usize> {
    let (&first, rest) = input.split_first()?;
    if first < 0x80 {
        *input = rest;
        return Some(usize::from(first));
    }
    let (long, rest) = input.split_first_chunk::<4>()?;
    *input = rest;
    Some(long_length(*long))
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
