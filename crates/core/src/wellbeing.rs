//! Wellbeing: how a person is, asked when they are connected and again at follow-ups, so that
//! a change can be seen per person and per offer. ONS4 personal wellbeing (four questions, 0 to
//! 10) and the ONS direct loneliness question are built in: both are the Office for National
//! Statistics' and free to use. Licensed instruments (WEMWBS, SWEMWBS, PAM) are entered as
//! scores only, range-checked, and their item text is never shown.

use crate::people::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::Date;

/// The four ONS personal wellbeing questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Ons4 {
    LifeSatisfaction,
    Worthwhile,
    Happy,
    Anxious,
}

impl Ons4 {
    pub const ALL: [Ons4; 4] = [
        Ons4::LifeSatisfaction,
        Ons4::Worthwhile,
        Ons4::Happy,
        Ons4::Anxious,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Ons4::LifeSatisfaction => "life_satisfaction",
            Ons4::Worthwhile => "worthwhile",
            Ons4::Happy => "happy",
            Ons4::Anxious => "anxious",
        }
    }

    /// The question as the ONS asks it.
    pub fn question(self) -> &'static str {
        match self {
            Ons4::LifeSatisfaction => "Overall, how satisfied are you with your life nowadays?",
            Ons4::Worthwhile => {
                "Overall, to what extent do you feel that the things you do in your life are worthwhile?"
            }
            Ons4::Happy => "Overall, how happy did you feel yesterday?",
            Ons4::Anxious => "Overall, how anxious did you feel yesterday?",
        }
    }

    /// What 0 and 10 mean for this question.
    pub fn scale(self) -> &'static str {
        match self {
            Ons4::Anxious => "0 is not at all anxious and 10 is completely anxious",
            _ => "0 is not at all and 10 is completely",
        }
    }

    /// A short name for tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Ons4::LifeSatisfaction => "Life satisfaction",
            Ons4::Worthwhile => "Worthwhile",
            Ons4::Happy => "Happiness",
            Ons4::Anxious => "Anxiety",
        }
    }

    /// Anxiety is better when it falls; the other three when they rise.
    pub fn higher_is_better(self) -> bool {
        self != Ons4::Anxious
    }
}

/// The ONS direct measure of loneliness: "How often do you feel lonely?"
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Loneliness {
    OftenOrAlways,
    SomeOfTheTime,
    Occasionally,
    HardlyEver,
    Never,
}

impl Loneliness {
    pub const QUESTION: &'static str = "How often do you feel lonely?";
    pub const ALL: [Loneliness; 5] = [
        Loneliness::OftenOrAlways,
        Loneliness::SomeOfTheTime,
        Loneliness::Occasionally,
        Loneliness::HardlyEver,
        Loneliness::Never,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Loneliness::OftenOrAlways => "often_or_always",
            Loneliness::SomeOfTheTime => "some_of_the_time",
            Loneliness::Occasionally => "occasionally",
            Loneliness::HardlyEver => "hardly_ever",
            Loneliness::Never => "never",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Loneliness::OftenOrAlways => "Often or always",
            Loneliness::SomeOfTheTime => "Some of the time",
            Loneliness::Occasionally => "Occasionally",
            Loneliness::HardlyEver => "Hardly ever",
            Loneliness::Never => "Never",
        }
    }

    /// Often or always lonely: the ONS's "chronic loneliness".
    pub fn is_chronic(self) -> bool {
        self == Loneliness::OftenOrAlways
    }
}

impl FromStr for Loneliness {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|l| l.as_str() == s).ok_or(())
    }
}

/// When it was asked: when they were connected, or at a follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Occasion {
    Baseline,
    FollowUp,
}

impl Occasion {
    pub const ALL: [Occasion; 2] = [Occasion::Baseline, Occasion::FollowUp];
    pub fn as_str(self) -> &'static str {
        match self {
            Occasion::Baseline => "baseline",
            Occasion::FollowUp => "follow_up",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Occasion::Baseline => "At the start",
            Occasion::FollowUp => "At a follow-up",
        }
    }
}

impl FromStr for Occasion {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|o| o.as_str() == s).ok_or(())
    }
}

impl fmt::Display for Occasion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A licensed instrument entered as its score only, with the range its licence defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Licensed {
    /// Warwick-Edinburgh Mental Wellbeing Scale, 14 items: 14 to 70.
    Wemwbs,
    /// Short WEMWBS, 7 items (raw total): 7 to 35.
    Swemwbs,
    /// Patient Activation Measure level: 1 to 4.
    Pam,
}

impl Licensed {
    pub const ALL: [Licensed; 3] = [Licensed::Wemwbs, Licensed::Swemwbs, Licensed::Pam];
    pub fn as_str(self) -> &'static str {
        match self {
            Licensed::Wemwbs => "wemwbs",
            Licensed::Swemwbs => "swemwbs",
            Licensed::Pam => "pam",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Licensed::Wemwbs => "WEMWBS score",
            Licensed::Swemwbs => "SWEMWBS score",
            Licensed::Pam => "PAM level",
        }
    }
    pub fn range(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Licensed::Wemwbs => 14..=70,
            Licensed::Swemwbs => 7..=35,
            Licensed::Pam => 1..=4,
        }
    }
}

/// One time a person said how they are. Every measure is optional, but not all at once; the
/// four ONS4 answers come together or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Answers {
    /// In the order of [`Ons4::ALL`].
    pub ons4: Option<[u8; 4]>,
    pub lonely: Option<Loneliness>,
    pub wemwbs: Option<u8>,
    pub swemwbs: Option<u8>,
    pub pam: Option<u8>,
}

impl Answers {
    pub fn ons4(&self, item: Ons4) -> Option<u8> {
        let i = Ons4::ALL.iter().position(|x| *x == item)?;
        self.ons4.map(|a| a[i])
    }
    pub fn licensed(&self, l: Licensed) -> Option<u8> {
        match l {
            Licensed::Wemwbs => self.wemwbs,
            Licensed::Swemwbs => self.swemwbs,
            Licensed::Pam => self.pam,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.ons4.is_none()
            && self.lonely.is_none()
            && self.wemwbs.is_none()
            && self.swemwbs.is_none()
            && self.pam.is_none()
    }
}

/// Answers ready to store, with when they were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewWellbeing {
    pub occasion: Occasion,
    pub answered_on: Date,
    pub answers: Answers,
}

/// The text of a wellbeing form, as it arrived (a worker's, with the licensed scores, or the
/// person's own through a one-time link, without them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WellbeingForm {
    pub occasion: String,
    pub answered_on: String,
    pub life_satisfaction: String,
    pub worthwhile: String,
    pub happy: String,
    pub anxious: String,
    pub lonely: String,
    pub wemwbs: String,
    pub swemwbs: String,
    pub pam: String,
}

impl WellbeingForm {
    /// Every problem at once. `since` is the first day answers may be dated (the connection's).
    pub fn parse(&self, since: Date, today: Date) -> Result<NewWellbeing, Vec<FieldError>> {
        let mut errors = Vec::new();
        let occasion = self.occasion.parse::<Occasion>().ok();
        if occasion.is_none() {
            errors.push(FieldError {
                field: "occasion",
                message: "Choose when this was asked".into(),
            });
        }
        let answered_on = match crate::connections::date_field(&self.answered_on, today) {
            Ok(d) if d < since => {
                errors.push(FieldError {
                    field: "answered_on",
                    message: format!(
                        "This is before the connection was made ({}): check the date",
                        crate::people::uk_date(since)
                    ),
                });
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                errors.push(FieldError {
                    field: "answered_on",
                    message,
                });
                None
            }
        };
        let raw = [
            (Ons4::LifeSatisfaction, &self.life_satisfaction),
            (Ons4::Worthwhile, &self.worthwhile),
            (Ons4::Happy, &self.happy),
            (Ons4::Anxious, &self.anxious),
        ];
        let mut ons4 = [0u8; 4];
        let mut given = 0;
        for (i, (item, v)) in raw.iter().enumerate() {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            given += 1;
            match v.parse::<u8>() {
                Ok(n) if n <= 10 => ons4[i] = n,
                _ => errors.push(FieldError {
                    field: item.as_str(),
                    message: format!("{}: choose a number from 0 to 10", item.label()),
                }),
            }
        }
        if given > 0 && given < 4 {
            for (item, v) in raw {
                if v.trim().is_empty() {
                    errors.push(FieldError {
                        field: item.as_str(),
                        message: format!(
                            "{}: answer all four questions, or none of them",
                            item.label()
                        ),
                    });
                }
            }
        }
        let lonely = match self.lonely.trim() {
            "" => None,
            v => match v.parse::<Loneliness>() {
                Ok(l) => Some(l),
                Err(()) => {
                    errors.push(FieldError {
                        field: "lonely",
                        message: "Choose how often they feel lonely".into(),
                    });
                    None
                }
            },
        };
        let mut licensed = |l: Licensed, v: &str| -> Option<u8> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            let range = l.range();
            match v.parse::<u8>() {
                Ok(n) if range.contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError {
                        field: l.as_str(),
                        message: format!(
                            "The {} is a whole number from {} to {}",
                            l.label(),
                            range.start(),
                            range.end()
                        ),
                    });
                    None
                }
            }
        };
        let answers = Answers {
            ons4: (given == 4).then_some(ons4),
            lonely,
            wemwbs: licensed(Licensed::Wemwbs, &self.wemwbs),
            swemwbs: licensed(Licensed::Swemwbs, &self.swemwbs),
            pam: licensed(Licensed::Pam, &self.pam),
        };
        if errors.is_empty() && answers.is_empty() {
            errors.push(FieldError {
                field: "life_satisfaction",
                message: "Answer at least one question".into(),
            });
        }
        match (occasion, answered_on) {
            (Some(occasion), Some(answered_on)) if errors.is_empty() => Ok(NewWellbeing {
                occasion,
                answered_on,
                answers,
            }),
            _ => Err(errors),
        }
    }
}

/// How one measure moved between a person's first answers and their latest: `None` when it was
/// not answered both times.
pub fn change(first: &Answers, latest: &Answers, item: Ons4) -> Option<i16> {
    Some(i16::from(latest.ons4(item)?) - i16::from(first.ons4(item)?))
}

/// A change of at least this many points on an ONS4 question, in the better direction, counts
/// as an improvement: one point on an eleven-point scale is the smallest change a person
/// would notice, and the threshold the evaluation reports against.
pub const MEANINGFUL_ONS4_CHANGE: i16 = 1;

/// Whether a change on `item` is an improvement a person would notice.
pub fn improved(item: Ons4, delta: i16) -> bool {
    if item.higher_is_better() {
        delta >= MEANINGFUL_ONS4_CHANGE
    } else {
        delta <= -MEANINGFUL_ONS4_CHANGE
    }
}

/// How the people connected to an offer moved on one ONS4 question, from their first answers
/// to their latest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemChange {
    pub item: Ons4,
    /// People who answered it at least twice: a count for computing with, disclosed by whoever
    /// shows it.
    pub people: crate::disclosure::RawCount,
    pub mean_first: f64,
    pub mean_latest: f64,
    /// The share of them whose answer moved by at least [`MEANINGFUL_ONS4_CHANGE`] for the better.
    pub improved_share: f64,
}

/// Fewer people than this and no mean is shown: a mean of a handful of answers tells each
/// person's to anyone who knows the others (the disclosure rule's smallest shown count).
pub const FEWEST_FOR_A_MEAN: u64 = 8;

/// The change per ONS4 question over `pairs` (each person's first and latest answers), or
/// `None` when too few people answered twice to show it.
pub fn change_per_item(pairs: &[(Answers, Answers)]) -> Option<Vec<ItemChange>> {
    let found: Vec<ItemChange> = Ons4::ALL
        .into_iter()
        .map(|item| {
            let moved: Vec<(u8, u8)> = pairs
                .iter()
                .filter_map(|(first, latest)| Some((first.ons4(item)?, latest.ons4(item)?)))
                .collect();
            let n = moved.len() as f64;
            let mean = |f: fn(&(u8, u8)) -> u8| {
                moved.iter().map(|p| f64::from(f(p))).sum::<f64>() / n.max(1.0)
            };
            let improved_count = moved
                .iter()
                .filter(|(f, l)| improved(item, i16::from(*l) - i16::from(*f)))
                .count();
            ItemChange {
                item,
                people: crate::disclosure::RawCount::new(moved.len() as u64),
                mean_first: mean(|p| p.0),
                mean_latest: mean(|p| p.1),
                improved_share: improved_count as f64 / n.max(1.0),
            }
        })
        .collect();
    found
        .iter()
        .all(|c| c.people.value() >= FEWEST_FOR_A_MEAN)
        .then_some(found)
}

/// How many days a one-time link to answer on one's own phone lasts.
pub const LINK_DAYS: i64 = 14;

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 01);
    const MADE: Date = date!(2026 - 11 - 20);

    fn form(scores: [&str; 4]) -> WellbeingForm {
        WellbeingForm {
            occasion: "baseline".into(),
            life_satisfaction: scores[0].into(),
            worthwhile: scores[1].into(),
            happy: scores[2].into(),
            anxious: scores[3].into(),
            ..WellbeingForm::default()
        }
    }

    fn fields(e: Vec<FieldError>) -> Vec<&'static str> {
        e.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn ons4_is_four_answers_from_0_to_10_or_none() {
        let w = form(["7", "8", "6", "3"]).parse(MADE, TODAY).unwrap();
        assert_eq!(w.answers.ons4, Some([7, 8, 6, 3]));
        assert_eq!(w.answers.ons4(Ons4::Anxious), Some(3));
        assert_eq!((w.occasion, w.answered_on), (Occasion::Baseline, TODAY));
        let e = form(["7", "11", "-1", "3"]).parse(MADE, TODAY).unwrap_err();
        assert_eq!(fields(e), ["worthwhile", "happy"]);
        let e = form(["7", "", "", "3"]).parse(MADE, TODAY).unwrap_err();
        assert_eq!(fields(e), ["worthwhile", "happy"], "all four or none");
        let e = form(["", "", "", ""]).parse(MADE, TODAY).unwrap_err();
        assert_eq!(
            fields(e),
            ["life_satisfaction"],
            "something must be answered"
        );
    }

    #[test]
    fn licensed_scores_are_range_checked_and_loneliness_is_one_of_five() {
        let ok = WellbeingForm {
            occasion: "follow_up".into(),
            lonely: "some_of_the_time".into(),
            wemwbs: "14".into(),
            swemwbs: "35".into(),
            pam: "4".into(),
            ..WellbeingForm::default()
        }
        .parse(MADE, TODAY)
        .unwrap();
        assert_eq!(ok.answers.lonely, Some(Loneliness::SomeOfTheTime));
        assert_eq!(
            (ok.answers.wemwbs, ok.answers.swemwbs, ok.answers.pam),
            (Some(14), Some(35), Some(4))
        );
        let e = WellbeingForm {
            occasion: "follow_up".into(),
            lonely: "sometimes".into(),
            wemwbs: "13".into(),
            swemwbs: "36".into(),
            pam: "0".into(),
            ..WellbeingForm::default()
        }
        .parse(MADE, TODAY)
        .unwrap_err();
        assert_eq!(fields(e.clone()), ["lonely", "wemwbs", "swemwbs", "pam"]);
        assert!(e[1].message.contains("14 to 70"), "{:?}", e[1]);
    }

    #[test]
    fn answers_are_dated_between_the_connection_and_today() {
        let mut f = form(["5", "5", "5", "5"]);
        f.answered_on = "19/11/2026".into();
        assert_eq!(fields(f.parse(MADE, TODAY).unwrap_err()), ["answered_on"]);
        f.answered_on = "2/12/2026".into();
        assert_eq!(fields(f.parse(MADE, TODAY).unwrap_err()), ["answered_on"]);
        f.answered_on = "20/11/2026".into();
        f.occasion = String::new();
        assert_eq!(fields(f.parse(MADE, TODAY).unwrap_err()), ["occasion"]);
    }

    #[test]
    fn an_offers_change_is_shown_only_for_enough_people() {
        let pair = |first: [u8; 4], latest: [u8; 4]| {
            let a = |ons4| Answers {
                ons4: Some(ons4),
                ..Answers::default()
            };
            (a(first), a(latest))
        };
        let mut pairs = vec![pair([4, 5, 5, 8], [6, 5, 5, 5]); 6];
        pairs.push(pair([5, 5, 5, 5], [5, 5, 5, 5]));
        assert_eq!(change_per_item(&pairs), None, "seven people: not shown");
        pairs.push(pair([6, 5, 5, 6], [6, 5, 5, 6]));
        let c = change_per_item(&pairs).unwrap();
        let life = &c[0];
        assert_eq!(
            (life.item, life.people.value()),
            (Ons4::LifeSatisfaction, 8)
        );
        assert!(
            (life.mean_first - 35.0 / 8.0).abs() < 1e-9,
            "{}",
            life.mean_first
        );
        assert!((life.mean_latest - 47.0 / 8.0).abs() < 1e-9);
        assert!((life.improved_share - 0.75).abs() < 1e-9);
        assert!(
            (c[3].improved_share - 0.75).abs() < 1e-9,
            "anxiety fell for six of eight"
        );
        assert_eq!(c[1].improved_share, 0.0);
    }

    #[test]
    fn anxiety_improves_when_it_falls() {
        let first = Answers {
            ons4: Some([4, 5, 5, 8]),
            ..Answers::default()
        };
        let latest = Answers {
            ons4: Some([6, 5, 4, 5]),
            ..Answers::default()
        };
        let d = |i| change(&first, &latest, i).unwrap();
        assert!(improved(Ons4::LifeSatisfaction, d(Ons4::LifeSatisfaction)));
        assert!(!improved(Ons4::Worthwhile, d(Ons4::Worthwhile)));
        assert!(!improved(Ons4::Happy, d(Ons4::Happy)));
        assert!(improved(Ons4::Anxious, d(Ons4::Anxious)));
        assert_eq!(change(&first, &Answers::default(), Ons4::Happy), None);
    }
}
