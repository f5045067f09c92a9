//! The public expression-of-interest form (`/join`): phone-first, no account, and told apart
//! from a bot without a third-party CAPTCHA.

use super::common::*;
use together_core::audit::AuditAction;

/// Expressions of interest accepted from one address in an hour.
pub(super) const JOINS_PER_HOUR: usize = 10;

#[derive(Template)]
#[template(path = "join.html")]
pub(super) struct JoinPage {
    layout: Layout,
    pcn: Option<Pcn>,
    /// Every PCN, when the instance serves more than one and none is chosen yet.
    choose: Vec<Pcn>,
    practices: Vec<Practice>,
    form: InterestForm,
    errors: Vec<FieldError>,
    stamp: String,
    interests: &'static [(&'static str, &'static str)],
    availability: &'static [(&'static str, &'static str)],
    contact_choices: &'static [(&'static str, &'static str)],
}

impl JoinPage {
    fn err(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }
}

#[derive(Deserialize, Default)]
pub(super) struct JoinQuery {
    #[serde(default)]
    pcn: String,
}

/// The PCN a public form is for: the one named, or the instance's only one.
pub(crate) async fn public_pcn(
    state: &AppState,
    named: &str,
) -> Result<(Option<Pcn>, Vec<Pcn>), AppError> {
    let pcns = state.store().pcns().await?;
    if let Ok(id) = named.parse::<PcnId>() {
        return Ok((pcns.into_iter().find(|p| p.id == id), Vec::new()));
    }
    if pcns.len() == 1 {
        return Ok((pcns.into_iter().next(), Vec::new()));
    }
    Ok((None, pcns))
}

pub(super) async fn render_join(
    state: &AppState,
    ctx: &Ctx,
    pcn: Option<Pcn>,
    choose: Vec<Pcn>,
    form: InterestForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let practices = match &pcn {
        Some(p) => state.store().practices(p.id).await?,
        None => Vec::new(),
    };
    let mut layout = Layout::new(state, ctx, "Become a health champion");
    if let Some(p) = &pcn {
        layout.service = p.name.clone();
    }
    let page = JoinPage {
        layout,
        pcn,
        choose,
        practices,
        form,
        stamp: form_stamp(&state.0.secret, state.now()),
        errors,
        interests: INTERESTS,
        availability: AVAILABILITY,
        contact_choices: &[
            ("phone", "Phone call"),
            ("text", "Text message"),
            ("email", "Email"),
        ],
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn join_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<JoinQuery>,
) -> Result<Response, AppError> {
    let (pcn, choose) = public_pcn(&state, &q.pcn).await?;
    render_join(
        &state,
        &ctx,
        pcn,
        choose,
        InterestForm::default(),
        Vec::new(),
    )
    .await
}

#[derive(Template)]
#[template(path = "join_thanks.html")]
pub(super) struct ThanksPage {
    layout: Layout,
    given_name: String,
    how: &'static str,
}

pub(super) fn field_value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub(super) async fn join_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let now = state.now();
    let (pcn, choose) = public_pcn(&state, field_value(&fields, "pcn")).await?;
    let Some(pcn) = pcn else {
        return render_join(
            &state,
            &ctx,
            None,
            choose,
            InterestForm::default(),
            Vec::new(),
        )
        .await;
    };
    let form = InterestForm::from_fields(&fields);
    // The honeypot: a field people never see or fill in. A bot that fills it is thanked and
    // nothing is kept.
    let thanks = |given_name: String, how: &'static str| ThanksPage {
        layout: Layout::new(&state, &ctx, "Thank you"),
        given_name,
        how,
    };
    match public_post(
        &state,
        &ctx,
        field_value(&fields, "website"),
        field_value(&fields, "stamp"),
        "join",
        JOINS_PER_HOUR,
    )? {
        PublicPost::Person => {}
        PublicPost::Bot => {
            let audit = ctx.audit(
                &state,
                AuditAction::JoinDiscarded,
                "champion",
                None,
                Outcome::Denied,
            );
            state
                .store()
                .audit(&together_store::NewAuditEvent {
                    pcn_id: Some(pcn.id),
                    reason: Some("the hidden field was filled in".into()),
                    ..audit
                })
                .await?;
            return Ok(Html(thanks(String::new(), "").render()?).into_response());
        }
        PublicPost::Again(why) => {
            let errors = one_error("given_name", why);
            return render_join(&state, &ctx, Some(pcn), Vec::new(), form, errors).await;
        }
    }
    let interest = match form.parse() {
        Ok(i) => i,
        Err(errors) => return render_join(&state, &ctx, Some(pcn), Vec::new(), form, errors).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::ExpressInterest,
        "champion",
        None,
        Outcome::Allowed,
    );
    let id = match state
        .store()
        .record_interest(pcn.id, &interest, &audit)
        .await
    {
        Ok(id) => id,
        Err(StoreError::NotFound(_)) => {
            let errors = one_error("practice_id", "Choose your GP practice from the list");
            return render_join(&state, &ctx, Some(pcn), Vec::new(), form, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    // The volunteer coordinators hear of it through the outbox; names stay in Together.
    let link = format!(
        "{}/champions/{id}",
        state.config().public_url.trim_end_matches('/')
    );
    for admin in state.store().users(pcn.id).await? {
        if admin.role == Role::PcnAdmin && admin.status == UserStatus::Active {
            state
                .store()
                .enqueue_message(&NewMessage {
                    pcn_id: Some(pcn.id),
                    person: None,
                    channel: Channel::Email,
                    recipient: admin.email.to_string(),
                    subject: "Someone would like to be a health champion".into(),
                    body: format!(
                        "A new expression of interest has arrived. Open it here to get in touch:\n\n{link}"
                    ),
                    now,
                })
                .await?;
        }
    }
    let how = match interest.contact_preference {
        together_core::people::ContactPreference::Email => "email you",
        together_core::people::ContactPreference::Text => "send you a text",
        _ => "give you a call",
    };
    let mut page = thanks(interest.given_name, how);
    page.layout.service = pcn.name;
    Ok(Html(page.render()?).into_response())
}
