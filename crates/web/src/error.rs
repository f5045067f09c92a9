//! The one mapping from failures to what a person sees. Handlers return [`AppError`]; the
//! context layer turns it into an HTML page or a JSON body, revealing nothing internal.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use together_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Page not found")]
    NotFound,
    #[error("You do not have access to this page")]
    Forbidden,
    #[error("Sign in to continue")]
    SignInRequired,
    #[error("{0}")]
    BadRequest(String),
    #[error("This form has expired or did not come from Together. Go back, refresh the page and try again")]
    Csrf,
    #[error("Too many attempts. Wait {0} seconds and try again")]
    TooMany(u64),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("Sorry, there is a problem with the service. Try again later")]
    Internal(String),
}

/// A form or upload cut short on its way (the connection dropped, or it was too large): the
/// person is asked to send it again.
impl From<axum::extract::multipart::MultipartError> for AppError {
    fn from(e: axum::extract::multipart::MultipartError) -> Self {
        AppError::BadRequest(format!("The form did not arrive whole ({e}). Try again"))
    }
}

/// Carried on an error response so the context layer can render it for a page or the API.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub message: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::SignInRequired => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let mut res = self.status().into_response();
        if let AppError::TooMany(secs) = &self {
            if let Ok(v) = secs.to_string().parse() {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(ErrorInfo {
            message: self.to_string(),
        });
        res
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Conflict(what) => AppError::Conflict(what.to_owned()),
            StoreError::Refused(why) => AppError::BadRequest(why.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<together_app::insight::InsightError> for AppError {
    fn from(e: together_app::insight::InsightError) -> Self {
        match e {
            together_app::insight::InsightError::Store(e) => e.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<together_insight::impact::ReportError> for AppError {
    fn from(e: together_insight::impact::ReportError) -> Self {
        match e {
            together_insight::impact::ReportError::Store(e) => e.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

pub(crate) async fn not_found() -> AppError {
    AppError::NotFound
}

/// An id taken from the path: one that does not even parse names nothing, so it is answered as
/// not found, like an id of something that does not exist (or that the reader may not know of).
pub(crate) fn path_id<T: std::str::FromStr>(id: &str) -> Result<T, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}
