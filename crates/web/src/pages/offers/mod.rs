//! Offers: the PCN administrator runs them (details, schedules, one-off sessions, leads, rotas,
//! the gaps ahead); everyone on the team sees them, to signpost people; champions take places
//! on the rotas of sessions they are clear for, on their phone. One module per page.

mod common;
mod offer;
mod register;
mod rota;
mod sessions;

use crate::policy_router::{Policy, Routes};

pub(crate) fn routes(r: Routes) -> Routes {
    let manage = Policy::Allow(Action::ManageOffers);
    let view = Policy::Allow(Action::ViewOffers);
    let rota = Policy::Allow(Action::TakeRotaPlaces);
    let register = Policy::Allow(Action::TakeRegisters);
    r.get("/offers", view, offer::list)
        .post("/offers", manage, offer::add)
        .get("/offers/{id}", view, offer::view)
        .post("/offers/{id}", manage, offer::update)
        .post("/offers/{id}/schedules", manage, offer::add_schedule)
        .post("/offers/{id}/sessions", manage, offer::add_session)
        .post("/offers/{id}/leads", manage, offer::add_lead)
        .post(
            "/offers/{id}/leads/{champion}/remove",
            manage,
            offer::remove_lead,
        )
        .get("/sessions", view, sessions::ahead)
        .get("/sessions/rota", rota, rota::mine)
        .post("/sessions/{id}/rota/take", rota, rota::take)
        .post("/sessions/{id}/rota/leave", rota, rota::leave)
        .post("/sessions/{id}/rota/swap", rota, rota::swap)
        .get("/sessions/{id}/register", register, register::page)
        .post("/sessions/{id}/register", register, register::save)
        .get("/sessions/{id}", view, sessions::view)
        .post("/sessions/{id}/cancel", manage, sessions::cancel)
        .post("/sessions/{id}/move", manage, sessions::move_session)
        .post("/sessions/{id}/rota", manage, sessions::place_champion)
}

use together_core::Action;
