//! Community partners: the PCN administrator keeps the organisations, their venues, agreements
//! and insurance (and the PCN's own venues and volunteer insurance); a partner user keeps their
//! own organisation's details and venues up to date.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{date, form_status, Layout, Problem};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use together_core::audit::AuditAction;
use together_core::partners::{DatedForm, PartnerForm, VenueForm, PARTNER_KINDS};
use together_core::people::FieldError;
use together_core::{Action, Role, UserId};
use together_store::partners::{Document, Partner, Venue};
use together_store::{Outcome, StoreError, UserStatus};

pub(crate) fn routes(r: Routes) -> Routes {
    let manage = Policy::Allow(Action::ManagePartners);
    let own = Policy::Allow(Action::OwnPartnerOrganisation);
    r.get("/partners", manage, list)
        .post("/partners", manage, add)
        .post("/partners/pcn/venues", manage, add_pcn_venue)
        .post("/partners/pcn/documents", manage, add_pcn_document)
        .post("/partners/risk", manage, add_venue_risk)
        .get("/partners/mine", own, mine)
        .post("/partners/mine", own, update_mine)
        .post("/partners/mine/venues", own, add_my_venue)
        .post("/partners/mine/contacts", own, add_my_contact)
        .post(
            "/partners/mine/contacts/{contact}/remove",
            own,
            remove_my_contact,
        )
        .get("/partners/{id}", manage, view)
        .post("/partners/{id}", manage, update)
        .post("/partners/{id}/venues", manage, add_venue)
        .post("/partners/{id}/contacts", manage, add_contact)
        .post(
            "/partners/{id}/contacts/{contact}/remove",
            manage,
            remove_contact,
        )
        .post("/partners/{id}/documents", manage, add_document)
        .post("/partners/{id}/users", manage, link_user)
}

fn kind_label(kind: &str) -> &'static str {
    PARTNER_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("Other")
}

struct DocRow {
    kind: &'static str,
    title: String,
    reference: String,
    from: String,
    due: String,
}

fn doc_rows(docs: &[Document], partner: Option<&str>) -> Vec<DocRow> {
    docs.iter()
        .filter(|d| d.partner_id.as_deref() == partner)
        .map(|d| DocRow {
            kind: if d.kind == "agreement" {
                "Agreement, review by"
            } else {
                "Insurance, expires"
            },
            title: d.title.clone(),
            reference: d.reference.clone(),
            from: date(&d.from),
            due: date(&d.due),
        })
        .collect()
}

// ---- The list (PCN administrator) ----

#[derive(Template)]
#[template(path = "partners.html")]
struct ListPage {
    layout: Layout,
    partners: Vec<(Partner, &'static str, usize)>,
    venues: Vec<Venue>,
    docs: Vec<DocRow>,
    kinds: &'static [(&'static str, &'static str)],
    form: PartnerForm,
    problem: Problem,
    /// Every venue, the partners' and the PCN's, for a risk assessment.
    venue_choices: Vec<(String, String)>,
    /// (venue, title, assessed, review).
    risks: Vec<(String, String, String, String)>,
}

impl ListPage {
    fn err(&self, form: &str, field: &str) -> String {
        self.problem.err(form, field)
    }
}

async fn render_list(
    state: &AppState,
    ctx: &Ctx,
    form: PartnerForm,
    problem: Problem,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let venues = store.venues(pcn).await?;
    let docs = store.documents(pcn).await?;
    let partners = store
        .partners(pcn)
        .await?
        .into_iter()
        .map(|p| {
            let n = venues
                .iter()
                .filter(|v| v.partner_id.as_deref() == Some(p.id.as_str()))
                .count();
            let kind = kind_label(&p.kind);
            (p, kind, n)
        })
        .collect();
    let venue_choices: Vec<(String, String)> = venues
        .iter()
        .map(|v| (v.id.clone(), format!("{}, {}", v.name, v.postcode)))
        .collect();
    let risks = store
        .risk_assessments(pcn)
        .await?
        .into_iter()
        .filter_map(|r| {
            let v = venues.iter().find(|v| Some(&v.id) == r.venue_id.as_ref())?;
            Some((
                v.name.clone(),
                r.title,
                date(&r.assessed_on),
                date(&r.review_on),
            ))
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(state, ctx, "Community partners"),
        venue_choices,
        risks,
        partners,
        docs: doc_rows(&docs, None),
        venues: venues
            .into_iter()
            .filter(|v| v.partner_id.is_none())
            .collect(),
        kinds: PARTNER_KINDS,
        form,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_list(&state, &ctx, PartnerForm::default(), Problem::none()).await
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PartnerForm>,
) -> Result<Response, AppError> {
    let partner = match form.parse() {
        Ok(p) => p,
        Err(e) => return render_list(&state, &ctx, form, Problem::of("partner", e)).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddPartner,
        "partner",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .add_partner(ctx.actor()?.pcn_id, &partner, &audit)
        .await
    {
        Ok(id) => Ok(Redirect::to(&crate::paths::partners::record(id)).into_response()),
        Err(StoreError::Conflict(_)) => {
            let e = vec![FieldError {
                field: "name",
                message: "There is a partner with this name already".into(),
            }];
            render_list(&state, &ctx, form, Problem::of("partner", e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a venue for `partner` (or the PCN): `Err` holds the form's errors.
async fn save_venue(
    state: &AppState,
    ctx: &Ctx,
    partner: Option<&str>,
    form: &VenueForm,
) -> Result<Result<(), Vec<FieldError>>, AppError> {
    let venue = match form.parse() {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let audit = ctx.audit(
        state,
        AuditAction::AddVenue,
        "venue",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_venue(ctx.actor()?.pcn_id, partner, &venue, &audit)
        .await?;
    Ok(Ok(()))
}

/// Records an agreement or insurance for `partner` (or the PCN): `Err` holds the form's errors.
async fn save_document(
    state: &AppState,
    ctx: &Ctx,
    partner: Option<&str>,
    f: &DocumentForm,
) -> Result<Result<(), Vec<FieldError>>, AppError> {
    let (kind, due_what) = match f.kind.as_str() {
        "agreement" => ("agreement", "review"),
        "insurance" => ("insurance", "expiry"),
        _ => {
            return Ok(Err(vec![FieldError {
                field: "kind",
                message: "Choose an agreement or an insurance policy".into(),
            }]))
        }
    };
    let dated = DatedForm {
        title: f.title.clone(),
        reference: f.reference.clone(),
        from: f.from.clone(),
        due: f.due.clone(),
    };
    let doc = match dated.parse(state.now().date(), due_what) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let audit = ctx.audit(
        state,
        AuditAction::AddPartnerDocument,
        "partner_document",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_document(ctx.actor()?.pcn_id, partner, kind, &doc, &audit)
        .await?;
    Ok(Ok(()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DocumentForm {
    /// "agreement" or "insurance".
    kind: String,
    title: String,
    reference: String,
    from: String,
    due: String,
}

async fn add_pcn_venue(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<VenueForm>,
) -> Result<Response, AppError> {
    match save_venue(&state, &ctx, None, &form).await? {
        Ok(()) => Ok(Redirect::to("/partners").into_response()),
        Err(e) => {
            render_list(
                &state,
                &ctx,
                PartnerForm::default(),
                Problem::of("venue", e),
            )
            .await
        }
    }
}

async fn add_pcn_document(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<DocumentForm>,
) -> Result<Response, AppError> {
    match save_document(&state, &ctx, None, &form).await? {
        Ok(()) => Ok(Redirect::to("/partners").into_response()),
        Err(e) => {
            render_list(
                &state,
                &ctx,
                PartnerForm::default(),
                Problem::of("document", e),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VenueRiskForm {
    venue_id: String,
    /// Named apart from the agreement form's fields on the same page.
    #[serde(rename = "risk_title")]
    title: String,
    #[serde(rename = "risk_from")]
    from: String,
    #[serde(rename = "risk_due")]
    due: String,
}

async fn add_venue_risk(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<VenueRiskForm>,
) -> Result<Response, AppError> {
    let dated = DatedForm {
        title: f.title.clone(),
        reference: String::new(),
        from: f.from.clone(),
        due: f.due.clone(),
    };
    let assessment = match dated.parse(state.now().date(), "review") {
        Ok(a) => a,
        Err(e) => {
            // Named apart from the agreement form's fields on the same page.
            let e = crate::layout::renamed(
                e,
                &[
                    ("title", "risk_title"),
                    ("from", "risk_from"),
                    ("due", "risk_due"),
                ],
            );
            return render_list(&state, &ctx, PartnerForm::default(), Problem::of("risk", e)).await;
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddRiskAssessment,
        "risk_assessment",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .add_risk_assessment(
            ctx.actor()?.pcn_id,
            together_store::champions::RiskSubject::Venue(&f.venue_id),
            &assessment,
            &audit,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/partners").into_response()),
        Err(StoreError::NotFound(_)) => {
            let e = vec![FieldError {
                field: "venue_id",
                message: "Choose the venue".into(),
            }];
            render_list(&state, &ctx, PartnerForm::default(), Problem::of("risk", e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- One partner (the administrator) or one's own (a partner user) ----

#[derive(Template)]
#[template(path = "partner.html")]
struct PartnerPage {
    layout: Layout,
    p: Partner,
    /// Where this page's forms post: "/partners/<id>" or "/partners/mine".
    base: String,
    venue_action: String,
    document_action: String,
    own: bool,
    kinds: &'static [(&'static str, &'static str)],
    venues: Vec<Venue>,
    contacts: Vec<together_store::partners::Contact>,
    docs: Vec<DocRow>,
    users: Vec<(String, String)>,
    problem: Problem,
}

impl PartnerPage {
    fn err(&self, form: &str, field: &str) -> String {
        self.problem.err(form, field)
    }
}

async fn render_partner(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    own: bool,
    problem: Problem,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let p = store.partner(pcn, id).await?.ok_or(AppError::NotFound)?;
    let venues = store
        .venues(pcn)
        .await?
        .into_iter()
        .filter(|v| v.partner_id.as_deref() == Some(id))
        .collect();
    let docs = doc_rows(&store.documents(pcn).await?, Some(id));
    let users = if own {
        Vec::new()
    } else {
        store
            .users(pcn)
            .await?
            .into_iter()
            .filter(|u| u.role == Role::Partner && u.status != UserStatus::Disabled)
            .map(|u| {
                (
                    u.id.to_string(),
                    format!("{} ({})", u.display_name, u.email),
                )
            })
            .collect()
    };
    let base = if own {
        "/partners/mine".to_owned()
    } else {
        crate::paths::partners::record(id)
    };
    let page = PartnerPage {
        layout: Layout::new(state, ctx, &p.name),
        venue_action: format!("{base}/venues"),
        document_action: format!("{base}/documents"),
        base,
        own,
        kinds: PARTNER_KINDS,
        venues,
        contacts: store.partner_contacts(pcn, id).await?,
        docs,
        users,
        problem,
        p,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    render_partner(&state, &ctx, &id, false, Problem::none()).await
}

async fn save_details(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    own: bool,
    form: PartnerForm,
) -> Result<Response, AppError> {
    let back = if own {
        "/partners/mine".to_owned()
    } else {
        crate::paths::partners::record(id)
    };
    let partner = match form.parse() {
        Ok(p) => p,
        Err(e) => return render_partner(state, ctx, id, own, Problem::of("partner", e)).await,
    };
    let audit = ctx.audit(
        state,
        AuditAction::UpdatePartner,
        "partner",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .update_partner(ctx.actor()?.pcn_id, id, &partner, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&back).into_response()),
        Err(StoreError::Conflict(_)) => {
            let e = vec![FieldError {
                field: "name",
                message: "There is a partner with this name already".into(),
            }];
            render_partner(state, ctx, id, own, Problem::of("partner", e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<PartnerForm>,
) -> Result<Response, AppError> {
    save_details(&state, &ctx, &id, false, form).await
}

async fn add_venue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<VenueForm>,
) -> Result<Response, AppError> {
    match save_venue(&state, &ctx, Some(&id), &form).await {
        Ok(Ok(())) => Ok(Redirect::to(&crate::paths::partners::record(id)).into_response()),
        Ok(Err(e)) => render_partner(&state, &ctx, &id, false, Problem::of("venue", e)).await,
        Err(AppError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e),
    }
}

async fn add_document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<DocumentForm>,
) -> Result<Response, AppError> {
    match save_document(&state, &ctx, Some(&id), &form).await? {
        Ok(()) => Ok(Redirect::to(&crate::paths::partners::record(id)).into_response()),
        Err(e) => render_partner(&state, &ctx, &id, false, Problem::of("document", e)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LinkForm {
    user_id: String,
}

async fn link_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<LinkForm>,
) -> Result<Response, AppError> {
    let Ok(user) = f.user_id.parse::<UserId>() else {
        let e = vec![FieldError {
            field: "user_id",
            message: "Choose the partner's account".into(),
        }];
        return render_partner(&state, &ctx, &id, false, Problem::of("user", e)).await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::LinkPartnerUser,
        "partner",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .link_partner_user(ctx.actor()?.pcn_id, &id, user, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::partners::record(id)).into_response()),
        Err(StoreError::Refused(why)) => {
            let e = vec![FieldError {
                field: "user_id",
                message: why.to_string(),
            }];
            render_partner(&state, &ctx, &id, false, Problem::of("user", e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The organisation the signed-in partner keeps.
async fn my_partner(state: &AppState, ctx: &Ctx) -> Result<Option<String>, AppError> {
    let a = ctx.actor()?;
    Ok(state.store().partner_of_user(a.pcn_id, a.user_id).await?)
}

#[derive(Template)]
#[template(path = "message.html")]
struct NotLinked {
    layout: Layout,
    body: String,
    link: (String, String),
}

async fn mine(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    match my_partner(&state, &ctx).await? {
        Some(id) => render_partner(&state, &ctx, &id, true, Problem::none()).await,
        None => {
            let page = NotLinked {
                layout: Layout::new(&state, &ctx, "Our organisation"),
                body: "Your account is not linked to an organisation yet. Ask the PCN's administrator to link it.".into(),
                link: ("/".into(), "Home".into()),
            };
            Ok(Html(page.render()?).into_response())
        }
    }
}

async fn update_mine(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PartnerForm>,
) -> Result<Response, AppError> {
    let id = my_partner(&state, &ctx).await?.ok_or(AppError::NotFound)?;
    save_details(&state, &ctx, &id, true, form).await
}

async fn add_my_venue(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<VenueForm>,
) -> Result<Response, AppError> {
    let id = my_partner(&state, &ctx).await?.ok_or(AppError::NotFound)?;
    match save_venue(&state, &ctx, Some(&id), &form).await? {
        Ok(()) => Ok(Redirect::to("/partners/mine").into_response()),
        Err(e) => render_partner(&state, &ctx, &id, true, Problem::of("venue", e)).await,
    }
}

/// Adds someone to talk to at `partner`; the page again with the form's errors when it is wrong.
async fn save_contact(
    state: &AppState,
    ctx: &Ctx,
    partner: &str,
    own: bool,
    form: &together_core::partners::ContactForm,
) -> Result<Response, AppError> {
    let back = if own {
        "/partners/mine#contacts".to_owned()
    } else {
        crate::paths::partners::section(partner, "contacts")
    };
    let contact = match form.parse() {
        Ok(c) => c,
        Err(e) => return render_partner(state, ctx, partner, own, Problem::of("contact", e)).await,
    };
    let audit = ctx.audit(
        state,
        AuditAction::AddPartnerContact,
        "partner",
        Some(partner.to_owned()),
        Outcome::Allowed,
    );
    state
        .store()
        .add_partner_contact(ctx.actor()?.pcn_id, partner, &contact, &audit)
        .await?;
    Ok(Redirect::to(&back).into_response())
}

async fn drop_contact(
    state: &AppState,
    ctx: &Ctx,
    partner: &str,
    contact: &str,
    back: String,
) -> Result<Response, AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::RemovePartnerContact,
        "partner",
        Some(partner.to_owned()),
        Outcome::Allowed,
    );
    state
        .store()
        .remove_partner_contact(ctx.actor()?.pcn_id, partner, contact, &audit)
        .await?;
    Ok(Redirect::to(&back).into_response())
}

async fn add_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<together_core::partners::ContactForm>,
) -> Result<Response, AppError> {
    save_contact(&state, &ctx, &id, false, &form).await
}

async fn remove_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, contact)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let back = crate::paths::partners::section(&id, "contacts");
    drop_contact(&state, &ctx, &id, &contact, back).await
}

async fn add_my_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<together_core::partners::ContactForm>,
) -> Result<Response, AppError> {
    let id = my_partner(&state, &ctx).await?.ok_or(AppError::NotFound)?;
    save_contact(&state, &ctx, &id, true, &form).await
}

async fn remove_my_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(contact): Path<String>,
) -> Result<Response, AppError> {
    let id = my_partner(&state, &ctx).await?.ok_or(AppError::NotFound)?;
    drop_contact(
        &state,
        &ctx,
        &id,
        &contact,
        "/partners/mine#contacts".into(),
    )
    .await
}
