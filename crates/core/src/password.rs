//! Password policy and hashing (security checklist S1, S2): argon2id at or above OWASP's
//! parameters, no composition rules, a block list of common and context words.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use thiserror::Error;

/// Memory cost (KiB), iterations and lanes: the OWASP argon2id minimum (m=19 MiB, t=2, p=1).
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;

/// The shortest password anyone may choose; staff are advised to use 15 or more.
pub const MIN_LEN: usize = 8;
/// Long enough for any passphrase, short enough that hashing cannot be used to exhaust memory.
pub const MAX_LEN: usize = 128;

const COMMON: &str = include_str!("common-passwords.txt");

/// Why a new password is refused: shown to the person choosing it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("Your password must be at least {MIN_LEN} characters long")]
    TooShort,
    #[error("Your password must be {MAX_LEN} characters or fewer")]
    TooLong,
    #[error("That password is too common; try three or four random words together")]
    Common,
    #[error(
        "Your password must not contain the name of the service, the PCN or your email address"
    )]
    Context,
}

/// Why hashing failed (never because of the password's content).
#[derive(Debug, Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Checks a new password against the policy. `context` holds words that must not appear in it,
/// such as the PCN's name and the user's email.
pub fn check_new_password(password: &str, context: &[&str]) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if len > MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.lines().any(|c| c == lower) {
        return Err(PasswordError::Common);
    }
    let mut words: Vec<String> = ["together", "nhs"].iter().map(|s| s.to_string()).collect();
    for c in context {
        let c = c.to_lowercase();
        words.push(c.split('@').next().unwrap_or_default().to_owned());
        words.extend(c.split_whitespace().map(str::to_owned));
    }
    // Words of four letters or more only: short words ("pcn", "the") appear in good passphrases.
    if words
        .iter()
        .any(|w| w.chars().count() >= 4 && lower.contains(w.as_str()))
        || lower == "nhs"
    {
        return Err(PasswordError::Context);
    }
    Ok(())
}

fn hasher() -> Argon2<'static> {
    let params = match Params::new(MEMORY_KIB, ITERATIONS, LANES, None) {
        Ok(p) => p,
        Err(_) => unreachable!("constant parameters are valid"),
    };
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (algorithm, parameters and salt travel with it).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Checks a password against a stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        // Verification uses the parameters stored in the hash, so old hashes still verify.
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Whether a stored hash is weaker than today's policy and should be replaced at next sign-in.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(p) => p.m_cost() < MEMORY_KIB || p.t_cost() < ITERATIONS,
        Err(_) => true,
    }
}

/// A hash that costs the same as a real one, verified against when the account does not exist,
/// so that an unknown email takes as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_hashes_are_argon2id_at_policy_strength() {
        let h = hash_password("correct horse battery staple").unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let p = Params::try_from(&parsed).unwrap();
        assert!(p.m_cost() >= 19_456 && p.t_cost() >= 2);
        assert!(verify_password("correct horse battery staple", &h));
        assert!(!verify_password("correct horse battery stapler", &h));
        assert!(!needs_rehash(&h));
    }

    #[test]
    fn weak_old_hashes_verify_but_need_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        );
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let h = weak
            .hash_password(b"a long passphrase", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("a long passphrase", &h));
        assert!(needs_rehash(&h));
        assert!(needs_rehash("not a hash"));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn policy_refuses_short_common_and_context_passwords() {
        assert_eq!(
            check_new_password("short", &[]),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_new_password(&"x".repeat(129), &[]),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_new_password("Password123", &[]),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_new_password("my together login", &[]),
            Err(PasswordError::Context)
        );
        assert_eq!(
            check_new_password("harbourview rocks", &["Harbourview PCN"]),
            Err(PasswordError::Context)
        );
        assert_eq!(
            check_new_password("annie2026 is me", &["annie2026@example.org"]),
            Err(PasswordError::Context)
        );
        assert_eq!(
            check_new_password("kettle violin orchard", &["Harbourview PCN"]),
            Ok(())
        );
    }
}

/// How an account locks after wrong passwords: the first `free` failures cost nothing, then each
/// locks it for 1, 2, 4 … minutes, doubling, up to `max_minutes`. The store applies it in the
/// same statement that counts the failure, so guesses sent at once cannot each read a stale
/// count and overwrite one another's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub free: i64,
    pub max_minutes: i64,
}

impl Lockout {
    /// Five free failures, then locks doubling from a minute to an hour.
    pub const DEFAULT: Lockout = Lockout {
        free: 5,
        max_minutes: 60,
    };

    /// How long the account locks after its `failures`-th failure in a row (none before the
    /// free ones are spent).
    pub fn minutes_after(&self, failures: i64) -> Option<i64> {
        let past = failures - self.free;
        (past >= 0).then(|| (1i64 << past.min(6)).min(self.max_minutes))
    }
}

#[cfg(test)]
mod lockout {
    use super::*;

    #[test]
    fn five_failures_are_free_then_locks_double_to_an_hour() {
        let l = Lockout::DEFAULT;
        assert_eq!(l.minutes_after(4), None);
        assert_eq!(l.minutes_after(5), Some(1));
        assert_eq!(l.minutes_after(6), Some(2));
        assert_eq!(l.minutes_after(10), Some(32));
        assert_eq!(l.minutes_after(11), Some(60));
        assert_eq!(l.minutes_after(40), Some(60));
    }
}
