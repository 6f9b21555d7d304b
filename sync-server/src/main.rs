//! `gridvoice-server`: serve, and the admin commands (init, import-territory, enrol, devices).
//! Errors print their chain and exit non-zero; refusals (bad input) exit 2.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use gridvoice_core::access::{Person, Role};
use gridvoice_core::clock::Clock;
use gridvoice_core::geography::gcj02::Datum;
use gridvoice_core::geography::geojson::{TerritoryFiles, territory_from_files};
use gridvoice_core::ids::{DelegateId, DeviceId, StaffId};
use gridvoice_core::territory::Territory;
use gridvoice_server::auth::AuthDb;
use gridvoice_server::{Config, auth_path, store_path};
use gridvoice_store::Store;
use gridvoice_store::system::SystemClock;

#[derive(Parser, Debug)]
#[command(name = "gridvoice-server", version, about = "网格民声 — 同步服务器")]
struct Cli {
    /// The data directory (store, credentials).
    #[arg(
        long,
        env = "GRIDVOICE_DATA",
        default_value = "server-data",
        global = true
    )]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the data directory with a territory and print the first office enrolment code.
    Init {
        /// A directory of territory GeoJSON files; the Gulou demo territory when absent.
        #[arg(long)]
        territory: Option<PathBuf>,
        /// The files are in GCJ-02 (converted to WGS-84 on import).
        #[arg(long)]
        gcj02: bool,
        /// Also import the seeded demo history (2019–2021 visits, demands, suggestions).
        #[arg(long)]
        demo_history: bool,
    },
    /// Demand counts per station and status (the office's overview).
    Stats,
    /// Serve sync and the HTTP API.
    Serve {
        #[arg(long, env = "GRIDVOICE_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Log filter, e.g. info or gridvoice_server=debug.
        #[arg(long, env = "GRIDVOICE_LOG", default_value = "info")]
        log: String,
        /// Largest sync message, bytes.
        #[arg(long, default_value_t = gridvoice_core::boundary::MAX_SYNC_MESSAGE_BYTES)]
        max_message_bytes: usize,
        /// The station and office pages (scripts/build-ui's dist-station/), served at `/`.
        #[arg(long, env = "GRIDVOICE_PAGES", default_value = "dist-station")]
        pages: PathBuf,
        /// Also take a device credential in the sync URL's `?token=` (browser-style clients that
        /// cannot set headers); off by default.
        #[arg(long)]
        browser_tokens: bool,
    },
    /// Replace the working-day calendar deadlines count on (holidays and 调休 make-up days as
    /// `date,type,name` lines, like data/calendar/cn-workdays.csv): checked first, a file with
    /// any problem changes nothing; the server uses it from its next start.
    Calendar { file: PathBuf },
    /// Install the office's time limits per stage (JSON: `default` working days for 研判, 响应,
    /// 办理, 反馈, 回访 and `rules` by level, category and urgency): checked first, a file with any
    /// problem changes nothing; the server uses it from its next start.
    Policy { file: PathBuf },
    /// Replace the territory (validated first; a rejected import changes nothing).
    ImportTerritory {
        dir: PathBuf,
        #[arg(long)]
        gcj02: bool,
    },
    /// Make a one-time enrolment code for a person.
    Enrol {
        /// A delegate's code (e.g. D01).
        #[arg(long, conflicts_with = "staff")]
        delegate: Option<String>,
        /// A staff member's code (office or admin).
        #[arg(long)]
        staff: Option<String>,
        /// delegate | station_head | office | admin
        #[arg(long, default_value = "delegate")]
        role: String,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 72)]
        ttl_hours: i64,
    },
    /// Devices.
    #[command(subcommand)]
    Devices(DevicesCommand),
}

#[derive(Subcommand, Debug)]
enum DevicesCommand {
    List,
    Revoke { device: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gridvoice-server: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load_territory(dir: Option<&Path>, gcj02: bool) -> anyhow::Result<Territory> {
    let Some(dir) = dir else {
        return gridvoice_core::demo::gulou().context("the demo territory does not load");
    };
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .with_context(|| format!("cannot read {}", dir.join(name).display()))
    };
    let (street, communities, grids, stations, organisation) = (
        read("street.geojson")?,
        read("communities.geojson")?,
        read("grids.geojson")?,
        read("stations.geojson")?,
        read("organisation.json")?,
    );
    let quarters = read("quarters.geojson").ok();
    let files = TerritoryFiles {
        street: &street,
        communities: &communities,
        quarters: quarters.as_deref(),
        grids: &grids,
        stations: &stations,
        organisation: &organisation,
    };
    let datum = if gcj02 { Datum::Gcj02 } else { Datum::Wgs84 };
    territory_from_files(&files, datum).map_err(|e| anyhow::anyhow!("territory rejected: {e}"))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cli.command {
        Command::Init {
            territory,
            gcj02,
            demo_history,
        } => {
            let t = load_territory(territory.as_deref(), gcj02)?;
            let seeded = gridvoice_server::init_data(&cli.data, &t)?;
            if demo_history {
                let h =
                    gridvoice_core::demo::generate_history(&t, gridvoice_core::demo::HISTORY_SEED)?;
                let mut store = Store::open(store_path(&cli.data))?;
                // The import writes under a fixed actor of its own, bound to no device.
                let actor = automerge::ActorId::from(&b"gridvoice-import"[..]);
                let r = gridvoice_store::import::import_history(&mut store, &h, &actor)?;
                println!(
                    "已导入演示数据：{} 次联系选民活动、{} 条诉求、{} 件代表建议",
                    r.visits, r.demands, r.suggestions
                );
            }
            let auth = AuthDb::open(&auth_path(&cli.data))?;
            let code = auth.create_enrolment(
                &Person::Staff(StaffId::new("office-1")),
                Role::Office,
                None,
                now,
                72 * 3_600_000,
            )?;
            println!(
                "已初始化 {}：{} 个代表工作站、{} 个网格、{} 名代表；{seeded} 个文档",
                cli.data.display(),
                t.stations.len(),
                t.grids.len(),
                t.delegates.len()
            );
            println!("代表工作室首个绑定码（72 小时内有效）：{code}");
        }
        Command::Serve {
            bind,
            log,
            max_message_bytes,
            pages,
            browser_tokens,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_new(&log).unwrap_or_else(|_| "info".into()),
                )
                .init();
            let mut config = Config::new(&cli.data, bind);
            config.max_message_bytes = max_message_bytes;
            config.browser_tokens = browser_tokens;
            if pages.join("index.html").is_file() {
                config.pages_dir = Some(pages);
            } else {
                tracing::warn!(
                    dir = %pages.display(),
                    "no station pages there (run scripts/build-ui); serving the API only"
                );
            }
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let running = gridvoice_server::start(config).await?;
                println!("gridvoice-server listening on http://{}", running.addr);
                let ctrl_c = tokio::signal::ctrl_c();
                // Storage that can no longer be trusted stops the server, loudly: exit non-zero
                // so a supervisor restarts it on a sound store.
                let app = running.app.clone();
                let failed = async move {
                    loop {
                        if let Some(why) = app.fatal.reason() {
                            return why;
                        }
                        if app.store.is_poisoned() {
                            return "the store lock is poisoned";
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                };
                let mut fatal = None;
                #[cfg(unix)]
                {
                    let mut term =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                    tokio::select! {
                        _ = ctrl_c => {},
                        _ = term.recv() => {},
                        why = failed => fatal = Some(why),
                    }
                }
                #[cfg(not(unix))]
                tokio::select! { _ = ctrl_c => {}, why = failed => fatal = Some(why) }
                if let Some(why) = fatal {
                    eprintln!("gridvoice-server: storage failed ({why}); stopping");
                    std::process::exit(70);
                }
                tracing::info!("shutting down: finishing in-flight commits");
                running.stop().await;
                anyhow::Ok(())
            })?;
        }
        Command::ImportTerritory { dir, gcj02 } => {
            let t = load_territory(Some(&dir), gcj02)?;
            let mut store = Store::open(store_path(&cli.data))?;
            store.set_server_territory(t.clone())?;
            let seeded = store.seed_documents(&t)?;
            println!(
                "辖区已更新：{} 个网格；新增 {seeded} 个文档（运行中的服务器需重启以生效）",
                t.grids.len()
            );
        }
        Command::Enrol {
            delegate,
            staff,
            role,
            ttl_hours,
        } => {
            let role = Role::parse(&role)
                .context("role must be delegate, station_head, office or admin")?;
            let store = Store::open(store_path(&cli.data))?;
            let t = store.territory().context("not initialised")?;
            let (person, station) = match (delegate, staff) {
                (Some(d), None) => {
                    let d = DelegateId::new(d);
                    let del = t
                        .delegate(&d)
                        .with_context(|| format!("unknown delegate {d}"))?;
                    if !matches!(role, Role::Delegate | Role::StationHead) {
                        bail!("a delegate enrols as delegate or station_head");
                    }
                    (Person::Delegate(d), Some(del.station.clone()))
                }
                (None, Some(s)) => {
                    if !matches!(role, Role::Office | Role::Admin) {
                        bail!("staff enrol as office or admin");
                    }
                    (Person::Staff(StaffId::new(s)), None)
                }
                _ => bail!("give --delegate CODE or --staff CODE"),
            };
            let auth = AuthDb::open(&auth_path(&cli.data))?;
            let code =
                auth.create_enrolment(&person, role, station.as_ref(), now, ttl_hours * 3_600_000)?;
            println!("{code}");
        }
        Command::Calendar { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let calendar = gridvoice_server::import_calendar(&cli.data, &text)?;
            let years = calendar.years();
            println!(
                "工作日历已更新：{}–{} 年（重启服务后生效）",
                years.start(),
                years.end()
            );
        }
        Command::Policy { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let policy = gridvoice_server::import_policy(&cli.data, &text)?;
            println!(
                "时限规定已更新：默认 {:?} 个工作日，{} 条规则（重启服务后生效）",
                policy.default,
                policy.rules.len()
            );
        }
        Command::Stats => {
            let store = Store::open(store_path(&cli.data))?;
            let t = store.territory().context("not initialised")?.clone();
            let rows = gridvoice_store::projection::counts_by_station(store.connection())?;
            let mut current = String::new();
            let mut out = String::new();
            for (station, status, n) in rows {
                if station != current {
                    let name = t
                        .station(&station.as_str().into())
                        .map(|s| s.name.clone())
                        .unwrap_or_default();
                    out.push_str(&format!("{station} {name}\n"));
                    current = station;
                }
                let zh = gridvoice_core::workflow::DemandStatus::parse(&status)
                    .map_or(status.as_str(), |s| s.zh());
                out.push_str(&format!("    {zh}：{n}\n"));
            }
            print_listing(&out);
        }
        Command::Devices(DevicesCommand::List) => {
            let auth = AuthDb::open(&auth_path(&cli.data))?;
            let mut out = String::new();
            for d in auth.devices()? {
                let who = match &d.person {
                    Person::Delegate(x) => x.to_string(),
                    Person::Staff(x) => x.to_string(),
                };
                let state = d
                    .revoked_at
                    .map_or("在用".to_owned(), |t| format!("已停用 {}", t.beijing()));
                out.push_str(&format!(
                    "{}  {}  {}  {}  {}  {}  {}\n",
                    d.device,
                    if d.browser {
                        "浏览器会话"
                    } else {
                        "设备"
                    },
                    who,
                    d.role.zh(),
                    d.station.map(|s| s.to_string()).unwrap_or_default(),
                    d.enrolled_at.beijing(),
                    state
                ));
            }
            print_listing(&out);
        }
        Command::Devices(DevicesCommand::Revoke { device }) => {
            let device: DeviceId = device.parse().context("not a device id")?;
            let auth = AuthDb::open(&auth_path(&cli.data))?;
            if auth.revoke(&device, now)? {
                println!("已停用设备 {device}");
            } else {
                bail!("no active device {device}");
            }
        }
    }
    Ok(())
}

/// Writes a listing to stdout. A reader that stops early (`| head`) is not an error.
fn print_listing(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
