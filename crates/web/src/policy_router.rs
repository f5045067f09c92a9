//! Routes are registered only through [`Routes`], and only with a [`Policy`]: there is no way to
//! add a route that the authorisation layer does not guard, and the table of (method, path,
//! policy) is what the authorisation tests walk.

use crate::context::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use serde::Serialize;
use together_core::{authorize, Action, Resource};

/// Who may reach a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "action")]
pub enum Policy {
    /// Anyone, signed in or not.
    Public,
    /// Signed in with a password, second factor still to give (the second-factor pages).
    PasswordOnly,
    /// Fully signed in, and the policy allows the action on the actor's own PCN. Routes about
    /// one record check the record itself again in the handler.
    Allow(Action),
}

/// One registered route.
#[derive(Debug, Clone, Serialize)]
pub struct RouteInfo {
    #[serde(serialize_with = "method_name")]
    pub method: Method,
    pub path: &'static str,
    pub policy: Policy,
}

fn method_name<S: serde::Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

/// The router under construction, with its policy table.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    pub(crate) fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        policy: Policy,
        upload: bool,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match method {
            Method::POST => MethodFilter::POST,
            _ => MethodFilter::GET,
        };
        let mut route = on(filter, handler);
        if upload {
            // The configured upload limit is enforced around every route (security::body_limit).
            route = route.layer(axum::extract::DefaultBodyLimit::disable());
        }
        let guarded = route.layer(axum::middleware::from_fn(
            move |req: Request, next: Next| enforce(policy, req, next),
        ));
        self.router = self.router.route(path, guarded);
        self.table.push(RouteInfo {
            method,
            path,
            policy,
        });
        self
    }

    pub(crate) fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        policy: Policy,
        h: H,
    ) -> Self {
        self.add(Method::GET, path, policy, false, h)
    }

    pub(crate) fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        policy: Policy,
        h: H,
    ) -> Self {
        self.add(Method::POST, path, policy, false, h)
    }

    /// A POST taking a file upload (multipart, CSRF token as its first field) up to the
    /// configured upload limit.
    pub(crate) fn upload<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        policy: Policy,
        h: H,
    ) -> Self {
        self.add(Method::POST, path, policy, true, h)
    }

    pub(crate) fn finish(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}

/// Where a signed-in user who still owes a second factor is sent.
pub(crate) fn second_factor_page(ctx: &Ctx) -> &'static str {
    match ctx.auth.as_ref() {
        Some(a) if a.user.totp_secret.is_some() => "/sign-in/two-factor",
        _ => "/account/two-factor",
    }
}

async fn enforce(policy: Policy, req: Request, next: Next) -> Response {
    let Some(ctx) = req.extensions().get::<Ctx>().cloned() else {
        return AppError::Internal("request context missing".into()).into_response();
    };
    let state = req.extensions().get::<AppState>().cloned();
    match policy {
        Policy::Public => next.run(req).await,
        Policy::PasswordOnly => match &ctx.auth {
            Some(a) if a.session_hash.is_some() => next.run(req).await,
            _ => AppError::SignInRequired.into_response(),
        },
        Policy::Allow(action) => {
            let Some(auth) = &ctx.auth else {
                return AppError::SignInRequired.into_response();
            };
            if !auth.mfa_done {
                return Redirect::to(second_factor_page(&ctx)).into_response();
            }
            if authorize(&auth.actor, action, &Resource::Pcn(auth.actor.pcn_id)).is_allowed() {
                next.run(req).await
            } else {
                match state {
                    Some(state) => crate::context::denied(
                        &state,
                        &ctx,
                        together_core::audit::AuditAction::Route(action),
                        "route",
                        Some(ctx.path.clone()),
                    )
                    .await
                    .into_response(),
                    None => AppError::Forbidden.into_response(),
                }
            }
        }
    }
}

/// Whether the actor's second factor is still owed (for pages reachable before it is given).
pub(crate) fn owes_second_factor(ctx: &Ctx) -> bool {
    ctx.auth
        .as_ref()
        .is_some_and(|a| !a.mfa_done && a.mfa_required)
}
