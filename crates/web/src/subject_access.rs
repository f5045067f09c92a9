//! Subject access exports, for champions and for people alike: everything held about someone,
//! table by table, as one JSON document or one CSV (a line per value), downloaded, never cached.

use crate::error::AppError;
use axum::response::{IntoResponse, Response};
use together_store::subject_access::SarTable;

/// A file to download, never kept by a browser or proxy.
pub(crate) fn download(body: Vec<u8>, mime: &str, name: &str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, mime.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Each table with its rows, as one JSON document named `{stem}.json`.
pub(crate) fn json(tables: Vec<SarTable>, stem: &str) -> Result<Response, AppError> {
    let doc: serde_json::Map<String, serde_json::Value> = tables
        .into_iter()
        .map(|t| {
            let rows = t
                .rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        t.columns
                            .iter()
                            .cloned()
                            .zip(r.iter().map(|v| serde_json::json!(v)))
                            .collect(),
                    )
                })
                .collect();
            (t.table, serde_json::Value::Array(rows))
        })
        .collect();
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(body, "application/json", &format!("{stem}.json")))
}

/// The same as one CSV, a line per value (table, row, column, value), so every table fits in
/// one file that opens in a spreadsheet; every value neutralised against formulas.
pub(crate) fn csv(tables: &[SarTable], stem: &str) -> Result<Response, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(["table", "row", "column", "value"])
        .map_err(fail)?;
    for t in tables {
        for (n, row) in t.rows.iter().enumerate() {
            for (column, value) in t.columns.iter().zip(row) {
                let n = (n + 1).to_string();
                let value = together_core::export::neutralise(value.as_deref().unwrap_or(""));
                w.write_record([t.table.as_str(), &n, column, &value])
                    .map_err(fail)?;
            }
        }
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        body,
        "text/csv; charset=utf-8",
        &format!("{stem}.csv"),
    ))
}
