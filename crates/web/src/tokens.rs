//! Tokens only this server can make: the CSRF token bound to a session, and the signed stamp
//! of when a public form was shown.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

fn mac(secret: &[u8], message: &str) -> Hmac<Sha256> {
    let mut m = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(message.as_bytes());
    m
}

/// The CSRF token for a session (or anonymous visitor): a MAC of its binding, so it changes
/// when the session rotates and cannot be made by anyone without the server's secret.
pub(crate) fn csrf_token(secret: &[u8], binding: &str) -> String {
    hex::encode(
        mac(secret, &format!("csrf:{binding}"))
            .finalize()
            .into_bytes(),
    )
}

pub(crate) fn csrf_valid(secret: &[u8], expected_for: &str, provided: &str) -> bool {
    match hex::decode(provided) {
        Ok(bytes) => mac(secret, &format!("csrf:{expected_for}"))
            .verify_slice(&bytes)
            .is_ok(),
        Err(_) => false,
    }
}

/// A signed "this form was shown at" stamp for a public form: a bot that posts the moment it
/// has the page, or replays an old one, can be told from a person without a third-party
/// CAPTCHA (the honeypot field and the rate limit do the rest).
pub(crate) fn form_stamp(secret: &[u8], shown: OffsetDateTime) -> String {
    let t = shown.unix_timestamp();
    let sig = mac(secret, &format!("form:{t}")).finalize().into_bytes();
    format!("{t}.{}", hex::encode(sig))
}

/// When the form carrying this stamp was shown, if the stamp is genuine.
pub(crate) fn stamp_shown(secret: &[u8], stamp: &str) -> Option<OffsetDateTime> {
    let (t, sig) = stamp.split_once('.')?;
    let secs: i64 = t.parse().ok()?;
    let sig = hex::decode(sig).ok()?;
    mac(secret, &format!("form:{secs}"))
        .verify_slice(&sig)
        .ok()?;
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// A person faster than this has not read a public form: the post is treated as a bot's.
pub(crate) const FASTEST_HUMAN: Duration = Duration::seconds(3);

/// A public form older than this is shown again with a fresh stamp.
pub(crate) const FORM_LIFETIME: Duration = Duration::days(1);

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn form_stamps_say_when_the_form_was_shown_and_cannot_be_made_without_the_secret() {
        let t = datetime!(2026-11-24 09:00 UTC);
        let s = form_stamp(b"secret", t);
        assert_eq!(stamp_shown(b"secret", &s), Some(t));
        assert_eq!(stamp_shown(b"other", &s), None);
        let forged = format!("{}{}", t.unix_timestamp() - 60, &s[s.find('.').unwrap()..]);
        assert_eq!(stamp_shown(b"secret", &forged), None);
        assert_eq!(stamp_shown(b"secret", "nonsense"), None);
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_session() {
        let t = csrf_token(b"secret", "session-a");
        assert!(csrf_valid(b"secret", "session-a", &t));
        assert!(!csrf_valid(b"secret", "session-b", &t));
        assert!(!csrf_valid(b"other", "session-a", &t));
        assert!(!csrf_valid(b"secret", "session-a", "zz"));
    }
}
