//! What wellbeing pages and their neighbours show: a connection's wellbeing with its bars, the
//! questions, and an offer's wellbeing before and after.

use crate::layout::date;
use together_core::wellbeing::{Answers, Licensed, Loneliness, Occasion, Ons4};
use together_core::ConnectionId;
use together_store::wellbeing::WellbeingRecord;

/// The answers of one connection for its page: rows for the table, and the chart's bars.
pub(crate) struct ConnectionWellbeing {
    /// (when, occasion, the four ONS4 answers or dashes, loneliness, licensed scores, by whom)
    pub(crate) rows: Vec<[String; 9]>,
    /// One group per ONS4 question: (label, first, latest) when answered twice.
    pub(crate) bars: Vec<Bar>,
    pub(crate) occasion: &'static str,
    pub(crate) occasions: Vec<(String, String)>,
    pub(crate) scores: Vec<(String, String)>,
    pub(crate) lonely: Vec<(String, String)>,
    pub(crate) questions: Vec<(&'static str, &'static str, &'static str)>,
    pub(crate) licensed: Vec<(&'static str, String)>,
}

/// A pair of bars: the first answers and the latest, on a 0–10 scale.
pub(crate) struct Bar {
    pub(crate) label: &'static str,
    pub(crate) y: f64,
    pub(crate) first: String,
    pub(crate) latest: String,
    pub(crate) first_width: f64,
    pub(crate) latest_width: f64,
    /// "better", "worse" or "no change", for this question's direction.
    pub(crate) better: &'static str,
}

/// Pixels per point on the chart's 0–10 scale.
pub(super) const POINT: f64 = 20.0;

impl Bar {
    /// The `i`th pair, for a question whose first and latest answers (or means) are given.
    pub(crate) fn new(
        i: usize,
        item: Ons4,
        first: f64,
        latest: f64,
        shown: fn(f64) -> String,
    ) -> Self {
        let delta = latest - first;
        Bar {
            label: item.label(),
            y: i as f64 * 48.0,
            first: shown(first),
            latest: shown(latest),
            first_width: first * POINT,
            latest_width: latest * POINT,
            better: if delta.abs() < 0.05 {
                "no change"
            } else if (delta > 0.0) == item.higher_is_better() {
                "better"
            } else {
                "worse"
            },
        }
    }
}

pub(super) fn dash(v: Option<u8>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

/// The questions a person is asked (ONS4 and loneliness), with each select's choices.
pub(crate) struct Questions {
    pub(crate) questions: Vec<(&'static str, &'static str, &'static str)>,
    pub(crate) scores: Vec<(String, String)>,
    pub(crate) lonely: Vec<(String, String)>,
}

pub(crate) fn questions() -> Questions {
    Questions {
        scores: std::iter::once((String::new(), "Not asked".to_owned()))
            .chain((0..=10).map(|n| (n.to_string(), n.to_string())))
            .collect(),
        lonely: std::iter::once((String::new(), "Not asked".to_owned()))
            .chain(
                Loneliness::ALL
                    .into_iter()
                    .map(|l| (l.as_str().to_owned(), l.label().to_owned())),
            )
            .collect(),
        questions: Ons4::ALL
            .into_iter()
            .map(|i| (i.as_str(), i.question(), i.scale()))
            .collect(),
    }
}

pub(crate) fn connection_wellbeing(
    all: &[WellbeingRecord],
    connection: ConnectionId,
) -> ConnectionWellbeing {
    let mine: Vec<&WellbeingRecord> = all
        .iter()
        .filter(|w| w.connection_id == connection)
        .collect();
    let rows = mine
        .iter()
        .map(|w| {
            let a = &w.answers;
            let licensed = Licensed::ALL
                .into_iter()
                .filter_map(|l| a.licensed(l).map(|v| format!("{} {v}", l.label())))
                .collect::<Vec<_>>()
                .join(", ");
            [
                date(&w.answered_on),
                w.occasion.label().to_owned(),
                dash(a.ons4(Ons4::LifeSatisfaction)),
                dash(a.ons4(Ons4::Worthwhile)),
                dash(a.ons4(Ons4::Happy)),
                dash(a.ons4(Ons4::Anxious)),
                a.lonely
                    .map_or_else(|| "–".to_owned(), |l| l.label().to_owned()),
                if licensed.is_empty() {
                    "–".to_owned()
                } else {
                    licensed
                },
                if w.by_themselves {
                    "Themselves, on their phone".to_owned()
                } else {
                    "A worker".to_owned()
                },
            ]
        })
        .collect();
    let with_ons4: Vec<_> = mine.iter().filter(|w| w.answers.ons4.is_some()).collect();
    let bars = match (with_ons4.first(), with_ons4.last()) {
        (Some(first), Some(latest)) if with_ons4.len() > 1 => Ons4::ALL
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let (f, l) = (first.answers.ons4(item)?, latest.answers.ons4(item)?);
                Some(Bar::new(i, item, f64::from(f), f64::from(l), |v| {
                    format!("{v:.0}")
                }))
            })
            .collect(),
        _ => Vec::new(),
    };
    let Questions {
        questions,
        scores,
        lonely,
    } = questions();
    ConnectionWellbeing {
        rows,
        bars,
        occasion: if mine.is_empty() {
            "baseline"
        } else {
            "follow_up"
        },
        occasions: Occasion::ALL
            .into_iter()
            .map(|o| (o.as_str().to_owned(), o.label().to_owned()))
            .collect(),
        scores,
        lonely,
        questions,
        licensed: Licensed::ALL
            .into_iter()
            .map(|l| {
                (
                    l.as_str(),
                    format!(
                        "{} (optional, {} to {})",
                        l.label(),
                        l.range().start(),
                        l.range().end()
                    ),
                )
            })
            .collect(),
    }
}

/// How the people connected to an offer moved, for the coordinator's view of the offer.
pub(crate) struct OfferWellbeing {
    pub(crate) bars: Vec<Bar>,
    /// (question, people, mean first, mean latest, share improved).
    pub(crate) rows: Vec<(&'static str, String, String, String, String)>,
    /// Why nothing is shown, when it is not.
    pub(crate) note: String,
}

pub(crate) fn offer_wellbeing(pairs: &[(Answers, Answers)]) -> OfferWellbeing {
    use together_core::disclosure::Audience;
    use together_core::wellbeing::{change_per_item, FEWEST_FOR_A_MEAN};
    let Some(changes) = change_per_item(pairs) else {
        return OfferWellbeing {
            bars: Vec::new(),
            rows: Vec::new(),
            note: format!(
                "Fewer than {FEWEST_FOR_A_MEAN} people connected to it have answered the wellbeing questions twice. The change is shown once {FEWEST_FOR_A_MEAN} have, so that no one's answers can be told."
            ),
        };
    };
    OfferWellbeing {
        bars: changes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                Bar::new(i, c.item, c.mean_first, c.mean_latest, |v| {
                    format!("{v:.1}")
                })
            })
            .collect(),
        rows: changes
            .iter()
            .map(|c| {
                (
                    c.item.label(),
                    c.people.disclose(Audience::Suppressed).to_string(),
                    format!("{:.1}", c.mean_first),
                    format!("{:.1}", c.mean_latest),
                    format!("{:.0}%", c.improved_share * 100.0),
                )
            })
            .collect(),
        note: String::new(),
    }
}
