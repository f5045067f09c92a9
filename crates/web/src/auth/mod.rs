//! Signing in and out, the second factor, one's own account, and the one-time links that set a
//! password (enrolment, reset).

mod account;
pub(crate) mod links;
mod session;
mod sign_in;
mod two_factor;

use crate::policy_router::{Policy, Routes};
use together_core::Action;

pub(crate) use links::LinkEmail;

pub(crate) fn routes(r: Routes) -> Routes {
    let account = Policy::Allow(Action::UseAccount);
    r.get("/sign-in", Policy::Public, sign_in::page)
        .post("/sign-in", Policy::Public, sign_in::submit)
        .post("/sign-out", Policy::Public, sign_in::sign_out)
        .get(
            "/sign-in/two-factor",
            Policy::PasswordOnly,
            two_factor::challenge_page,
        )
        .post(
            "/sign-in/two-factor",
            Policy::PasswordOnly,
            two_factor::challenge_submit,
        )
        .get(
            "/account/two-factor",
            Policy::PasswordOnly,
            two_factor::setup_page,
        )
        .post(
            "/account/two-factor",
            Policy::PasswordOnly,
            two_factor::setup_submit,
        )
        .get("/account", account, account::page)
        .post("/account/password", account, account::change_password)
        .post("/account/sessions/end", account, account::end_session)
        .post(
            "/account/sessions/end-all",
            account,
            account::end_all_sessions,
        )
        .get("/enrol", Policy::Public, links::enrol_page)
        .post("/enrol", Policy::Public, links::enrol_submit)
        .get("/reset-password", Policy::Public, links::reset_page)
        .post("/reset-password", Policy::Public, links::reset_submit)
        .get("/forgot-password", Policy::Public, links::forgot_page)
        .post("/forgot-password", Policy::Public, links::forgot_submit)
}
