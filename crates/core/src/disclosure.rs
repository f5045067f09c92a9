//! Disclosure control on aggregates (docs/design.md, "Data protection by construction"): counts of 1–7 are suppressed and the
//! rest rounded to the nearest 5, the OpenSAFELY convention, for everyone but analysts and a
//! practice's own clinicians. It is a type: a [`RawCount`] can be neither displayed nor
//! serialised, so no page, JSON, CSV or report can show a count without first deciding who it
//! is for.

use serde::Serialize;
use std::fmt;

/// The rule, printed beside every figure it applies to.
pub const RULE: &str = "Counts from 1 to 7 are not shown and other counts are rounded to the nearest 5, so that no one can be identified.";

/// Who a figure is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Analysts, and a practice's own clinicians for their own practice: exact figures.
    Unsuppressed,
    /// Everyone else: suppressed and rounded.
    Suppressed,
}

/// A count straight from the data. Deliberately neither `Display` nor `Serialize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct RawCount(u64);

impl RawCount {
    pub fn new(n: u64) -> Self {
        Self(n)
    }

    /// The figure for computing with (shares, means), never for showing as it is.
    pub fn value(self) -> u64 {
        self.0
    }

    pub fn disclose(self, audience: Audience) -> Count {
        match (audience, self.0) {
            (Audience::Unsuppressed, n) => Count::Exact(n),
            (Audience::Suppressed, 0) => Count::Exact(0),
            (Audience::Suppressed, 1..=7) => Count::Suppressed,
            (Audience::Suppressed, n) => Count::Rounded((n + 2) / 5 * 5),
        }
    }
}

/// A count fit to show to its audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Count {
    Exact(u64),
    Rounded(u64),
    /// 1 to 7: not shown.
    Suppressed,
}

impl Count {
    /// The number to plot or compute a shown percentage from (suppressed counts give none).
    pub fn shown(self) -> Option<u64> {
        match self {
            Count::Exact(n) | Count::Rounded(n) => Some(n),
            Count::Suppressed => None,
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::Rounded(n) => write!(f, "{n}"),
            Count::Suppressed => f.write_str("1–7"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_counts_are_suppressed_and_the_rest_rounded_to_five() {
        let shown = |n| RawCount::new(n).disclose(Audience::Suppressed);
        assert_eq!(shown(0), Count::Exact(0));
        for n in 1..=7 {
            assert_eq!(shown(n), Count::Suppressed, "{n}");
        }
        assert_eq!(shown(8), Count::Rounded(10));
        assert_eq!(shown(12), Count::Rounded(10));
        assert_eq!(shown(13), Count::Rounded(15));
        assert_eq!(shown(148), Count::Rounded(150));
        assert_eq!(
            RawCount::new(3).disclose(Audience::Unsuppressed),
            Count::Exact(3)
        );
        assert_eq!(
            serde_json::to_string(&shown(3)).unwrap(),
            r#"{"kind":"suppressed"}"#
        );
        assert_eq!(
            serde_json::to_string(&shown(148)).unwrap(),
            r#"{"kind":"rounded","value":150}"#
        );
    }

    proptest! {
        #[test]
        fn a_disclosed_count_is_a_multiple_of_five_within_two_of_the_truth(n in 8u64..10_000_000) {
            let Count::Rounded(r) = RawCount::new(n).disclose(Audience::Suppressed) else { panic!() };
            prop_assert_eq!(r % 5, 0);
            prop_assert!(r.abs_diff(n) <= 2);
        }
    }
}
