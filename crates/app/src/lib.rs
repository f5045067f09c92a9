//! Together's use cases, one module per domain area. A use case is what a person asks Together
//! to do, whichever door they ask at — a page, the JSON API or the command line: it loads what it
//! needs from the store, asks core (and formats, for a file) to decide, saves, and audits. The
//! doors only parse what was sent, call the use case and show its answer, so a rule is written
//! once and holds at every door.
//!
//! The layer is being filled area by area (docs/architecture.md, "Adding a use case"); an area
//! not here yet still has its steps in its page and command.

pub mod champions;
pub mod connections;
pub mod insight;
pub mod oruk;
pub mod people;
pub mod wellbeing;
