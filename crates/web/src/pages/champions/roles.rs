//! Champion roles with the DBS level each needs, and the roles' risk assessments.

use super::common::*;
use together_core::audit::AuditAction;

#[derive(Template)]
#[template(path = "champion_roles.html")]
pub(super) struct RolesPage {
    layout: Layout,
    roles: Vec<ChampionRole>,
    /// (role, title, assessed, review) of each role's risk assessments.
    risks: Vec<(String, String, String, String)>,
    role_choices: Vec<(String, String)>,
    form: RoleForm,
    errors: Vec<FieldError>,
    levels: Vec<(&'static str, &'static str)>,
}

impl RolesPage {
    fn err(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }
}

pub(super) async fn render_roles(
    state: &AppState,
    ctx: &Ctx,
    form: RoleForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let roles = state.store().champion_roles(pcn).await?;
    let risks = state
        .store()
        .risk_assessments(pcn)
        .await?
        .into_iter()
        .filter_map(|r| {
            let role = roles.iter().find(|x| Some(x.id) == r.role_id)?;
            Some((
                role.name.clone(),
                r.title,
                date(&r.assessed_on),
                date(&r.review_on),
            ))
        })
        .collect();
    let page = RolesPage {
        layout: Layout::new(state, ctx, "Champion roles"),
        risks,
        role_choices: roles
            .iter()
            .map(|r| (r.id.to_string(), r.name.clone()))
            .collect(),
        roles,
        form,
        errors,
        levels: DbsLevel::ALL
            .into_iter()
            .map(|l| (l.as_str(), l.label()))
            .collect(),
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RiskForm {
    role_id: String,
    title: String,
    from: String,
    due: String,
}

pub(super) async fn add_role_risk(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<RiskForm>,
) -> Result<Response, AppError> {
    let Ok(role) = f.role_id.parse::<ChampionRoleId>() else {
        return render_roles(
            &state,
            &ctx,
            RoleForm::default(),
            one_error("role_id", "Choose the role"),
        )
        .await;
    };
    let dated = together_core::partners::DatedForm {
        title: f.title.clone(),
        reference: String::new(),
        from: f.from.clone(),
        due: f.due.clone(),
    };
    let assessment = match dated.parse(state.now().date(), "review") {
        Ok(a) => a,
        Err(errors) => return render_roles(&state, &ctx, RoleForm::default(), errors).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddRiskAssessment,
        "risk_assessment",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_risk_assessment(
            ctx.actor()?.pcn_id,
            together_store::champions::RiskSubject::Role(role),
            &assessment,
            &audit,
        )
        .await?;
    Ok(Redirect::to("/champions/roles").into_response())
}

pub(super) async fn roles_page(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    render_roles(&state, &ctx, RoleForm::default(), Vec::new()).await
}

pub(super) async fn add_role(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let role = match form.parse() {
        Ok(r) => r,
        Err(errors) => return render_roles(&state, &ctx, form, errors).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddChampionRole,
        "champion_role",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .add_champion_role(ctx.actor()?.pcn_id, &role, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to("/champions/roles").into_response()),
        Err(StoreError::Conflict(_)) => {
            let errors = one_error("name", "There is a role with this name already");
            render_roles(&state, &ctx, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
