//! Practice exports read through the shipped mappings: what a valid row becomes.

use time::macros::datetime;
use together_formats::mapping::{read_mapped, Mapping, MappingError, SHIPPED};
use together_formats::{Record, Subject};

fn appointments(mapping: &Mapping, text: &str) -> Vec<together_formats::Appointment> {
    let practice = "B99001".parse().unwrap();
    let mut out = Vec::new();
    read_mapped(mapping, text.as_bytes(), Some(&practice), |_, row| {
        if let Ok(Record::Appointment(a)) = row {
            out.push(a)
        }
    })
    .unwrap();
    out
}

#[test]
fn the_shipped_mappings_load_and_say_they_are_unverified() {
    for (name, _) in SHIPPED {
        let m = Mapping::shipped(name).unwrap().unwrap();
        assert!(!m.verified && m.name.contains("unverified"), "{name}");
    }
    assert!(Mapping::shipped("vision").is_none());
}

#[test]
fn an_emis_export_becomes_appointments_in_the_opensafely_vocabulary() {
    let m = Mapping::shipped("emis-web").unwrap().unwrap();
    let got = appointments(
        &m,
        "NHS Number,Slot Date,Slot Time,Booked Date,Booked Time,Slot Status,Slot Type,Session Holder Role,National Slot Category Type\n\
         999 000 0018,17/01/2025,09:30,10/01/2025,08:12,Left,Routine,GP,Face to Face (Surgery)\n\
         9990000026,17-Jul-2025,14:05,,,telephoned but no answer,Same Day,Nurse,Telephone/Audio\n",
    );
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].subject, Subject::Nhs("9990000018".parse().unwrap()));
    assert_eq!(got[0].ods_code.as_str(), "B99001", "the practice given");
    assert_eq!(got[0].status, "Finished");
    assert_eq!(
        got[0].starts_at,
        datetime!(2025-01-17 09:30 UTC),
        "GMT in January"
    );
    assert_eq!(got[0].booked_at, datetime!(2025-01-10 08:12 UTC));
    assert_eq!(got[0].mode, "Face to face");
    assert_eq!(
        got[1].status, "Did Not Attend",
        "status words match in any case"
    );
    assert_eq!(
        got[1].starts_at,
        datetime!(2025-07-17 13:05 UTC),
        "BST in July"
    );
    assert_eq!(
        got[1].booked_at, got[1].starts_at,
        "no booking: booked when it starts"
    );
    assert_eq!(got[1].mode, "Telephone");
}

#[test]
fn a_mapping_with_a_status_outside_the_vocabulary_is_refused() {
    let text = SHIPPED[0]
        .1
        .replace("\"Left\" = \"Finished\"", "\"Left\" = \"Done\"");
    assert_eq!(
        Mapping::from_toml(&text).unwrap_err(),
        MappingError::Status("Left".into(), "Done".into())
    );
    assert!(matches!(
        Mapping::from_toml("name = 1").unwrap_err(),
        MappingError::Toml(_)
    ));
}
