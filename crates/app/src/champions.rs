//! Champions, the PCN's volunteers.

use together_core::Actor;
use together_formats::champions::{write_champions, ChampionLine};
use together_store::champions::Champion;
use together_store::{DynStore, NewAuditEvent, Practice, StoreError};

/// The signed-in user's own champion record (the read audited with `audit`); `None` while
/// their account is not linked to one. Every page and API call about "my" record starts here.
pub async fn own_record(
    store: &DynStore,
    actor: &Actor,
    audit: &NewAuditEvent,
) -> Result<Option<Champion>, StoreError> {
    store
        .champion_of_user(actor.pcn_id, actor.user_id, audit)
        .await
}

/// Every champion as the CSV `together champions import` reads, for the download on the board
/// and `together champions export`.
pub fn spreadsheet(champions: &[Champion], practices: &[Practice]) -> Result<Vec<u8>, csv::Error> {
    let codes: Vec<String> = champions
        .iter()
        .map(|c| {
            c.home_practice_id
                .and_then(|id| practices.iter().find(|p| p.id == id))
                .map(|p| p.ods_code.to_string())
                .unwrap_or_default()
        })
        .collect();
    let lines: Vec<ChampionLine<'_>> = champions
        .iter()
        .zip(&codes)
        .map(|(c, practice)| ChampionLine {
            given_name: &c.given_name,
            family_name: &c.family_name,
            contact_preference: c.contact_preference.as_str(),
            phone: c.phone.as_deref().unwrap_or(""),
            email: c.email.as_deref().unwrap_or(""),
            practice,
            interests: &c.interests,
            availability: &c.availability,
            skills: &c.skills,
            stage: c.stage.as_str(),
        })
        .collect();
    let mut out = Vec::new();
    write_champions(&mut out, &lines)?;
    Ok(out)
}
