//! Workshops: scheduled with their places, booked, and attendance marked (which records the
//! training a workshop gives).

use super::common::*;
use together_core::audit::AuditAction;

pub(super) struct WorkshopRow {
    id: String,
    title: String,
    module: String,
    when: String,
    places: String,
    past: bool,
    /// (champion id, name, status)
    booked: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "champion_workshops.html")]
pub(super) struct WorkshopsPage {
    layout: Layout,
    rows: Vec<WorkshopRow>,
    champions: Vec<(String, String)>,
    modules: Vec<(&'static str, &'static str)>,
    form: WorkshopForm,
    errors: Vec<FieldError>,
}

impl WorkshopsPage {
    fn err(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }
}

pub(super) async fn render_workshops(
    state: &AppState,
    ctx: &Ctx,
    form: WorkshopForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        state,
        AuditAction::ListChampions,
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = state.store().champions(pcn, &audit).await?;
    let name_of = |id: ChampionId| {
        champions
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("{} {}", c.given_name, c.family_name))
            .unwrap_or_default()
    };
    let today = state.now().date();
    let rows = state
        .store()
        .workshops(pcn)
        .await?
        .into_iter()
        .map(|w| WorkshopRow {
            module: w.module.as_deref().map(training_label).unwrap_or_default(),
            when: if w.starts.is_empty() {
                date(&w.on)
            } else {
                format!("{}, {}", date(&w.on), w.starts)
            },
            places: match w.capacity {
                Some(c) => format!("{} of {c} places booked", w.attendance.len()),
                None => format!("{} booked", w.attendance.len()),
            },
            past: w.on <= today,
            booked: w
                .attendance
                .iter()
                .map(|(c, status)| (c.to_string(), name_of(*c), status.clone()))
                .collect(),
            id: w.id,
            title: w.title,
        })
        .collect();
    let page = WorkshopsPage {
        layout: Layout::new(state, ctx, "Workshops"),
        rows,
        champions: champions
            .iter()
            .filter(|c| c.stage != Stage::Left)
            .map(|c| {
                (
                    c.id.to_string(),
                    format!("{} {}", c.given_name, c.family_name),
                )
            })
            .collect(),
        modules: std::iter::once(("", "None of these"))
            .chain(TRAINING.iter().map(|(k, l, _)| (*k, *l)))
            .collect(),
        form,
        errors,
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn workshops(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    render_workshops(&state, &ctx, WorkshopForm::default(), Vec::new()).await
}

pub(super) async fn add_workshop(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<WorkshopForm>,
) -> Result<Response, AppError> {
    let w = match form.parse() {
        Ok(w) => w,
        Err(errors) => return render_workshops(&state, &ctx, form, errors).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddWorkshop,
        "champion_workshop",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_workshop(ctx.actor()?.pcn_id, &w, &audit)
        .await?;
    Ok(Redirect::to("/champions/workshops").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BookForm {
    champion_id: String,
    /// For attendance: "yes" (came) or "no".
    attended: String,
}

pub(super) async fn book_workshop(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BookForm>,
) -> Result<Response, AppError> {
    let Ok(champion) = f.champion_id.parse::<ChampionId>() else {
        let e = one_error("champion_id", "Choose the champion to book");
        return render_workshops(&state, &ctx, WorkshopForm::default(), e).await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::BookWorkshop,
        "champion_workshop",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .book_workshop(ctx.actor()?.pcn_id, &id, champion, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to("/champions/workshops").into_response()),
        Err(StoreError::Refused(why)) => {
            render_workshops(
                &state,
                &ctx,
                WorkshopForm::default(),
                one_error("champion_id", why.to_string()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn mark_attendance(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BookForm>,
) -> Result<Response, AppError> {
    let champion = f
        .champion_id
        .parse::<ChampionId>()
        .map_err(|_| AppError::NotFound)?;
    let audit = ctx.audit(
        &state,
        AuditAction::MarkWorkshopAttendance,
        "champion_workshop",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .mark_attendance(
            ctx.actor()?.pcn_id,
            &id,
            champion,
            f.attended == "yes",
            &audit,
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/champions/workshops").into_response()),
        Err(StoreError::Refused(why)) => {
            render_workshops(
                &state,
                &ctx,
                WorkshopForm::default(),
                one_error("title", why.to_string()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
