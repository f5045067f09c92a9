//! A synthetic neighbourhood: registrations, conditions, appointments and A&E attendances, with
//! the shapes that matter for Collaborative Practice built into how the data is made rather than
//! added afterwards:
//!
//! - **the long tail**: each person's yearly consultation rate is a base rate (by age, sex,
//!   conditions and deprivation) times a *persistent* gamma factor (their lasting propensity)
//!   times a *transient* gamma factor drawn afresh each year; appointments are Poisson on that
//!   rate. The gamma mixture gives the heavy tail a few people with 50+ appointments a year.
//! - **regression to the mean**: because part of a frequent attender's year is the transient
//!   factor, most of the top decile of one year fall back the next with no intervention at all,
//!   while those with a high persistent factor stay frequent.
//! - **high intensity use of A&E**: a separate, heavier-tailed propensity.
//!
//! Generation streams person by person (bounded memory whatever the size) and is deterministic:
//! each person's random numbers come from a generator seeded by (seed, person number).

mod fhir;
mod model;
mod write;

pub use model::{
    practices, Appointment, Params, ParamsError, Person, Plant, Planted, Practice, MAX_PEOPLE,
};
pub use write::{
    generate, generate_as, people, Format, GenerateError, Summary, PLANTED_CONNECTIONS,
    PLANTED_OFFER,
};
