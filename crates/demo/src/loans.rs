//! The demo's equipment: eight blood-pressure monitors lent through the PCN's monitor-loan
//! offer, with a cleaning log, loans that came back with a week of home readings (seen only by
//! the person's clinician), four out now (one overdue), one waiting to be cleaned and one
//! needing repair.

use crate::{wrong, Result};
use time::{Duration, OffsetDateTime};
use together_core::loans::{BpReading, NewCleaning, NewItem, NewLoan, NewReadings, NewReturn};
use together_core::PcnId;
use together_store::{DynStore, NewAuditEvent};

const OFFER: &str = "Home blood-pressure monitor loans";

fn at(pcn: PcnId, days_ago: i64, now: OffsetDateTime) -> NewAuditEvent {
    NewAuditEvent {
        at: now - Duration::days(days_ago),
        ..crate::audit(
            together_core::audit::AuditAction::DemoLoans,
            "equipment",
            Some(pcn),
        )
    }
}

/// A week of twice-daily home readings around a person's own level, varied but repeatable.
fn week_of_readings(seed: usize) -> Vec<BpReading> {
    let base_sys = 124 + (seed * 11 % 30) as i64;
    let base_dia = 76 + (seed * 7 % 14) as i64;
    (0..14)
        .map(|k| {
            let wobble = ((seed + k) * 37 % 11) as i64 - 5;
            BpReading {
                systolic: base_sys + wobble,
                diastolic: base_dia + wobble / 2,
                pulse: Some(62 + ((seed + 3 * k) % 17) as i64),
            }
        })
        .collect()
}

pub async fn build(store: &DynStore, pcn: PcnId, now: OffsetDateTime) -> Result<()> {
    let offer = store
        .offers(pcn)
        .await?
        .into_iter()
        .find(|o| o.name == OFFER)
        .ok_or_else(|| wrong!("the demo has no offer called {OFFER}"))?;
    // Gareth takes most monitors round; Dave (the demo's champion sign-in) the ones out now.
    let champions = store.champions(pcn, &at(pcn, 0, now)).await?;
    let named = |given: &str| {
        champions
            .iter()
            .find(|c| c.given_name == given && offer.leads.contains(&c.id))
            .map(|c| c.id)
            .ok_or_else(|| wrong!("{given} does not lead {OFFER} in the demo"))
    };
    let (lead, dave) = (Some(named("Gareth")?), Some(named("Dave")?));
    let people = store.find_people(pcn, None, "", &at(pcn, 0, now)).await?;
    if people.len() < 10 {
        return Err(wrong!("the demo needs ten people to lend monitors to"));
    }
    let mut items = Vec::new();
    for n in 1..=8 {
        let item = NewItem {
            kind: "blood_pressure_monitor",
            name: format!("Omron M3 number {n}"),
            serial: format!("HV-BPM-{n:04}"),
            condition: if n == 8 { "needs_repair" } else { "good" },
            offer: Some(offer.id),
            notes: if n == 8 {
                "Cuff does not hold pressure: sent back to the supplier".into()
            } else {
                "Medium cuff; a large cuff is in the box for bigger arms".into()
            },
        };
        let id = store.add_item(pcn, &item, &at(pcn, 120, now)).await?;
        store
            .add_cleaning(
                pcn,
                id,
                &NewCleaning {
                    cleaned_on: (now - Duration::days(119)).date(),
                    note: "Checked and wiped before first use".into(),
                },
                &at(pcn, 119, now),
            )
            .await?;
        items.push(id);
    }
    // Six loans that came back with a week of readings, two on each of the first monitors.
    for k in 0..6 {
        let item = items[k % 3];
        let lent = 100 - 30 * (k / 3) as i64 - 7 * (k % 3) as i64;
        let loan = store
            .lend(
                pcn,
                people[k].id,
                &NewLoan {
                    item,
                    due_on: (now - Duration::days(lent - 14)).date(),
                    handled_by: lead,
                },
                &at(pcn, lent, now),
            )
            .await?;
        let readings = week_of_readings(k);
        store
            .return_loan(
                pcn,
                loan,
                None,
                &NewReturn {
                    returned_on: (now - Duration::days(lent - 9)).date(),
                    condition: "good",
                    cleaned: true,
                    readings: Some(NewReadings {
                        // One person wrote down only their average.
                        readings: if k == 4 {
                            together_core::loans::average(&readings)
                                .into_iter()
                                .collect()
                        } else {
                            readings
                        },
                        average_of: (k == 4).then_some(14),
                    }),
                },
                &at(pcn, lent - 9, now),
            )
            .await?;
    }
    // Four out now: three due back in the coming fortnight, one overdue a week.
    for (k, (item, lent, due)) in [
        (items[3], 5, 9),
        (items[4], 3, 11),
        (items[5], 1, 13),
        (items[0], 21, -7),
    ]
    .into_iter()
    .enumerate()
    {
        store
            .lend(
                pcn,
                people[6 + k].id,
                &NewLoan {
                    item,
                    due_on: (now + Duration::days(due)).date(),
                    handled_by: if k == 1 { None } else { dave },
                },
                &at(pcn, lent, now),
            )
            .await?;
    }
    // One back yesterday, not yet cleaned.
    let loan = store
        .lend(
            pcn,
            people[10 % people.len()].id,
            &NewLoan {
                item: items[6],
                due_on: (now - Duration::days(2)).date(),
                handled_by: lead,
            },
            &at(pcn, 16, now),
        )
        .await?;
    store
        .return_loan(
            pcn,
            loan,
            None,
            &NewReturn {
                returned_on: (now - Duration::days(1)).date(),
                condition: "worn",
                cleaned: false,
                readings: None,
            },
            &at(pcn, 1, now),
        )
        .await?;
    Ok(())
}
