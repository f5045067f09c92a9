//! What the impact report reads, told to both backends: connections with only the pseudonym
//! that links them (no names), in order, with their offer and whether they went along; and
//! the programme's costs, kept per PCN.

use super::*;
use together_core::audit::AuditAction;
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
    let a = audit(pcn, AuditAction::Setup);
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

    let read = audit(pcn, AuditAction::ReportImpact);
    let connections = store.evaluated_connections(pcn, &read).await.unwrap();
    assert_eq!(connections.len(), 2);
    let (first, second) = (&connections[0], &connections[1]);
    assert_eq!(first.id, to_singing);
    assert_eq!(first.pseudonym.as_ref(), Some(&hers));
    assert_eq!(first.made_on, early);
    assert_eq!(first.source, Some(Source::CohortInvitation));
    assert_eq!(first.offer.as_deref(), Some("Home blood pressure monitors"));
    assert!(first.went_along);
    assert_eq!(second.pseudonym, None, "no NHS number, so not linkable");
    assert!(second.offer.is_none() && !second.went_along);
    let trail = store
        .audit_events(pcn, &AuditFilter::default())
        .await
        .unwrap();
    assert!(
        trail.iter().any(|e| e.action == "report_impact"),
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
            .remove_programme_cost(
                other,
                later,
                &audit(other, AuditAction::RemoveProgrammeCost)
            )
            .await,
        Err(StoreError::NotFound("cost"))
    ));
    store.remove_programme_cost(pcn, later, &a).await.unwrap();
    assert_eq!(store.programme_costs(pcn).await.unwrap().len(), 1);
}

on_both!(past_connections_come_in_once_with_only_a_pseudonym_beside_those_made_here);
/// Connections from the PCN's records before Together: brought in all at once, by pseudonym only;
/// importing the same file again (even twice at the same moment) adds nothing; an offer named
/// as one of the PCN's is linked to it whatever the case; the evaluation reads them beside the
/// connections made here, how they came not known.
async fn past_connections_come_in_once_with_only_a_pseudonym_beside_those_made_here(
    store: DynStore,
) {
    use together_store::impact::PastConnection;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let lead = an_active_champion(&store, pcn, "Sue", true).await;
    a_monitor_to_lend(&store, pcn, lead, "BP-9").await;
    let key = PseudonymKey::new(1, vec![7; 32]).unwrap();
    let past = |nhs: &str, offer: &str, on: i64| PastConnection {
        pseudonym: key.pseudonymise(&nhs.parse().unwrap()),
        practice: "B99001".parse().unwrap(),
        offer: offer.into(),
        connected_on: NOW.date() - Duration::days(on),
        ended_on: Some(NOW.date() - Duration::days(on - 90)),
    };
    let rows = vec![
        past("999 000 0018", "home blood PRESSURE monitors", 700),
        past("999 000 0026", "Men's shed (Age UK)", 650),
        past("999 000 0018", "Men's shed (Age UK)", 600),
    ];
    let a = audit(pcn, AuditAction::ImportPastConnections);
    let (one, two) = tokio::join!(
        store.import_past_connections(pcn, &rows, &a),
        store.import_past_connections(pcn, &rows, &a)
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.added + two.added, 3, "{one:?} {two:?}");
    assert_eq!(one.already_there + two.already_there, 3);
    assert_eq!(one.to_our_offers + two.to_our_offers, 1);
    let again = store.import_past_connections(pcn, &rows, &a).await.unwrap();
    assert_eq!((again.added, again.already_there), (0, 3));

    let read = store
        .evaluated_connections(pcn, &audit(pcn, AuditAction::ReportImpact))
        .await
        .unwrap();
    assert_eq!(read.len(), 3, "each once");
    assert!(read.iter().all(|c| c.source.is_none() && !c.went_along));
    assert_eq!(read[0].made_on, NOW.date() - Duration::days(700));
    assert_eq!(
        read[0].offer.as_deref(),
        Some("Home blood pressure monitors"),
        "named as the PCN's own offer"
    );
    assert_eq!(read[1].offer.as_deref(), Some("Men's shed (Age UK)"));
    assert_eq!(read[0].pseudonym, read[2].pseudonym);
    let other = store.create_pcn("Other PCN", None, NOW).await.unwrap();
    assert!(store
        .evaluated_connections(other, &audit(other, AuditAction::ReportImpact))
        .await
        .unwrap()
        .is_empty());
}
