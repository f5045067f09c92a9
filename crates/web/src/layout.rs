//! What every page's frame shows: the service name (the PCN's), who is signed in, the navigation
//! their role allows (decided by the same policy that guards the routes) and the CSRF token.

use crate::context::Ctx;
use crate::state::AppState;
use together_core::{authorize, Action, Resource};

pub struct NavItem {
    pub href: &'static str,
    pub text: &'static str,
    pub active: bool,
}

pub struct Layout {
    pub title: String,
    pub service: String,
    pub csrf: String,
    /// Display name and role label of the signed-in user.
    pub user: Option<(String, &'static str)>,
    pub nav: Vec<NavItem>,
    pub demo: bool,
    /// Reload the page after this many seconds (a long job's status, without JavaScript).
    pub refresh: Option<u32>,
}

const NAV: &[(&str, &str, Action)] = &[
    ("/", "Home", Action::UseAccount),
    ("/insight", "Insight", Action::ViewInsight),
    ("/people", "People", Action::FindPeople),
    ("/champions", "Champions", Action::ManageChampions),
    ("/champions/me", "My progress", Action::OwnChampionRecord),
    (
        "/champions/me/hours",
        "My hours",
        Action::ClaimOwnHoursAndExpenses,
    ),
    ("/offers", "Offers", Action::ViewOffers),
    ("/sessions/rota", "My sessions", Action::TakeRotaPlaces),
    ("/connections", "Connections", Action::ViewConnections),
    ("/impact", "Did it help?", Action::ViewImpact),
    ("/listings", "Directory", Action::ManageDirectory),
    ("/equipment", "Equipment", Action::ManageEquipment),
    ("/partners", "Partners", Action::ManagePartners),
    (
        "/partners/mine",
        "Our organisation",
        Action::OwnPartnerOrganisation,
    ),
    (
        "/partners/mine/listings",
        "Our listings",
        Action::OwnPartnerOrganisation,
    ),
    ("/safeguarding", "Safeguarding", Action::HandleSafeguarding),
    (
        "/safeguarding/raise",
        "Raise a concern",
        Action::RaiseConcern,
    ),
    ("/pcn", "Our PCN", Action::UseAccount),
    ("/admin", "Admin", Action::ManageOrganisation),
    ("/admin/audit", "Audit", Action::ViewAudit),
    ("/account", "Account", Action::UseAccount),
];

impl Layout {
    pub fn new(state: &AppState, ctx: &Ctx, title: &str) -> Self {
        let signed_in = ctx.auth.as_ref().filter(|a| a.mfa_done);
        let nav = signed_in
            .map(|a| {
                let items: Vec<_> = NAV
                    .iter()
                    .filter(|(_, _, action)| {
                        authorize(&a.actor, *action, &Resource::Pcn(a.actor.pcn_id)).is_allowed()
                    })
                    .collect();
                // The current item is the longest address the page's path starts with ("/admin"
                // is not current on "/admin/audit" when Audit is an item of its own).
                let current = items
                    .iter()
                    .filter(|(href, _, _)| {
                        if *href == "/" {
                            ctx.path == "/"
                        } else {
                            ctx.path == *href || ctx.path.starts_with(&format!("{href}/"))
                        }
                    })
                    .map(|(href, _, _)| *href)
                    .max_by_key(|href| href.len());
                items
                    .iter()
                    .map(|(href, text, _)| NavItem {
                        href,
                        text,
                        active: current == Some(*href),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            title: title.to_owned(),
            service: signed_in
                .map(|a| a.pcn_name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "Together".into()),
            csrf: ctx.csrf_token.clone(),
            user: ctx
                .auth
                .as_ref()
                .map(|a| (a.user.display_name.clone(), a.user.role.label())),
            nav,
            demo: state.config().demo,
            refresh: None,
        }
    }
}

/// "24 November 2026, 09:00 UTC": times are stored and shown in UTC until the instance's time
/// zone becomes a setting.
pub fn when(t: &time::OffsetDateTime) -> String {
    let f = time::macros::format_description!(
        "[day padding:none] [month repr:long] [year], [hour]:[minute] UTC"
    );
    t.format(f).unwrap_or_default()
}

/// "27 March 1933".
pub fn date(d: &time::Date) -> String {
    let f = time::macros::format_description!("[day padding:none] [month repr:long] [year]");
    d.format(f).unwrap_or_default()
}

/// A form page answers 200, or 400 when it is shown again asking for corrections.
pub fn form_status(has_errors: bool) -> axum::http::StatusCode {
    if has_errors {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    }
}

/// The message for one field among a form's errors, or an empty string.
pub fn field_error(errors: &[together_core::people::FieldError], field: &str) -> String {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.clone())
        .unwrap_or_default()
}

/// Which of a page's forms went wrong, and how.
pub(crate) struct Problem {
    pub(crate) form: &'static str,
    pub(crate) errors: Vec<together_core::people::FieldError>,
}

impl Problem {
    pub(crate) fn none() -> Self {
        Self {
            form: "",
            errors: Vec::new(),
        }
    }
    pub(crate) fn of(form: &'static str, errors: Vec<together_core::people::FieldError>) -> Self {
        Self { form, errors }
    }
    pub(crate) fn err(&self, form: &str, field: &str) -> String {
        if self.form == form {
            field_error(&self.errors, field)
        } else {
            String::new()
        }
    }
}

/// A form's single error, for a check only the store can make.
pub(crate) fn one_error(
    field: &'static str,
    message: impl Into<String>,
) -> Vec<together_core::people::FieldError> {
    vec![together_core::people::FieldError {
        field,
        message: message.into(),
    }]
}

/// Gives a form's errors the names its fields have on the page.
pub(crate) fn renamed(
    errors: Vec<together_core::people::FieldError>,
    names: &[(&str, &'static str)],
) -> Vec<together_core::people::FieldError> {
    errors
        .into_iter()
        .map(|e| together_core::people::FieldError {
            field: names
                .iter()
                .find(|(from, _)| *from == e.field)
                .map_or(e.field, |(_, to)| to),
            message: e.message,
        })
        .collect()
}
