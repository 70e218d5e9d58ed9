//! The OpenAPI 3.1 document: info, the bearer scheme, tags, the shared problem responses, and
//! a pass that documents on every operation the errors every operation can answer.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Doc, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zhaoshang API",
        description = "The shared data service of investment-promotion bureaus (招商) and their party branches: \
organizations and alliances, investment projects, enterprise visits, problem tickets and party activities.\n\n\
Authenticate with `POST /v1/auth/login` (people) or `POST /v1/auth/token` (partner systems), then send \
`Authorization: Bearer <access_token>`. Errors are `application/problem+json` (RFC 9457) with a stable `code`.",
        license(name = "Apache-2.0"),
        version = "1.0.0"
    ),
    tags(
        (name = "auth", description = "Login, token refresh and partner-system tokens"),
        (name = "organizations", description = "Bureaus, parks, departments and stationed teams (单位), in a tree"),
        (name = "users", description = "People of an organization, with roles"),
        (name = "service-accounts", description = "Partner systems (接入系统) that call the API with client credentials"),
        (name = "alliances", description = "Groups of organizations that share records (党建联盟)"),
        (name = "enterprises", description = "Investors and local companies (企业 / 客商) each organization records, their contacts and sharing"),
        (name = "projects", description = "The project library (项目库): pipeline stages, transitions and sharing"),
        (name = "signing-events", description = "Signing ceremonies (集中签约活动) and the projects signed there"),
        (name = "visits", description = "Enterprise visits (走访) and inspections (来考察)"),
        (name = "calendar", description = "The Chinese working calendar (工作日历) and ticket deadlines"),
        (name = "tickets", description = "Enterprise problem tickets (诉求工单) with deadlines on the working calendar"),
        (name = "branches", description = "Party branches (党支部) with members and party groups; compliance with the rules of 三会一课"),
        (name = "activities", description = "Party activities (党建活动): 三会一课, theme days, studies, joint activities across the alliance; sign-in attendance"),
        (name = "points", description = "Member points (党员积分): the ledger, point rules and leaderboards"),
        (name = "meta", description = "Enumerations with their Chinese and English labels"),
        (name = "system", description = "Liveness and readiness probes"),
    ),
    components(schemas(Problem)),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(Problem::name())))),
            )
            .build(),
    )
}

/// Adds the errors any operation may answer: 401 when it needs a token, 400/413/415/422 when it
/// takes a body, 400 when it takes query parameters or an `If-Match` / `Idempotency-Key`
/// header, and 500/503 everywhere.
pub struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, doc: &mut Doc) {
        for item in doc.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                add_common(op);
            }
        }
    }
}

fn add_common(op: &mut Operation) {
    let mut add = |status: &str, description: &str| {
        op.responses.responses.entry(status.to_owned()).or_insert_with(|| problem(description));
    };
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if secured {
        add("401", "Missing, expired or invalid access token");
    }
    add("500", "Unexpected error; the body carries the request id");
    add("503", "The database is unavailable; retry shortly");
    let has_body = op.request_body.is_some();
    let has_query = op
        .parameters
        .as_ref()
        .is_some_and(|ps| ps.iter().any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)));
    let has_checked_header = op.parameters.as_ref().is_some_and(|ps| {
        ps.iter().any(|p| {
            matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Header)
                && (p.name == "If-Match" || p.name == "Idempotency-Key")
        })
    });
    if has_body || has_query || has_checked_header {
        op.responses
            .responses
            .entry("400".to_owned())
            .or_insert_with(|| problem("Malformed JSON, invalid query string, bad page token or bad header"));
    }
    if has_body {
        op.responses.responses.entry("413".to_owned()).or_insert_with(|| problem("Request body too large"));
        op.responses.responses.entry("415".to_owned()).or_insert_with(|| problem("Body is not application/json"));
        op.responses
            .responses
            .entry("422".to_owned())
            .or_insert_with(|| problem("Validation failed; `errors` lists every failing field"));
    }
}

/// Documented responses of operations on one record.
pub const NOT_FOUND: &str = "No such record, or the caller may not see it";
