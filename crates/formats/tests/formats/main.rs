//! All of the formats crate's integration tests, in one binary.

// Tests and examples stop at the first surprise, with its message: unwrap and expect are how.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fhir;
mod fuzz_corpora;
mod golden;
mod many_rows;
mod mapping;
mod never_panics;
mod synthea_fhir;
