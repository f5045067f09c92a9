//! Paths that more than their own page must know: the request layers give these a body limit
//! of their own.

/// The pages that take uploads (the body limit is raised for these alone).
pub(crate) const UPLOAD_PATHS: [&str; 2] = ["/insight/imports", "/insight/imports/synthea"];

/// Where a champion's expense (with its receipt) is posted: it has a body limit of its own.
pub(crate) const EXPENSE_PATH: &str = "/champions/me/expenses";
