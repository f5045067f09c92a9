//! The one pseudonymisation function. Insight, people and evaluation all call it, so a person's
//! pseudonym is the same wherever it appears (docs/design.md, "Data protection by construction").

use crate::nhs::NhsNumber;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use thiserror::Error;

/// Why a pseudonym key could not be used.
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("the pseudonym key must be at least 32 bytes of random data (found {0})")]
    TooShort(usize),
}

/// The instance's secret key (one per instance, versioned, kept outside the database).
#[derive(Clone)]
pub struct PseudonymKey {
    version: u32,
    bytes: Vec<u8>,
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PseudonymKey(v{}, ***)", self.version)
    }
}

impl PseudonymKey {
    pub fn new(version: u32, bytes: Vec<u8>) -> Result<Self, KeyError> {
        if bytes.len() < 32 {
            return Err(KeyError::TooShort(bytes.len()));
        }
        Ok(Self { version, bytes })
    }

    /// A fresh random key, for a new instance or a test.
    pub fn generate(version: u32) -> Self {
        use rand::RngCore;
        let mut bytes = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self { version, bytes }
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn mac(&self, message: &str) -> Pseudonym {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.bytes) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(message.as_bytes());
        Pseudonym(hex::encode(mac.finalize().into_bytes()))
    }

    /// `HMAC-SHA256(key, "nhs:v1:" + ten_digits)`, hex-encoded.
    pub fn pseudonymise(&self, nhs: &NhsNumber) -> Pseudonym {
        self.mac(&format!("nhs:v1:{}", nhs.digits()))
    }

    /// For sources without NHS numbers: `HMAC-SHA256(key, source + ":v1:" + id)`.
    pub fn pseudonymise_source_id(&self, source: &str, id: &str) -> Pseudonym {
        self.mac(&format!("{source}:v1:{id}"))
    }
}

/// A person's pseudonym: 64 hex characters that link their records without naming them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pseudonym(String);

impl Pseudonym {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Accepts only what [`PseudonymKey`] produces (64 lower-case hex characters).
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64
            && s.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
        .then(|| Self(s.to_owned()))
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_pseudonym_other_key_other_pseudonym() {
        let n: NhsNumber = "9990000018".parse().unwrap();
        let k1 = PseudonymKey::new(1, vec![7u8; 32]).unwrap();
        let k2 = PseudonymKey::new(2, vec![8u8; 32]).unwrap();
        assert_eq!(k1.pseudonymise(&n), k1.pseudonymise(&n));
        assert_ne!(k1.pseudonymise(&n), k2.pseudonymise(&n));
        assert!(Pseudonym::parse(k1.pseudonymise(&n).as_str()).is_some());
    }

    #[test]
    fn pseudonym_matches_the_documented_construction() {
        // Recomputed independently: HMAC-SHA256 over the documented message.
        let key = PseudonymKey::new(1, b"0123456789abcdef0123456789abcdef".to_vec()).unwrap();
        let n: NhsNumber = "9990000018".parse().unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"0123456789abcdef0123456789abcdef").unwrap();
        mac.update(b"nhs:v1:9990000018");
        assert_eq!(
            key.pseudonymise(&n).as_str(),
            hex::encode(mac.finalize().into_bytes())
        );
        assert_ne!(
            key.pseudonymise(&n),
            key.pseudonymise_source_id("synthea", "9990000018")
        );
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(PseudonymKey::new(1, vec![0u8; 16]).is_err());
    }
}
