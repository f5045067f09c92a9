//! `/healthz` (the process answers) and `/readyz` (the database accepts writes). Neither says
//! anything about the data.

use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

pub(crate) fn routes(r: Routes) -> Routes {
    r.get("/healthz", Policy::Public, healthz)
        .get("/readyz", Policy::Public, readyz)
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store().check_writable().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": state.store().backend() })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not ready" })),
            )
        }
    }
}
