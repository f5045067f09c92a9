//! What the impact report reads, told to both backends: connections with only the pseudonym
//! that links them (no names), in order, with their offer and whether they went along; and
//! the programme's costs, kept per PCN.

use super::*;
use together_core::connections::{NewConnection, NewStep, Source, Status, Target};
use together_core::impact::{CostCategory, ProgrammeCostForm};

on_both!(the_impact_report_reads_pseudonymised_connections_and_the_programmes_costs);
async fn the_impact_report_reads_pseudonymised_connections_and_the_programmes_costs(
    store: DynStore,
) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, "impact");
    let (practice, florence) = a_person(&store, pcn, "Florence", &[]).await;
    let (_, arthur) = a_person(&store, pcn, "Arthur", &[]).await;
    let (hers, _) = link_pseudonym(&store, pcn, florence, practice, "999 000 0018").await;
    let lead = an_active_champion(&store, pcn, "Sue", true).await;
    let (singing, _) = a_monitor_to_lend(&store, pcn, lead, "BP-3").await;
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let connect = |to, made_on| NewConnection {
        to,
        source: Source::CohortInvitation,
        made_on,
        note: String::new(),
    };
    let early = NOW.date() - Duration::days(60);
    let to_singing = store
        .make_connection(
            pcn,
            florence,
            lena,
            &connect(Target::Service(singing), early),
            &[14],
            &a,
        )
        .await
        .unwrap();
    store
        .move_connection(
            pcn,
            to_singing,
            &NewStep {
                status: Status::WentAlong,
                on: early + Duration::days(7),
                reason: None,
                note: String::new(),
            },
            &a,
        )
        .await
        .unwrap();
    store
        .make_connection(
            pcn,
            arthur,
            lena,
            &connect(Target::Champion(lead), NOW.date()),
            &[14],
            &a,
        )
        .await
        .unwrap();

    let read = audit(pcn, "impact_report");
    let connections = store.evaluated_connections(pcn, &read).await.unwrap();
    assert_eq!(connections.len(), 2);
    let (first, second) = (&connections[0], &connections[1]);
    assert_eq!(first.id, to_singing);
    assert_eq!(first.pseudonym.as_ref(), Some(&hers));
    assert_eq!(first.made_on, early);
    assert_eq!(first.source, Source::CohortInvitation);
    assert_eq!(first.offer.as_ref().map(|o| o.0), Some(singing));
    assert!(first.went_along);
    assert_eq!(second.pseudonym, None, "no NHS number, so not linkable");
    assert!(second.offer.is_none() && !second.went_along);
    let trail = store
        .audit_events(pcn, &AuditFilter::default())
        .await
        .unwrap();
    assert!(
        trail.iter().any(|e| e.action == "impact_report"),
        "the read is audited"
    );

    // Costs: kept per PCN, listed by first day, removed only by their own PCN.
    let form = |category: &str, from: &str, amount: &str| ProgrammeCostForm {
        category: category.into(),
        description: "Link worker, two days a week".into(),
        from: from.into(),
        to: "31/3/2026".into(),
        amount: amount.into(),
    };
    let later = store
        .add_programme_cost(
            pcn,
            &form("staff_time", "1/10/2025", "9000").parse().unwrap(),
            &a,
        )
        .await
        .unwrap();
    store
        .add_programme_cost(
            pcn,
            &form("venues", "1/4/2025", "1,200").parse().unwrap(),
            &a,
        )
        .await
        .unwrap();
    let costs = store.programme_costs(pcn).await.unwrap();
    assert_eq!(
        costs
            .iter()
            .map(|c| (c.category, c.pence))
            .collect::<Vec<_>>(),
        [
            (CostCategory::Venues, 120_000),
            (CostCategory::StaffTime, 900_000)
        ]
    );
    let other = store.create_pcn("Other PCN", None, NOW).await.unwrap();
    assert!(store.programme_costs(other).await.unwrap().is_empty());
    assert!(matches!(
        store
            .remove_programme_cost(other, later, &audit(other, "cost"))
            .await,
        Err(StoreError::NotFound("cost"))
    ));
    store.remove_programme_cost(pcn, later, &a).await.unwrap();
    assert_eq!(store.programme_costs(pcn).await.unwrap().len(), 1);
}
