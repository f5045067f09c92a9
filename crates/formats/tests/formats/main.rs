//! All of the formats crate's integration tests, in one binary.

mod fhir;
mod fuzz_corpora;
mod golden;
mod mapping;
mod never_panics;
