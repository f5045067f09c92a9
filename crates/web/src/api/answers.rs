//! What every answer of the API shares: the body of a refusal, and the id of what was made.

use serde::Serialize;
use utoipa::ToSchema;

/// The body of every refusal: one sentence a person can act on.
#[derive(Serialize, ToSchema)]
pub(crate) struct ApiError {
    error: String,
}

/// The id of what a request made.
#[derive(Serialize, ToSchema)]
pub(crate) struct Created {
    pub(crate) id: String,
}

/// A form's errors as one line for an API client ("field: message; field: message").
pub(crate) fn field_messages(errors: &[together_core::people::FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}
