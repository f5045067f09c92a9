//! People the PCN supports: find, add, open (audited, with break-glass for link workers outside
//! their caseload), record and withdraw consent, and see who has viewed a record.

mod add;
mod find;
mod record;
pub(crate) use crate::person_access::{may, require};
use crate::policy_router::{Policy, Routes};
use add::*;
use find::*;
pub(crate) use record::show_with;
use record::*;
use together_core::Action;

mod buddy;
mod edit;
mod import;
mod merge;
mod pick;
mod subject_access;

pub(crate) fn routes(r: Routes) -> Routes {
    let find = Policy::Allow(Action::FindPeople);
    let merging = Policy::Allow(Action::MergePeople);
    let sar = Policy::Allow(Action::PersonSubjectAccess);
    r.get("/people", find, find_page)
        .get("/people/new", Policy::Allow(Action::CreatePerson), new_page)
        .get(
            "/people/import",
            Policy::Allow(Action::ImportPeople),
            import::page,
        )
        .upload(
            "/people/import",
            Policy::Allow(Action::ImportPeople),
            import::upload,
        )
        .post("/people", Policy::Allow(Action::CreatePerson), create)
        .get("/people/{id}", find, view)
        .post("/people/{id}/open", find, break_glass)
        .post("/people/{id}/consents", find, add_consent)
        .post("/people/{id}/consents/withdraw", find, withdraw)
        .get("/people/{id}/edit", find, edit::edit_page)
        .post("/people/{id}/edit", find, edit::save)
        .get("/people/{id}/buddy", find, buddy::page)
        .post("/people/{id}/buddy", find, buddy::connect)
        .get("/people/{id}/merge", merging, merge::page)
        .post("/people/{id}/merge", merging, merge::merge)
        .get(
            "/people/{id}/subject-access.json",
            sar,
            subject_access::export_json,
        )
        .get(
            "/people/{id}/subject-access.csv",
            sar,
            subject_access::export_csv,
        )
        .post("/people/{id}/erase", sar, subject_access::erase)
        .get(
            "/people/{id}/access",
            Policy::Allow(Action::ViewAudit),
            access_log,
        )
}
