//! The routes of the OpenAPI document, so that a known path with a wrong method is 405 with
//! `Allow` and an unknown path 404, both as problem+json.

use actix_web::http::Method;
use actix_web::{web, HttpRequest};

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Option<String>>, Vec<Method>)>,
}

impl RouteTable {
    /// Builds the table from the OpenAPI document's paths (`{param}` segments match anything).
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut routes = vec![];
        for (path, item) in &doc.paths.paths {
            let segments = path
                .trim_start_matches('/')
                .split('/')
                .map(|s| if s.starts_with('{') { None } else { Some(s.to_owned()) })
                .collect();
            let mut methods = vec![];
            let ops = [
                (Method::GET, item.get.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::PATCH, item.patch.is_some()),
                (Method::DELETE, item.delete.is_some()),
            ];
            for (m, present) in ops {
                if present {
                    methods.push(m);
                }
            }
            routes.push((segments, methods));
        }
        for extra in ["openapi.json", "docs"] {
            routes.push((vec![Some(extra.to_owned())], vec![Method::GET]));
        }
        RouteTable { routes }
    }

    /// The methods a path answers, if any route matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut allowed: Vec<Method> = vec![];
        for (segments, methods) in &self.routes {
            let fits = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(s, p)| match s {
                    Some(lit) => lit == p,
                    None => !p.is_empty(),
                });
            if fits {
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m.clone());
                    }
                }
            }
        }
        (!allowed.is_empty()).then_some(allowed)
    }
}

/// The default service: 405 with `Allow` for a known path, 404 otherwise.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> Result<actix_web::HttpResponse, ApiError> {
    match state.routes.allowed(req.path()) {
        Some(methods) if !methods.contains(req.method()) => Err(ApiError::MethodNotAllowed(methods)),
        _ => Err(ApiError::NotFound),
    }
}
