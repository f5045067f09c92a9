//! Together's web application: NHS.UK-styled pages, the JSON API and the machinery every request
//! passes through (request context, security headers, CSRF, the authorisation policy).

mod api;
mod assets;
mod auth;
mod client_address;
mod compliance;
#[cfg(test)]
mod components_test;
mod context;
pub mod delivery;
mod error;
mod import_jobs;
mod layout;
pub mod outbox;
mod pages;
mod paths;
mod person_access;
pub mod policy_router;
mod rate_limit;
pub mod reminders;
pub mod report;
mod request;
mod security;
mod state;
mod subject_access;
mod tokens;

pub use client_address::parse_trusted;
pub use context::Ctx;
pub use error::AppError;
pub use policy_router::{Policy, RouteInfo};
pub use state::{AppState, InstanceKeys, WebConfig};

use axum::Router;
use std::net::SocketAddr;

/// Builds the whole application: every route with its policy, and the layers around them.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes();
    router
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::csrf,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request::load,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::body_limit,
        ))
        .with_state(state)
}

/// Every route and its policy. The table is what the authorisation tests enumerate.
pub fn routes() -> (Router<AppState>, Vec<RouteInfo>) {
    let r = policy_router::Routes::new();
    let r = pages::routes(r);
    let r = auth::routes(r);
    let r = api::routes(r);
    let r = assets::routes(r);
    r.finish()
}

/// Serves until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    outbox::spawn_delivery(state.clone());
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
