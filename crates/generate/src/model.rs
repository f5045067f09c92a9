//! The population model: who lives here, what they have, and how often they come.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Gamma, Poisson};
use serde::Serialize;
use thiserror::Error;
use time::{Date, Duration, Month, PrimitiveDateTime, Time, Weekday};

/// The test range 999 000 0000–999 999 9999 has one valid NHS number per nine-digit stem unless
/// the check digit would be 10: this many people can be given distinct, never-issued numbers.
pub const MAX_PEOPLE: u64 = 909_091;

/// What to generate.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub patients: u64,
    pub practices: u32,
    pub years: u32,
    /// The last calendar year generated; the period runs from 1 January of the first year.
    pub end_year: i32,
    pub seed: u64,
    /// Connections to plant with a known effect, so that an evaluation can be checked against
    /// the truth; none when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plant: Option<Plant>,
}

/// Connections planted among people with high recent attendance, with a known true effect on
/// their attendance afterwards. Because they are chosen for a high year, their attendance falls
/// afterwards by itself too (regression to the mean): the evaluation must tell the two apart.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Plant {
    /// The true change in GP appointments from the connection on, as a share: −0.2 is a fall
    /// of a fifth.
    pub effect: f64,
    /// The true change in A&E attendances, likewise (the oracle plants effects of different
    /// sizes and signs on the two, to check each is found on its own).
    pub ae_effect: f64,
    /// The chance that someone with high recent attendance is connected.
    pub share: f64,
}

impl Plant {
    /// Attended GP appointments in the twelve months before the connection date that make
    /// someone "high recent attendance", about the top tenth.
    pub const THRESHOLD: usize = 12;
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParamsError {
    #[error("--patients must be between 1 and {MAX_PEOPLE}: the never-issued NHS number range 999 000 0000–999 999 9999 holds no more distinct valid numbers")]
    Patients,
    #[error("--practices must be between 1 and 999")]
    Practices,
    #[error("--years must be between 1 and 20")]
    Years,
    #[error("--end-year must be between 2000 and 2100")]
    EndYear,
    #[error(
        "planted connections need at least three years (a year before and after each connection)"
    )]
    PlantYears,
    #[error("--plant-effect and --plant-ae-effect must be between -1 and 1 (a fall of all to a doubling)")]
    PlantEffect,
    #[error("--plant-share must be between 0 and 1")]
    PlantShare,
}

impl Params {
    pub fn check(&self) -> Result<(), ParamsError> {
        if !(1..=MAX_PEOPLE).contains(&self.patients) {
            return Err(ParamsError::Patients);
        }
        if !(1..=999).contains(&self.practices) {
            return Err(ParamsError::Practices);
        }
        if !(1..=20).contains(&self.years) {
            return Err(ParamsError::Years);
        }
        if !(2000..=2100).contains(&self.end_year) {
            return Err(ParamsError::EndYear);
        }
        if let Some(plant) = self.plant {
            if self.years < 3 {
                return Err(ParamsError::PlantYears);
            }
            if !(-1.0..=1.0).contains(&plant.effect) || !(-1.0..=1.0).contains(&plant.ae_effect) {
                return Err(ParamsError::PlantEffect);
            }
            if !(0.0..=1.0).contains(&plant.share) {
                return Err(ParamsError::PlantShare);
            }
        }
        Ok(())
    }

    pub fn first_year(&self) -> i32 {
        self.end_year - self.years as i32 + 1
    }

    pub fn period_start(&self) -> Date {
        ymd(self.first_year(), 1, 1)
    }

    pub fn period_end(&self) -> Date {
        ymd(self.end_year, 12, 31)
    }
}

pub(crate) fn ymd(y: i32, m: u8, d: u8) -> Date {
    let month = Month::try_from(m).unwrap_or(Month::January);
    Date::from_calendar_date(y, month, d).unwrap_or(Date::MIN)
}

/// A practice of the neighbourhood: ODS-shaped code, name, and how deprived its area is
/// (a shift of the IMD quintile distribution).
#[derive(Debug, Clone, Serialize)]
pub struct Practice {
    pub ods_code: String,
    pub name: String,
    pub deprivation: f64,
}

const PLACES: [&str; 12] = [
    "Quayside",
    "Harbour Lane",
    "St Anne's",
    "Millbrook",
    "Castle View",
    "Riverside",
    "Station Road",
    "Hillcrest",
    "Abbey",
    "Meadowbank",
    "Northgate",
    "Elm Tree",
];
const KINDS: [&str; 4] = ["Surgery", "Medical Centre", "Practice", "Health Centre"];

pub fn practices(params: &Params) -> Vec<Practice> {
    (0..params.practices)
        .map(|k| {
            let place = PLACES[k as usize % PLACES.len()];
            let round = k as usize / PLACES.len();
            let name = if round == 0 {
                format!("{place} {}", KINDS[k as usize % KINDS.len()])
            } else {
                format!("{place} {} {}", KINDS[k as usize % KINDS.len()], round + 1)
            };
            Practice {
                ods_code: format!("B{:05}", 99001 + k),
                name,
                deprivation: (k as f64 * 0.37).sin() * 1.2,
            }
        })
        .collect()
}

/// The conditions the model knows: name, SNOMED CT code, prevalence by age group
/// (<18, 18–44, 45–64, 65–79, 80+), and how much each adds to the consultation rate.
pub(crate) const CONDITIONS: [(&str, &str, [f64; 5], f64); 10] = [
    (
        "hypertension",
        "38341003",
        [0.0, 0.03, 0.20, 0.45, 0.60],
        0.15,
    ),
    (
        "diabetes",
        "73211009",
        [0.002, 0.02, 0.09, 0.18, 0.20],
        0.30,
    ),
    ("asthma", "195967001", [0.09, 0.07, 0.06, 0.07, 0.07], 0.15),
    ("copd", "13645005", [0.0, 0.003, 0.025, 0.07, 0.10], 0.40),
    (
        "coronary_heart_disease",
        "53741008",
        [0.0, 0.002, 0.03, 0.10, 0.17],
        0.30,
    ),
    (
        "depression",
        "35489007",
        [0.02, 0.14, 0.14, 0.11, 0.10],
        0.40,
    ),
    ("anxiety", "197480006", [0.03, 0.12, 0.10, 0.08, 0.07], 0.35),
    (
        "cancer",
        "363346000",
        [0.001, 0.008, 0.04, 0.10, 0.14],
        0.45,
    ),
    ("dementia", "52448006", [0.0, 0.0, 0.002, 0.025, 0.14], 0.40),
    (
        "severe_mental_illness",
        "69322001",
        [0.001, 0.01, 0.011, 0.008, 0.007],
        0.60,
    ),
];

/// Electronic frailty index categories, recorded for people aged 65 and over.
pub(crate) const FRAILTY: [(&str, &str); 3] = [
    ("frailty_mild", "925791000000100"),
    ("frailty_moderate", "925831000000107"),
    ("frailty_severe", "925861000000102"),
];

/// England-like age structure: band (from, to) and share of the registered population.
const AGE_BANDS: [(u32, u32, f64); 8] = [
    (0, 4, 0.054),
    (5, 17, 0.156),
    (18, 29, 0.155),
    (30, 44, 0.200),
    (45, 64, 0.255),
    (65, 74, 0.098),
    (75, 84, 0.060),
    (85, 99, 0.022),
];

const GIVEN_F: [&str; 16] = [
    "Florence", "Maya", "Joan", "Elsie", "Grace", "Nadia", "Priya", "Mabel", "Rosa", "Aisha",
    "Chloe", "Olivia", "Amelia", "Zainab", "Evie", "Margaret",
];
const GIVEN_M: [&str; 16] = [
    "Arthur", "Kwame", "Tariq", "Callum", "Harold", "Owen", "Iqbal", "Dave", "George", "Oliver",
    "Mohammed", "Noah", "Jack", "Leo", "Stanley", "Ravi",
];
const FAMILY: [&str; 24] = [
    "Ashworth",
    "Bennett",
    "Chowdhury",
    "Doyle",
    "Evans",
    "Fraser",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kowalski",
    "Lloyd",
    "Morgan",
    "Nowak",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
    "Smith",
    "Taylor",
    "Usman",
    "Walker",
    "Young",
    "Zielinski",
];

/// Everything generated about one person.
pub struct Person {
    pub nhs_number: String,
    pub ods_code: String,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub date_of_birth: Date,
    pub sex: &'static str,
    pub mobile: String,
    pub imd_quintile: u8,
    pub registered_from: Date,
    pub registered_to: Option<Date>,
    pub date_of_death: Option<Date>,
    pub opt_out: bool,
    pub conditions: Vec<(&'static str, &'static str, Date)>,
    pub appointments: Vec<Appointment>,
    pub ae: Vec<(PrimitiveDateTime, &'static str)>,
    /// A planted connection, when connections are planted and this person was chosen.
    pub connected: Option<Planted>,
}

/// A planted connection: when, and what the person's attendance would have been without it —
/// the truth an evaluation estimates and never sees.
#[derive(Debug, Clone)]
pub struct Planted {
    pub connected_on: Date,
    pub untreated_appointments: Vec<Appointment>,
    pub untreated_ae: Vec<(PrimitiveDateTime, &'static str)>,
}

#[derive(Debug, Clone)]
pub struct Appointment {
    pub booked_at: PrimitiveDateTime,
    pub starts_at: PrimitiveDateTime,
    pub status: &'static str,
    pub slot_type: &'static str,
    pub clinician_role: &'static str,
    pub mode: &'static str,
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut x = rng.gen::<f64>() * total;
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// A gamma-distributed factor with mean 1; smaller shapes give heavier tails.
fn gamma_factor(rng: &mut StdRng, shape: f64) -> f64 {
    Gamma::new(shape, 1.0 / shape)
        .map(|g| g.sample(rng))
        .unwrap_or(1.0)
}

fn poisson(rng: &mut StdRng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    Poisson::new(lambda)
        .map(|p| p.sample(rng) as u64)
        .unwrap_or(0)
}

fn age_group(age: i32) -> usize {
    match age {
        ..=17 => 0,
        18..=44 => 1,
        45..=64 => 2,
        65..=79 => 3,
        _ => 4,
    }
}

fn age_on(dob: Date, on: Date) -> i32 {
    let mut age = on.year() - dob.year();
    if (on.month() as u8, on.day()) < (dob.month() as u8, dob.day()) {
        age -= 1;
    }
    age
}

/// Appointments a year by age (all practice staff), before the other factors.
fn base_rate(age: i32, female: bool) -> f64 {
    let r = match age {
        ..=4 => 5.0,
        5..=17 => 2.5,
        18..=29 => 3.5,
        30..=44 => 4.0,
        45..=64 => 5.5,
        65..=74 => 8.0,
        75..=84 => 10.5,
        _ => 13.0,
    };
    // Calibrated so that the registered population averages about six a year, as in England.
    let r = r * 0.75;
    if female && (18..=64).contains(&age) {
        r * 1.3
    } else {
        r
    }
}

fn random_day(rng: &mut StdRng, from: Date, to: Date) -> Date {
    let span = (to - from).whole_days().max(0);
    from + Duration::days(rng.gen_range(0..=span))
}

fn clinic_time(rng: &mut StdRng, day: Date) -> PrimitiveDateTime {
    let day = match day.weekday() {
        Weekday::Saturday => day + Duration::days(2),
        Weekday::Sunday => day + Duration::days(1),
        _ => day,
    };
    let minutes = 8 * 60 + 10 * rng.gen_range(0..60u32);
    let time =
        Time::from_hms((minutes / 60) as u8, (minutes % 60) as u8, 0).unwrap_or(Time::MIDNIGHT);
    PrimitiveDateTime::new(day, time)
}

/// The person with this number. Pure: the same (seed, index) always gives the same person.
pub(crate) fn person(
    params: &Params,
    practices: &[Practice],
    index: u64,
    nhs_number: String,
) -> Person {
    let mut rng = StdRng::seed_from_u64(
        params.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03),
    );
    let start = params.period_start();
    let end = params.period_end();
    let practice = &practices[rng.gen_range(0..practices.len())];

    let band = pick(&mut rng, &AGE_BANDS.map(|(lo, hi, w)| ((lo, hi), w)));
    let age_at_start = rng.gen_range(band.0..=band.1) as i32;
    let date_of_birth =
        ymd(start.year() - age_at_start - 1, 1, 1) + Duration::days(rng.gen_range(0..365));
    let female = rng.gen::<f64>() < 0.506;
    let deprivation = (rng.gen::<f64>() * 5.0 + practice.deprivation).clamp(0.0, 4.999);
    let imd_quintile = 1 + deprivation as u8;

    // Registration: most were registered before the period; some join during it.
    let registered_from = if rng.gen::<f64>() < 0.85 {
        let earliest = date_of_birth.max(start - Duration::days(365 * 30));
        random_day(&mut rng, earliest, start - Duration::days(1)).max(date_of_birth)
    } else {
        random_day(&mut rng, start, end).max(date_of_birth)
    };
    let mut registered_to = None;
    let mut date_of_death = None;
    for year in params.first_year()..=params.end_year {
        let age = age_on(date_of_birth, ymd(year, 7, 1));
        let death = match age {
            ..=44 => 0.0008,
            45..=64 => 0.004,
            65..=74 => 0.015,
            75..=84 => 0.045,
            _ => 0.14,
        };
        let r: f64 = rng.gen();
        let from = ymd(year, 1, 1).max(registered_from);
        if from > ymd(year, 12, 31) {
            continue;
        }
        if r < death {
            let d = random_day(&mut rng, from, ymd(year, 12, 31));
            date_of_death = Some(d);
            registered_to = Some(d);
            break;
        } else if r < death + 0.05 {
            registered_to = Some(random_day(&mut rng, from, ymd(year, 12, 31)));
            break;
        }
    }

    // Conditions, by age-dependent prevalence, a little more common where deprivation is higher.
    let age_now = age_on(date_of_birth, start);
    let group = age_group(age_now);
    let deprived = 1.0 + 0.08 * (5 - imd_quintile) as f64;
    let mut conditions = Vec::new();
    let mut burden = 0.0;
    for (name, code, prevalence, weight) in CONDITIONS {
        if rng.gen::<f64>() < prevalence[group] * deprived {
            let recorded = random_day(
                &mut rng,
                date_of_birth.max(start - Duration::days(365 * 15)),
                end,
            );
            conditions.push((name, code, recorded));
            burden += weight;
        }
    }
    if age_now >= 65 {
        let frailty =
            conditions.len() as f64 * 0.8 + (age_now - 65) as f64 * 0.08 + rng.gen::<f64>() * 1.5;
        let category = match frailty {
            f if f >= 4.5 => Some(FRAILTY[2]),
            f if f >= 3.0 => Some(FRAILTY[1]),
            f if f >= 1.8 => Some(FRAILTY[0]),
            _ => None,
        };
        if let Some((name, code)) = category {
            conditions.push((
                name,
                code,
                random_day(&mut rng, start - Duration::days(365), end),
            ));
            burden += 0.2;
        }
    }

    // Consultations: base × persistent × transient (drawn each year) → Poisson.
    let persistent = gamma_factor(&mut rng, 1.5);
    let ae_propensity = gamma_factor(&mut rng, 0.3);
    let last_day = registered_to.unwrap_or(end).min(end);
    let mut appointments = Vec::new();
    let mut ae = Vec::new();
    for year in params.first_year()..=params.end_year {
        let (from, to) = (
            ymd(year, 1, 1).max(registered_from),
            ymd(year, 12, 31).min(last_day),
        );
        if from > to {
            continue;
        }
        let share = ((to - from).whole_days() + 1) as f64 / 365.0;
        let age = age_on(date_of_birth, ymd(year, 7, 1));
        let transient = gamma_factor(&mut rng, 1.8);
        let rate = base_rate(age, female) * (1.0 + burden) * deprived * persistent * transient;
        for _ in 0..poisson(&mut rng, rate * share) {
            appointments.push(appointment(&mut rng, from, to, age, !conditions.is_empty()));
        }
        let ae_age = match age {
            ..=4 => 1.6,
            18..=29 => 1.3,
            85.. => 2.5,
            75..=84 => 1.8,
            _ => 1.0,
        };
        let ae_year = gamma_factor(&mut rng, 2.0);
        for _ in 0..poisson(
            &mut rng,
            0.22 * ae_age * deprived * ae_propensity * share * ae_year,
        ) {
            let day = random_day(&mut rng, from, to);
            let t = Time::from_hms(rng.gen_range(0..24), rng.gen_range(0..60), 0)
                .unwrap_or(Time::MIDNIGHT);
            let destination = pick(
                &mut rng,
                &[
                    ("Discharged home", 0.68),
                    ("Admitted", 0.2),
                    ("Referred to GP", 0.06),
                    ("Left before treatment", 0.06),
                ],
            );
            ae.push((PrimitiveDateTime::new(day, t), destination));
        }
    }
    appointments.sort_by_key(|a| a.starts_at);
    ae.sort_by_key(|a| a.0);
    let connected = params.plant.and_then(|plant| {
        let registration = (registered_from, registered_to);
        planted(
            params,
            plant,
            index,
            registration,
            &mut appointments,
            &mut ae,
        )
    });

    let names_f = &GIVEN_F;
    let names_m = &GIVEN_M;
    Person {
        nhs_number,
        ods_code: practice.ods_code.clone(),
        given_name: if female {
            names_f[rng.gen_range(0..names_f.len())]
        } else {
            names_m[rng.gen_range(0..names_m.len())]
        },
        family_name: FAMILY[rng.gen_range(0..FAMILY.len())],
        date_of_birth,
        sex: if female { "F" } else { "M" },
        mobile: format!("07700 900{:03}", rng.gen_range(0..1000)),
        imd_quintile,
        registered_from,
        registered_to,
        date_of_death,
        opt_out: rng.gen::<f64>() < 0.03,
        conditions,
        appointments,
        ae,
        connected,
    }
}

/// Whether the person came: the statuses the default counting rule counts, of those the
/// generator makes.
pub(crate) fn attended(status: &str) -> bool {
    !status.starts_with("Cancelled") && status != "Did Not Attend"
}

/// Connects the person on a random day (a year after the period starts to a year before it
/// ends) if they were registered then, had high attendance in the twelve months before, and
/// are among the share chosen; from that day on, each appointment is kept with probability
/// 1 + effect (a fall), or doubled with probability effect (a rise), and each A&E attendance
/// likewise by its own effect. Its own
/// random numbers, so planting changes nobody's data but the connected people's, after the day.
fn planted(
    params: &Params,
    plant: Plant,
    index: u64,
    (registered_from, registered_to): (Date, Option<Date>),
    appointments: &mut Vec<Appointment>,
    ae: &mut Vec<(PrimitiveDateTime, &'static str)>,
) -> Option<Planted> {
    let mut rng = StdRng::seed_from_u64(
        params.seed.wrapping_mul(0xA24B_AED4_963E_E407)
            ^ index.wrapping_mul(0x9FB2_1C65_1E98_DF25)
            ^ 0x0070_6C61_6E74_6564,
    );
    let year = Duration::days(365);
    let on = random_day(
        &mut rng,
        params.period_start() + year,
        params.period_end() - year,
    );
    let chosen = rng.gen::<f64>() < plant.share;
    let registered = registered_from <= on && registered_to.is_none_or(|to| to > on);
    let recent = appointments
        .iter()
        .filter(|a| attended(a.status) && (on - year..on).contains(&a.starts_at.date()))
        .count();
    if !chosen || !registered || recent < Plant::THRESHOLD {
        return None;
    }
    let untreated = Planted {
        connected_on: on,
        untreated_appointments: appointments.clone(),
        untreated_ae: ae.clone(),
    };
    let after = |t: PrimitiveDateTime| t.date() >= on;
    let again = Duration::minutes(30);
    if plant.effect < 0.0 {
        let keep = 1.0 + plant.effect;
        appointments.retain(|a| !after(a.starts_at) || rng.gen::<f64>() < keep);
    } else {
        let mut extra = Vec::new();
        for a in appointments.iter().filter(|a| after(a.starts_at)) {
            if rng.gen::<f64>() < plant.effect {
                extra.push(Appointment {
                    booked_at: a.booked_at + again,
                    starts_at: a.starts_at + again,
                    ..a.clone()
                });
            }
        }
        appointments.extend(extra);
        appointments.sort_by_key(|a| a.starts_at);
    }
    if plant.ae_effect < 0.0 {
        let keep = 1.0 + plant.ae_effect;
        ae.retain(|(t, _)| !after(*t) || rng.gen::<f64>() < keep);
    } else {
        let copies: Vec<_> = ae
            .iter()
            .filter(|(t, _)| after(*t) && rng.gen::<f64>() < plant.ae_effect)
            .map(|(t, d)| (*t + again, *d))
            .collect();
        ae.extend(copies);
        ae.sort_by_key(|a| a.0);
    }
    Some(untreated)
}

fn appointment(rng: &mut StdRng, from: Date, to: Date, age: i32, long_term: bool) -> Appointment {
    let day = random_day(rng, from, to);
    let starts_at = clinic_time(rng, day);
    // Nearly half are booked the same day, shortly before; the rest up to four weeks ahead.
    let booked_at = if rng.gen::<f64>() < 0.45 {
        starts_at - Duration::minutes(rng.gen_range(5..=120))
    } else {
        let day = starts_at.date() - Duration::days(rng.gen_range(1..=28));
        PrimitiveDateTime::new(
            day,
            Time::from_hms(8, rng.gen_range(0..60), 0).unwrap_or(Time::MIDNIGHT),
        )
    };
    let status = pick(
        rng,
        &[
            ("Finished", 0.905),
            ("Did Not Attend", 0.045),
            ("Cancelled by Patient", 0.025),
            ("Cancelled by Unit", 0.015),
            ("Patient Walked Out", 0.002),
            ("Arrived", 0.008),
        ],
    );
    let clinician_role = pick(
        rng,
        &[
            ("GP", 0.52),
            ("Nurse", 0.20),
            ("HCA", 0.11),
            ("Pharmacist", 0.09),
            ("Paramedic", 0.05),
            ("Social prescriber", 0.03),
        ],
    );
    let home = if age >= 85 {
        0.15
    } else if age >= 75 {
        0.05
    } else {
        0.01
    };
    let mode = pick(
        rng,
        &[
            ("Face to face", 0.66),
            ("Telephone", 0.27),
            ("Video", 0.03),
            ("Home visit", home),
        ],
    );
    let slot_type = if long_term && rng.gen::<f64>() < 0.2 {
        "Chronic Disease Review"
    } else {
        pick(
            rng,
            &[
                ("General Consultation Routine", 0.55),
                ("General Consultation Acute", 0.30),
                ("Same Day", 0.12),
                ("Vaccination", 0.03),
            ],
        )
    };
    Appointment {
        booked_at,
        starts_at,
        status,
        slot_type,
        clinician_role,
        mode,
    }
}

/// Valid test-range NHS numbers, in order: 999 000 000 c, 999 000 001 c, … skipping stems whose
/// check digit would be 10.
pub(crate) struct TestNumbers {
    next_stem: u32,
}

impl TestNumbers {
    pub fn new() -> Self {
        Self { next_stem: 0 }
    }
}

impl Iterator for TestNumbers {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        while self.next_stem < 1_000_000 {
            let stem = format!("999{:06}", self.next_stem);
            self.next_stem += 1;
            let sum: u32 = stem
                .bytes()
                .enumerate()
                .map(|(i, b)| (b - b'0') as u32 * (10 - i as u32))
                .sum();
            match 11 - sum % 11 {
                10 => continue,
                11 => return Some(format!("{stem}0")),
                c => return Some(format!("{stem}{c}")),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_range_holds_max_people_valid_numbers_all_valid() {
        let all: Vec<String> = TestNumbers::new().collect();
        assert_eq!(all.len() as u64, MAX_PEOPLE);
        for n in all.iter().step_by(9973) {
            let parsed: Result<together_core::NhsNumber, _> = n.parse();
            assert!(parsed.is_ok_and(|p| p.is_test_range()), "{n}");
        }
    }

    #[test]
    fn a_person_depends_only_on_seed_and_number() {
        let p = Params {
            patients: 10,
            practices: 3,
            years: 2,
            end_year: 2025,
            seed: 7,
            plant: None,
        };
        let practices = practices(&p);
        let a = person(&p, &practices, 5, "9990000018".into());
        let b = person(&p, &practices, 5, "9990000018".into());
        assert_eq!(
            (a.date_of_birth, a.appointments.len(), a.family_name),
            (b.date_of_birth, b.appointments.len(), b.family_name)
        );
        assert!(a.appointments.iter().all(|x| x.booked_at <= x.starts_at));
    }
}
