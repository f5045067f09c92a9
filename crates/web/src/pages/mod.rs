//! The pages, one module per area; each owns its routes, forms and templates.

pub(crate) mod admin;
pub(crate) mod champions;
mod cohorts;
pub(crate) mod connections;
mod counting;
pub(crate) mod directory;
pub(crate) mod equipment;
mod health;
mod home;
pub(crate) mod hours_expenses;
pub(crate) mod impact;
pub(crate) mod imports;
pub(crate) mod insight;
pub(crate) mod invitations;
pub(crate) mod listings;
mod offers;
mod partners;
pub(crate) mod people;
mod pledges;
pub(crate) mod referrals;
mod safeguarding;
pub(crate) mod spreadsheet;
pub(crate) mod wellbeing;

use crate::policy_router::Routes;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = home::routes(r);
    let r = health::routes(r);
    let r = admin::routes(r);
    let r = insight::routes(r);
    let r = impact::routes(r);
    let r = cohorts::routes(r);
    let r = invitations::routes(r);
    let r = imports::routes(r);
    let r = counting::routes(r);
    let r = champions::routes(r);
    let r = hours_expenses::routes(r);
    let r = safeguarding::routes(r);
    let r = partners::routes(r);
    let r = offers::routes(r);
    let r = directory::routes(r);
    let r = equipment::routes(r);
    let r = connections::routes(r);
    let r = listings::routes(r);
    let r = wellbeing::routes(r);
    let r = referrals::routes(r);
    let r = pledges::routes(r);
    people::routes(r)
}
