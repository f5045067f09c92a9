//! People by pseudonym, for the denominator of every analysis: a table of hundreds of
//! thousands of people is tens of megabytes, so a lookup is a wait on memory rather than work.
//! This table takes one cache line a lookup (no separate control bytes) and can fetch the lines
//! of the next lookups ahead ([`PseudonymTable::prefetch`]) while the current one is answered,
//! which a general hash map cannot. Pseudonyms are HMAC-SHA256 output, spread evenly, so their
//! own bytes place them: nothing is hashed.

/// A pseudonym's 32 bytes.
pub(crate) type Key = [u8; 32];

/// A slot's place when it is empty.
const EMPTY: u32 = u32::MAX;

/// An open-addressed table from pseudonyms to places (below `u32::MAX`), probed linearly.
pub(crate) struct PseudonymTable {
    slots: Vec<(Key, u32)>,
    mask: usize,
    len: usize,
}

impl PseudonymTable {
    /// Room for `n` pseudonyms without growing, at most seven tenths full.
    pub fn with_capacity(n: usize) -> Self {
        let size = (n.saturating_mul(10) / 7 + 1).max(16).next_power_of_two();
        Self {
            slots: vec![([0; 32], EMPTY); size],
            mask: size - 1,
            len: 0,
        }
    }

    /// Where a key's probe starts: bytes 8 to 16 (the first byte picks a shard elsewhere).
    fn home(&self, key: &Key) -> usize {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&key[8..16]);
        u64::from_le_bytes(bytes) as usize & self.mask
    }

    /// Asks the processor to fetch the line where `key` would be, so that a lookup a few keys
    /// later finds it in cache. Only a hint: nothing is read or changed.
    pub fn prefetch(&self, key: &Key) {
        #[cfg(target_arch = "x86_64")]
        {
            let slot: *const (Key, u32) = &self.slots[self.home(key)];
            // SAFETY: `slot` points into `self.slots`; a prefetch never faults and reads
            // nothing the program sees (SSE is part of every x86-64 processor).
            unsafe {
                std::arch::x86_64::_mm_prefetch(slot.cast::<i8>(), std::arch::x86_64::_MM_HINT_T0)
            };
        }
    }

    /// The place of `key`, if it is in the table.
    pub fn get(&self, key: &Key) -> Option<u32> {
        let mut at = self.home(key);
        loop {
            let (k, place) = &self.slots[at];
            if *place == EMPTY {
                return None;
            }
            if k == key {
                return Some(*place);
            }
            at = (at + 1) & self.mask;
        }
    }

    /// The place of `key` if it is already in the table; otherwise `place` is given to it (the
    /// table grows when needed) and `None` is returned.
    pub fn get_or_insert(&mut self, key: &Key, place: u32) -> Option<u32> {
        debug_assert!(place != EMPTY);
        let mut at = self.home(key);
        loop {
            let (k, p) = &self.slots[at];
            if *p == EMPTY {
                break;
            }
            if k == key {
                return Some(*p);
            }
            at = (at + 1) & self.mask;
        }
        self.slots[at] = (*key, place);
        self.len += 1;
        if self.len * 10 > self.slots.len() * 7 {
            self.grow();
        }
        None
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let size = old.len() * 2;
        self.slots = vec![([0; 32], EMPTY); size];
        self.mask = size - 1;
        for (key, place) in old.into_iter().filter(|(_, p)| *p != EMPTY) {
            let mut at = self.home(&key);
            while self.slots[at].1 != EMPTY {
                at = (at + 1) & self.mask;
            }
            self.slots[at] = (key, place);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// Whatever the keys (clustered ones included, which probe far), the table answers as
        /// a map does: the first place given to a key stays its place, and unknown keys are
        /// not found.
        #[test]
        fn the_table_answers_as_a_map_does(
            keys in proptest::collection::vec((0u8..4, 0u8..4, any::<u8>()), 0..600),
            absent in proptest::collection::vec(any::<[u8; 32]>(), 0..20),
            capacity in 0usize..64,
        ) {
            let key = |(a, b, c): (u8, u8, u8)| {
                let mut k = [0u8; 32];
                (k[0], k[8], k[31]) = (a, b, c);
                k
            };
            let mut table = PseudonymTable::with_capacity(capacity);
            let mut map = HashMap::new();
            for (place, k) in keys.iter().map(|t| key(*t)).enumerate() {
                let place = place as u32;
                prop_assert_eq!(table.get_or_insert(&k, place), map.get(&k).copied());
                map.entry(k).or_insert(place);
            }
            for (k, place) in &map {
                table.prefetch(k);
                prop_assert_eq!(table.get(k), Some(*place));
            }
            for k in absent.iter().filter(|k| !map.contains_key(*k)) {
                prop_assert_eq!(table.get(k), None);
            }
        }
    }
}
