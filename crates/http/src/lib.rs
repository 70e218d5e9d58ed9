//! Zhaoshang HTTP API: actix-web routes (one module per resource under [`v1`]), the caller
//! extractor, problem+json errors, request ids, paging, idempotency, and the OpenAPI document
//! served with Swagger UI.

pub mod auth;
pub mod body;
pub mod conditional;
pub mod create;
pub mod error;
pub mod openapi;
pub mod paging;
pub mod request_id;
pub mod routing;
pub mod state;
pub mod v1;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpResponse};
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};
use utoipa_swagger_ui::SwaggerUi;

pub use state::{ApiSettings, AppState};
pub use utoipa;

/// Registers every documented route.
fn register(
    app: utoipa_actix_web::UtoipaApp<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
) -> utoipa_actix_web::UtoipaApp<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    use v1::*;
    app.service(meta::healthz).service(meta::readyz).service(
        scope("/v1")
            .service(meta::list_enums)
            .service(calendar::get_calendar_year)
            .service(calendar::replace_calendar_year)
            .service(calendar::get_ticket_deadlines)
            .service(calendar::update_ticket_deadlines)
            .service(auth::login)
            .service(auth::refresh_token)
            .service(auth::logout)
            .service(auth::client_credentials_token)
            .service(users::get_me)
            .service(visits::create_visit)
            .service(visits::list_visits)
            .service(visits::get_visit)
            .service(visits::update_visit)
            .service(visits::delete_visit)
            .service(organizations::create_organization)
            .service(organizations::list_organizations)
            .service(organizations::get_organization)
            .service(organizations::update_organization)
            .service(users::create_user)
            .service(users::list_users)
            .service(users::get_user)
            .service(users::update_user)
            .service(service_accounts::create_service_account)
            .service(service_accounts::list_service_accounts)
            .service(service_accounts::get_service_account)
            .service(service_accounts::update_service_account)
            .service(service_accounts::rotate_service_account_secret)
            .service(alliances::create_alliance)
            .service(alliances::list_alliances)
            .service(alliances::get_alliance)
            .service(alliances::update_alliance)
            .service(alliances::invite_alliance_member)
            .service(alliances::accept_alliance_invitation)
            .service(alliances::leave_alliance)
            .service(alliances::remove_alliance_member)
            .service(enterprises::create_enterprise)
            .service(enterprises::list_enterprises)
            .service(enterprises::get_enterprise)
            .service(enterprises::update_enterprise)
            .service(enterprises::delete_enterprise)
            .service(enterprises::share_enterprise)
            .service(enterprises::unshare_enterprise)
            .service(enterprises::list_enterprise_contacts)
            .service(enterprises::create_enterprise_contact)
            .service(enterprises::get_enterprise_contact)
            .service(enterprises::update_enterprise_contact)
            .service(enterprises::delete_enterprise_contact)
            .service(tickets::create_ticket)
            .service(tickets::list_tickets)
            .service(tickets::get_ticket_metrics)
            .service(tickets::get_ticket)
            .service(tickets::update_ticket)
            .service(tickets::delete_ticket)
            .service(tickets::assign_ticket)
            .service(tickets::accept_ticket)
            .service(tickets::resolve_ticket)
            .service(tickets::confirm_ticket)
            .service(tickets::reopen_ticket)
            .service(tickets::escalate_ticket)
            .service(tickets::claim_ticket)
            .service(tickets::comment_ticket)
            .service(tickets::list_ticket_events)
            .service(projects::create_project)
            .service(projects::list_projects)
            .service(projects::get_project)
            .service(projects::update_project)
            .service(projects::delete_project)
            .service(projects::transition_project)
            .service(projects::list_project_transitions)
            .service(projects::share_project)
            .service(projects::unshare_project)
            .service(fund_arrivals::list_fund_arrivals)
            .service(fund_arrivals::create_fund_arrival)
            .service(fund_arrivals::delete_fund_arrival)
            .service(signing_events::create_signing_event)
            .service(signing_events::list_signing_events)
            .service(signing_events::get_signing_event)
            .service(signing_events::update_signing_event)
            .service(signing_events::delete_signing_event)
            .service(signing_events::attach_signing_event_project)
            .service(signing_events::detach_signing_event_project)
            .service(branches::create_branch)
            .service(branches::list_branches)
            .service(branches::get_branch)
            .service(branches::update_branch)
            .service(branches::get_branch_compliance)
            .service(branches::get_organization_compliance)
            .service(branches::get_compliance_rules)
            .service(branches::replace_compliance_rules)
            .service(branches::delete_compliance_rules)
            .service(activities::create_activity)
            .service(activities::list_activities)
            .service(activities::get_activity)
            .service(activities::update_activity)
            .service(activities::delete_activity)
            .service(activities::hold_activity)
            .service(activities::cancel_activity)
            .service(attendance::sign_in_activity)
            .service(attendance::record_attendance)
            .service(attendance::list_attendance)
            .service(points::get_point_rules)
            .service(points::replace_point_rules)
            .service(points::create_point_entry)
            .service(points::list_point_entries)
            .service(points::get_point_balances),
    )
}

/// The OpenAPI document of the API (what `/openapi.json` serves and `openapi/openapi.json` holds).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::Modify;
    let (_, mut doc) = register(App::new().into_utoipa_app().openapi(openapi::ApiDoc::openapi())).split_for_parts();
    // After the routes are in: document the errors every operation can answer.
    openapi::CommonErrors.modify(&mut doc);
    doc
}

/// The OpenAPI document as committed: pretty JSON with a final newline.
pub fn openapi_json() -> String {
    let mut s = openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// The whole application: routes, Swagger UI at `/docs`, the document at `/openapi.json`,
/// request ids, problem+json for every failure, and 405 for known paths with a wrong method.
pub fn build_app(
    state: web::Data<AppState>,
    doc: utoipa::openapi::OpenApi,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, _) = register(App::new().into_utoipa_app()).split_for_parts();
    app.app_data(state)
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .service(
            web::resource("/docs").route(
                web::get()
                    .to(|| async { HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish() }),
            ),
        )
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc))
        .default_service(web::to(routing::fallback))
        .wrap(Compress::default())
        .wrap(from_fn(request_id::middleware))
}
