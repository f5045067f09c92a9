//! Random tokens and what is kept of them: sessions, one-time links and API tokens are shown
//! once and stored only as their hash, so a leaked database cannot be replayed as sessions.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, hex-encoded: session tokens, links and API tokens.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// What the store keeps instead of a token: a leaked database cannot be replayed as sessions.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
