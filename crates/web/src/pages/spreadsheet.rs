//! Spreadsheet imports from the web: the coordinator uploads the CSV they keep today (of
//! champions, of the people the PCN supports, or of the connections made before Together),
//! every row is checked, and either all of it
//! comes in or nothing does, each rejected row named by line, column and reason. One page shape
//! and one way of reading the upload serve both.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{form_status, Layout};
use crate::state::AppState;
use askama::Template;
use axum::extract::Multipart;
use axum::response::{Html, IntoResponse, Response};
use together_formats::RowError;

/// Which spreadsheet a page imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spreadsheet {
    Champions,
    People,
    /// Connections made before Together, for the evaluation.
    PastConnections,
}

impl Spreadsheet {
    fn title(self) -> &'static str {
        match self {
            Spreadsheet::Champions => "Import champions",
            Spreadsheet::People => "Import people",
            Spreadsheet::PastConnections => "Import connections made before Together",
        }
    }

    /// Where the page lives, and where it goes back to.
    fn paths(self) -> (&'static str, &'static str) {
        match self {
            Spreadsheet::Champions => ("/champions/import", "/champions"),
            Spreadsheet::People => ("/people/import", "/people"),
            Spreadsheet::PastConnections => ("/impact/past-connections", "/impact/costs"),
        }
    }
}

/// What became of an upload, for the page.
#[derive(Debug, Default)]
pub(crate) enum Imported {
    /// Nothing yet: the page as first opened.
    #[default]
    Nothing,
    /// The file as a whole could not be read (or none was chosen).
    Refused(String),
    /// Some rows were wrong, so nothing came in.
    Rejected(Vec<RowError>),
    /// Everything came in: what was added and what was there already.
    Done(String),
}

impl Imported {
    /// What a refused spreadsheet shows the person who sent it; a failing store is an error.
    pub(crate) fn refused(e: together_app::SpreadsheetRefused) -> Result<Imported, AppError> {
        use together_app::SpreadsheetRefused as Why;
        match e {
            Why::File(e) => Ok(Imported::Refused(format!("Nothing was imported: {e}"))),
            Why::Rows { errors, .. } => Ok(Imported::Rejected(errors)),
            Why::Store(e) => Err(e.into()),
        }
    }
}

#[derive(Template)]
#[template(path = "spreadsheet_import.html")]
struct ImportPage {
    layout: Layout,
    kind: Spreadsheet,
    action: &'static str,
    back: &'static str,
    error: String,
    rejected: Vec<RowError>,
    done: String,
}

/// The import page, showing what became of an upload; 400 when something was refused.
pub(crate) fn page(
    state: &AppState,
    ctx: &Ctx,
    kind: Spreadsheet,
    imported: Imported,
) -> Result<Response, AppError> {
    let (action, back) = kind.paths();
    let (mut error, mut rejected, mut done) = (String::new(), Vec::new(), String::new());
    match imported {
        Imported::Nothing => {}
        Imported::Refused(e) => error = e,
        Imported::Rejected(r) => rejected = r,
        Imported::Done(d) => done = d,
    }
    let page = ImportPage {
        layout: Layout::new(state, ctx, kind.title()),
        kind,
        action,
        back,
        error,
        rejected,
        done,
    };
    let status = form_status(!page.error.is_empty() || !page.rejected.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

/// The bytes of the form's `file` field: `Err` with the page to show again when no file was
/// chosen or it was empty.
pub(crate) async fn uploaded(
    multipart: &mut Multipart,
) -> Result<Result<Vec<u8>, Imported>, AppError> {
    let mut bytes = None;
    while let Some(field) = multipart.next_field().await? {
        if field.name() == Some("file") && bytes.is_none() {
            bytes = Some(field.bytes().await?);
        }
    }
    Ok(match bytes.filter(|b| !b.is_empty()) {
        Some(b) => Ok(b.to_vec()),
        None => Err(Imported::Refused("Choose the CSV file to import".into())),
    })
}

/// "Imported 2 people; 1 already there, left as they were."
pub(crate) fn done(added: u64, there: u64, one: &str, many: &str) -> Imported {
    Imported::Done(format!(
        "Imported {added} {}; {there} already there, left as they were.",
        if added == 1 { one } else { many }
    ))
}
