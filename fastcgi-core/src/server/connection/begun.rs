//! Which request ids this connection has begun: tells a late record
//! for a finished request (ignored) from one for a request that never
//! began (a protocol error).

/// The request ids begun on this connection: late records for one that
/// has ended (STDIN the handler did not read, an ABORT racing END_REQUEST)
/// are ignored, as the spec says, while records for an id never begun are a
/// protocol error. A bit set: ids below 64 (those web servers use) in a word
/// kept inline, so a connection allocates nothing for it; larger ones in a
/// vector that grows with the largest id used, 8 KiB at worst.
#[derive(Default)]
pub(super) struct BegunIds {
    low: u64,
    high: Vec<u64>,
}

impl BegunIds {
    pub(super) fn insert(&mut self, id: u16) {
        let (word, bit) = (usize::from(id) / 64, id % 64);
        if word == 0 {
            self.low |= 1 << bit;
            return;
        }
        if self.high.len() < word {
            self.high.resize(word, 0);
        }
        if let Some(bits) = self.high.get_mut(word - 1) {
            *bits |= 1 << bit;
        }
    }

    pub(super) fn contains(&self, id: u16) -> bool {
        let (word, bit) = (usize::from(id) / 64, id % 64);
        let bits = match word {
            0 => self.low,
            _ => self.high.get(word - 1).copied().unwrap_or(0),
        };
        bits & (1 << bit) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::BegunIds;

    #[test]
    fn remembers_exactly_the_ids_inserted_across_words() {
        let mut begun = BegunIds::default();
        assert!(!begun.contains(1));
        for id in [1, 63, 64, u16::MAX] {
            begun.insert(id);
        }
        for id in [1, 63, 64, u16::MAX] {
            assert!(begun.contains(id), "{id}");
        }
        for id in [0, 2, 62, 65, 128, u16::MAX - 1] {
            assert!(!begun.contains(id), "{id}");
        }
        // One word per 64 ids, up to the largest; the first is inline.
        assert_eq!(begun.high.len(), usize::from(u16::MAX) / 64);
    }

    #[test]
    fn small_ids_allocate_nothing() {
        let mut begun = BegunIds::default();
        for id in 0..64 {
            begun.insert(id);
            assert!(begun.contains(id));
        }
        assert_eq!(begun.high.capacity(), 0);
        assert!(!begun.contains(64));
    }
}
