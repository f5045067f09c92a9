//! The journey board: a column for each step, a card for each champion.

use super::common::*;
use together_core::audit::AuditAction;

pub(super) struct Card {
    id: ChampionId,
    name: String,
    practice: String,
    interests: String,
    since: String,
}

pub(super) struct Column {
    stage: Stage,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "champions.html")]
pub(super) struct BoardPage {
    layout: Layout,
    columns: Vec<Column>,
    total: usize,
}

pub(super) async fn board(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        AuditAction::ListChampions,
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = state.store().champions(pcn, &audit).await?;
    let practices = practice_names(&state, pcn).await?;
    let total = champions.len();
    let columns = Stage::ALL
        .into_iter()
        .map(|stage| Column {
            stage,
            cards: champions
                .iter()
                .filter(|c| c.stage == stage)
                .map(|c| Card {
                    id: c.id,
                    name: format!("{} {}", c.given_name, c.family_name),
                    practice: c
                        .home_practice_id
                        .and_then(|p| practices.get(&p).cloned())
                        .unwrap_or_default(),
                    interests: interests_text(c),
                    since: date(&c.stage_since.date()),
                })
                .collect(),
        })
        .collect();
    let page = BoardPage {
        layout: Layout::new(&state, &ctx, "Champions"),
        columns,
        total,
    };
    Ok(Html(page.render()?).into_response())
}
