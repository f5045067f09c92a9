//! The NHS number: ten digits whose last is a Modulus 11 check digit. It is parsed here and
//! nowhere else, and its only use outside the patient index is to make a pseudonym.

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Why some text is not an NHS number.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NhsNumberError {
    #[error("an NHS number has ten digits (spaces allowed as 3 3 4)")]
    Format,
    #[error("the check digit does not match: the number has a typing error")]
    CheckDigit,
}

/// A syntactically valid NHS number (Modulus 11 check passed).
///
/// Deliberately not `Display`: printing one by accident into a log or a page is the mistake this
/// type exists to prevent. Use [`NhsNumber::digits`] where the digits are truly needed. Kept
/// inline (ten ASCII digits), not on the heap: an import reads one on every row of millions.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NhsNumber([u8; 10]);

impl NhsNumber {
    /// The ten digits, without spaces, for pseudonymisation and the patient index only.
    pub fn digits(&self) -> &str {
        // Only ten ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Whether the number lies in 999 000 0000–999 999 9999, the range never issued to anyone.
    pub fn is_test_range(&self) -> bool {
        self.0.starts_with(b"999")
    }
}

impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NhsNumber(***)")
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Spaces are left out; anything else must be one of exactly ten digits.
        let mut digits = [0u8; 10];
        let mut n = 0;
        for b in s.bytes().filter(|b| *b != b' ') {
            if n == digits.len() || !b.is_ascii_digit() {
                return Err(NhsNumberError::Format);
            }
            digits[n] = b;
            n += 1;
        }
        if n != digits.len() {
            return Err(NhsNumberError::Format);
        }
        let number = Self(digits);
        let parsed =
            nhs_number::NHSNumber::from_str(number.digits()).map_err(|_| NhsNumberError::Format)?;
        // A calculated check digit of 10 can never match a single digit, so it is rejected here too.
        if parsed.validate_check_digit() {
            Ok(number)
        } else {
            Err(NhsNumberError::CheckDigit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check_digit(stem: &[u32]) -> Option<u32> {
        let sum: u32 = stem
            .iter()
            .enumerate()
            .map(|(i, d)| d * (10 - i as u32))
            .sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            c => Some(c),
        }
    }

    #[test]
    fn published_vectors_are_valid() {
        for n in ["9434765919", "4010232137", "9876543210", "943 476 5919"] {
            assert!(n.parse::<NhsNumber>().is_ok(), "{n} rejected");
        }
    }

    #[test]
    fn wrong_length_and_letters_are_format_errors() {
        for n in [
            "",
            "943476591",
            "94347659190",
            "94347659a9",
            "943-476-5919",
            "943476591é",
            "é9434765919",
        ] {
            assert_eq!(n.parse::<NhsNumber>(), Err(NhsNumberError::Format), "{n}");
        }
        assert_eq!(
            "9434765918".parse::<NhsNumber>(),
            Err(NhsNumberError::CheckDigit)
        );
    }

    #[test]
    fn the_digits_come_back_without_spaces() {
        let n: NhsNumber = " 999 000 0018 ".parse().unwrap();
        assert_eq!(n.digits(), "9990000018");
        assert!(n.is_test_range());
        assert!(!"9434765919".parse::<NhsNumber>().unwrap().is_test_range());
    }

    #[test]
    fn debug_never_shows_the_digits() {
        let n: NhsNumber = "9990000018".parse().unwrap();
        assert!(!format!("{n:?}").contains("999"));
    }

    proptest! {
        #[test]
        fn any_stem_with_its_check_digit_validates(stem in proptest::collection::vec(0u32..10, 9)) {
            let number: String = stem.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
            match check_digit(&stem) {
                Some(c) => {
                    let full = format!("{}{}", number, c);
                    prop_assert!(full.parse::<NhsNumber>().is_ok());
                }
                None => for c in 0..10 {
                    let full = format!("{}{}", number, c);
                    prop_assert!(full.parse::<NhsNumber>().is_err());
                },
            }
        }

        #[test]
        fn a_single_changed_digit_is_detected(stem in proptest::collection::vec(0u32..10, 9), pos in 0usize..10, delta in 1u32..10) {
            if let Some(c) = check_digit(&stem) {
                let mut digits = stem.clone();
                digits.push(c);
                digits[pos] = (digits[pos] + delta) % 10;
                let s: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
                prop_assert!(s.parse::<NhsNumber>().is_err());
            }
        }

        #[test]
        fn swapping_adjacent_different_digits_is_detected(stem in proptest::collection::vec(0u32..10, 9), pos in 0usize..9) {
            if let Some(c) = check_digit(&stem) {
                let mut digits = stem.clone();
                digits.push(c);
                if digits[pos] != digits[pos + 1] {
                    digits.swap(pos, pos + 1);
                    let s: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
                    prop_assert!(s.parse::<NhsNumber>().is_err());
                }
            }
        }
    }
}
