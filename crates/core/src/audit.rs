//! What the audit trail records a person or a process did: one word per kind of act, typed, so
//! that a misspelt action cannot be written and the trail can be read by what it names. The
//! stored text (`as_str`) is the vocabulary of every audit event ever written: a variant's
//! text never changes once it has been recorded.

use std::fmt;

/// Declares the actions once: each variant with the word stored for it. The enum, its list
/// and its words all come from this one table, so none can leave another out.
macro_rules! audit_actions {
    ($($variant:ident => $word:literal,)*) => {
        /// One kind of act the audit trail records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($variant,)*
            /// A request refused at the door by its route's policy: the action it needed.
            Route(crate::policy::Action),
        }

        impl AuditAction {
            /// Every action a page, command or process records by name (not the policy
            /// refusals), for the test that keeps their words unique.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The word stored in the audit trail.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $word,)*
                    AuditAction::Route(action) => action.as_str(),
                }
            }
        }
    };
}

audit_actions! {
    AddChampionRole => "add_champion_role",
    AddEmergencyContact => "add_emergency_contact",
    AddItem => "add_item",
    AddListing => "add_listing",
    AddOffer => "add_offer",
    AddOfferLead => "add_offer_lead",
    AddPartner => "add_partner",
    AddPartnerContact => "add_partner_contact",
    AddPartnerDocument => "add_partner_document",
    AddPractice => "add_practice",
    AddProgrammeCost => "add_programme_cost",
    AddReferral => "add_referral",
    AddRiskAssessment => "add_risk_assessment",
    AddSchedule => "add_schedule",
    AddSession => "add_session",
    AddSite => "add_site",
    AddUser => "add_user",
    AddVenue => "add_venue",
    AddWorkshop => "add_workshop",
    AnalyseCohort => "analyse_cohort",
    AnalyseFrequent => "analyse_frequent",
    AnalyseHiu => "analyse_hiu",
    AnalyseProfile => "analyse_profile",
    AnswerInvitation => "answer_invitation",
    AnswerWellbeing => "answer_wellbeing",
    BookWorkshop => "book_workshop",
    BootstrapAdmin => "bootstrap_admin",
    CancelSession => "cancel_session",
    ChampionStepOwn => "champion_step_own",
    ChangePassword => "change_password",
    ClaimExpense => "claim_expense",
    CodeReferrals => "code_referrals",
    ComplianceReminders => "compliance_reminders",
    ConfirmListing => "confirm_listing",
    ConnectSomeoneNew => "connect_someone_new",
    CreatePerson => "create_person",
    DbsRenewalInProgress => "dbs_renewal_in_progress",
    DecideClaim => "decide_claim",
    DecideListingChange => "decide_listing_change",
    DecideReferral => "decide_referral",
    DeleteImport => "delete_import",
    DemoChampions => "demo_champions",
    DemoConnections => "demo_connections",
    DemoListings => "demo_listings",
    DemoLoans => "demo_loans",
    DemoOffers => "demo_offers",
    DemoPartners => "demo_partners",
    DisableUser => "disable_user",
    EnableUser => "enable_user",
    Enrol => "enrol",
    EraseChampion => "erase_champion",
    ErasePerson => "erase_person",
    ExportChampions => "export_champions",
    ExpressInterest => "express_interest",
    Extract => "extract",
    FindPeople => "find_people",
    FollowUpConcern => "follow_up_concern",
    FollowUpConnection => "follow_up_connection",
    GiveChampionRole => "give_champion_role",
    Import => "import",
    ImportChampions => "import_champions",
    ImportDirectory => "import_directory",
    ImportOffers => "import_offers",
    ImportPastConnections => "import_past_connections",
    ImportPeople => "import_people",
    InviteChampion => "invite_champion",
    InviteCohort => "invite_cohort",
    InviteUser => "invite_user",
    IssueApiToken => "issue_api_token",
    IssueBadge => "issue_badge",
    JoinDiscarded => "join_discarded",
    LeaveRotaPlace => "leave_rota_place",
    Lend => "lend",
    LinkPartnerUser => "link_partner_user",
    ListChampions => "list_champions",
    ListClaims => "list_claims",
    ListConcerns => "list_concerns",
    ListConnections => "list_connections",
    ListLoanHandlers => "list_loan_handlers",
    ListLoans => "list_loans",
    ListReferrals => "list_referrals",
    LogHours => "log_hours",
    MakeConnection => "make_connection",
    MakePledge => "make_pledge",
    MarkWorkshopAttendance => "mark_workshop_attendance",
    MergePeople => "merge_people",
    MoveChampion => "move_champion",
    MoveConnection => "move_connection",
    MoveSession => "move_session",
    NameSafeguardingLead => "name_safeguarding_lead",
    PledgeChampion => "pledge_champion",
    PledgeWall => "pledge_wall",
    ProposeListingChange => "propose_listing_change",
    PublishListing => "publish_listing",
    RaiseConcern => "raise_concern",
    RecordCleaning => "record_cleaning",
    RecordConsent => "record_consent",
    RecordDataSharingAgreement => "record_data_sharing_agreement",
    RecordDbsResult => "record_dbs_result",
    RecordReturn => "record_return",
    RecordTraining => "record_training",
    RecordWellbeing => "record_wellbeing",
    ReferralLetter => "referral_letter",
    Reidentify => "reidentify",
    RemoveOfferLead => "remove_offer_lead",
    RemovePartnerContact => "remove_partner_contact",
    RemoveProgrammeCost => "remove_programme_cost",
    RenamePcn => "rename_pcn",
    ReportImpact => "report_impact",
    RequestDbsCheck => "request_dbs_check",
    ResetPassword => "reset_password",
    ResetSecondFactor => "reset_second_factor",
    ReturnBadge => "return_badge",
    SaveCohort => "save_cohort",
    SecondFactor => "second_factor",
    SendWellbeingLink => "send_wellbeing_link",
    SetClaimSettings => "set_claim_settings",
    SetCountingRule => "set_counting_rule",
    SetDataSharing => "set_data_sharing",
    SetDbsRenewalYears => "set_dbs_renewal_years",
    SetDirectoryCycle => "set_directory_cycle",
    SetImpactSettings => "set_impact_settings",
    SetItemCondition => "set_item_condition",
    SetSecondFactorForVolunteers => "set_second_factor_for_volunteers",
    SetUnitCosts => "set_unit_costs",
    SetUpSecondFactor => "set_up_second_factor",
    Setup => "setup",
    SignIn => "sign_in",
    SignOutEverywhere => "sign_out_everywhere",
    Sql => "sql",
    SubjectAccessExport => "subject_access_export",
    SummariseConnections => "summarise_connections",
    SwapRotaPlace => "swap_rota_place",
    TakeOnPerson => "take_on_person",
    TakeRegister => "take_register",
    TakeRotaPlace => "take_rota_place",
    UpdateChampionProfile => "update_champion_profile",
    UpdateListing => "update_listing",
    UpdateOffer => "update_offer",
    UpdateOwnContact => "update_own_contact",
    UpdatePartner => "update_partner",
    UpdatePerson => "update_person",
    ViewBpReadings => "view_bp_readings",
    ViewChampion => "view_champion",
    ViewClaims => "view_claims",
    ViewCohort => "view_cohort",
    ViewCompliance => "view_compliance",
    ViewConcern => "view_concern",
    ViewConnection => "view_connection",
    ViewDbs => "view_dbs",
    ViewImpact => "view_impact",
    ViewInsight => "view_insight",
    ViewOwnChampion => "view_own_champion",
    ViewOwnChampionRecord => "view_own_champion_record",
    ViewWork => "view_work",
    ViewOwnDbs => "view_own_dbs",
    ViewOwnExpenses => "view_own_expenses",
    ViewPerson => "view_person",
    ViewReceipt => "view_receipt",
    ViewWellbeing => "view_wellbeing",
    WithdrawConsent => "withdraw_consent",
    WithdrawDataSharingAgreement => "withdraw_data_sharing_agreement",
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_stored_under_its_own_word() {
        let mut words: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        let all = words.len();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), all, "two actions share a stored word");
        assert!(words
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }
}
