//! The one authorisation policy. Every request, page or API, asks [`authorize`]; anything not
//! granted here is denied. Scope (PCN, practice) comes from the signed-in actor, never from the
//! request, so a forged id can only ever name something outside the actor's reach.

use crate::ids::{PcnId, PracticeId, UserId};
use crate::roles::Role;
use serde::Serialize;

/// Who is asking: derived from the session or API token, never from request parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    pub pcn_id: PcnId,
    /// Set for roles that act for one practice (clinicians).
    pub practice_id: Option<PracticeId>,
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Anything signed in: the home page, the PCN page, one's own account.
    UseAccount,
    /// Change the PCN's name, practices and sites.
    ManageOrganisation,
    /// Invite, disable and reset users.
    ManageUsers,
    /// Import, replace and delete the practices' data for Insight (it arrives identifiable and
    /// is pseudonymised at the door); see docs/decisions.md.
    ImportData,
    /// Read the audit trail, including who viewed a person's record.
    ViewAudit,
    /// See Insight: how appointments are spread across the registered population.
    ViewInsight,
    /// Search the people the PCN supports.
    FindPeople,
    /// Add a person.
    CreatePerson,
    /// Open one person's identifiable record.
    ViewPerson,
    /// Change a person's record or consents.
    UpdatePerson,
    /// Merge two records of one person (champions record someone new without being told who
    /// the PCN knows, so duplicates arise on purpose): the coordinator, who sees everyone.
    MergePeople,
    /// Bring in the spreadsheet of people the PCN keeps today, many records at once: the
    /// coordinator, who sees everyone (a link worker could not open the records they added,
    /// which are on nobody's caseload yet).
    ImportPeople,
    /// Give a person everything held about them (subject access), or erase their details
    /// keeping anonymous counts: the coordinator, who holds the information governance role.
    PersonSubjectAccess,
    /// See the pledges people made, counted by practice and theme; choose which go on the
    /// public wall; ask a champion to help someone who wanted one: the coordinator.
    ManagePledges,
    /// Turn pseudonyms of a practice's registered people back into names and contact details
    /// (the patient index), to invite a cohort.
    Reidentify,
    /// Look after champions: the board, their records and journey, roles and DBS checks (the
    /// PCN administrator is the volunteer coordinator; DBS records are theirs and the
    /// champion's alone, docs/design.md, "Who uses it").
    ManageChampions,
    /// A champion's own record: their progress and what they are clear to do, and stepping
    /// back, coming back or leaving.
    OwnChampionRecord,
    /// A champion logs their own hours and claims their own expenses.
    ClaimOwnHoursAndExpenses,
    /// Look after the community partners: organisations, venues, agreements, insurance.
    ManagePartners,
    /// A partner user keeps their own organisation's details and venues up to date.
    OwnPartnerOrganisation,
    /// Run the PCN's offers: create and change them, their schedules, sessions, leads and
    /// rotas, and see the gaps ahead.
    ManageOffers,
    /// Keep the directory's other listings: add and change them, approve partners' changes,
    /// take them out and put them back, and set the verification cycle.
    ManageDirectory,
    /// See the PCN's offers and their sessions, to signpost people to them: everyone on the
    /// team (nothing about people is on them).
    ViewOffers,
    /// A champion takes, swaps and gives up places on sessions' rotas.
    TakeRotaPlaces,
    /// Take a session's register: the coordinator, or a champion for an offer they lead (the
    /// store checks that they lead it).
    TakeRegisters,
    /// Keep the equipment the PCN lends: the inventory, its condition and cleaning, and every
    /// loan (who has what, and what is overdue).
    ManageEquipment,
    /// A champion hands over and brings back the loans they were asked to handle, and types in
    /// the readings that come back (which they then cannot see again).
    HandleLoans,
    /// Lend an item to a person: someone who looks after them (their practice's clinician, a
    /// link worker with them on their caseload, the coordinator).
    LendEquipment,
    /// Read the home readings (blood pressure) brought back with a loan: clinical data, for
    /// the person's own practice's clinicians only.
    ViewReadings,
    /// Raise a safeguarding concern, or report an incident or accident: anyone in the team.
    RaiseConcern,
    /// Open the safeguarding page: staff who may be named the PCN's safeguarding lead. What a
    /// concern says is shown only to the named lead (checked against the record).
    HandleSafeguarding,
    /// See a list of connections: each sees the ones in their reach (a champion's and a link
    /// worker's own, a clinician's practice's, the coordinator's all).
    ViewConnections,
    /// Connect a person to an offer, a service or a champion: someone who looks after them
    /// (their practice's clinician, a link worker with them on their caseload, the coordinator).
    MakeConnection,
    /// See one connection and keep it up to date (move it on, record its follow-ups): whoever
    /// made it (a champion only while the person agrees to champions knowing them), a
    /// clinician of the person's practice, a link worker with the person on their caseload or
    /// when a champion made it (link workers follow up champions' connections), the coordinator.
    KeepConnection,
    /// See and record how the person of a connection is (wellbeing answers), and send them a
    /// link to answer: whoever may keep the connection, except a champion (how someone feels
    /// is for the staff looking after them).
    KeepWellbeing,
    /// Record a connection for someone new, met at an offer or in the community: a champion,
    /// who then sees only what the connection needs.
    ConnectSomeoneNew,
    /// Take on the person of a champion's connection: a link worker, who then has them on
    /// their caseload.
    TakeOnPerson,
    /// Record a referral to the social prescribing service for a person, and accept or decline
    /// it: someone who looks after them (as `MakeConnection`).
    KeepReferrals,
    /// Download what to code in the GP record from the practice's referrals (names and dates of
    /// birth with SNOMED CT codes): the practice's own clinicians, who hold the record already.
    CodeReferrals,
    /// See whether connecting people helped (the impact report: pseudonymised and aggregated,
    /// never a name): the staff who run and answer for the programme and the analysts.
    ViewImpact,
    /// Enter what the programme cost, the unit costs savings are valued at, how the evaluation is
    /// done and the connections made before Together: the PCN lead.
    ManageProgrammeCosts,
}

impl Action {
    /// The action's name as the audit trail and the API write it (the same as its JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::UseAccount => "use_account",
            Action::ManageOrganisation => "manage_organisation",
            Action::ManageUsers => "manage_users",
            Action::ImportData => "import_data",
            Action::ViewAudit => "view_audit",
            Action::ViewInsight => "view_insight",
            Action::FindPeople => "find_people",
            Action::CreatePerson => "create_person",
            Action::ViewPerson => "view_person",
            Action::UpdatePerson => "update_person",
            Action::MergePeople => "merge_people",
            Action::ImportPeople => "import_people",
            Action::PersonSubjectAccess => "person_subject_access",
            Action::ManagePledges => "manage_pledges",
            Action::Reidentify => "reidentify",
            Action::ManageChampions => "manage_champions",
            Action::OwnChampionRecord => "own_champion_record",
            Action::ClaimOwnHoursAndExpenses => "claim_own_hours_and_expenses",
            Action::ManagePartners => "manage_partners",
            Action::OwnPartnerOrganisation => "own_partner_organisation",
            Action::ManageOffers => "manage_offers",
            Action::ManageDirectory => "manage_directory",
            Action::ViewOffers => "view_offers",
            Action::TakeRotaPlaces => "take_rota_places",
            Action::TakeRegisters => "take_registers",
            Action::ManageEquipment => "manage_equipment",
            Action::HandleLoans => "handle_loans",
            Action::LendEquipment => "lend_equipment",
            Action::ViewReadings => "view_readings",
            Action::RaiseConcern => "raise_concern",
            Action::HandleSafeguarding => "handle_safeguarding",
            Action::ViewConnections => "view_connections",
            Action::MakeConnection => "make_connection",
            Action::KeepConnection => "keep_connection",
            Action::KeepWellbeing => "keep_wellbeing",
            Action::ConnectSomeoneNew => "connect_someone_new",
            Action::TakeOnPerson => "take_on_person",
            Action::KeepReferrals => "keep_referrals",
            Action::CodeReferrals => "code_referrals",
            Action::ViewImpact => "view_impact",
            Action::ManageProgrammeCosts => "manage_programme_costs",
        }
    }
}

/// What the action is about, with the facts the policy needs and nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The PCN as a whole (pages and lists scoped to it).
    Pcn(PcnId),
    /// One practice's data (its patient index).
    Practice {
        pcn_id: PcnId,
        practice_id: PracticeId,
    },
    /// One connection of a person.
    Connection {
        pcn_id: PcnId,
        /// The practice of the person connected.
        practice_id: PracticeId,
        /// The actor made it.
        made_by_actor: bool,
        /// The actor has the person on their caseload.
        on_caseload: bool,
        /// A champion made it (an informal connection that link workers follow up).
        made_by_champion: bool,
        /// The person agrees to champions knowing their first name and how to reach them.
        shared_with_champions: bool,
    },
    /// A person's record.
    Person {
        pcn_id: PcnId,
        practice_id: PracticeId,
        /// The actor has them on their caseload (an open connection or referral with them).
        on_caseload: bool,
        /// The actor (a champion) made a connection for them.
        connected_by_actor: bool,
    },
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    /// Allowed only with a stated reason, flagged in the audit ("break glass").
    AllowWithReason,
    Deny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Decides whether `actor` may do `action` to `resource`. Deny by default.
pub fn authorize(actor: &Actor, action: Action, resource: &Resource) -> Decision {
    use Action::*;
    use Role::*;

    let same_pcn = match resource {
        Resource::Pcn(p) => *p == actor.pcn_id,
        Resource::Person { pcn_id, .. }
        | Resource::Practice { pcn_id, .. }
        | Resource::Connection { pcn_id, .. } => *pcn_id == actor.pcn_id,
    };
    if !same_pcn {
        return Decision::Deny;
    }

    let allowed = match (action, resource) {
        (UseAccount, Resource::Pcn(_)) => true,
        (ManageOrganisation | ManageUsers | ViewAudit | ImportData, Resource::Pcn(_)) => {
            actor.role == PcnAdmin
        }
        (ViewInsight, Resource::Pcn(_)) => matches!(actor.role, PcnAdmin | Clinician | Analyst),
        (ViewImpact, Resource::Pcn(_)) => {
            matches!(actor.role, PcnAdmin | Clinician | LinkWorker | Analyst)
        }
        (ManageProgrammeCosts, Resource::Pcn(_)) => actor.role == PcnAdmin,
        (ManageChampions, Resource::Pcn(_)) => actor.role == PcnAdmin,
        (OwnChampionRecord | ClaimOwnHoursAndExpenses, Resource::Pcn(_)) => actor.role == Champion,
        (RaiseConcern, Resource::Pcn(_)) => true,
        (ManagePartners | ManageOffers | ManageDirectory, Resource::Pcn(_)) => {
            actor.role == PcnAdmin
        }
        (ViewOffers, Resource::Pcn(_)) => true,
        (TakeRotaPlaces | HandleLoans, Resource::Pcn(_)) => actor.role == Champion,
        (ManageEquipment, Resource::Pcn(_)) => actor.role == PcnAdmin,
        // Someone who looks after the person: their practice's clinician, a link worker with
        // them on their caseload, the coordinator.
        (
            LendEquipment | MakeConnection | KeepReferrals,
            Resource::Person {
                practice_id,
                on_caseload,
                ..
            },
        ) => match actor.role {
            PcnAdmin => true,
            Clinician => actor.practice_id == Some(*practice_id),
            LinkWorker => *on_caseload,
            Champion | Analyst | Partner => false,
        },
        (ViewReadings, Resource::Person { practice_id, .. }) => {
            actor.role == Clinician && actor.practice_id == Some(*practice_id)
        }
        (ViewConnections, Resource::Pcn(_)) => {
            matches!(actor.role, PcnAdmin | Clinician | LinkWorker | Champion)
        }
        (
            KeepConnection,
            Resource::Connection {
                practice_id,
                made_by_actor,
                on_caseload,
                made_by_champion,
                shared_with_champions,
                ..
            },
        ) => match actor.role {
            PcnAdmin => true,
            Clinician => *made_by_actor || actor.practice_id == Some(*practice_id),
            LinkWorker => *made_by_actor || *on_caseload || *made_by_champion,
            Champion => *made_by_actor && *shared_with_champions,
            Analyst | Partner => false,
        },
        (
            TakeOnPerson,
            Resource::Connection {
                on_caseload,
                made_by_champion,
                ..
            },
        ) => actor.role == LinkWorker && *made_by_champion && !*on_caseload,
        (KeepWellbeing, Resource::Connection { .. }) => {
            actor.role != Champion && authorize(actor, KeepConnection, resource) == Decision::Allow
        }
        (ConnectSomeoneNew, Resource::Pcn(_)) => actor.role == Champion,
        // The download itself; which practice's referrals is asked of the practice below.
        (CodeReferrals, Resource::Pcn(_)) => actor.role == Clinician,
        (TakeRegisters, Resource::Pcn(_)) => matches!(actor.role, PcnAdmin | Champion),
        (OwnPartnerOrganisation, Resource::Pcn(_)) => actor.role == Partner,
        (HandleSafeguarding, Resource::Pcn(_)) => matches!(actor.role, PcnAdmin | Clinician),
        (MergePeople | ImportPeople | PersonSubjectAccess | ManagePledges, Resource::Pcn(_)) => {
            actor.role == PcnAdmin
        }
        (FindPeople | CreatePerson, Resource::Pcn(_)) => {
            matches!(actor.role, PcnAdmin | Clinician | LinkWorker)
        }
        (
            ViewPerson | UpdatePerson,
            Resource::Person {
                practice_id,
                on_caseload,
                connected_by_actor,
                ..
            },
        ) => match actor.role {
            PcnAdmin => true,
            Clinician => actor.practice_id == Some(*practice_id),
            LinkWorker if *on_caseload => true,
            LinkWorker => return Decision::AllowWithReason,
            Champion => action == ViewPerson && *connected_by_actor,
            Analyst | Partner => false,
        },
        // Only the practice's own clinicians, who hold the record already (docs/design.md, "Data protection by construction").
        (Reidentify | CodeReferrals, Resource::Practice { practice_id, .. }) => {
            actor.role == Clinician && actor.practice_id == Some(*practice_id)
        }
        _ => false,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actions_name_is_its_json() {
        for a in [
            Action::UseAccount,
            Action::ViewPerson,
            Action::ClaimOwnHoursAndExpenses,
        ] {
            assert_eq!(serde_json::to_value(a).ok(), Some(a.as_str().into()));
        }
    }

    fn actor(role: Role, practice: Option<PracticeId>) -> Actor {
        Actor {
            user_id: UserId::new(),
            role,
            pcn_id: PcnId::from(uuid::Uuid::nil()),
            practice_id: practice,
        }
    }

    fn person(practice: PracticeId, caseload: bool, connected: bool) -> Resource {
        Resource::Person {
            pcn_id: PcnId::from(uuid::Uuid::nil()),
            practice_id: practice,
            on_caseload: caseload,
            connected_by_actor: connected,
        }
    }

    #[test]
    fn a_connection_is_kept_by_its_maker_the_persons_clinicians_and_the_coordinator() {
        let practice = PracticeId::new();
        let other = PracticeId::new();
        let connection = |made_by_actor| Resource::Connection {
            pcn_id: PcnId::from(uuid::Uuid::nil()),
            practice_id: practice,
            made_by_actor,
            on_caseload: false,
            made_by_champion: false,
            shared_with_champions: true,
        };
        let keep = |role, at, mine| {
            authorize(&actor(role, at), Action::KeepConnection, &connection(mine)).is_allowed()
        };
        assert!(keep(Role::PcnAdmin, None, false));
        assert!(keep(Role::Clinician, Some(practice), false));
        assert!(!keep(Role::Clinician, Some(other), false));
        assert!(keep(Role::LinkWorker, None, true));
        assert!(!keep(Role::LinkWorker, None, false), "not another worker's");
        assert!(keep(Role::Champion, None, true));
        assert!(!keep(Role::Champion, None, false));
        assert!(!keep(Role::Analyst, None, true));
        assert!(!keep(Role::Partner, None, true));
        let elsewhere = Resource::Connection {
            pcn_id: PcnId::new(),
            practice_id: practice,
            made_by_actor: true,
            on_caseload: true,
            made_by_champion: true,
            shared_with_champions: true,
        };
        assert!(!authorize(
            &actor(Role::PcnAdmin, None),
            Action::KeepConnection,
            &elsewhere
        )
        .is_allowed());
        // Connecting someone needs a relationship with them first.
        let make = |role, at, caseload| {
            authorize(
                &actor(role, at),
                Action::MakeConnection,
                &person(practice, caseload, false),
            )
            .is_allowed()
        };
        assert!(make(Role::LinkWorker, None, true));
        assert!(
            !make(Role::LinkWorker, None, false),
            "open their record with a reason first"
        );
        assert!(make(Role::Clinician, Some(practice), false));
        assert!(!make(Role::Clinician, Some(other), false));
        assert!(!make(Role::Champion, None, true));
        assert!(!make(Role::Analyst, None, true));
    }

    #[test]
    fn champions_connections_are_followed_up_by_link_workers_and_hidden_when_consent_goes() {
        let practice = PracticeId::new();
        let connection = |mine, caseload, by_champion, shared| Resource::Connection {
            pcn_id: PcnId::from(uuid::Uuid::nil()),
            practice_id: practice,
            made_by_actor: mine,
            on_caseload: caseload,
            made_by_champion: by_champion,
            shared_with_champions: shared,
        };
        let may =
            |role, action, r: &Resource| authorize(&actor(role, None), action, r).is_allowed();
        let keep = Action::KeepConnection;
        // The champion's own, while the person agrees; not once they withdraw.
        assert!(may(
            Role::Champion,
            keep,
            &connection(true, true, true, true)
        ));
        assert!(!may(
            Role::Champion,
            keep,
            &connection(true, true, true, false)
        ));
        // Any link worker follows up a champion's connection, and may take the person on.
        assert!(may(
            Role::LinkWorker,
            keep,
            &connection(false, false, true, false)
        ));
        let waiting = connection(false, false, true, true);
        assert!(may(Role::LinkWorker, Action::TakeOnPerson, &waiting));
        assert!(
            !may(
                Role::LinkWorker,
                Action::TakeOnPerson,
                &connection(false, true, true, true)
            ),
            "already theirs"
        );
        assert!(
            !may(
                Role::LinkWorker,
                Action::TakeOnPerson,
                &connection(false, false, false, true)
            ),
            "a colleague's"
        );
        assert!(!may(Role::PcnAdmin, Action::TakeOnPerson, &waiting));
        assert!(!may(Role::Champion, Action::TakeOnPerson, &waiting));
        // A link worker sees what others connected for the people on their caseload, not
        // another worker's connection of someone else.
        assert!(may(
            Role::LinkWorker,
            keep,
            &connection(false, true, false, true)
        ));
        assert!(!may(
            Role::LinkWorker,
            keep,
            &connection(false, false, false, true)
        ));
        // How someone is stays with the staff: not even the champion who made the connection.
        let theirs = connection(true, true, true, true);
        assert!(may(Role::Champion, keep, &theirs));
        assert!(!may(Role::Champion, Action::KeepWellbeing, &theirs));
        assert!(may(Role::LinkWorker, Action::KeepWellbeing, &waiting));
        assert!(!may(
            Role::LinkWorker,
            Action::KeepWellbeing,
            &connection(false, false, false, true)
        ));
        // Only a champion records a connection for someone new from the quick form.
        for role in Role::ALL {
            let pcn = Resource::Pcn(PcnId::from(uuid::Uuid::nil()));
            assert_eq!(
                may(role, Action::ConnectSomeoneNew, &pcn),
                role == Role::Champion
            );
        }
    }

    #[test]
    fn another_pcn_is_always_denied() {
        let other = Resource::Pcn(PcnId::new());
        for role in Role::ALL {
            assert_eq!(
                authorize(&actor(role, None), Action::UseAccount, &other),
                Decision::Deny
            );
        }
    }

    #[test]
    fn only_the_pcn_admin_manages_users_and_reads_the_audit() {
        let pcn = Resource::Pcn(PcnId::from(uuid::Uuid::nil()));
        for role in Role::ALL {
            let expect = role == Role::PcnAdmin;
            for a in [
                Action::ManageUsers,
                Action::ViewAudit,
                Action::ManageOrganisation,
                Action::ImportData,
            ] {
                assert_eq!(
                    authorize(&actor(role, None), a, &pcn).is_allowed(),
                    expect,
                    "{role} {a:?}"
                );
            }
        }
    }

    #[test]
    fn champions_are_looked_after_by_the_pcn_admin_and_each_champion_sees_only_their_own() {
        let pcn = Resource::Pcn(PcnId::from(uuid::Uuid::nil()));
        for role in Role::ALL {
            assert_eq!(
                authorize(&actor(role, None), Action::ManageChampions, &pcn).is_allowed(),
                role == Role::PcnAdmin,
                "{role}"
            );
            for own in [Action::OwnChampionRecord, Action::ClaimOwnHoursAndExpenses] {
                assert_eq!(
                    authorize(&actor(role, None), own, &pcn).is_allowed(),
                    role == Role::Champion,
                    "{role} {own:?}"
                );
            }
        }
    }

    #[test]
    fn offers_are_run_by_the_pcn_admin_seen_by_the_team_and_rotas_are_for_champions() {
        let pcn = Resource::Pcn(PcnId::new());
        for role in Role::ALL {
            let a = actor(role, None);
            let mine = Resource::Pcn(a.pcn_id);
            assert_eq!(
                authorize(&a, Action::ManageOffers, &mine).is_allowed(),
                role == Role::PcnAdmin
            );
            assert_eq!(
                authorize(&a, Action::ManageDirectory, &mine).is_allowed(),
                role == Role::PcnAdmin
            );
            assert!(authorize(&a, Action::ViewOffers, &mine).is_allowed());
            assert_eq!(
                authorize(&a, Action::TakeRotaPlaces, &mine).is_allowed(),
                role == Role::Champion
            );
            assert_eq!(
                authorize(&a, Action::TakeRegisters, &mine).is_allowed(),
                matches!(role, Role::PcnAdmin | Role::Champion)
            );
            assert!(!authorize(&a, Action::ViewOffers, &pcn).is_allowed());
        }
    }

    #[test]
    fn insight_is_for_the_pcn_admin_clinicians_and_analysts() {
        let pcn = Resource::Pcn(PcnId::from(uuid::Uuid::nil()));
        for role in Role::ALL {
            let expect = matches!(role, Role::PcnAdmin | Role::Clinician | Role::Analyst);
            assert_eq!(
                authorize(&actor(role, None), Action::ViewInsight, &pcn).is_allowed(),
                expect,
                "{role}"
            );
        }
    }

    #[test]
    fn impact_is_for_the_staff_and_analysts_and_costs_for_the_pcn_lead() {
        let pcn = Resource::Pcn(PcnId::from(uuid::Uuid::nil()));
        for role in Role::ALL {
            let a = actor(role, Some(PracticeId::new()));
            assert_eq!(
                authorize(&a, Action::ViewImpact, &pcn).is_allowed(),
                matches!(
                    role,
                    Role::PcnAdmin | Role::Clinician | Role::LinkWorker | Role::Analyst
                ),
                "{role}"
            );
            assert_eq!(
                authorize(&a, Action::ManageProgrammeCosts, &pcn).is_allowed(),
                role == Role::PcnAdmin,
                "{role}"
            );
            assert!(!authorize(&a, Action::ViewImpact, &Resource::Pcn(PcnId::new())).is_allowed());
        }
    }

    #[test]
    fn only_the_practices_own_clinicians_reidentify_its_people() {
        let (mine, other) = (PracticeId::new(), PracticeId::new());
        let practice = |practice_id| Resource::Practice {
            pcn_id: PcnId::from(uuid::Uuid::nil()),
            practice_id,
        };
        // Re-identifying a cohort and downloading what to code from referrals alike: they
        // hold the record already.
        for action in [Action::Reidentify, Action::CodeReferrals] {
            for role in Role::ALL {
                let a = actor(role, Some(mine));
                assert_eq!(
                    authorize(&a, action, &practice(mine)).is_allowed(),
                    role == Role::Clinician,
                    "{role} {action:?}"
                );
                assert!(!authorize(&a, action, &practice(other)).is_allowed());
            }
        }
        let elsewhere = Resource::Practice {
            pcn_id: PcnId::new(),
            practice_id: mine,
        };
        assert!(!authorize(
            &actor(Role::Clinician, Some(mine)),
            Action::Reidentify,
            &elsewhere
        )
        .is_allowed());
    }

    #[test]
    fn only_the_coordinator_merges_two_records_of_one_person() {
        for role in Role::ALL {
            let a = actor(role, Some(PracticeId::new()));
            for action in [
                Action::MergePeople,
                Action::ImportPeople,
                Action::PersonSubjectAccess,
                Action::ManagePledges,
            ] {
                assert_eq!(
                    authorize(&a, action, &Resource::Pcn(a.pcn_id)).is_allowed(),
                    role == Role::PcnAdmin,
                    "{role} {action:?}"
                );
            }
        }
        let coordinator = actor(Role::PcnAdmin, None);
        assert!(
            !authorize(
                &coordinator,
                Action::MergePeople,
                &Resource::Pcn(PcnId::new())
            )
            .is_allowed(),
            "another PCN's people are never theirs to merge"
        );
    }

    #[test]
    fn referrals_are_kept_by_whoever_looks_after_the_person() {
        let mine = PracticeId::new();
        // A referral is kept by whoever looks after the person; never by a champion.
        let person = person(mine, true, true);
        assert!(authorize(
            &actor(Role::LinkWorker, None),
            Action::KeepReferrals,
            &person
        )
        .is_allowed());
        assert!(
            !authorize(&actor(Role::Champion, None), Action::KeepReferrals, &person).is_allowed()
        );
    }

    #[test]
    fn clinicians_see_their_own_practice_only() {
        let mine = PracticeId::new();
        let other = PracticeId::new();
        let c = actor(Role::Clinician, Some(mine));
        assert_eq!(
            authorize(&c, Action::ViewPerson, &person(mine, false, false)),
            Decision::Allow
        );
        assert_eq!(
            authorize(&c, Action::ViewPerson, &person(other, false, false)),
            Decision::Deny
        );
    }

    #[test]
    fn link_workers_break_glass_outside_their_caseload() {
        let p = PracticeId::new();
        let lw = actor(Role::LinkWorker, None);
        assert_eq!(
            authorize(&lw, Action::ViewPerson, &person(p, true, false)),
            Decision::Allow
        );
        assert_eq!(
            authorize(&lw, Action::ViewPerson, &person(p, false, false)),
            Decision::AllowWithReason
        );
    }

    #[test]
    fn champions_analysts_and_partners_never_reach_people_by_default() {
        let p = PracticeId::new();
        for role in [Role::Champion, Role::Analyst, Role::Partner] {
            let a = actor(role, None);
            assert_eq!(
                authorize(&a, Action::ViewPerson, &person(p, true, false)),
                Decision::Deny
            );
            assert_eq!(
                authorize(&a, Action::FindPeople, &Resource::Pcn(a.pcn_id)),
                Decision::Deny
            );
        }
        let champ = actor(Role::Champion, None);
        assert_eq!(
            authorize(&champ, Action::ViewPerson, &person(p, false, true)),
            Decision::Allow
        );
        assert_eq!(
            authorize(&champ, Action::UpdatePerson, &person(p, false, true)),
            Decision::Deny
        );
    }

    #[test]
    fn readings_brought_back_with_a_loan_are_for_the_persons_own_clinicians_only() {
        let (mine, other) = (PracticeId::new(), PracticeId::new());
        for role in Role::ALL {
            let a = actor(role, Some(mine));
            // Not even a champion who made a connection, a link worker with them on their
            // caseload or the coordinator who lent the monitor.
            for scope in [person(mine, true, true), person(mine, false, false)] {
                assert_eq!(
                    authorize(&a, Action::ViewReadings, &scope),
                    if role == Role::Clinician {
                        Decision::Allow
                    } else {
                        Decision::Deny
                    },
                    "{role}"
                );
            }
            assert_eq!(
                authorize(&a, Action::ViewReadings, &person(other, true, true)),
                Decision::Deny
            );
        }
    }

    #[test]
    fn equipment_is_kept_by_the_coordinator_lent_by_who_looks_after_the_person() {
        let p = PracticeId::new();
        for role in Role::ALL {
            let a = actor(role, Some(p));
            let pcn = Resource::Pcn(a.pcn_id);
            assert_eq!(
                authorize(&a, Action::ManageEquipment, &pcn).is_allowed(),
                role == Role::PcnAdmin
            );
            assert_eq!(
                authorize(&a, Action::HandleLoans, &pcn).is_allowed(),
                role == Role::Champion
            );
            assert_eq!(
                authorize(&a, Action::LendEquipment, &person(p, false, false)).is_allowed(),
                matches!(role, Role::PcnAdmin | Role::Clinician)
            );
            assert_eq!(
                authorize(&a, Action::LendEquipment, &person(p, true, true)).is_allowed(),
                matches!(role, Role::PcnAdmin | Role::Clinician | Role::LinkWorker)
            );
        }
        let elsewhere = actor(Role::Clinician, Some(PracticeId::new()));
        assert!(!authorize(&elsewhere, Action::LendEquipment, &person(p, true, true)).is_allowed());
    }
}
