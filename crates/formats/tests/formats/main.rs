//! All of the formats crate's integration tests, in one binary.

mod golden;
mod mapping;
mod never_panics;
