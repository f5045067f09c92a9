//! Everything in the programme that comes due, in one list: champions' DBS checks, ID badges
//! and training, partners' and the PCN's agreements and insurance, and risk assessments' reviews.
//! The compliance dashboard shows it; the reminder task sends from it.

use together_core::champions::{training_label, Clearance};
use together_core::{ChampionId, ChampionRoleId, PcnId};
use together_store::champions::{
    current_checks, current_training, Champion, ChampionRole, DbsCheck,
};
use together_store::{DynStore, StoreError};

/// One thing that comes due.
pub(crate) struct Expiring {
    /// The item and its due date: a reminder goes once for each band of each key.
    pub key: String,
    /// The champion it is about, who is reminded too.
    pub champion: Option<ChampionId>,
    /// Whose it is: a champion's name, a partner's, "The PCN", "Role: …", "Venue: …".
    pub name: String,
    /// The page to open for it.
    pub href: String,
    pub what: String,
    pub due: time::Date,
    /// For a DBS check: its id and whether its renewal is under way (no reminders then).
    pub renewal: Option<(String, bool)>,
}

/// Whether a champion is clear, today, for a role they hold.
pub(crate) struct RoleClearance<'a> {
    pub champion: &'a Champion,
    pub role: &'a ChampionRole,
    pub status: Clearance,
}

/// Who is clear for which of the roles they hold (champions who left are not listed); the
/// dashboard and the API both show it.
pub(crate) fn clearance<'a>(
    champions: &'a [Champion],
    checks: &[DbsCheck],
    roles: &'a [ChampionRole],
    holders: &[(ChampionId, ChampionRoleId)],
    years: i32,
    today: time::Date,
) -> Vec<RoleClearance<'a>> {
    let mut out = Vec::new();
    for c in champions
        .iter()
        .filter(|c| c.stage != together_core::champions::Stage::Left)
    {
        let facts: Vec<_> = checks
            .iter()
            .filter(|k| k.champion_id == c.id)
            .map(DbsCheck::facts)
            .collect();
        for role in holders
            .iter()
            .filter(|(who, _)| *who == c.id)
            .filter_map(|(_, r)| roles.iter().find(|x| x.id == *r))
        {
            out.push(RoleClearance {
                champion: c,
                role,
                status: Clearance::of(role.dbs_level, &facts, years, today),
            });
        }
    }
    out
}

/// What comes due for these champions (with these DBS checks, already read and audited by the
/// caller) and across the PCN.
pub(crate) async fn expiring(
    store: &DynStore,
    pcn: PcnId,
    champions: &[Champion],
    checks: &[DbsCheck],
    years: i32,
) -> Result<Vec<Expiring>, StoreError> {
    let badges = store.badges(pcn, None).await?;
    let training = store.training(pcn, None).await?;
    let mut out = Vec::new();
    for c in champions
        .iter()
        .filter(|c| c.stage != together_core::champions::Stage::Left)
    {
        let name = format!("{} {}", c.given_name, c.family_name);
        let href = crate::paths::champions::record(c.id);
        let item = |key: String, what: String, due, renewal| Expiring {
            key,
            champion: Some(c.id),
            name: name.clone(),
            href: href.clone(),
            what,
            due,
            renewal,
        };
        let mine: Vec<DbsCheck> = checks
            .iter()
            .filter(|k| k.champion_id == c.id)
            .cloned()
            .collect();
        for (check, due) in current_checks(&mine, years) {
            out.push(item(
                format!("dbs:{}:{due}", check.id),
                format!("DBS check ({})", check.level.label()),
                due,
                Some((check.id.clone(), check.renewal_in_progress)),
            ));
        }
        for b in badges
            .iter()
            .filter(|b| b.champion_id == c.id && b.returned_on.is_none())
        {
            out.push(item(
                format!("badge:{}:{}", b.id, b.expires_on),
                format!("ID badge {}", b.number),
                b.expires_on,
                None,
            ));
        }
        for t in current_training(&training, c.id) {
            if let Some(due) = t.expires_on {
                out.push(item(
                    format!("training:{}:{due}", t.id),
                    training_label(&t.module),
                    due,
                    None,
                ));
            }
        }
    }
    let partners = store.partners(pcn).await?;
    for d in store.documents(pcn).await? {
        let (name, href) = match d.partner_id.as_deref() {
            Some(p) => (
                partners
                    .iter()
                    .find(|x| x.id == p)
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
                crate::paths::partners::record(p),
            ),
            None => ("The PCN".to_owned(), "/partners".to_owned()),
        };
        let kind = if d.kind == "agreement" {
            "review"
        } else {
            "insurance"
        };
        out.push(Expiring {
            key: format!("document:{}:{}", d.id, d.due),
            champion: None,
            name,
            href,
            what: format!("{} ({kind})", d.title),
            due: d.due,
            renewal: None,
        });
    }
    let roles = store.champion_roles(pcn).await?;
    let venues = store.venues(pcn).await?;
    for r in store.risk_assessments(pcn).await? {
        let (name, href) = match (&r.role_id, &r.venue_id) {
            (Some(role), _) => (
                roles
                    .iter()
                    .find(|x| x.id == *role)
                    .map(|x| format!("Role: {}", x.name))
                    .unwrap_or_default(),
                "/champions/roles".to_owned(),
            ),
            (None, Some(v)) => (
                venues
                    .iter()
                    .find(|x| x.id == *v)
                    .map(|x| format!("Venue: {}", x.name))
                    .unwrap_or_default(),
                "/partners".to_owned(),
            ),
            (None, None) => continue,
        };
        out.push(Expiring {
            key: format!("risk:{}:{}", r.id, r.review_on),
            champion: None,
            name,
            href,
            what: format!("{} (risk assessment review)", r.title),
            due: r.review_on,
            renewal: None,
        });
    }
    Ok(out)
}
