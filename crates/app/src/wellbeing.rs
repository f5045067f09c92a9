//! How people say they are getting on.

use together_core::wellbeing::{Occasion, LINK_DAYS};
use together_store::wellbeing::NewLink;

/// A fresh one-time link to answer on one's own phone, and the text message that carries it
/// (`{name}` is filled by the store): the address, for the demo to print, and what to keep.
pub fn new_link(
    public_url: &str,
    occasion: Occasion,
    now: time::OffsetDateTime,
) -> (String, NewLink) {
    let token = together_core::tokens::random_token();
    let url = format!(
        "{}/wellbeing?token={token}",
        public_url.trim_end_matches('/')
    );
    let link = NewLink {
        token_hash: together_core::tokens::hash_token(&token),
        occasion,
        expires_at: now + time::Duration::days(LINK_DAYS),
        subject: "How are you getting on?".into(),
        body: format!(
            "Hello {{name}}, it's your PCN team. How are you getting on? Five short questions, on your phone: {url} The link works once, for {LINK_DAYS} days. You do not have to answer."
        ),
    };
    (url, link)
}
