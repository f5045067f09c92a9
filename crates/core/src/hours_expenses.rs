//! Champions' hours and expenses: what a valid entry is, money in pence, mileage at the PCN's
//! rate, and which receipt files are accepted (images only, recognised by their first bytes, not
//! by the name a phone gives them).

use crate::people::{parse_date, FieldError};
use crate::ServiceId;
use serde::Deserialize;
use time::Date;

/// Programme setting: pence paid per mile (HMRC's approved rate for the first 10,000 business
/// miles a year by car is 45p; the default).
pub const MILEAGE_RATE_SETTING: &str = "champions.mileage_pence_per_mile";
pub const DEFAULT_MILEAGE_PENCE: i64 = 45;
/// Programme setting: the value given to an hour of a champion's time in the impact report.
pub const HOURLY_VALUE_SETTING: &str = "champions.hourly_value_pence";
/// £12.21, the National Living Wage from April 2025 (a conservative value of an hour gifted).
pub const DEFAULT_HOURLY_VALUE_PENCE: i64 = 1221;
/// The largest receipt image accepted.
pub const RECEIPT_MAX_BYTES: usize = 5 * 1024 * 1024;

/// A pence setting: 0 to £100 in pence, the default when unset or unreadable.
pub fn pence_setting(setting: Option<&str>, default: i64) -> i64 {
    setting
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|p| (0..=10_000).contains(p))
        .unwrap_or(default)
}

/// "£1,234.50" for pence.
pub fn money(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    format!("{sign}£{}.{:02}", thousands(p / 100), p % 100)
}

/// Whole pounds, as a board reads a sum that is not exact to the penny: "£12,300".
pub fn whole_pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    format!("{sign}£{}", thousands((p + 50) / 100))
}

/// A whole number with commas between thousands.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}

/// Parses "12", "12.5", "£12.50" into pence; `None` for anything else or more than two decimals.
pub fn parse_pence(s: &str) -> Option<i64> {
    let s = s.trim().trim_start_matches('£').replace(',', "");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 {
        return None;
    }
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !(digits(whole) || whole.is_empty()) || !(digits(frac) || frac.is_empty()) {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    w.checked_mul(100)?.checked_add(f)
}

/// Parses a duration typed as "2", "1.5" or "1:30" into minutes.
pub fn parse_minutes(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some((h, m)) = s.split_once(':') {
        let h: i64 = h.trim().parse().ok()?;
        let m: i64 = m.trim().parse().ok()?;
        return (h >= 0 && (0..60).contains(&m)).then_some(h * 60 + m);
    }
    let hours = parse_pence(s)?; // hundredths of an hour
    Some((hours * 60 + 50) / 100)
}

/// A date a champion claims for: not in the future, and within the last year (older claims go
/// to the coordinator by hand).
fn claim_date(v: &str, today: Date, errors: &mut Vec<FieldError>) -> Option<Date> {
    match parse_date(v) {
        Some(d) if d > today => {
            errors.push(FieldError {
                field: "on",
                message: "The date cannot be in the future".into(),
            });
            None
        }
        Some(d) if (today - d).whole_days() > 366 => {
            errors.push(FieldError {
                field: "on",
                message: "That is more than a year ago: ask your volunteer coordinator".into(),
            });
            None
        }
        Some(d) => Some(d),
        None => {
            errors.push(FieldError {
                field: "on",
                message: "Enter the date, for example 24/11/2026".into(),
            });
            None
        }
    }
}

fn short_text(field: &'static str, v: &str, missing: &str, errors: &mut Vec<FieldError>) -> String {
    let v = v.trim();
    if v.is_empty() {
        errors.push(FieldError {
            field,
            message: missing.into(),
        });
    } else if v.chars().count() > 200 || v.chars().any(char::is_control) {
        errors.push(FieldError {
            field,
            message: "Keep it to 200 characters on one line".into(),
        });
    }
    v.to_owned()
}

/// Hours as typed on a phone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HoursForm {
    pub on: String,
    pub hours: String,
    /// What the time was for: an offer, a session, or general ("phoning round the walkers").
    pub activity: String,
    /// The offer it was for, if one (named apart from the expense form's on the same page).
    #[serde(rename = "hours_offer_id")]
    pub offer_id: String,
}

/// Checked hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHours {
    pub on: Date,
    pub minutes: i64,
    pub activity: String,
    /// The offer the time was given to; `None`: general.
    pub offer: Option<ServiceId>,
}

/// The offer a claim is for, from a list whose first choice is "none".
fn offer_choice(field: &'static str, v: &str, errors: &mut Vec<FieldError>) -> Option<ServiceId> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    let id = v.parse().ok();
    if id.is_none() {
        errors.push(FieldError {
            field,
            message: "Choose an offer from the list, or none".into(),
        });
    }
    id
}

impl HoursForm {
    pub fn parse(&self, today: Date) -> Result<NewHours, Vec<FieldError>> {
        let mut errors = Vec::new();
        let on = claim_date(&self.on, today, &mut errors);
        let minutes = match parse_minutes(&self.hours) {
            Some(m) if (1..=16 * 60).contains(&m) => Some(m),
            Some(m) if m > 16 * 60 => {
                errors.push(FieldError {
                    field: "hours",
                    message: "That is more than 16 hours in a day: log each day on its own".into(),
                });
                None
            }
            _ => {
                errors.push(FieldError {
                    field: "hours",
                    message: "Enter the time, like 2, 1.5 or 1:30".into(),
                });
                None
            }
        };
        let activity = short_text(
            "activity",
            &self.activity,
            "Say what the time was for, like \"Tuesday health walk\"",
            &mut errors,
        );
        let offer = offer_choice("hours_offer_id", &self.offer_id, &mut errors);
        match (on, minutes) {
            (Some(on), Some(minutes)) if errors.is_empty() => Ok(NewHours {
                on,
                minutes,
                activity,
                offer,
            }),
            _ => Err(errors),
        }
    }
}

/// An expense is an actual cost (with a receipt if there is one) or miles driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpenseKind {
    Cost,
    Mileage,
}

impl ExpenseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpenseKind::Cost => "cost",
            ExpenseKind::Mileage => "mileage",
        }
    }
}

/// An expense as typed (the receipt travels beside it).
#[derive(Debug, Clone, Default)]
pub struct ExpenseForm {
    pub on: String,
    /// "cost" or "mileage".
    pub kind: String,
    pub description: String,
    pub amount: String,
    pub miles: String,
    /// The offer it was for, if one.
    pub offer_id: String,
}

/// A checked expense; `pence` is what is owed (for mileage, miles × the PCN's rate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExpense {
    pub on: Date,
    pub kind: ExpenseKind,
    pub description: String,
    pub pence: i64,
    /// Tenths of a mile, for mileage.
    pub tenths_of_miles: Option<i64>,
    pub pence_per_mile: Option<i64>,
    /// The offer it was for; `None`: general.
    pub offer: Option<ServiceId>,
}

impl ExpenseForm {
    pub fn parse(&self, today: Date, pence_per_mile: i64) -> Result<NewExpense, Vec<FieldError>> {
        let mut errors = Vec::new();
        let on = claim_date(&self.on, today, &mut errors);
        let description = short_text(
            "description",
            &self.description,
            "Say what it was for, like \"Tea and biscuits for the walking group\"",
            &mut errors,
        );
        let kind = match self.kind.as_str() {
            "cost" => Some(ExpenseKind::Cost),
            "mileage" => Some(ExpenseKind::Mileage),
            _ => {
                errors.push(FieldError {
                    field: "kind",
                    message: "Choose a cost you paid or miles you drove".into(),
                });
                None
            }
        };
        let mut amount = None;
        let mut tenths = None;
        match kind {
            Some(ExpenseKind::Cost) => match parse_pence(&self.amount) {
                Some(p) if (1..=50_000).contains(&p) => amount = Some(p),
                Some(p) if p > 50_000 => errors.push(FieldError {
                    field: "amount",
                    message: "Claims over £500 go to your volunteer coordinator by hand".into(),
                }),
                _ => errors.push(FieldError {
                    field: "amount",
                    message: "Enter the amount in pounds and pence, like 4.50".into(),
                }),
            },
            Some(ExpenseKind::Mileage) => {
                // Miles to one decimal place, held as tenths.
                match parse_pence(&self.miles).filter(|h| h % 10 == 0) {
                    Some(h) if (1..=50_000).contains(&(h / 10)) => {
                        let t = h / 10;
                        tenths = Some(t);
                        amount = Some((t * pence_per_mile + 5) / 10);
                    }
                    _ => errors.push(FieldError {
                        field: "miles",
                        message: "Enter the miles, like 12 or 12.5 (up to 5,000)".into(),
                    }),
                }
            }
            None => {}
        }
        let offer = offer_choice("expense_offer_id", &self.offer_id, &mut errors);
        match (on, kind, amount) {
            (Some(on), Some(kind), Some(pence)) if errors.is_empty() => Ok(NewExpense {
                offer,
                on,
                kind,
                description,
                pence,
                tenths_of_miles: tenths,
                pence_per_mile: (kind == ExpenseKind::Mileage).then_some(pence_per_mile),
            }),
            _ => Err(errors),
        }
    }
}

/// The image type of a receipt from its first bytes: JPEG, PNG, WebP or HEIC (iPhones); `None`
/// for anything else, whatever its name says.
pub fn receipt_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"heic" | b"heix" | b"mif1" | b"msf1")
    {
        Some(("image/heic", "heic"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 24);

    #[test]
    fn money_and_time_are_read_the_way_people_type_them() {
        assert_eq!(parse_pence("£4.50"), Some(450));
        assert_eq!(parse_pence("4.5"), Some(450));
        assert_eq!(parse_pence("1,204"), Some(120_400));
        assert_eq!(parse_pence(".5"), Some(50));
        assert_eq!(parse_pence("4.505"), None);
        assert_eq!(parse_pence("four"), None);
        assert_eq!(parse_pence(""), None);
        assert_eq!(parse_pence("-3"), None);
        assert_eq!(parse_minutes("1:30"), Some(90));
        assert_eq!(parse_minutes("1.5"), Some(90));
        assert_eq!(parse_minutes("2"), Some(120));
        assert_eq!(parse_minutes("0:75"), None);
        assert_eq!(money(123_450), "£1,234.50");
        assert_eq!(money(5), "£0.05");
        assert_eq!(pence_setting(Some("40"), 45), 40);
        assert_eq!(pence_setting(Some("x"), 45), 45);
    }

    #[test]
    fn hours_are_refused_in_the_future_and_beyond_a_day() {
        let f = |on: &str, hours: &str, what: &str| HoursForm {
            on: on.into(),
            hours: hours.into(),
            activity: what.into(),
            offer_id: String::new(),
        };
        let ok = f("24/11/2026", "1:45", "Tuesday health walk")
            .parse(TODAY)
            .unwrap();
        assert_eq!(ok.minutes, 105);
        let e = f("25/11/2026", "2", "Walk").parse(TODAY).unwrap_err();
        assert_eq!(e[0].field, "on");
        let e = f("24/11/2026", "17", "Walk").parse(TODAY).unwrap_err();
        assert!(e[0].message.contains("16 hours"));
        let e = HoursForm::default().parse(TODAY).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["on", "hours", "activity"]);
        let e = HoursForm {
            offer_id: "the walking group".into(),
            ..f("24/11/2026", "2", "Walk")
        }
        .parse(TODAY)
        .unwrap_err();
        assert_eq!(e[0].field, "hours_offer_id");
    }

    #[test]
    fn mileage_is_paid_at_the_pcns_rate_and_costs_are_capped() {
        let f = |kind: &str, amount: &str, miles: &str| ExpenseForm {
            on: "20/11/2026".into(),
            kind: kind.into(),
            description: "Drove Florence to the singing group".into(),
            amount: amount.into(),
            miles: miles.into(),
            offer_id: String::new(),
        };
        let m = f("mileage", "", "12.5").parse(TODAY, 45).unwrap();
        assert_eq!(
            (m.pence, m.tenths_of_miles, m.pence_per_mile),
            (563, Some(125), Some(45))
        );
        assert!(f("mileage", "", "12.55").parse(TODAY, 45).is_err());
        let c = f("cost", "£6.80", "").parse(TODAY, 45).unwrap();
        assert_eq!((c.pence, c.tenths_of_miles), (680, None));
        let e = f("cost", "600", "").parse(TODAY, 45).unwrap_err();
        assert!(e[0].message.contains("£500"));
        assert_eq!(
            f("", "1", "").parse(TODAY, 45).unwrap_err()[0].field,
            "kind"
        );
    }

    #[test]
    fn a_receipt_is_an_image_by_its_bytes_not_its_name() {
        assert_eq!(
            receipt_type(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap().0,
            "image/jpeg"
        );
        assert_eq!(receipt_type(b"\x89PNG\r\n\x1a\n....").unwrap().1, "png");
        assert_eq!(receipt_type(b"RIFF\0\0\0\0WEBPVP8 ").unwrap().1, "webp");
        assert_eq!(receipt_type(b"\0\0\0\x18ftypheic").unwrap().1, "heic");
        assert_eq!(receipt_type(b"%PDF-1.7"), None);
        assert_eq!(receipt_type(b"<svg xmlns="), None);
        assert_eq!(receipt_type(b""), None);
    }
}
