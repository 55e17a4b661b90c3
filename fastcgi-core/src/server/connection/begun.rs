//! Which request ids this connection has begun: tells a late record
//! for a finished request (ignored) from one for a request that never
//! began (a protocol error).

/// The request ids begun on this connection: late records for one that
/// has ended (STDIN the handler did not read, an ABORT racing END_REQUEST)
/// are ignored, as the spec says, while records for an id never begun are a
/// protocol error. A bit set that grows with the largest id used: one word
/// for the small ids web servers use, 8 KiB at worst.
#[derive(Default)]
pub(super) struct BegunIds {
    words: Vec<u64>,
}

impl BegunIds {
    pub(super) fn insert(&mut self, id: u16) {
        let (word, bit) = (usize::from(id) / 64, id % 64);
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << bit;
    }

    pub(super) fn contains(&self, id: u16) -> bool {
        let (word, bit) = (usize::from(id) / 64, id % 64);
        self.words.get(word).is_some_and(|w| w & (1 << bit) != 0)
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
        // One word per 64 ids, up to the largest.
        assert_eq!(begun.words.len(), usize::from(u16::MAX) / 64 + 1);
    }
}
