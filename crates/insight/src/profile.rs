//! The attendance profile: who really uses the appointments. A DataFusion plan finds the people
//! registered in the period (the denominator, zero attenders included); one pass over a
//! DataFusion scan of the period's appointments — Together's own operator, a partition per
//! core — counts each person's consultations and the appointment mix (months, roles, modes,
//! Did Not Attend) together. The shares, the Lorenz curve and the Gini coefficient come from
//! those per-person counts, the breakdowns from the same people.

use crate::parquet_out::words;
use crate::pseudonym_table::{Key, PseudonymTable};
use crate::tables::{lit_ts, Tables};
use datafusion::arrow::array::{Array, ArrayData, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Int32Type};
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::expr_fn::min;
use datafusion::prelude::*;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use together_core::disclosure::{Audience, Count, RawCount, RULE};

/// Which appointments count as a consultation: a programme setting (Admin page), printed
/// beside every result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountingRule {
    /// Statuses that count.
    pub statuses: Vec<String>,
    /// Slot types that do not count (administrative slots, say), as the data spells them.
    #[serde(default)]
    pub excluded_slot_types: Vec<String>,
    /// Clinician roles that do not count, as the data spells them.
    #[serde(default)]
    pub excluded_roles: Vec<String>,
}

impl Default for CountingRule {
    /// Attended appointments: finished, arrived, in progress, a visit, waiting or walked out;
    /// every slot type and clinician role.
    fn default() -> Self {
        Self {
            statuses: [
                "Finished",
                "Arrived",
                "In Progress",
                "Visit",
                "Waiting",
                "Patient Walked Out",
            ]
            .map(String::from)
            .to_vec(),
            excluded_slot_types: Vec::new(),
            excluded_roles: Vec::new(),
        }
    }
}

/// The programme setting that holds the counting rule (JSON).
pub const COUNTING_RULE_SETTING: &str = "insight.counting_rule";

impl CountingRule {
    pub fn describe(&self) -> String {
        let but = |what: &str, list: &[String]| {
            if list.is_empty() {
                format!("every {what} counts")
            } else {
                format!("every {what} counts except {}", list.join(", "))
            }
        };
        format!(
            "Appointments with status {} count as consultations; {}; {}.",
            self.statuses.join(", "),
            but("slot type", &self.excluded_slot_types),
            but("clinician role", &self.excluded_roles)
        )
    }

    /// Whether one appointment counts.
    pub fn counts(&self, status: &str, slot_type: &str, role: &str) -> bool {
        self.statuses.iter().any(|s| s == status)
            && !self.excluded_slot_types.iter().any(|x| x == slot_type)
            && !self.excluded_roles.iter().any(|x| x == role)
    }

    /// The same rule as a DataFusion predicate over the appointments table.
    pub fn predicate(&self) -> Expr {
        let mut e = in_list("status", &self.statuses);
        if !self.excluded_slot_types.is_empty() {
            e = e.and(in_list("slot_type", &self.excluded_slot_types).not());
        }
        if !self.excluded_roles.is_empty() {
            e = e.and(in_list("clinician_role", &self.excluded_roles).not());
        }
        e
    }

    /// The PCN's rule, or the default when none has been set.
    pub async fn of(
        store: &together_store::DynStore,
        pcn: together_core::PcnId,
    ) -> Result<CountingRule, together_store::StoreError> {
        Ok(store
            .setting(pcn, COUNTING_RULE_SETTING)
            .await?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }
}

/// What to profile.
#[derive(Debug, Clone)]
pub struct Scope {
    /// First and last day, inclusive (local dates).
    pub from: Date,
    pub to: Date,
    /// ODS codes of the practices included.
    pub practices: Vec<String>,
    pub rule: CountingRule,
}

impl Scope {
    /// The period as UTC literals, start inclusive and end exclusive: from London midnight on
    /// its first day to London midnight after its last, the one rule every plan cuts by.
    pub fn window(&self) -> (Expr, Expr) {
        let utc = |d: Date| lit_ts(together_core::uk_time::london_to_utc(d.midnight()));
        (utc(self.from), utc(self.to + Duration::days(1)))
    }

    /// Pooled across practices, people with a national data opt-out are left out.
    pub fn pooled(&self) -> bool {
        self.practices.len() > 1
    }
}

/// The practices whose data may be pooled: those with a data-sharing agreement recorded.
pub fn pooled_practices(practices: &[together_store::Practice]) -> Vec<String> {
    practices
        .iter()
        .filter(|p| p.data_sharing_agreed)
        .map(|p| p.ods_code.to_string())
        .collect()
}

pub const AGE_BANDS: [(&str, i32, i32); 8] = [
    ("0–4", 0, 4),
    ("5–17", 5, 17),
    ("18–29", 18, 29),
    ("30–44", 30, 44),
    ("45–64", 45, 64),
    ("65–74", 65, 74),
    ("75–84", 75, 84),
    ("85+", 85, 200),
];

pub fn age_band(age: i32) -> &'static str {
    AGE_BANDS
        .iter()
        .find(|(_, lo, hi)| (*lo..=*hi).contains(&age))
        .map(|b| b.0)
        .unwrap_or("85+")
}

/// One registered person's figures for the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonCount {
    pub pseudonym: String,
    /// Shared by everyone of the practice, and the sex one of a few words: a person costs one
    /// allocation, not three (the denominator can hold millions).
    pub practice: std::sync::Arc<str>,
    pub age: i32,
    pub sex: &'static str,
    pub imd_quintile: Option<i32>,
    pub appointments: u64,
}

/// A row of a breakdown table.
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub people: RawCount,
    pub appointments: RawCount,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub from: Date,
    pub to: Date,
    pub practices: Vec<String>,
    pub rule: String,
    pub basis: String,
    pub registered: RawCount,
    pub appointments: RawCount,
    pub mean: f64,
    pub median: f64,
    /// (top percent of people, share of appointments they hold)
    pub top_shares: Vec<(u32, f64)>,
    pub gini: f64,
    /// (share of people, share of appointments held by the least-attending that share)
    pub lorenz: Vec<(f64, f64)>,
    pub by_age: Vec<Group>,
    pub by_sex: Vec<Group>,
    pub by_practice: Vec<Group>,
    pub by_deprivation: Vec<Group>,
    pub monthly: Vec<(String, RawCount)>,
    pub roles: Vec<(String, RawCount)>,
    pub modes: Vec<(String, RawCount)>,
    /// Did Not Attend as a share of counted plus DNA appointments.
    pub dna_rate: f64,
    /// The most frequent attenders (pseudonym, appointments, age band), most first.
    pub most_frequent: Vec<(String, u64, &'static str)>,
    /// The per-person counts the figures come from, in no particular order (for cohorts and
    /// checks; never shown).
    pub people: Vec<PersonCount>,
}

pub(crate) fn age_at(year_of_birth: i32, month_of_birth: i32, on: Date) -> i32 {
    on.year() - year_of_birth - i32::from((on.month() as i32) < month_of_birth)
}

/// How concentrated appointments are among people.
#[derive(Debug, Clone)]
pub struct Concentration {
    /// (top percent of people, share of appointments they hold)
    pub top_shares: Vec<(u32, f64)>,
    pub gini: f64,
    /// (share of people, share of appointments held by the least-attending that share)
    pub lorenz: Vec<(f64, f64)>,
    pub median: f64,
}

/// Top-share, Gini, Lorenz and median figures from per-person counts (any order).
pub fn concentration(counts: &[u64]) -> Concentration {
    let sorted = ascending(counts);
    let n = sorted.len();
    let total: u64 = sorted.iter().sum();
    if n == 0 || total == 0 {
        return Concentration {
            top_shares: [1, 3, 5, 10, 20].iter().map(|p| (*p, 0.0)).collect(),
            gini: 0.0,
            lorenz: vec![(0.0, 0.0), (1.0, 1.0)],
            median: 0.0,
        };
    }
    let top_shares = [1u32, 3, 5, 10, 20]
        .iter()
        .map(|p| {
            let k = (n * *p as usize).div_ceil(100);
            let held: u64 = sorted[n - k..].iter().sum();
            (*p, held as f64 / total as f64)
        })
        .collect();
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0) * *x as f64)
        .sum();
    let gini = 2.0 * weighted / (n as f64 * total as f64) - (n as f64 + 1.0) / n as f64;
    let mut cumulative = vec![0u64; n + 1];
    for (i, x) in sorted.iter().enumerate() {
        cumulative[i + 1] = cumulative[i] + x;
    }
    let lorenz = (0..=20).map(|step| {
        let share = step as f64 / 20.0;
        let k = ((n as f64) * share).round() as usize;
        (share, cumulative[k] as f64 / total as f64)
    });
    let median = if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
    };
    Concentration {
        top_shares,
        gini,
        lorenz: lorenz.collect(),
        median,
    }
}

/// The counts in ascending order. Appointment counts are small numbers, so they are counted
/// rather than compared (linear, where a sort of a large denominator was a visible part of the
/// profile); counts spread wider than the people are sorted.
fn ascending(counts: &[u64]) -> Vec<u64> {
    let largest = counts.iter().copied().max().unwrap_or(0);
    match usize::try_from(largest) {
        Ok(largest) if largest <= counts.len().saturating_mul(4).max(1024) => {
            let mut how_many = vec![0usize; largest + 1];
            for c in counts {
                how_many[*c as usize] += 1;
            }
            let mut sorted = Vec::with_capacity(counts.len());
            for (value, n) in how_many.into_iter().enumerate() {
                sorted.extend(std::iter::repeat_n(value as u64, n));
            }
            sorted
        }
        _ => {
            let mut sorted = counts.to_vec();
            sorted.sort_unstable();
            sorted
        }
    }
}

/// People and their appointments per value of `key`, the labels of `order` first (with zeros).
pub(crate) fn group<'a>(
    people: impl IntoIterator<Item = &'a PersonCount>,
    key: impl Fn(&'a PersonCount) -> &'a str,
    order: &[String],
) -> Vec<Group> {
    let mut out: Vec<Group> = order
        .iter()
        .map(|l| Group {
            label: l.clone(),
            people: RawCount::new(0),
            appointments: RawCount::new(0),
        })
        .collect();
    // Keys are mostly the same few `&'static str`s or shared practice names: each is known by
    // where it is (alive, unchanged, for all of `'a`) before being compared as text, which a
    // denominator of hundreds of thousands made a visible part of the profile.
    let mut seen: Vec<(*const u8, usize, usize)> = Vec::new();
    for p in people {
        let k = key(p);
        let known = seen
            .iter()
            .find(|(at, len, _)| *at == k.as_ptr() && *len == k.len());
        let idx = match known {
            Some(&(_, _, idx)) => idx,
            None => {
                let idx = match out.iter().position(|g| g.label == k) {
                    Some(i) => i,
                    None => {
                        out.push(Group {
                            label: k.to_owned(),
                            people: RawCount::new(0),
                            appointments: RawCount::new(0),
                        });
                        out.len() - 1
                    }
                };
                // A few places are remembered: keys that are all different stay linear.
                if seen.len() < 64 {
                    seen.push((k.as_ptr(), k.len(), idx));
                }
                idx
            }
        };
        let g = &mut out[idx];
        g.people = RawCount::new(g.people.value() + 1);
        g.appointments = RawCount::new(g.appointments.value() + p.appointments);
    }
    out
}

fn in_list(column: &str, values: &[String]) -> Expr {
    col(column).in_list(values.iter().map(|v| lit(v.as_str())).collect(), false)
}

/// The registrations that put people in the denominator: at the chosen practices, registered
/// at any time in the period (and, pooled, without a national data opt-out), with what a
/// person's figures need. Someone registered twice in the period has two rows.
pub fn registration_scan(tables: &Tables, scope: &Scope) -> Result<DataFrame, DataFusionError> {
    let from = lit(ScalarValueDate::days(scope.from));
    let to = lit(ScalarValueDate::days(scope.to));
    let mut regs = tables
        .registrations()?
        .filter(in_list("ods_code", &scope.practices))?
        .filter(col("registered_from").lt_eq(to))?
        .filter(
            col("registered_to")
                .is_null()
                .or(col("registered_to").gt_eq(from)),
        )?;
    if scope.pooled() {
        regs = regs.filter(col("opt_out").not())?;
    }
    regs.select(vec![
        col("pseudonym"),
        col("ods_code"),
        col("year_of_birth"),
        col("month_of_birth"),
        col("sex"),
        col("imd_quintile"),
    ])
}

/// The people registered at any time in the period at the chosen practices (one row each; of
/// two registrations, the lesser of each value), for plans that join other datasets to them.
pub fn denominator(tables: &Tables, scope: &Scope) -> Result<DataFrame, DataFusionError> {
    registration_scan(tables, scope)?.aggregate(
        vec![col("pseudonym")],
        vec![
            min(col("ods_code")).alias("practice"),
            min(col("year_of_birth")).alias("year_of_birth"),
            min(col("month_of_birth")).alias("month_of_birth"),
            min(col("sex")).alias("sex"),
            min(col("imd_quintile")).alias("imd_quintile"),
        ],
    )
}

/// Appointments in the period at the chosen practices (every status).
fn appointments(tables: &Tables, scope: &Scope) -> Result<DataFrame, DataFusionError> {
    let (start, end) = scope.window();
    tables
        .appointments()?
        .filter(in_list("ods_code", &scope.practices))?
        .filter(col("starts_at").gt_eq(start).and(col("starts_at").lt(end)))
}

/// The appointments one pass reads: the period and practices cut in the Parquet scan (row
/// groups and files outside them are never decoded), only the columns the tally uses.
pub fn appointment_scan(tables: &Tables, scope: &Scope) -> Result<DataFrame, DataFusionError> {
    appointments(tables, scope)?.select(vec![
        col("pseudonym"),
        col("starts_at"),
        col("status"),
        col("slot_type"),
        col("clinician_role"),
        col("mode"),
    ])
}

/// Monthly, role and mode counts of counted appointments, and Did Not Attend.
struct Mix {
    monthly: Vec<(String, RawCount)>,
    roles: Vec<(String, RawCount)>,
    modes: Vec<(String, RawCount)>,
    dna: u64,
}

/// A column's few distinct values, numbered as met.
#[derive(Default, Clone)]
struct Vocabulary {
    words: Vec<String>,
}

impl Vocabulary {
    fn id(&mut self, word: &str) -> u16 {
        match self.words.iter().position(|w| w == word) {
            Some(i) => i as u16,
            None => {
                self.words.push(word.to_owned());
                (self.words.len() - 1) as u16
            }
        }
    }

    /// Adds counts of `words` (numbered another way) into `into`, numbered this way.
    fn add_counts(&mut self, into: &mut Vec<u64>, words: &[String], counts: &[u64]) {
        for (word, n) in words.iter().zip(counts) {
            let id = self.id(word) as usize;
            if into.len() <= id {
                into.resize(id + 1, 0);
            }
            into[id] += n;
        }
    }
}

/// What one partition of the appointments adds up to.
#[derive(Clone)]
struct Tally {
    /// Counted appointments per person of the denominator, in its order.
    counts: Vec<u32>,
    /// Counted appointments per UTC day, from the day before the period starts.
    days: Vec<u64>,
    first_day: i64,
    role: Vocabulary,
    mode: Vocabulary,
    /// Counted appointments by role and mode id.
    by_role: Vec<u64>,
    by_mode: Vec<u64>,
    dna: u64,
    /// The last dictionary of pseudonyms met, and each of its entries' place in the
    /// denominator. The Parquet reader gives a row group's batches one shared dictionary, so a
    /// pseudonym is looked up once per row group rather than once per row.
    persons: Option<(ArrayData, Vec<u32>)>,
}

/// The place of someone outside the denominator.
const NOT_REGISTERED: u32 = u32::MAX;

/// A text column of any of Arrow's string layouts.
pub(crate) fn strings(
    array: &dyn Array,
) -> Result<datafusion::arrow::array::ArrayRef, DataFusionError> {
    Ok(match array.data_type() {
        DataType::Utf8 => datafusion::arrow::array::make_array(array.to_data()),
        _ => datafusion::arrow::compute::cast(array, &DataType::Utf8)?,
    })
}

/// A column of words as each row's key and the dictionary's words (any string layout is
/// turned into a dictionary first; the datasets store these columns as dictionaries already).
fn keyed(array: &dyn Array) -> Result<(Vec<i32>, Vec<String>), DataFusionError> {
    let array = match array.data_type() {
        t if *t == words() => datafusion::arrow::array::make_array(array.to_data()),
        _ => datafusion::arrow::compute::cast(array, &words())?,
    };
    let dictionary = array.as_dictionary::<Int32Type>();
    let values = strings(dictionary.values())?;
    let values = values.as_string::<i32>();
    let words = (0..values.len())
        .map(|i| values.value(i).to_owned())
        .collect();
    Ok((dictionary.keys().values().to_vec(), words))
}

impl Tally {
    fn new(people: usize, scope: &Scope) -> Self {
        let day = |d: Date| {
            (d - Date::from_calendar_date(1970, time::Month::January, 1).unwrap_or(d)).whole_days()
        };
        let first_day = day(scope.from) - 1;
        Self {
            counts: vec![0; people],
            days: vec![0; (day(scope.to) + 2 - first_day).max(1) as usize],
            first_day,
            role: Vocabulary::default(),
            mode: Vocabulary::default(),
            by_role: Vec::new(),
            by_mode: Vec::new(),
            dna: 0,
            persons: None,
        }
    }

    /// Each row's person: their place in the denominator, or [`NOT_REGISTERED`].
    fn persons(
        &mut self,
        column: &ArrayRef,
        index: &PeopleIndex,
    ) -> Result<Vec<u32>, DataFusionError> {
        let column = match column.data_type() {
            t if *t == words() => column.clone(),
            _ => datafusion::arrow::compute::cast(column, &words())?,
        };
        let dictionary = column.as_dictionary::<Int32Type>();
        let values = dictionary.values().to_data();
        let known = matches!(&self.persons, Some((seen, _)) if seen.ptr_eq(&values));
        if !known {
            let words = strings(dictionary.values())?;
            let words = words.as_string::<i32>();
            let keys: Vec<Option<Key>> = (0..words.len()).map(|i| raw(words.value(i))).collect();
            let places = index.places(&keys);
            self.persons = Some((values, places));
        }
        let places = self
            .persons
            .as_ref()
            .map(|(_, p)| p.as_slice())
            .unwrap_or(&[]);
        Ok(dictionary
            .keys()
            .values()
            .iter()
            .map(|k| places.get(*k as usize).copied().unwrap_or(NOT_REGISTERED))
            .collect())
    }

    /// Adds one batch of [`appointment_scan`]'s rows; people outside the denominator are left
    /// out, as the inner join of a plan would leave them. The status, slot type, role and mode
    /// come as dictionaries: each word is looked at once per batch, each row only by its key.
    fn add(
        &mut self,
        batch: &datafusion::arrow::record_batch::RecordBatch,
        index: &PeopleIndex,
        rule: &CountingRule,
        with_mix: bool,
    ) -> Result<(), DataFusionError> {
        use datafusion::arrow::datatypes::TimestampMicrosecondType;
        let persons = self.persons(batch.column(0), index)?;
        let starts = batch.column(1).as_primitive::<TimestampMicrosecondType>();
        let (status, status_words) = keyed(batch.column(2))?;
        let (slot, slot_words) = keyed(batch.column(3))?;
        let (role, role_words) = keyed(batch.column(4))?;
        let (mode, mode_words) = keyed(batch.column(5))?;
        let counts_status: Vec<bool> = status_words
            .iter()
            .map(|w| rule.statuses.contains(w))
            .collect();
        let is_dna: Vec<bool> = status_words.iter().map(|w| w == "Did Not Attend").collect();
        let slot_out: Vec<bool> = slot_words
            .iter()
            .map(|w| rule.excluded_slot_types.contains(w))
            .collect();
        let role_out: Vec<bool> = role_words
            .iter()
            .map(|w| rule.excluded_roles.contains(w))
            .collect();
        let role_id: Vec<usize> = role_words
            .iter()
            .map(|w| self.role.id(w) as usize)
            .collect();
        let mode_id: Vec<usize> = mode_words
            .iter()
            .map(|w| self.mode.id(w) as usize)
            .collect();
        let grow = |v: &mut Vec<u64>, ids: &[usize]| {
            let need = ids.iter().max().map_or(0, |m| m + 1);
            if v.len() < need {
                v.resize(need, 0);
            }
        };
        grow(&mut self.by_role, &role_id);
        grow(&mut self.by_mode, &mode_id);
        for (i, person) in persons.into_iter().enumerate() {
            if person == NOT_REGISTERED {
                continue;
            }
            let person = person as usize;
            let s = status[i] as usize;
            if with_mix && is_dna.get(s).copied().unwrap_or(false) {
                self.dna += 1;
            }
            let counted = counts_status.get(s).copied().unwrap_or(false)
                && !slot_out.get(slot[i] as usize).copied().unwrap_or(true)
                && !role_out.get(role[i] as usize).copied().unwrap_or(true);
            if !counted {
                continue;
            }
            self.counts[person] += 1;
            if with_mix {
                let day = starts.value(i).div_euclid(86_400_000_000) - self.first_day;
                if let Some(d) = usize::try_from(day).ok().and_then(|d| self.days.get_mut(d)) {
                    *d += 1;
                }
                if let Some(r) = role_id.get(role[i] as usize) {
                    self.by_role[*r] += 1;
                }
                if let Some(m) = mode_id.get(mode[i] as usize) {
                    self.by_mode[*m] += 1;
                }
            }
        }
        Ok(())
    }

    /// Adds another partition's tally (its vocabulary numbered its own way).
    fn merge(&mut self, other: Tally) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.days.iter_mut().zip(&other.days) {
            *a += b;
        }
        self.dna += other.dna;
        self.role
            .add_counts(&mut self.by_role, &other.role.words, &other.by_role);
        self.mode
            .add_counts(&mut self.by_mode, &other.mode.words, &other.by_mode);
    }

    fn mix(&self) -> Mix {
        use std::collections::BTreeMap;
        let mut monthly: BTreeMap<String, u64> = BTreeMap::new();
        for (d, n) in self.days.iter().enumerate().filter(|(_, n)| **n > 0) {
            let date = Date::from_calendar_date(1970, time::Month::January, 1)
                .map(|e| e + Duration::days(self.first_day + d as i64));
            if let Ok(date) = date {
                *monthly
                    .entry(format!("{:04}-{:02}", date.year(), date.month() as u8))
                    .or_default() += n;
            }
        }
        let named = |vocab: &Vocabulary, counts: &[u64]| {
            let mut m: BTreeMap<String, u64> = BTreeMap::new();
            for (k, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                *m.entry(vocab.words[k].clone()).or_default() += n;
            }
            m.into_iter().map(|(k, v)| (k, RawCount::new(v))).collect()
        };
        Mix {
            monthly: monthly
                .into_iter()
                .map(|(k, v)| (k, RawCount::new(v)))
                .collect(),
            roles: named(&self.role, &self.by_role),
            modes: named(&self.mode, &self.by_mode),
            dna: self.dna,
        }
    }
}

/// The denominator's people by pseudonym (their place in the list), keyed by the pseudonym's 32
/// bytes rather than its 64 hex characters (no allocation per person), in shards by the
/// pseudonym's first byte so that each shard is gathered on a task of its own.
#[derive(Default)]
struct PeopleIndex {
    /// Each shard's people follow the shards before it in the list: (where they start, index).
    shards: Vec<(u32, PseudonymTable)>,
}

/// Lookups whose memory is asked for ahead of the one being answered.
const AHEAD: usize = 8;

/// Shards of the denominator: one per core at least (pseudonyms are uniformly random, so
/// their first byte shares people out evenly).
fn shards() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(2)
}

fn shard_of(key: &Key, shards: usize) -> usize {
    usize::from(key[0]) % shards
}

impl PeopleIndex {
    fn shard(&self, key: &Key) -> Option<&(u32, PseudonymTable)> {
        self.shards.get(shard_of(key, self.shards.len()))
    }

    /// Each key's person: their place in the denominator, or [`NOT_REGISTERED`]. Looked up
    /// with the memory of the lookups [`AHEAD`] asked for in advance.
    fn places(&self, keys: &[Option<Key>]) -> Vec<u32> {
        let prefetch = |key: Option<&Option<Key>>| {
            if let Some(Some(key)) = key {
                if let Some((_, table)) = self.shard(key) {
                    table.prefetch(key);
                }
            }
        };
        keys.iter().take(AHEAD).for_each(|k| prefetch(Some(k)));
        keys.iter()
            .enumerate()
            .map(|(i, key)| {
                prefetch(keys.get(i + AHEAD));
                key.as_ref()
                    .and_then(|key| {
                        let (start, table) = self.shard(key)?;
                        table.get(key).map(|at| at + start)
                    })
                    .unwrap_or(NOT_REGISTERED)
            })
            .collect()
    }
}

/// A pseudonym's 32 bytes (`None` for anything but 64 lower-case hex characters), read through
/// a table rather than the `hex` crate's checks per character: it runs once per person and
/// once per person in each row group, and was the dearest step of the profile.
fn raw(pseudonym: &str) -> Option<Key> {
    const NIBBLES: [u8; 256] = {
        let mut t = [0xffu8; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = match c as u8 {
                d @ b'0'..=b'9' => d - b'0',
                l @ b'a'..=b'f' => l - b'a' + 10,
                _ => 0xff,
            };
            c += 1;
        }
        t
    };
    let bytes: &[u8; 64] = pseudonym.as_bytes().try_into().ok()?;
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (high, low) = (NIBBLES[pair[0] as usize], NIBBLES[pair[1] as usize]);
        invalid |= high | low;
        *o = (high << 4) | low;
    }
    (invalid < 16).then_some(out)
}

/// A pseudonym's text from its bytes, as the importer writes it (64 lower-case hex
/// characters): through a table, once per person of the denominator, where the `hex` crate's
/// character-by-character encoding was a visible part of the profile.
fn written_out(key: &Key) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = Vec::with_capacity(64);
    for b in key {
        text.push(DIGITS[usize::from(b >> 4)]);
        text.push(DIGITS[usize::from(b & 15)]);
    }
    // Every byte pushed is an ASCII digit or letter.
    String::from_utf8(text).unwrap_or_default()
}

/// A registration's sex as one of the words the registrations import allows.
fn sex_of(sex: &str) -> &'static str {
    together_formats::SEXES
        .iter()
        .find(|s| **s == sex)
        .copied()
        .unwrap_or("U")
}

/// One registration as the denominator takes it: no text (the pseudonym is written out once
/// per person, at the end), so that sorting hundreds of thousands of them into shards moves
/// little memory.
#[derive(Clone)]
struct Registration {
    key: Key,
    /// Its place in the scope's practices (the scan keeps no other).
    practice: u32,
    year_of_birth: i32,
    month_of_birth: i32,
    sex: &'static str,
    imd_quintile: Option<i32>,
}

/// One shard of the denominator being gathered: a person per pseudonym, indexed as they come.
struct Registered {
    /// Everyone met, their pseudonym not yet written out.
    people: Vec<PersonCount>,
    index: PseudonymTable,
    /// Each person's pseudonym, and birth year and month (each the lesser of their
    /// registrations).
    keys_and_births: Vec<(Key, (i32, i32))>,
}

impl Registered {
    /// Adds a registration: a new person, or the lesser of each value for someone met before
    /// (as [`denominator`]'s `min` takes them).
    fn add(&mut self, r: &Registration, names: &[std::sync::Arc<str>]) {
        let place = self.people.len() as u32;
        let practice = &names[r.practice as usize];
        if let Some(at) = self.index.get_or_insert(&r.key, place) {
            let at = at as usize;
            let (p, (_, birth)) = (&mut self.people[at], &mut self.keys_and_births[at]);
            if *practice < p.practice {
                p.practice = practice.clone();
            }
            if r.sex < p.sex {
                p.sex = r.sex;
            }
            p.imd_quintile = match (p.imd_quintile, r.imd_quintile) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            *birth = (birth.0.min(r.year_of_birth), birth.1.min(r.month_of_birth));
            return;
        }
        self.keys_and_births
            .push((r.key, (r.year_of_birth, r.month_of_birth)));
        self.people.push(PersonCount {
            pseudonym: String::new(),
            practice: practice.clone(),
            age: 0,
            sex: r.sex,
            imd_quintile: r.imd_quintile,
            appointments: 0,
        });
    }
}

/// A batch of registrations sorted into shards by pseudonym.
fn sort_into_shards(
    b: &datafusion::arrow::record_batch::RecordBatch,
    practices: &[String],
    out: &mut [Vec<Registration>],
) -> Result<(), DataFusionError> {
    let s = |i: usize| strings(b.column(i));
    let (pseudonym, practice, sex) = (s(0)?, s(1)?, s(4)?);
    let (pseudonym, practice, sex) = (
        pseudonym.as_string::<i32>(),
        practice.as_string::<i32>(),
        sex.as_string::<i32>(),
    );
    let yob = b.column(2).as_primitive::<Int32Type>();
    let mob = b.column(3).as_primitive::<Int32Type>();
    let imd = b.column(5).as_primitive::<Int32Type>();
    for i in 0..b.num_rows() {
        let Some(place) = practices.iter().position(|p| p == practice.value(i)) else {
            continue;
        };
        // Only the importer writes pseudonyms, always as [`raw`] reads them; anything else
        // would be no one's.
        let Some(key) = raw(pseudonym.value(i)) else {
            continue;
        };
        out[shard_of(&key, out.len())].push(Registration {
            key,
            practice: place as u32,
            year_of_birth: yob.value(i),
            month_of_birth: mob.value(i),
            sex: sex_of(sex.value(i)),
            imd_quintile: (!imd.is_null(i)).then(|| imd.value(i)),
        });
    }
    Ok(())
}

/// Everyone in the denominator, with no appointments counted yet, in no particular order, and
/// where each is in that list. Each partition of the registrations is read and sorted into
/// shards by pseudonym on a task of its own; each shard is then made one person per pseudonym
/// and indexed on a task of its own — rather than by a hash aggregation on 64-character
/// strings, or by one thread indexing everyone.
async fn registered(
    tables: &Tables,
    scope: &Scope,
) -> Result<(Vec<PersonCount>, PeopleIndex), DataFusionError> {
    let n = shards();
    let practices = std::sync::Arc::new(scope.practices.clone());
    let empty: Vec<Vec<Registration>> = (0..n).map(|_| Vec::new()).collect();
    let parts = fold_partitions(registration_scan(tables, scope)?, empty, move |out, b| {
        sort_into_shards(b, &practices, out)
    })
    .await?;
    let mut by_shard: Vec<Vec<Vec<Registration>>> = (0..n).map(|_| Vec::new()).collect();
    for part in parts {
        for (shard, rows) in by_shard.iter_mut().zip(part) {
            shard.push(rows);
        }
    }
    let from = scope.from;
    let gathering: Vec<_> = by_shard
        .into_iter()
        .map(|parts| {
            // Each task its own names: counting one shared name's users from two threads at
            // once made them wait on each other.
            let names: Vec<std::sync::Arc<str>> =
                scope.practices.iter().map(|p| p.as_str().into()).collect();
            tokio::spawn(async move {
                let rows = parts.iter().map(Vec::len).sum();
                let mut shard = Registered {
                    people: Vec::with_capacity(rows),
                    index: PseudonymTable::with_capacity(rows),
                    keys_and_births: Vec::with_capacity(rows),
                };
                for part in parts {
                    for (i, r) in part.iter().enumerate() {
                        if let Some(next) = part.get(i + AHEAD) {
                            shard.index.prefetch(&next.key);
                        }
                        shard.add(r, &names);
                    }
                }
                for (p, (key, (year, month))) in shard.people.iter_mut().zip(&shard.keys_and_births)
                {
                    p.pseudonym = written_out(key);
                    p.age = age_at(*year, *month, from);
                }
                shard
            })
        })
        .collect();
    let shards = joined(gathering).await?;
    let mut people = Vec::with_capacity(shards.iter().map(|s| s.people.len()).sum());
    let mut index = PeopleIndex::default();
    for shard in shards {
        index.shards.push((people.len() as u32, shard.index));
        people.extend(shard.people);
    }
    Ok((people, index))
}

/// The results of tasks, in order; a task that failed to finish is an error.
async fn joined<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Result<Vec<T>, DataFusionError> {
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|done| done.map_err(|e| DataFusionError::External(Box::new(e))))
        .collect()
}

/// Runs a plan with a task per partition (so both cores work), each folding its batches into
/// its own copy of `start`; the partitions' results, in partition order.
async fn fold_partitions<T, F>(
    plan: DataFrame,
    start: T,
    fold: F,
) -> Result<Vec<T>, DataFusionError>
where
    T: Clone + Send + 'static,
    F: Fn(&mut T, &datafusion::arrow::record_batch::RecordBatch) -> Result<(), DataFusionError>
        + Clone
        + Send
        + 'static,
{
    use futures::StreamExt;
    let task_ctx = std::sync::Arc::new(plan.task_ctx());
    let physical = plan.create_physical_plan().await?;
    let streams = datafusion::physical_plan::execute_stream_partitioned(physical, task_ctx)?;
    let tasks = streams
        .into_iter()
        .map(|mut stream| {
            let (mut acc, fold) = (start.clone(), fold.clone());
            tokio::spawn(async move {
                while let Some(batch) = stream.next().await {
                    fold(&mut acc, &batch?)?;
                }
                Ok::<_, DataFusionError>(acc)
            })
        })
        .collect();
    joined(tasks).await?.into_iter().collect()
}

/// The denominator and one pass over the period's appointments: each partition of the scan is
/// tallied on its own task (so both cores work), then the tallies are added up.
async fn tally(
    tables: &Tables,
    scope: &Scope,
    with_mix: bool,
) -> Result<(Vec<PersonCount>, Mix), DataFusionError> {
    let (mut people, index) = registered(tables, scope).await?;
    let (index, rule) = (std::sync::Arc::new(index), scope.rule.clone());
    let empty = Tally::new(people.len(), scope);
    let parts = fold_partitions(
        appointment_scan(tables, scope)?,
        empty.clone(),
        move |t, b| t.add(b, &index, &rule, with_mix),
    )
    .await?;
    let mut total = empty;
    for tally in parts {
        total.merge(tally);
    }
    for (p, n) in people.iter_mut().zip(&total.counts) {
        p.appointments = u64::from(*n);
    }
    Ok((people, total.mix()))
}

/// The `k` people with most appointments (ties by pseudonym, so the list is stable), without
/// sorting everyone.
fn most_frequent(people: &[PersonCount], k: usize) -> Vec<(String, u64, &'static str)> {
    let order = |a: &&PersonCount, b: &&PersonCount| {
        b.appointments
            .cmp(&a.appointments)
            .then_with(|| a.pseudonym.cmp(&b.pseudonym))
    };
    let mut top: Vec<&PersonCount> = people.iter().filter(|p| p.appointments > 0).collect();
    if top.len() > k {
        top.select_nth_unstable_by(k, order);
        top.truncate(k);
    }
    top.sort_by(order);
    top.into_iter()
        .map(|p| (p.pseudonym.clone(), p.appointments, age_band(p.age)))
        .collect()
}

/// Everyone registered in the period with their counted appointments (zero attenders
/// included), in no particular order, for analyses that need no breakdown of the appointments
/// themselves.
pub async fn people(tables: &Tables, scope: &Scope) -> Result<Vec<PersonCount>, DataFusionError> {
    Ok(tally(tables, scope, false).await?.0)
}

/// Computes the profile.
pub async fn profile(tables: &Tables, scope: &Scope) -> Result<Profile, DataFusionError> {
    let (people, appointment_mix) = tally(tables, scope, true).await?;
    let counts: Vec<u64> = people.iter().map(|p| p.appointments).collect();
    let Concentration {
        top_shares,
        gini,
        lorenz,
        median,
    } = concentration(&counts);
    let total: u64 = counts.iter().sum();
    let registered = people.len() as u64;

    let Mix {
        monthly,
        roles,
        modes,
        dna,
    } = appointment_mix;

    let bands: Vec<String> = AGE_BANDS.iter().map(|b| b.0.to_owned()).collect();
    let by_age = group(&people, |p| age_band(p.age), &bands);
    let by_sex = group(&people, |p| p.sex, &["F".into(), "M".into()]);
    let mut by_practice = group(&people, |p| &p.practice, &scope.practices);
    by_practice.retain(|g| g.people.value() > 0);
    const QUINTILES: [&str; 5] = ["1", "2", "3", "4", "5"];
    let by_deprivation = group(
        &people,
        |p| match p.imd_quintile {
            Some(q @ 1..=5) => QUINTILES[q as usize - 1],
            _ => "Not recorded",
        },
        &QUINTILES.map(String::from),
    );
    let most_frequent = most_frequent(&people, 20);
    Ok(Profile {
        from: scope.from,
        to: scope.to,
        practices: scope.practices.clone(),
        rule: scope.rule.describe(),
        basis: format!(
            "Everyone registered at any time from {} to {}{}; age is age at the start of the period; zero attenders are included.",
            scope.from,
            scope.to,
            if scope.pooled() { ", except people with a national data opt-out (figures pool several practices)" } else { "" }
        ),
        registered: RawCount::new(registered),
        appointments: RawCount::new(total),
        mean: if registered > 0 { total as f64 / registered as f64 } else { 0.0 },
        median,
        top_shares,
        gini,
        lorenz,
        by_age,
        by_sex,
        by_practice,
        by_deprivation,
        monthly,
        roles,
        modes,
        dna_rate: if total + dna > 0 { dna as f64 / (total + dna) as f64 } else { 0.0 },
        most_frequent,
        people,
    })
}

/// Date literals as DataFusion's Date32 (days since 1970).
struct ScalarValueDate;

impl ScalarValueDate {
    fn days(d: Date) -> datafusion::scalar::ScalarValue {
        let epoch = Date::from_calendar_date(1970, time::Month::January, 1).unwrap_or(Date::MIN);
        datafusion::scalar::ScalarValue::Date32(Some((d - epoch).whole_days() as i32))
    }
}

/// A breakdown row, disclosed for its audience.
#[derive(Debug, Clone, Serialize)]
pub struct ShownGroup {
    pub label: String,
    pub people: Count,
    pub appointments: Count,
}

/// The profile as it may be shown to one audience: every count disclosed, the rule stated.
#[derive(Debug, Clone, Serialize)]
pub struct ShownProfile {
    pub from: String,
    pub to: String,
    pub practices: Vec<String>,
    pub basis: String,
    pub counting_rule: String,
    /// The disclosure rule, when it was applied.
    pub disclosure: Option<&'static str>,
    pub registered: Count,
    pub appointments: Count,
    pub mean: f64,
    pub median: f64,
    pub gini: f64,
    pub dna_rate: f64,
    pub top_shares: Vec<(u32, f64)>,
    pub lorenz: Vec<(f64, f64)>,
    pub by_age: Vec<ShownGroup>,
    pub by_sex: Vec<ShownGroup>,
    pub by_practice: Vec<ShownGroup>,
    pub by_deprivation: Vec<ShownGroup>,
    pub monthly: Vec<(String, Count)>,
    pub roles: Vec<(String, Count)>,
    pub modes: Vec<(String, Count)>,
}

impl Profile {
    /// The figures fit for `audience`.
    pub fn shown(&self, audience: Audience) -> ShownProfile {
        let groups = |gs: &[Group]| {
            gs.iter()
                .map(|g| ShownGroup {
                    label: g.label.clone(),
                    people: g.people.disclose(audience),
                    appointments: g.appointments.disclose(audience),
                })
                .collect()
        };
        let tallies = |ts: &[(String, RawCount)]| {
            ts.iter()
                .map(|(k, c)| (k.clone(), c.disclose(audience)))
                .collect()
        };
        ShownProfile {
            from: self.from.to_string(),
            to: self.to.to_string(),
            practices: self.practices.clone(),
            basis: self.basis.clone(),
            counting_rule: self.rule.clone(),
            disclosure: (audience == Audience::Suppressed).then_some(RULE),
            registered: self.registered.disclose(audience),
            appointments: self.appointments.disclose(audience),
            mean: self.mean,
            median: self.median,
            gini: self.gini,
            dna_rate: self.dna_rate,
            top_shares: self.top_shares.clone(),
            lorenz: self.lorenz.clone(),
            by_age: groups(&self.by_age),
            by_sex: groups(&self.by_sex),
            by_practice: groups(&self.by_practice),
            by_deprivation: groups(&self.by_deprivation),
            monthly: tallies(&self.monthly),
            roles: tallies(&self.roles),
            modes: tallies(&self.modes),
        }
    }
}

/// The slot types and clinician roles found in the imported appointments, for choosing which
/// do not count.
pub async fn vocabulary(tables: &Tables) -> Result<(Vec<String>, Vec<String>), DataFusionError> {
    let mut out = Vec::new();
    for column in ["slot_type", "clinician_role"] {
        let batches = tables
            .appointments()?
            .select(vec![col(column)])?
            .distinct()?
            .sort(vec![col(column).sort(true, true)])?
            .collect()
            .await?;
        let mut values = Vec::new();
        for b in batches {
            let v = strings(b.column(0))?;
            let v = v.as_string::<i32>();
            values.extend((0..b.num_rows()).map(|i| v.value(i).to_owned()));
        }
        out.push(values);
    }
    let roles = out.pop().unwrap_or_default();
    let slots = out.pop().unwrap_or_default();
    Ok((slots, roles))
}

#[cfg(test)]
mod tests {
    use super::{ascending, raw, written_out};
    use proptest::prelude::*;

    proptest! {
        /// Written out, a pseudonym's bytes read back as the same text.
        #[test]
        fn a_pseudonym_written_out_reads_back_as_itself(s in "[0-9a-f]{64}") {
            let key = raw(&s);
            prop_assert_eq!(key.map(|k| written_out(&k)), Some(s));
        }

        /// Counted or sorted, the counts come out as a sort gives them.
        #[test]
        fn counts_come_in_ascending_order_however_spread(
            counts in proptest::collection::vec(prop_oneof![0u64..30, any::<u64>()], 0..300),
        ) {
            let mut sorted = counts.clone();
            sorted.sort_unstable();
            prop_assert_eq!(ascending(&counts), sorted);
        }

        /// The table-driven reading of a pseudonym agrees with the `hex` crate on anything, but
        /// takes only the lower case the importer writes (so that writing a key out gives back
        /// the very text read).
        #[test]
        fn a_pseudonym_reads_as_the_hex_crate_reads_it(
            s in prop_oneof!["[0-9a-f]{64}", "[0-9a-fA-F]{64}", "[0-9a-fA-Fg-z]{62,66}", "[0-9a-f]{63}é", "\\PC{0,70}"],
        ) {
            let mut expected = [0u8; 32];
            let valid = hex::decode_to_slice(&s, &mut expected).is_ok()
                && !s.bytes().any(|c| c.is_ascii_uppercase());
            prop_assert_eq!(raw(&s), valid.then_some(expected));
        }
    }
}
