//! `gridvoice`: the headless device client. Everything a delegate's app does, from a shell, over the
//! same core and store: tests, scripts and field simulations drive devices through it.
//!
//! Exit codes: 0 done; 2 the request was refused (bad input, not found), with a stable code and a
//! Chinese message on stderr; 1 anything else (the store could not be opened or written).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use gridvoice_core::api::{
    ApiError, DemandFilter, DemandView, NewContact, RecordDemand, Request, Response, StartVisit,
    VisitView,
};
use gridvoice_core::ids::{DelegateId, DemandId, DeviceId, VisitId};
use gridvoice_core::model::{Location, LocationSource};
use gridvoice_core::territory::Territory;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::system::{OsIds, SystemClock};
use gridvoice_store::{DeviceIdentity, Store};

#[derive(Parser, Debug)]
#[command(
    name = "gridvoice",
    version,
    about = "网格民声 — 代表履职终端（命令行）"
)]
struct Cli {
    /// The device store (SQLite file).
    #[arg(
        long,
        env = "GRIDVOICE_STORE",
        default_value = "gridvoice.sqlite",
        global = true
    )]
    store: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Bind this store to a delegate (入站入网入格) with a territory.
    Init {
        /// The delegate's code, e.g. D01.
        #[arg(long)]
        delegate: String,
        /// A territory JSON file.
        #[arg(long, required_unless_present = "demo")]
        territory: Option<PathBuf>,
        /// Use the built-in demo territory instead of a file.
        #[arg(long)]
        demo: bool,
    },
    /// Voter-contact visits (联系选民活动).
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Record a resident's demand (记录诉求).
    Record(RecordArgs),
    /// List demands, newest first.
    List(ListArgs),
    /// Search demand texts (Chinese substrings work).
    Search {
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Show one demand with its history.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Attach a resident's contact to a demand (needs consent).
    Contact {
        demand: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        /// The resident agreed (同意).
        #[arg(long)]
        consent: bool,
    },
    /// Export every demand.
    Export {
        /// As JSON (one array of demand views).
        #[arg(long)]
        json: bool,
    },
    /// Send one raw request of the vocabulary (JSON) and print the JSON response.
    Request { json: String },
    /// Recompute every projection from the documents and compact them.
    Rebuild,
    /// Test support: record demands forever, printing `ACK <id>` after each durable commit.
    #[command(hide = true)]
    CaptureLoop {
        #[arg(long)]
        grid: String,
    },
}

#[derive(Subcommand, Debug)]
enum VisitCommand {
    /// Start a visit in a grid.
    Start {
        #[arg(long)]
        grid: String,
        #[arg(long)]
        place: String,
        #[arg(long)]
        topic: String,
        /// Other delegates who come along.
        #[arg(long = "with")]
        with: Vec<String>,
    },
    /// End a visit.
    End {
        visit: String,
        /// How many residents attended.
        #[arg(long)]
        attendance: u32,
    },
    /// List visits.
    List,
}

#[derive(Args, Debug)]
struct RecordArgs {
    /// What the resident asks.
    #[arg(long)]
    text: String,
    /// Category code or Chinese label (e.g. 电梯维保).
    #[arg(long)]
    category: String,
    /// The grid; without it the grid is found from --lat/--lon.
    #[arg(long)]
    grid: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    lat: Option<f64>,
    #[arg(long, allow_hyphen_values = true)]
    lon: Option<f64>,
    /// Accuracy in metres.
    #[arg(long)]
    accuracy: Option<f64>,
    #[arg(long, value_enum, default_value = "gps")]
    source: Source,
    #[arg(long)]
    visit: Option<String>,
    #[arg(long)]
    contact_name: Option<String>,
    #[arg(long)]
    contact_phone: Option<String>,
    /// The resident agreed to leave a contact.
    #[arg(long)]
    consent: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Source {
    Gps,
    Manual,
    GridPick,
}

#[derive(Args, Debug)]
struct ListArgs {
    #[arg(long)]
    grid: Option<String>,
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    category: Option<String>,
    /// YYYY-MM-DD (inclusive).
    #[arg(long)]
    from: Option<String>,
    /// YYYY-MM-DD (inclusive).
    #[arg(long)]
    to: Option<String>,
    #[arg(long)]
    visit: Option<String>,
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    offset: Option<u32>,
    #[arg(long)]
    json: bool,
}

/// A refusal to report with exit code 2.
struct Refused(ApiError);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(Refused(e))) => {
            eprintln!("错误 [{}]: {}", e.code.as_str(), e.message);
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("gridvoice: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn open(path: &PathBuf) -> anyhow::Result<Result<Store, Refused>> {
    match Store::open(path) {
        Ok(s) => Ok(Ok(s)),
        Err(
            e @ (gridvoice_store::Error::CorruptStore(_)
            | gridvoice_store::Error::NewerStore { .. }),
        ) => Ok(Err(Refused(e.into()))),
        Err(e) => Err(e).with_context(|| format!("cannot open store {}", path.display())),
    }
}

fn parse_id<T: std::str::FromStr>(s: &str) -> Result<T, Refused> {
    s.trim()
        .parse()
        .map_err(|_| Refused(gridvoice_core::Error::InvalidId(s.to_owned()).into()))
}

fn run(cli: Cli) -> anyhow::Result<Result<(), Refused>> {
    let mut store = match open(&cli.store)? {
        Ok(s) => s,
        Err(r) => return Ok(Err(r)),
    };
    let clock = SystemClock;
    let mut ids = OsIds;
    let mut ctx = Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let mut call = |store: &mut Store, req: Request| handle(store, &mut ctx, req).map_err(Refused);
    let out = &mut std::io::stdout().lock();
    let result = match cli.command {
        Command::Init {
            delegate,
            territory,
            demo,
        } => {
            let territory: Territory = match (territory, demo) {
                (_, true) => demo_territory()?,
                (Some(path), false) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    match serde_json::from_str(&text) {
                        Ok(t) => t,
                        Err(e) => {
                            return Ok(Err(Refused(
                                gridvoice_core::Error::InvalidTerritory(e.to_string()).into(),
                            )));
                        }
                    }
                }
                (None, false) => unreachable_territory()?,
            };
            let delegate = DelegateId::new(delegate);
            let Some(d) = territory.delegate(&delegate) else {
                return Ok(Err(Refused(
                    gridvoice_core::Error::UnknownDelegate(delegate.to_string()).into(),
                )));
            };
            let identity = DeviceIdentity {
                device: DeviceId::new(&mut OsIds, gridvoice_core::clock::Clock::now(&clock)),
                delegate: delegate.clone(),
                station: d.station.clone(),
            };
            let station = territory
                .station(&d.station)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            let name = d.name.clone();
            match store.init_device(identity.clone(), territory) {
                Ok(()) => {
                    writeln!(
                        out,
                        "已绑定：{name}（{delegate}），{station}；设备 {}",
                        identity.device
                    )?;
                    Ok(())
                }
                Err(e) => Err(Refused(e.into())),
            }
        }
        Command::Visit(VisitCommand::Start {
            grid,
            place,
            topic,
            with,
        }) => {
            let req = Request::StartVisit(StartVisit {
                grid: grid.as_str().into(),
                place,
                topic,
                delegates: with.iter().map(|d| DelegateId::new(d.as_str())).collect(),
            });
            call(&mut store, req).map(|r| {
                if let Response::Visit(v) = r {
                    let _ = writeln!(out, "{}", v.visit.id);
                }
            })
        }
        Command::Visit(VisitCommand::End { visit, attendance }) => {
            match parse_id::<VisitId>(&visit) {
                Err(e) => Err(e),
                Ok(visit) => call(
                    &mut store,
                    Request::EndVisit {
                        visit,
                        attendance,
                        delegates: vec![],
                    },
                )
                .map(|_| {
                    let _ = writeln!(out, "活动已结束：{visit}（到场群众 {attendance} 人）");
                }),
            }
        }
        Command::Visit(VisitCommand::List) => call(&mut store, Request::ListVisits).map(|r| {
            if let Response::Visits { items } = r {
                for v in items {
                    let _ = writeln!(out, "{}", visit_line(&v));
                }
            }
        }),
        Command::Record(a) => record(&mut store, &mut call, a, out)?,
        Command::List(a) => {
            let filter = DemandFilter {
                grid: a.grid.map(|g| g.as_str().into()),
                status: a.status,
                category: a.category,
                from: a.from,
                to: a.to,
                visit: match a.visit.as_deref().map(parse_id::<VisitId>) {
                    Some(Err(e)) => return Ok(Err(e)),
                    Some(Ok(v)) => Some(v),
                    None => None,
                },
                limit: a.limit,
                offset: a.offset,
            };
            call(&mut store, Request::ListDemands(filter)).map(|r| print_demands(out, r, a.json))
        }
        Command::Search { query, json } => call(&mut store, Request::Search { query, limit: None })
            .map(|r| print_demands(out, r, json)),
        Command::Show { id, json } => match parse_id::<DemandId>(&id) {
            Err(e) => Err(e),
            Ok(id) => call(&mut store, Request::GetDemand { id }).map(|r| {
                if let Response::Demand(v) = r {
                    if json {
                        let _ = writeln!(
                            out,
                            "{}",
                            serde_json::to_string_pretty(&v).unwrap_or_default()
                        );
                    } else {
                        let _ = show(out, &v);
                    }
                }
            }),
        },
        Command::Contact {
            demand,
            name,
            phone,
            consent,
        } => match parse_id::<DemandId>(&demand) {
            Err(e) => Err(e),
            Ok(demand) => call(
                &mut store,
                Request::AttachContact {
                    demand,
                    contact: NewContact {
                        name,
                        phone,
                        consent,
                    },
                },
            )
            .map(|_| {
                let _ = writeln!(out, "已登记联系方式（仅本人、站长和代表工作室可见）");
            }),
        },
        Command::Export { json: _ } => {
            let mut all = Vec::new();
            let mut offset = 0;
            loop {
                let filter = DemandFilter {
                    limit: Some(gridvoice_core::api::MAX_PAGE),
                    offset: Some(offset),
                    ..DemandFilter::default()
                };
                match call(&mut store, Request::ListDemands(filter)) {
                    Ok(Response::Demands { items, total }) => {
                        let n = items.len() as u32;
                        all.extend(items);
                        offset += n;
                        if n == 0 || u64::from(offset) >= total {
                            break;
                        }
                    }
                    Ok(_) => break,
                    Err(e) => return Ok(Err(e)),
                }
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
            Ok(())
        }
        Command::Request { json } => match serde_json::from_str::<Request>(&json) {
            Err(e) => Err(Refused(ApiError::new(
                gridvoice_core::ErrorCode::BadRequest,
                format!("请求格式不正确：{e}"),
            ))),
            Ok(req) => call(&mut store, req).map(|r| {
                let _ = writeln!(out, "{}", serde_json::to_string(&r).unwrap_or_default());
            }),
        },
        Command::Rebuild => {
            for (id, _, _) in store.documents()? {
                store.rebuild_projections(&id)?;
                store.compact(&id)?;
            }
            writeln!(out, "已重建")?;
            Ok(())
        }
        Command::CaptureLoop { grid } => {
            let mut n: u64 = 0;
            loop {
                n += 1;
                let req = Request::RecordDemand(RecordDemand {
                    text: format!("第{n}条：小区东门路灯不亮，夜间出行不便"),
                    category: "livability".into(),
                    grid: Some(grid.as_str().into()),
                    location: Some(Location {
                        lat: 40.37,
                        lon: 116.84,
                        accuracy_m: Some(8.0),
                        source: LocationSource::Gps,
                    }),
                    visit: None,
                    contact: n.is_multiple_of(3).then(|| NewContact {
                        name: format!("居民{n}"),
                        phone: format!("139{n:08}"),
                        consent: true,
                    }),
                    id: None,
                });
                match call(&mut store, req) {
                    Ok(Response::Demand(v)) => {
                        writeln!(out, "ACK {}", v.demand.id)?;
                        out.flush()?;
                    }
                    Ok(_) => {}
                    Err(e) => return Ok(Err(e)),
                }
            }
        }
    };
    out.flush()?;
    Ok(result)
}

/// The territory the demo runs on: the synthetic Gulou Street (29 communities, 79 grids, 13 stations).
fn demo_territory() -> anyhow::Result<Territory> {
    gridvoice_core::demo::gulou().context("the built-in demo territory does not load")
}

fn unreachable_territory() -> anyhow::Result<Territory> {
    anyhow::bail!("init needs --territory FILE or --demo")
}

fn record(
    store: &mut Store,
    call: &mut impl FnMut(&mut Store, Request) -> Result<Response, Refused>,
    a: RecordArgs,
    out: &mut impl Write,
) -> anyhow::Result<Result<(), Refused>> {
    let location = match (a.lat, a.lon) {
        (Some(lat), Some(lon)) => Some(Location {
            lat,
            lon,
            accuracy_m: a.accuracy,
            source: match a.source {
                Source::Gps => LocationSource::Gps,
                Source::Manual => LocationSource::Manual,
                Source::GridPick => LocationSource::GridPick,
            },
        }),
        (None, None) => None,
        _ => return Ok(Err(Refused(gridvoice_core::Error::InvalidLocation.into()))),
    };
    let contact = match (a.contact_name, a.contact_phone) {
        (None, None) => None,
        (name, phone) => Some(NewContact {
            name: name.unwrap_or_default(),
            phone: phone.unwrap_or_default(),
            consent: a.consent,
        }),
    };
    let visit = match a.visit.as_deref().map(parse_id::<VisitId>) {
        Some(Err(e)) => return Ok(Err(e)),
        Some(Ok(v)) => Some(v),
        None => None,
    };
    let req = Request::RecordDemand(RecordDemand {
        text: a.text,
        category: a.category,
        grid: a.grid.map(|g| g.as_str().into()),
        location,
        visit,
        contact,
        id: None,
    });
    Ok(call(store, req).map(|r| {
        if let Response::Demand(v) = r {
            if a.json {
                let _ = writeln!(out, "{}", serde_json::to_string(&v).unwrap_or_default());
            } else {
                let _ = writeln!(out, "已保存 {}", v.demand.id);
            }
        }
    }))
}

fn visit_line(v: &VisitView) -> String {
    let ended = match (v.state.ended_at, v.state.attendance) {
        (Some(t), Some(n)) => format!("已结束 {}，到场 {n} 人", t.beijing()),
        _ => "进行中".to_owned(),
    };
    format!(
        "{}  {}  网格{}  {}「{}」  {}",
        v.visit.id,
        v.visit.started_at.beijing(),
        v.visit.grid,
        v.visit.place,
        v.visit.topic,
        ended
    )
}

fn print_demands(out: &mut impl Write, r: Response, json: bool) {
    if let Response::Demands { items, total } = r {
        if json {
            let _ = writeln!(out, "{}", serde_json::to_string(&items).unwrap_or_default());
            return;
        }
        for d in &items {
            let _ = writeln!(
                out,
                "{}  {}  {}  {}  {}  {}",
                d.demand.id,
                d.demand.recorded_at.beijing(),
                d.demand.grid,
                d.demand.category.zh(),
                d.state.status.zh(),
                d.demand.text.chars().take(40).collect::<String>()
            );
        }
        let _ = writeln!(out, "共 {total} 条");
    }
}

fn show(out: &mut impl Write, v: &DemandView) -> std::io::Result<()> {
    let d = &v.demand;
    writeln!(out, "诉求 {}", d.id)?;
    writeln!(out, "内容：{}", d.text)?;
    writeln!(
        out,
        "类别：{}    网格：{}    状态：{}",
        d.category.zh(),
        d.grid,
        v.state.status.zh()
    )?;
    writeln!(
        out,
        "记录：{} 由 {}",
        d.recorded_at.beijing(),
        d.recorded_by
    )?;
    if let Some(l) = &d.location {
        let acc = l
            .accuracy_m
            .map(|a| format!("±{a:.0} 米"))
            .unwrap_or_default();
        writeln!(
            out,
            "位置：{:.6}, {:.6} {acc}（{}）",
            l.lat,
            l.lon,
            l.source.zh()
        )?;
    }
    if v.has_contact() {
        writeln!(out, "联系方式：已登记（不在此显示）")?;
    }
    if v.state.needs_decision {
        writeln!(out, "注意：存在相互冲突的处理决定，待裁定")?;
    }
    for e in &v.history {
        writeln!(out, "  {}  {:?}", e.at.beijing(), e.what)?;
    }
    Ok(())
}
