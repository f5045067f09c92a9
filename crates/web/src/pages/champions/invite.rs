//! The printable invitation and the text-message invitation to become a champion.

use super::common::*;

#[derive(Template)]
#[template(path = "champion_invite.html")]
pub(super) struct InvitePage {
    layout: Layout,
    pcn_name: String,
    join_url: String,
    text_message: String,
}

/// The text message invitation: one SMS segment where the address allows.
pub(crate) fn text_invitation(pcn_name: &str, join_url: &str) -> String {
    format!(
        "{pcn_name}: we'd love you to join us as a health champion, giving a little time to help \
         people near you feel well and connected. Find out more: {join_url}"
    )
}

pub(super) async fn invite_texts(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let pcn_name = ctx.auth()?.pcn_name.clone();
    let join_url = format!("{}/join", state.config().public_url.trim_end_matches('/'));
    let page = InvitePage {
        layout: Layout::new(&state, &ctx, "Invite people to become champions"),
        text_message: text_invitation(&pcn_name, &join_url),
        pcn_name,
        join_url,
    };
    Ok(Html(page.render()?).into_response())
}
