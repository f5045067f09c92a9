//! All of the formats crate's integration tests, in one binary.

mod fhir;
mod fuzz_corpora;
mod golden;
mod many_rows;
mod mapping;
mod never_panics;
mod synthea_fhir;
