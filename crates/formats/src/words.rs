//! The words of an appointment's few-valued columns (slot type, clinician role, mode): a file
//! of millions of rows holds a few dozen different ones. The process keeps each word it meets
//! once, for its whole life (an import's threads come and go, the words stay), and each thread
//! remembers the ones it has used, so a row costs a lookup rather than an allocation (and a
//! free on whichever thread writes it out) for each of them.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Mutex;

/// Bytes of words a process keeps for its whole life, at most; past it, words are copied per
/// row as before. A few dozen words a PCN, so this is never reached in practice, but a file of
/// nonsense cannot make the process grow without end.
const REMEMBERED_BYTES: usize = 1 << 20;

/// Every word the process keeps, and their bytes.
static KEPT: Mutex<(Option<HashSet<&'static str, ahash::RandomState>>, usize)> =
    Mutex::new((None, 0));

thread_local! {
    static KNOWN: RefCell<HashSet<&'static str, ahash::RandomState>> = RefCell::default();
}

/// A slot type, clinician role or mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Word(Cow<'static, str>);

impl Word {
    /// The word for `text`: one this thread has used before, one the process keeps, or a
    /// new one (kept while there is room).
    pub fn new(text: &str) -> Self {
        let known = KNOWN.with(|k| k.borrow().get(text).copied());
        if let Some(word) = known {
            return Self(Cow::Borrowed(word));
        }
        match Self::kept(text) {
            Some(word) => {
                KNOWN.with(|k| k.borrow_mut().insert(word));
                Self(Cow::Borrowed(word))
            }
            None => Self(Cow::Owned(text.to_owned())),
        }
    }

    /// The process's own copy of `text`, made if there is room; `None` when there is not (or
    /// another thread panicked while holding the words).
    fn kept(text: &str) -> Option<&'static str> {
        let mut kept = KEPT.lock().ok()?;
        let (words, bytes) = &mut *kept;
        let words = words.get_or_insert_with(HashSet::default);
        if let Some(word) = words.get(text) {
            return Some(*word);
        }
        if *bytes + text.len() > REMEMBERED_BYTES {
            return None;
        }
        *bytes += text.len();
        let word: &'static str = Box::leak(text.into());
        words.insert(word);
        Some(word)
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

    #[test]
    fn another_thread_uses_the_word_the_process_already_keeps() {
        let here = Word::new("Same Day Extended Access");
        let there = std::thread::spawn(|| Word::new("Same Day Extended Access").as_ptr() as usize)
            .join()
            .unwrap();
        assert_eq!(here.as_ptr() as usize, there);
    }
}
