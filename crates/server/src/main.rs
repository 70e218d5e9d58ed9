//! `zhaoshang`: serve | migrate | seed --demo | user create | openapi.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use zhaoshang::config::{Config, LogFormat};
use zhaoshang::demo;
use zs_domain::auth::{Caller, PrincipalKind, Role};
use zs_domain::org::{OrgLevel, RegionCode};

#[derive(Parser)]
#[command(
    name = "zhaoshang",
    version,
    about = "Zhaoshang (招商): the shared data service of investment-promotion bureaus"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (migrates the database first; never seeds it).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load data into the database.
    Seed {
        /// The demo organizations, alliance and one user per role (once; later runs do nothing).
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Manage users from the command line (e.g. the first sysadmin).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage organizations from the command line (e.g. the first top-level one).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Create {
        /// Short code of the user's organization.
        #[arg(long)]
        organization: String,
        /// Login name.
        #[arg(long)]
        username: String,
        /// Display name (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// Role (repeat for several).
        #[arg(long = "role", value_parser = parse_role, required = true)]
        roles: Vec<Role>,
        /// Password (10-128 characters, letters mixed with digits or symbols).
        #[arg(long, env = "ZS_NEW_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization (top-level unless --parent is given).
    Create {
        /// Full name.
        #[arg(long)]
        name: String,
        /// Unique short code.
        #[arg(long)]
        short_code: String,
        /// Level: province, prefecture, county, park, department or team.
        #[arg(long, value_parser = parse_level)]
        level: OrgLevel,
        /// 6-digit administrative division code.
        #[arg(long)]
        region_code: String,
        /// Short code of the parent organization.
        #[arg(long)]
        parent: Option<String>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        format!("unknown role {s}; one of: {}", Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "))
    })
}

fn parse_level(s: &str) -> Result<OrgLevel, String> {
    OrgLevel::parse(s).ok_or_else(|| format!("unknown level {s}"))
}

fn init_logging(cfg: &Config) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(&cfg.log).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cfg.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.config);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zhaoshang: {e}");
            ExitCode::FAILURE
        }
    }
}

fn cli_admin() -> Caller {
    Caller {
        principal_id: "cli".to_owned(),
        kind: PrincipalKind::User,
        organization_id: String::new(),
        roles: vec![Role::Sysadmin],
        scopes: vec![],
    }
}

fn org_by_code(conn: &mut zs_persistence::DbConn, code: &str) -> Result<String, String> {
    let vis = zs_persistence::scope::Visibility { organization_id: String::new(), all: true, alliance_ids: vec![] };
    let filter = zs_persistence::orgs::OrgFilter::default();
    let mut after = None;
    loop {
        let page = zs_persistence::orgs::list(
            conn,
            &vis,
            &filter,
            zs_persistence::page::ListOrder::Id,
            &zs_persistence::page::PageRequest { after: after.clone(), limit: 200 },
        )
        .map_err(|e| e.to_string())?;
        if let Some(o) = page.items.iter().find(|o| o.short_code == code) {
            return Ok(o.id.clone());
        }
        match page.next {
            Some(c) => after = Some(c),
            None => return Err(format!("no organization with short code {code}")),
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let cfg = cli.config;
    match cli.command {
        Command::Openapi => {
            print!("{}", zs_http::openapi_json());
            Ok(())
        }
        Command::Migrate => {
            zhaoshang::open_database(&cfg).map_err(|e| e.to_string())?;
            println!("database is up to date");
            Ok(())
        }
        Command::Seed { .. } => {
            let (pool, _) = zhaoshang::open_database(&cfg).map_err(|e| e.to_string())?;
            let hash = zs_http::auth::hash_secret(demo::DEMO_PASSWORD).map_err(|e| e.to_string())?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            if demo::seed(&mut conn, &hash).map_err(|e| e.to_string())? {
                println!("demo data loaded");
            } else {
                println!("demo data was already loaded");
            }
            print!("{}", demo::logins());
            Ok(())
        }
        Command::User { command: UserCommand::Create { organization, username, display_name, roles, password } } => {
            zs_domain::user::check_password("/password", &password).map_err(|e| format!("password: {e:?}"))?;
            let username =
                zs_domain::user::parse_username("/username", &username).map_err(|e| format!("username: {e:?}"))?;
            let (pool, _) = zhaoshang::open_database(&cfg).map_err(|e| e.to_string())?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let org = org_by_code(&mut conn, &organization)?;
            let hash = zs_http::auth::hash_secret(&password).map_err(|e| e.to_string())?;
            let user = zs_persistence::db::write_tx(&mut conn, |c| {
                zs_persistence::users::create(
                    c,
                    None,
                    zs_persistence::users::NewUser {
                        id: None,
                        organization_id: org.clone(),
                        display_name: display_name.clone().unwrap_or_else(|| username.clone()),
                        username: username.clone(),
                        phone: None,
                        email: None,
                        password_hash: hash,
                        roles: roles.clone(),
                    },
                )
            })
            .map_err(|e| e.to_string())?;
            println!("created user {} ({})", user.username, user.id);
            Ok(())
        }
        Command::Org { command: OrgCommand::Create { name, short_code, level, region_code, parent } } => {
            let (pool, _) = zhaoshang::open_database(&cfg).map_err(|e| e.to_string())?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let parent_id = match parent {
                Some(p) => Some(org_by_code(&mut conn, &p)?),
                None => None,
            };
            let cmd = zs_persistence::orgs::NewOrganization {
                id: None,
                parent_id,
                level,
                name: zs_domain::text::name("/name", &name, 200).map_err(|e| format!("name: {e:?}"))?,
                short_code: zs_domain::org::parse_short_code("/short_code", &short_code)
                    .map_err(|e| format!("short code: {e:?}"))?,
                region_code: RegionCode::parse("/region_code", &region_code)
                    .map_err(|e| format!("region code: {e:?}"))?,
                time_zone: "Asia/Shanghai".to_owned(),
            };
            let org = zs_persistence::db::write_tx(&mut conn, |c| zs_persistence::orgs::create(c, &cli_admin(), cmd))
                .map_err(|e| e.to_string())?;
            println!("created organization {} ({})", org.short_code, org.id);
            Ok(())
        }
        Command::Serve => serve(cfg),
    }
}

fn serve(cfg: Config) -> Result<(), String> {
    let prepared = zhaoshang::prepare(&cfg).map_err(|e| e.to_string())?;
    let seeded = {
        let mut conn = prepared.state.pool.get().map_err(|e| e.to_string())?;
        demo::is_seeded(&mut conn).map_err(|e| e.to_string())?
    };
    let listener = zhaoshang::bind(&cfg).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let server = zhaoshang::server(prepared, listener, &cfg).map_err(|e| e.to_string())?;
        tracing::info!(%addr, backend = ?cfg.database_url.split(':').next(), "listening");
        println!("Zhaoshang is serving on http://{addr}");
        println!("Swagger UI: http://{addr}/docs/   OpenAPI: http://{addr}/openapi.json");
        if seeded {
            print!("{}", demo::logins());
        }
        server.await.map_err(|e| e.to_string())
    })
}
