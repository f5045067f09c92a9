//! Champions, one module per page or area: the public expression-of-interest form (`join`),
//! the journey board (`board`) and each champion's record (`record`) for the PCN administrator
//! (who is the volunteer coordinator), the compliance dashboard (`compliance`), workshops,
//! roles, the invitation texts (`invite`), the spreadsheet import and download
//! (`spreadsheet`), subject access and erasure (`subject_access`), and a champion's own page
//! (`mine`). This module holds the routes and what several of them share.

mod common;
pub(crate) use common::own_record;
mod board;
mod compliance;
mod invite;
mod join;
mod mine;
mod record;
mod roles;
mod spreadsheet;
mod subject_access;
mod workshops;

use crate::policy_router::{Policy, Routes};
use board::*;
use compliance::*;
use invite::*;
pub(crate) use join::public_pcn;
use join::*;
use mine::*;
use record::*;
use roles::*;
use spreadsheet::*;
use subject_access::*;
use together_core::Action;
use workshops::*;

pub(crate) fn routes(r: Routes) -> Routes {
    let manage = Policy::Allow(Action::ManageChampions);
    r.get("/join", Policy::Public, join_page)
        .post("/join", Policy::Public, join_submit)
        .get("/champions", manage, board)
        .get("/champions/roles", manage, roles_page)
        .post("/champions/roles", manage, add_role)
        .post("/champions/roles/risk", manage, add_role_risk)
        .get("/champions/invite", manage, invite_texts)
        .get("/champions/compliance", manage, compliance)
        .get("/champions/export.csv", manage, export_all)
        .get("/champions/import", manage, import_page)
        .post("/champions/import", manage, import_file)
        .get("/champions/workshops", manage, workshops)
        .post("/champions/workshops", manage, add_workshop)
        .post("/champions/workshops/{id}/book", manage, book_workshop)
        .post(
            "/champions/workshops/{id}/attendance",
            manage,
            mark_attendance,
        )
        .post("/champions/compliance", manage, save_renewal_years)
        .get(
            "/champions/me",
            Policy::Allow(Action::OwnChampionRecord),
            my_progress,
        )
        .post(
            "/champions/me/step",
            Policy::Allow(Action::OwnChampionRecord),
            my_step,
        )
        .post(
            "/champions/me/details",
            Policy::Allow(Action::OwnChampionRecord),
            my_details,
        )
        .get("/champions/{id}", manage, record)
        .post("/champions/{id}/move", manage, move_champion)
        .get("/champions/{id}/export.json", manage, export_json)
        .get("/champions/{id}/export.csv", manage, export_csv)
        .post("/champions/{id}/erase", manage, erase)
        .post("/champions/{id}/roles", manage, give_role)
        .post("/champions/{id}/badges", manage, issue_badge)
        .post(
            "/champions/{id}/badges/{badge}/returned",
            manage,
            return_badge,
        )
        .post("/champions/{id}/training", manage, record_training)
        .post("/champions/{id}/profile", manage, update_profile)
        .post(
            "/champions/{id}/emergency-contacts",
            manage,
            add_emergency_contact,
        )
        .post("/champions/{id}/dbs", manage, request_dbs)
        .post("/champions/{id}/dbs/{check}", manage, record_dbs_result)
        .post(
            "/champions/{id}/dbs/{check}/renewal",
            manage,
            renewal_in_progress,
        )
}
