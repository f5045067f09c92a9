//! The words of an appointment's few-valued columns (slot type, clinician role, mode): a file
//! of millions of rows holds a few dozen different ones. Each thread remembers the words it has
//! met for the life of the process, so a row costs a lookup rather than an allocation (and a
//! free on whichever thread writes it out) for each of them.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes of words a process keeps for its whole life, at most; past it, words are copied per
/// row as before. A few dozen words a PCN, so this is never reached in practice, but a file of
/// nonsense cannot make the process grow without end.
const REMEMBERED_BYTES: usize = 1 << 20;

static REMEMBERED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static KNOWN: RefCell<HashSet<&'static str, ahash::RandomState>> = RefCell::default();
}

/// A slot type, clinician role or mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Word(Cow<'static, str>);

impl Word {
    /// The word for `text`: one this thread has met before, or a new one (remembered while
    /// there is room).
    pub fn new(text: &str) -> Self {
        let known = KNOWN.with(|k| k.borrow().get(text).copied());
        if let Some(word) = known {
            return Self(Cow::Borrowed(word));
        }
        let before = REMEMBERED.fetch_add(text.len(), Ordering::Relaxed);
        if before + text.len() > REMEMBERED_BYTES {
            REMEMBERED.fetch_sub(text.len(), Ordering::Relaxed);
            return Self(Cow::Owned(text.to_owned()));
        }
        let word: &'static str = Box::leak(text.into());
        KNOWN.with(|k| k.borrow_mut().insert(word));
        Self(Cow::Borrowed(word))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Word {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Word {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Word {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl From<&str> for Word {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Word {
    fn from(text: String) -> Self {
        Self::new(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_reads_as_its_text_whether_met_before_or_not() {
        let first = Word::new("Chronic Disease Review");
        let again = Word::new("Chronic Disease Review");
        assert_eq!(first, again);
        assert_eq!(again, "Chronic Disease Review");
        assert_eq!(again.as_str(), "Chronic Disease Review");
        // The second is the very text the first left behind: nothing copied.
        assert_eq!(first.as_ptr(), again.as_ptr());
        assert_ne!(Word::new("Telephone"), Word::new("Video"));
    }
}
