//! Where things are: the links pages, messages and redirects build, one module per area, so
//! that a path is spelt once and a page that moves moves everywhere. (The routes themselves are
//! declared by each area's module; the request layers' own paths are below.)

use std::fmt::Display;

/// The pages that take uploads (the body limit is raised for these alone).
pub(crate) const UPLOAD_PATHS: [&str; 2] = ["/insight/imports", "/insight/imports/synthea"];

/// Where a champion's expense (with its receipt) is posted: it has a body limit of its own.
pub(crate) const EXPENSE_PATH: &str = "/champions/me/expenses";

/// People the PCN supports.
/// Where each kind of work on a person's home is done.
pub(crate) mod work {
    use together_app::work::Need;

    pub(crate) fn place(need: Need) -> &'static str {
        match need {
            Need::ConcernsOpen => "/safeguarding",
            Need::DbsDue | Need::TrainingDue => "/champions/compliance",
            Need::FollowUpsOverdue | Need::FollowUpsDue | Need::WaitingToBeContacted => {
                "/connections"
            }
            Need::LoansOverdue => "/equipment",
            Need::RegistersToday | Need::MySessions | Need::PlacesThisWeek => "/sessions/rota",
            Need::RotaGaps => "/sessions",
            Need::ListingsDue | Need::ChangesWaiting => "/listings",
            Need::ListingsToConfirm => "/partners/mine/listings",
            Need::NewInterest | Need::ReferencesWaiting | Need::DbsWaiting => "/champions",
        }
    }
}

pub(crate) mod people {
    use super::Display;

    /// A person's record.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/people/{id}")
    }

    /// A section of a person's record (`referrals`, `consent`, `equipment` …).
    pub(crate) fn section(id: impl Display, section: &str) -> String {
        format!("/people/{id}#{section}")
    }

    /// Where a person's details are changed.
    pub(crate) fn edit(id: impl Display) -> String {
        format!("/people/{id}/edit")
    }
}

/// Champions.
pub(crate) mod champions {
    use super::Display;

    /// A champion's record.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/champions/{id}")
    }

    /// A champion's record after something was done, which the page confirms (`done=dbs` …).
    pub(crate) fn done(id: impl Display, what: impl Display) -> String {
        format!("/champions/{id}?done={what}")
    }
}

/// Community partners.
pub(crate) mod partners {
    use super::Display;

    /// A partner's page.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/partners/{id}")
    }

    /// A section of a partner's page (`contacts` …).
    pub(crate) fn section(id: impl Display, section: &str) -> String {
        format!("/partners/{id}#{section}")
    }
}

/// Connections.
pub(crate) mod connections {
    use super::Display;

    /// A connection's page.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/connections/{id}")
    }

    /// A section of a connection's page (`wellbeing` …).
    pub(crate) fn section(id: impl Display, section: &str) -> String {
        format!("/connections/{id}#{section}")
    }

    /// A connection's wellbeing, saying a link to answer was sent.
    pub(crate) fn wellbeing_link_sent(id: impl Display) -> String {
        format!("/connections/{id}?sent=1#wellbeing")
    }
}

/// Offers.
pub(crate) mod offers {
    use super::Display;

    /// An offer's page.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/offers/{id}")
    }

    /// A section of an offer's page (`leads`, `sessions` …).
    pub(crate) fn section(id: impl Display, section: &str) -> String {
        format!("/offers/{id}#{section}")
    }
}

/// Sessions of offers.
pub(crate) mod sessions {
    use super::Display;

    /// A session's page.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/sessions/{id}")
    }

    /// A section of a session's page (`rota` …).
    pub(crate) fn section(id: impl Display, section: &str) -> String {
        format!("/sessions/{id}#{section}")
    }

    /// A session's register.
    pub(crate) fn register(id: impl Display) -> String {
        format!("/sessions/{id}/register")
    }

    /// A session's register, saying it was saved.
    pub(crate) fn register_saved(id: impl Display) -> String {
        format!("/sessions/{id}/register?saved=1")
    }
}

/// Equipment and loans.
pub(crate) mod equipment {
    use super::Display;

    /// An item's page.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/equipment/{id}")
    }
}

/// Loans of equipment.
pub(crate) mod loans {
    use super::Display;

    /// Where a loan is recorded as come back.
    pub(crate) fn give_back(id: impl Display) -> String {
        format!("/loans/{id}/return")
    }
}

/// The directory's listings, as the coordinator keeps them.
pub(crate) mod listings {
    use super::Display;

    /// A listing's page.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/listings/{id}")
    }
}

/// The public directory.
pub(crate) mod directory {
    use super::Display;

    /// A service's public page.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/directory/{id}")
    }
}

/// Safeguarding concerns.
pub(crate) mod safeguarding {
    use super::Display;

    /// A concern's page.
    pub(crate) fn record(id: impl Display) -> String {
        format!("/safeguarding/{id}")
    }
}
