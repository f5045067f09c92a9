//! The NHS.UK frontend's CSS, JavaScript and images, and Together's own two small files, served
//! from the binary itself.

use crate::error::AppError;
use crate::policy_router::{Policy, Routes};
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

pub(crate) fn routes(r: Routes) -> Routes {
    r.get("/assets/{*path}", Policy::Public, asset)
        .get("/favicon.ico", Policy::Public, favicon)
}

async fn favicon() -> Result<Response, AppError> {
    asset(Path("images/favicon.ico".to_owned())).await
}

async fn asset(Path(path): Path<String>) -> Result<Response, AppError> {
    let (_, kind, bytes) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == path)
        .ok_or(AppError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, *kind)], *bytes).into_response())
}
