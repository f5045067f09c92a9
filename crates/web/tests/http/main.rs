//! All HTTP integration tests in one binary (each extra binary costs minutes of linking).
//! Every test starts the real server on an ephemeral port with its own fresh database.

// Tests and examples stop at the first surprise, with its message: unwrap and expect are how.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod api;
mod authorisation;
mod champions;
mod connections;
mod demo;
mod equipment;
mod hours_expenses;
mod impact;
mod imports;
mod insight;
mod listings;
mod offers;
mod oruk;
mod partners;
mod people;
mod pledges;
mod referrals;
mod safeguarding;
mod security;
mod sessions;
mod two_factor;
mod work;
