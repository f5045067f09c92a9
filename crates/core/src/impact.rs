//! The money side of "did it help?": what an appointment and an A&E attendance cost (programme
//! settings, shipped with defaults whose source and year are stated, because a saving is only
//! as honest as its unit cost), and what the programme cost, as the PCN enters it.

use crate::hours_expenses::parse_pence;
use crate::people::{parse_date, FieldError};
use serde::{Deserialize, Serialize};
use time::Date;

/// Programme setting holding the unit costs (JSON).
pub const UNIT_COSTS_SETTING: &str = "impact.unit_costs";

/// One unit cost: pence (none: not set, so savings cannot be worked out) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitCost {
    pub pence: Option<i64>,
    pub source: String,
}

/// A unit cost older than this many years is flagged beside every saving it values.
pub const UNIT_COST_YEARS: i32 = 3;

impl UnitCost {
    /// The year of its prices: the first year (1990 to 2099) written in its source.
    pub fn year(&self) -> Option<i32> {
        let digits: Vec<char> = self.source.chars().collect();
        digits.windows(4).enumerate().find_map(|(i, w)| {
            let before = i.checked_sub(1).and_then(|j| digits.get(j));
            let after = digits.get(i + 4);
            let alone = !before.is_some_and(char::is_ascii_digit)
                && !after.is_some_and(char::is_ascii_digit);
            let year: i32 = w.iter().collect::<String>().parse().ok()?;
            (alone && (1990..=2099).contains(&year)).then_some(year)
        })
    }

    /// What a reader should know of its age on `today`: a note when it is more than three
    /// years old (or its year cannot be told).
    pub fn age_note(&self, today: Date) -> Option<String> {
        self.pence?;
        match self.year() {
            Some(y) if today.year() - y > UNIT_COST_YEARS => Some(format!(
                "From {y}: more than {UNIT_COST_YEARS} years old, so savings at today's costs would be higher. The PCN lead can set a current figure."
            )),
            Some(_) => None,
            None => Some("The source gives no year: check it is current.".into()),
        }
    }
}

/// What an avoided GP appointment and an avoided A&E attendance are worth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitCosts {
    pub gp_appointment: UnitCost,
    pub ae_attendance: UnitCost,
}

impl Default for UnitCosts {
    /// Published national figures of the same years (old prices, so savings are understated
    /// rather than inflated); a PCN should set its current local figures.
    fn default() -> Self {
        Self {
            gp_appointment: UnitCost {
                pence: Some(4500),
                source: "PSSRU, Unit Costs of Health and Social Care 2013: a GP surgery consultation of 11.7 minutes, £45 (2013 prices)".into(),
            },
            ae_attendance: UnitCost {
                pence: Some(11400),
                source: "NHS National Schedule of Reference Costs 2013–14: an emergency department attendance not admitted, weighted average £114 (2013–14 prices)".into(),
            },
        }
    }
}

/// The unit costs form: amounts in pounds (blank: not set) and their sources.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UnitCostsForm {
    pub gp_pounds: String,
    pub gp_source: String,
    pub ae_pounds: String,
    pub ae_source: String,
}

impl UnitCostsForm {
    pub fn parse(&self) -> Result<UnitCosts, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut one = |field: &'static str, amount: &str, source: &str, source_field| {
            let pence = if amount.trim().is_empty() {
                None
            } else {
                match parse_pence(amount).filter(|p| (1..=1_000_000).contains(p)) {
                    Some(p) => Some(p),
                    None => {
                        errors.push(FieldError {
                            field,
                            message: "Enter an amount in pounds between £0.01 and £10,000, like 45 or 45.50, or leave it blank".into(),
                        });
                        None
                    }
                }
            };
            let source = source.trim();
            if pence.is_some() && source.is_empty() {
                errors.push(FieldError {
                    field: source_field,
                    message:
                        "Say where the figure comes from and its year, so a reader can check it"
                            .into(),
                });
            }
            UnitCost {
                pence,
                source: source.chars().take(300).collect(),
            }
        };
        let costs = UnitCosts {
            gp_appointment: one("gp_pounds", &self.gp_pounds, &self.gp_source, "gp_source"),
            ae_attendance: one("ae_pounds", &self.ae_pounds, &self.ae_source, "ae_source"),
        };
        if errors.is_empty() {
            Ok(costs)
        } else {
            Err(errors)
        }
    }
}

/// What the programme spent money on (champions' expenses come from their claims, and their
/// time is valued apart, never mixed into the costs or the savings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostCategory {
    StaffTime,
    Venues,
    Equipment,
    Other,
}

impl CostCategory {
    pub const ALL: [CostCategory; 4] = [
        CostCategory::StaffTime,
        CostCategory::Venues,
        CostCategory::Equipment,
        CostCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CostCategory::StaffTime => "staff_time",
            CostCategory::Venues => "venues",
            CostCategory::Equipment => "equipment",
            CostCategory::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CostCategory::StaffTime => "Staff time",
            CostCategory::Venues => "Venues",
            CostCategory::Equipment => "Equipment",
            CostCategory::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A cost of the programme over a period, as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProgrammeCost {
    pub category: CostCategory,
    pub description: String,
    pub from: Date,
    pub to: Date,
    pub pence: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProgrammeCostForm {
    pub category: String,
    pub description: String,
    pub from: String,
    pub to: String,
    pub amount: String,
}

impl ProgrammeCostForm {
    pub fn parse(&self) -> Result<NewProgrammeCost, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field, message: &str| {
            errors.push(FieldError {
                field,
                message: message.into(),
            })
        };
        let category = CostCategory::parse(&self.category);
        if category.is_none() {
            err("category", "Choose what the money was spent on");
        }
        let description = self.description.trim();
        if description.is_empty() || description.chars().count() > 200 {
            err(
                "description",
                "Say what it was, like \"Link worker, two days a week\" (at most 200 characters)",
            );
        }
        let from = parse_date(&self.from);
        if from.is_none() {
            err("from", "Enter the first day it covers, like 1/4/2024");
        }
        let to = parse_date(&self.to);
        match (from, to) {
            (_, None) => err("to", "Enter the last day it covers, like 31/3/2025"),
            (Some(f), Some(t)) if t < f => err("to", "The last day must be on or after the first"),
            _ => {}
        }
        let pence = parse_pence(&self.amount).filter(|p| (1..=10_000_000_000).contains(p));
        if pence.is_none() {
            err(
                "amount",
                "Enter the amount in pounds, like 1200 or 1,200.50",
            );
        }
        match (category, from, to, pence) {
            (Some(category), Some(from), Some(to), Some(pence)) if errors.is_empty() => {
                Ok(NewProgrammeCost {
                    category,
                    description: description.to_owned(),
                    from,
                    to,
                    pence,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_cost_is_parsed_or_every_problem_is_named() {
        let ok = ProgrammeCostForm {
            category: "venues".into(),
            description: " Church hall hire ".into(),
            from: "1/4/2024".into(),
            to: "2025-03-31".into(),
            amount: "£1,200.50".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(
            ok,
            NewProgrammeCost {
                category: CostCategory::Venues,
                description: "Church hall hire".into(),
                from: date!(2024 - 04 - 01),
                to: date!(2025 - 03 - 31),
                pence: 120_050,
            }
        );
        let bad = ProgrammeCostForm {
            category: "bribes".into(),
            description: "".into(),
            from: "1/4/2025".into(),
            to: "1/4/2024".into(),
            amount: "lots".into(),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["category", "description", "to", "amount"]);
    }

    #[test]
    fn unit_costs_default_to_stated_sources_and_may_be_cleared() {
        let d = UnitCosts::default();
        assert_eq!(d.gp_appointment.pence, Some(4500));
        assert!(d.gp_appointment.source.contains("2013"));
        assert!(d.ae_attendance.source.contains("Reference Costs"));
        let cleared = UnitCostsForm {
            gp_pounds: "".into(),
            gp_source: "".into(),
            ae_pounds: "130".into(),
            ae_source: "Our trust's 2025/26 tariff".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(cleared.gp_appointment.pence, None);
        assert_eq!(cleared.ae_attendance.pence, Some(13000));
        let json = serde_json::to_string(&cleared).unwrap();
        assert_eq!(serde_json::from_str::<UnitCosts>(&json).unwrap(), cleared);
        let unsourced = UnitCostsForm {
            gp_pounds: "50".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(unsourced[0].field, "gp_source");
    }
}

/// Savings are estimates with an interval: they are given to the nearest £100, never to the
/// penny.
pub const SAVINGS_TO_PENCE: f64 = 10_000.0;

/// A sum of money estimated (in pence) as it is given: to the nearest £100.
pub fn round_savings(pence: f64) -> f64 {
    (pence / SAVINGS_TO_PENCE).round() * SAVINGS_TO_PENCE
}

/// A ratio to two significant figures (a return per £1 of £1.43 is "£1.4"): a board should not
/// read more precision into it than the interval allows.
pub fn two_significant(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

#[cfg(test)]
mod board_rounding {
    use super::*;

    #[test]
    fn savings_go_to_the_nearest_hundred_pounds_and_returns_to_two_figures() {
        assert_eq!(round_savings(1_234_567.0), 1_230_000.0);
        assert_eq!(round_savings(-4_950.0), 0.0);
        assert_eq!(two_significant(1.4349), 1.4);
        assert_eq!(two_significant(0.06251), 0.063);
        assert_eq!(two_significant(-12.6), -13.0);
        assert_eq!(two_significant(0.0), 0.0);
        assert_eq!(crate::hours_expenses::whole_pounds(1_230_049), "£12,300");
    }

    #[test]
    fn a_unit_cost_more_than_three_years_old_says_so() {
        let today = time::macros::date!(2026 - 12 - 07);
        let shipped = UnitCosts::default();
        assert_eq!(shipped.gp_appointment.year(), Some(2013));
        assert!(shipped
            .gp_appointment
            .age_note(today)
            .unwrap()
            .starts_with("From 2013"));
        let recent = UnitCost {
            pence: Some(4900),
            source: "Local tariff 2024/25, table 3".into(),
        };
        assert_eq!(recent.age_note(today), None);
        let unknown = UnitCost {
            pence: Some(4900),
            source: "our finance team".into(),
        };
        assert!(unknown.age_note(today).is_some());
    }
}
