//! Rules for what leaves Together as a file (docs/design.md, "Data protection by construction": exports are CSV with formula
//! injection neutralised).

/// Prefixes a quote to text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or
/// a carriage return first), so that an export opened in Excel shows it as text.
pub fn neutralise(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r', '\0']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The text message suggested beside each person on an invitation list, in the users' own
/// words: an invitation to join, never a referral or recruitment.
pub fn invitation_text(given_name: &str, practice_name: &str) -> String {
    format!(
        "Hello {given_name}, this is {practice_name}. We're starting something for people in our community and we'd love you to join us. Would you like to hear more? Reply YES and one of our team will give you a call, or NO if you'd rather not hear about it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_turned_into_text_and_other_values_left_alone() {
        for f in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(f), format!("'{f}"));
        }
        for plain in ["Ada", "07700 900123", "2025-01-01", ""] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    #[test]
    fn the_invitation_invites() {
        let t = invitation_text("Florence", "Quayside Surgery");
        assert!(t.starts_with("Hello Florence, this is Quayside Surgery."));
        assert!(t.contains("we'd love you to join us"));
        assert!(!t.to_lowercase().contains("refer") && !t.to_lowercase().contains("recruit"));
    }
}
