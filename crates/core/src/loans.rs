//! Equipment loans: the PCN's blood-pressure monitors (and whatever else it lends), their
//! condition and cleaning, loans to a person with a due date, and the readings brought back.
//! Readings are clinical: what is typed here is checked here, and only the person's own
//! clinician ever reads it back (the policy's `ViewReadings`).

use crate::partners::text;
use crate::people::{parse_date, FieldError};
use crate::{ChampionId, ItemId, ServiceId};
use serde::Deserialize;
use time::{Date, Duration};

/// What an item is.
pub const ITEM_KINDS: &[(&str, &str)] = &[
    ("blood_pressure_monitor", "Blood pressure monitor"),
    ("pulse_oximeter", "Pulse oximeter"),
    ("weighing_scales", "Weighing scales"),
    ("other", "Other equipment"),
];

/// The state an item is in. Only good and worn items go out on loan.
pub const CONDITIONS: &[(&str, &str)] = &[
    ("good", "Good"),
    ("worn", "Worn but working"),
    ("needs_repair", "Needs repair: do not lend"),
    ("retired", "Retired"),
];

/// Whether an item in this condition may be lent.
pub fn lendable(condition: &str) -> bool {
    matches!(condition, "good" | "worn")
}

/// How long a loan runs unless the lender says otherwise: a week of home readings (NICE NG136
/// asks for at least four days, ideally seven) with a week to bring it back.
pub const DEFAULT_LOAN_DAYS: i64 = 14;
/// The longest loan that can be agreed at once.
pub const MAX_LOAN_DAYS: i64 = 90;
/// How often an overdue loan is reminded of.
pub const REMIND_EVERY_DAYS: i64 = 7;

fn chosen(
    list: &[(&'static str, &'static str)],
    field: &'static str,
    v: &str,
    message: &str,
    errors: &mut Vec<FieldError>,
) -> &'static str {
    match list.iter().find(|(k, _)| *k == v.trim()) {
        Some((k, _)) => k,
        None => {
            errors.push(FieldError {
                field,
                message: message.into(),
            });
            ""
        }
    }
}

fn optional_id<T: std::str::FromStr>(
    field: &'static str,
    v: &str,
    message: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let v = v.trim();
    if v.is_empty() || v == "none" {
        return None;
    }
    let id = v.parse().ok();
    if id.is_none() {
        errors.push(FieldError {
            field,
            message: message.into(),
        });
    }
    id
}

/// An item for the inventory, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ItemForm {
    pub item_kind: String,
    pub name: String,
    pub serial: String,
    pub condition: String,
    /// The equipment-loan offer it is lent through, or empty.
    pub offer_id: String,
    pub notes: String,
}

/// A checked item.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub kind: &'static str,
    pub name: String,
    /// The maker's serial number, unique in the PCN so two monitors are never confused.
    pub serial: String,
    pub condition: &'static str,
    pub offer: Option<ServiceId>,
    pub notes: String,
}

impl ItemForm {
    pub fn parse(&self) -> Result<NewItem, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = chosen(
            ITEM_KINDS,
            "item_kind",
            &self.item_kind,
            "Choose what kind of equipment it is",
            &mut errors,
        );
        let name = text(
            "name",
            &self.name,
            100,
            Some("Give it a name people will recognise, like \"Omron M3 number 4\""),
            &mut errors,
        );
        let serial = text(
            "serial",
            &self.serial,
            60,
            Some("Enter the serial number from the label on the back"),
            &mut errors,
        );
        if serial.chars().any(char::is_control) {
            errors.push(FieldError {
                field: "serial",
                message: "The serial number must be on one line".into(),
            });
        }
        let condition = chosen(
            CONDITIONS,
            "condition",
            &self.condition,
            "Choose what condition it is in",
            &mut errors,
        );
        let offer = optional_id(
            "offer_id",
            &self.offer_id,
            "Choose the offer it is lent through, or none",
            &mut errors,
        );
        let notes = text("notes", &self.notes, 1000, None, &mut errors);
        if errors.is_empty() {
            Ok(NewItem {
                kind,
                name,
                serial,
                condition,
                offer,
                notes,
            })
        } else {
            Err(errors)
        }
    }
}

/// A cleaning of an item, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CleaningForm {
    pub cleaned_on: String,
    pub note: String,
}

/// A checked cleaning.
#[derive(Debug, Clone)]
pub struct NewCleaning {
    pub cleaned_on: Date,
    pub note: String,
}

fn past_date(
    field: &'static str,
    v: &str,
    today: Date,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Date> {
    if v.trim().is_empty() {
        return Some(today);
    }
    match parse_date(v) {
        Some(d) if d > today => {
            errors.push(FieldError {
                field,
                message: format!("The date it was {what} cannot be in the future"),
            });
            None
        }
        Some(d) => Some(d),
        None => {
            errors.push(FieldError {
                field,
                message: format!(
                    "Enter the date it was {what}, for example {}",
                    crate::people::uk_date(today)
                ),
            });
            None
        }
    }
}

impl CleaningForm {
    /// An empty date means today.
    pub fn parse(&self, today: Date) -> Result<NewCleaning, Vec<FieldError>> {
        let mut errors = Vec::new();
        let cleaned_on = past_date(
            "cleaned_on",
            &self.cleaned_on,
            today,
            "cleaned",
            &mut errors,
        );
        let note = text("note", &self.note, 500, None, &mut errors);
        match cleaned_on {
            Some(cleaned_on) if errors.is_empty() => Ok(NewCleaning { cleaned_on, note }),
            _ => Err(errors),
        }
    }
}

/// A loan to a person, as typed on their record.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoanForm {
    pub item_id: String,
    pub due_on: String,
    /// The champion who takes it to them and brings it back, or empty.
    pub handled_by: String,
}

/// A checked loan.
#[derive(Debug, Clone)]
pub struct NewLoan {
    pub item: ItemId,
    pub due_on: Date,
    pub handled_by: Option<ChampionId>,
}

impl LoanForm {
    pub fn parse(&self, today: Date) -> Result<NewLoan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let item = self.item_id.trim().parse::<ItemId>().ok();
        if item.is_none() {
            errors.push(FieldError {
                field: "item_id",
                message: "Choose the item to lend".into(),
            });
        }
        let due_on = if self.due_on.trim().is_empty() {
            Some(today + Duration::days(DEFAULT_LOAN_DAYS))
        } else {
            match parse_date(&self.due_on) {
                Some(d) if d <= today => {
                    errors.push(FieldError {
                        field: "due_on",
                        message: "The date it is due back must be after today".into(),
                    });
                    None
                }
                Some(d) if d > today + Duration::days(MAX_LOAN_DAYS) => {
                    errors.push(FieldError {
                        field: "due_on",
                        message: format!(
                            "A loan can run for up to {MAX_LOAN_DAYS} days: choose an earlier date"
                        ),
                    });
                    None
                }
                Some(d) => Some(d),
                None => {
                    errors.push(FieldError {
                        field: "due_on",
                        message: format!(
                            "Enter the date it is due back, for example {}",
                            crate::people::uk_date(today + Duration::days(DEFAULT_LOAN_DAYS))
                        ),
                    });
                    None
                }
            }
        };
        let handled_by = optional_id(
            "handled_by",
            &self.handled_by,
            "Choose the champion who takes it to them, or nobody",
            &mut errors,
        );
        match (item, due_on) {
            (Some(item), Some(due_on)) if errors.is_empty() => Ok(NewLoan {
                item,
                due_on,
                handled_by,
            }),
            _ => Err(errors),
        }
    }
}

/// One blood-pressure reading in mmHg, with the pulse when the monitor showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BpReading {
    pub systolic: i64,
    pub diastolic: i64,
    pub pulse: Option<i64>,
}

impl std::fmt::Display for BpReading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.systolic, self.diastolic)?;
        if let Some(p) = self.pulse {
            write!(f, ", pulse {p}")?;
        }
        Ok(())
    }
}

/// Parses "142/88" or "142/88 72" (systolic/diastolic, then the pulse); the ranges are wide
/// enough for any real reading and narrow enough to catch a slip of the finger.
pub fn parse_reading(s: &str) -> Result<BpReading, String> {
    let s = s.trim();
    let (bp, pulse) = match s.split_once(|c: char| c.is_whitespace() || c == ',') {
        Some((bp, rest)) => (bp.trim(), Some(rest.trim_start_matches([',', ' ']).trim())),
        None => (s, None),
    };
    let Some((sys, dia)) = bp.split_once('/') else {
        return Err(format!(
            "\"{s}\" is not a reading: write it as top number/bottom number, like 138/86"
        ));
    };
    let number = |v: &str, what: &str, lo: i64, hi: i64| -> Result<i64, String> {
        match v.trim().parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(n),
            Ok(n) => Err(format!(
                "{what} of {n} is outside {lo} to {hi}: check it was copied correctly"
            )),
            Err(_) => Err(format!("\"{}\" is not a number ({what})", v.trim())),
        }
    };
    let systolic = number(sys, "A top number", 60, 260)?;
    let diastolic = number(dia, "A bottom number", 30, 160)?;
    if diastolic >= systolic {
        return Err(format!(
            "In {systolic}/{diastolic} the bottom number is not below the top one: check the order"
        ));
    }
    let pulse = match pulse.filter(|p| !p.is_empty()) {
        Some(p) => Some(number(p, "A pulse", 30, 220)?),
        None => None,
    };
    Ok(BpReading {
        systolic,
        diastolic,
        pulse,
    })
}

/// The mean of readings, rounded to whole mmHg (and the pulse over those that have one).
pub fn average(readings: &[BpReading]) -> Option<BpReading> {
    if readings.is_empty() {
        return None;
    }
    let n = readings.len() as f64;
    let mean = |f: &dyn Fn(&BpReading) -> i64| {
        (readings.iter().map(f).sum::<i64>() as f64 / n).round() as i64
    };
    let pulses: Vec<i64> = readings.iter().filter_map(|r| r.pulse).collect();
    Some(BpReading {
        systolic: mean(&|r| r.systolic),
        diastolic: mean(&|r| r.diastolic),
        pulse: (!pulses.is_empty())
            .then(|| (pulses.iter().sum::<i64>() as f64 / pulses.len() as f64).round() as i64),
    })
}

/// How a home average compares with the NICE NG136 thresholds for home monitoring, for the
/// clinician reading it (the decision stays theirs).
pub fn home_threshold(avg: &BpReading) -> &'static str {
    if avg.systolic >= 150 || avg.diastolic >= 95 {
        "At or above 150/95, the NICE home threshold for stage 2 hypertension"
    } else if avg.systolic >= 135 || avg.diastolic >= 85 {
        "At or above 135/85, the NICE home threshold for stage 1 hypertension"
    } else {
        "Below 135/85, the NICE home threshold"
    }
}

/// What was brought back: each reading, or only their average with how many it was taken over
/// (when the person wrote down the average alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReadings {
    pub readings: Vec<BpReading>,
    /// Set when `readings` holds one average of this many readings.
    pub average_of: Option<i64>,
}

/// The return of a loan, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReturnForm {
    pub returned_on: String,
    pub condition: String,
    /// "yes" when it was cleaned as it came back.
    pub cleaned: String,
    /// One reading per line.
    pub readings: String,
    /// When the only line is an average: how many readings it is the average of.
    pub average_of: String,
}

/// A checked return.
#[derive(Debug, Clone)]
pub struct NewReturn {
    pub returned_on: Date,
    pub condition: &'static str,
    pub cleaned: bool,
    pub readings: Option<NewReadings>,
}

impl ReturnForm {
    /// `lent_on` bounds the return date; an empty date means today.
    pub fn parse(&self, today: Date, lent_on: Date) -> Result<NewReturn, Vec<FieldError>> {
        let mut errors = Vec::new();
        let returned_on = past_date(
            "returned_on",
            &self.returned_on,
            today,
            "brought back",
            &mut errors,
        );
        if let Some(d) = returned_on.filter(|d| *d < lent_on) {
            errors.push(FieldError {
                field: "returned_on",
                message: format!(
                    "It was lent on {}: it cannot have come back on {}",
                    crate::people::uk_date(lent_on),
                    crate::people::uk_date(d)
                ),
            });
        }
        let condition = chosen(
            CONDITIONS,
            "condition",
            &self.condition,
            "Choose what condition it came back in",
            &mut errors,
        );
        let mut readings = Vec::new();
        for (i, line) in self.readings.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match parse_reading(line) {
                Ok(r) => readings.push(r),
                Err(e) => errors.push(FieldError {
                    field: "readings",
                    message: format!("Line {}: {e}", i + 1),
                }),
            }
        }
        if readings.len() > 200 {
            errors.push(FieldError {
                field: "readings",
                message: "Enter up to 200 readings (or their average)".into(),
            });
        }
        let average_of = match self.average_of.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(n) if (2..=200).contains(&n) && readings.len() == 1 => Some(n),
                Ok(n) if (2..=200).contains(&n) => {
                    errors.push(FieldError {
                        field: "average_of",
                        message: "Leave this empty when you enter each reading: it is for a single average".into(),
                    });
                    None
                }
                _ => {
                    errors.push(FieldError {
                        field: "average_of",
                        message: "Enter how many readings the average is of, from 2 to 200".into(),
                    });
                    None
                }
            },
        };
        match returned_on {
            Some(returned_on) if errors.is_empty() => Ok(NewReturn {
                returned_on,
                condition,
                cleaned: self.cleaned == "yes",
                readings: (!readings.is_empty()).then_some(NewReadings {
                    readings,
                    average_of,
                }),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 01);

    #[test]
    fn readings_parse_with_or_without_a_pulse() {
        assert_eq!(
            parse_reading(" 142/88 72 ").unwrap(),
            BpReading {
                systolic: 142,
                diastolic: 88,
                pulse: Some(72)
            }
        );
        assert_eq!(parse_reading("138/86, 70").unwrap().pulse, Some(70));
        assert_eq!(parse_reading("138/86").unwrap().pulse, None);
    }

    #[test]
    fn slips_of_the_finger_are_caught_with_a_reason() {
        assert!(parse_reading("1420/88")
            .unwrap_err()
            .contains("outside 60 to 260"));
        assert!(parse_reading("88/142")
            .unwrap_err()
            .contains("check the order"));
        assert!(parse_reading("142 88")
            .unwrap_err()
            .contains("top number/bottom"));
        assert!(parse_reading("142/8x")
            .unwrap_err()
            .contains("not a number"));
        assert!(parse_reading("142/88 400").unwrap_err().contains("pulse"));
    }

    #[test]
    fn the_average_rounds_and_counts_pulses_only_where_given() {
        let r = |s: &str| parse_reading(s).unwrap();
        let avg = average(&[r("140/90 70"), r("135/85"), r("138/86 75")]).unwrap();
        assert_eq!(
            (avg.systolic, avg.diastolic, avg.pulse),
            (138, 87, Some(73))
        );
        assert!(home_threshold(&avg).contains("stage 1"));
        assert!(home_threshold(&r("151/80")).contains("stage 2"));
        assert!(home_threshold(&r("128/80")).contains("Below"));
        assert_eq!(average(&[]), None);
    }

    #[test]
    fn a_return_names_the_line_of_a_wrong_reading_and_keeps_nothing() {
        let f = ReturnForm {
            condition: "good".into(),
            readings: "140/90\n\n14/90\n".into(),
            ..Default::default()
        };
        let errs = f.parse(TODAY, date!(2026 - 11 - 20)).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].message.starts_with("Line 3:"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn an_average_is_one_line_with_how_many_it_covers() {
        let mut f = ReturnForm {
            condition: "worn".into(),
            cleaned: "yes".into(),
            readings: "137/84".into(),
            average_of: "14".into(),
            ..Default::default()
        };
        let r = f.parse(TODAY, date!(2026 - 11 - 20)).unwrap();
        assert_eq!(r.returned_on, TODAY);
        assert!(r.cleaned);
        assert_eq!(r.readings.unwrap().average_of, Some(14));
        f.readings = "137/84\n140/88".into();
        let errs = f.parse(TODAY, date!(2026 - 11 - 20)).unwrap_err();
        assert_eq!(errs[0].field, "average_of");
    }

    #[test]
    fn it_cannot_come_back_before_it_went_out_or_in_the_future() {
        let mut f = ReturnForm {
            condition: "good".into(),
            returned_on: "19/11/2026".into(),
            ..Default::default()
        };
        assert_eq!(
            f.parse(TODAY, date!(2026 - 11 - 20)).unwrap_err()[0].field,
            "returned_on"
        );
        f.returned_on = "02/12/2026".into();
        assert!(f.parse(TODAY, date!(2026 - 11 - 20)).is_err());
        f.returned_on = String::new();
        assert!(f
            .parse(TODAY, date!(2026 - 11 - 20))
            .unwrap()
            .readings
            .is_none());
    }

    #[test]
    fn loans_default_to_two_weeks_and_never_run_past_ninety_days() {
        let f = LoanForm {
            item_id: ItemId::new().to_string(),
            ..Default::default()
        };
        assert_eq!(f.parse(TODAY).unwrap().due_on, date!(2026 - 12 - 15));
        let mut f = f.clone();
        f.due_on = "01/12/2026".into();
        assert_eq!(f.parse(TODAY).unwrap_err()[0].field, "due_on");
        f.due_on = "2027-03-02".into();
        assert!(f.parse(TODAY).unwrap_err()[0].message.contains("90 days"));
        f.due_on = "2027-03-01".into();
        assert!(f.parse(TODAY).is_ok());
        f.handled_by = "not-an-id".into();
        assert_eq!(f.parse(TODAY).unwrap_err()[0].field, "handled_by");
    }

    #[test]
    fn items_need_a_kind_a_name_a_serial_and_a_condition() {
        let errs = ItemForm::default().parse().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["item_kind", "name", "serial", "condition"]);
        let ok = ItemForm {
            item_kind: "blood_pressure_monitor".into(),
            name: "Omron M3 number 4".into(),
            serial: "20231104LG".into(),
            condition: "good".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert!(lendable(ok.condition));
        assert!(!lendable("needs_repair"));
    }
}
