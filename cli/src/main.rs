//! `gridvoice`: the headless device client. Everything a delegate's app does, from a shell, over the
//! same core and store: tests, scripts and field simulations drive devices through it.
//!
//! Exit codes: 0 done; 2 the request was refused (bad input, not found), with a stable code and a
//! Chinese message on stderr; 1 anything else (the store could not be opened or written).

mod args;
mod bridge;
mod print;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use args::{Cli, Command, RecordArgs, Source, VisitCommand};
use clap::Parser;
use gridvoice_core::api::{
    ApiError, DemandFilter, NewContact, RecordDemand, Request, Response, StartVisit,
};
use gridvoice_core::ids::{DelegateId, DemandId, DeviceId, VisitId};
use gridvoice_core::model::{Location, LocationSource};
use gridvoice_core::territory::Territory;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::system::{OsIds, SystemClock};
use gridvoice_store::{DeviceIdentity, Store};
use print::{print_demands, show, visit_line};

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
            if let Some(e) = e.downcast_ref::<gridvoice_sync::Error>() {
                // Sync errors carry a stable code; those a person must act on exit 2 like refusals.
                eprintln!("错误 [{}]: {}", e.code(), e.zh());
                tracing_free_detail(e);
                return if e.is_retryable() {
                    ExitCode::FAILURE
                } else {
                    ExitCode::from(2)
                };
            }
            eprintln!("gridvoice: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The detail behind a sync error's code (never contains the credential), for whoever reads stderr.
fn tracing_free_detail(e: &gridvoice_sync::Error) {
    if let gridvoice_sync::Error::EnrolRefused { code, message } = e {
        eprintln!("  服务器: [{code}] {message}");
    } else {
        eprintln!("  ({e})");
    }
}

/// The sync engine is async; the CLI drives it on a small runtime of its own.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn print_sync_event(e: &gridvoice_sync::Event) {
    use gridvoice_sync::Event;
    let line = match e {
        Event::Connecting { attempt } if *attempt > 1 => format!("第 {attempt} 次连接……"),
        Event::Connecting { .. } => "正在连接服务器……".to_owned(),
        Event::Progress(p) => format!(
            "已同步 {}/{} 个文档（发送 {} 字节，接收 {} 字节）",
            p.documents_done, p.documents_total, p.bytes_sent, p.bytes_received
        ),
        Event::Receipts => "正在确认记录……".to_owned(),
        Event::Retrying { delay, code, .. } => {
            format!("连接失败 [{code}]，{:.1} 秒后重试", delay.as_secs_f64())
        }
    };
    // A reader that went away (`| head`) is not a reason to stop syncing.
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn open(path: &PathBuf) -> anyhow::Result<Result<Store, Refused>> {
    match Store::open(path).and_then(|mut s| {
        // The credential in the OS keystore where there is one (`store::vault`).
        if let Some(vault) = gridvoice_store::vault::system() {
            s.use_vault(vault)?;
        }
        Ok(s)
    }) {
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
    if let Command::Ui {
        port,
        dist,
        sync_every,
    } = &cli.command
    {
        // The bridge owns the store (one owner per document on a device).
        let service = match gridvoice_sync::device::DeviceService::open(&cli.store) {
            Ok(s) => std::sync::Arc::new(s),
            Err(e) => return Ok(Err(Refused(e))),
        };
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(bridge::serve(
            service,
            *port,
            dist.clone(),
            std::time::Duration::from_secs(*sync_every),
        ))?;
        return Ok(Ok(()));
    }
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
        Command::Visit(VisitCommand::List) => call(
            &mut store,
            Request::ListVisits {
                limit: None,
                offset: None,
            },
        )
        .map(|r| {
            if let Response::Visits { items, .. } = r {
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
                recorded_by: a.by.map(|d| d.as_str().into()),
                needs_decision: a.needs_decision.then_some(true),
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
        Command::Enrol { server, code, name } => {
            let enrolled =
                runtime()?.block_on(gridvoice_sync::enrol(&mut store, &server, &code, &name))?;
            let kept = match store.credential_place()? {
                gridvoice_store::vault::CredentialPlace::Keystore(name) => {
                    format!("系统钥匙串（{name}）")
                }
                _ => "本机数据文件（仅本用户可读）".to_owned(),
            };
            writeln!(
                out,
                "已绑定：设备 {}，身份 {}，站点 {}；凭据保存在{kept}",
                enrolled.device,
                enrolled.role.zh(),
                enrolled.station.as_ref().map_or("—", |s| s.as_str())
            )?;
            Ok(())
        }
        Command::Reset {
            yes,
            discard_unsent,
        } => {
            if !yes {
                Err(Refused(ApiError::new(
                    gridvoice_core::ErrorCode::MissingField,
                    "重置将清除本机全部记录、照片和凭据；确认请加 --yes",
                )))
            } else {
                match store.reset_device(discard_unsent) {
                    Err(e) => Err(Refused(e.into())),
                    Ok(wiped) => {
                        writeln!(
                            out,
                            "已重置本设备：放弃未同步的记录 {} 条、照片 {} 张；可重新绑定",
                            wiped.unsent_records, wiped.unsent_photos
                        )?;
                        Ok(())
                    }
                }
            }
        }
        Command::Sync { server, attempts } => {
            let mut cfg = gridvoice_sync::SyncConfig::from_store(&store)?;
            if let Some(server) = server {
                cfg = cfg.with_server(server);
            }
            cfg.backoff.max_attempts = Some(attempts.max(1));
            let mut events = |e: &gridvoice_sync::Event| print_sync_event(e);
            let report = runtime()?.block_on(gridvoice_sync::run(
                &mut store,
                &cfg,
                std::future::pending(),
                &mut events,
            ))?;
            writeln!(
                out,
                "同步完成：{} 个文档，收到 {} 个更改（{} 条记录更新），发送 {} 字节，接收 {} 字节；\
                 服务器确认 {} 条记录，尚有 {} 条未确认",
                report.documents,
                report.changes_received,
                report.records_updated,
                report.bytes_sent,
                report.bytes_received,
                report.receipts_confirmed,
                report.pending_left
            )?;
            if !report.unavailable.is_empty() {
                writeln!(out, "服务器未提供 {} 个文档", report.unavailable.len())?;
            }
            Ok(())
        }
        Command::Pending { json } => {
            let pending = store.pending_receipts()?;
            let photos = store.photos_to_upload()?;
            if json {
                let rows: Vec<serde_json::Value> = pending
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "record": r.record,
                            "doc": r.doc,
                            "change": r.hash.to_string(),
                            "created_at": r.created_at.millis(),
                        })
                    })
                    .chain(photos.iter().map(|(hash, at)| {
                        serde_json::json!({ "photo": hash, "created_at": at.millis() })
                    }))
                    .collect();
                writeln!(out, "{}", serde_json::Value::Array(rows))?;
            } else {
                for r in &pending {
                    writeln!(out, "{}  {}  未确认", r.created_at.beijing(), r.record)?;
                }
                for (hash, at) in &photos {
                    writeln!(out, "{}  照片 {hash}  未上传", at.beijing())?;
                }
                writeln!(
                    out,
                    "共 {} 条记录、{} 张照片尚未得到服务器确认",
                    pending.len(),
                    photos.len()
                )?;
            }
            Ok(())
        }
        Command::Rebuild => {
            for (id, _, _) in store.documents()? {
                store.rebuild_projections(&id)?;
                store.compact(&id)?;
            }
            writeln!(out, "已重建")?;
            Ok(())
        }
        Command::Ui { .. } => Ok(()),
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
                    attachments: Vec::new(),
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
    // Photos are stored first (each checked); a refused demand leaves them unnamed, and an unnamed
    // photo never leaves the device.
    let mut attachments = Vec::new();
    for path in &a.photo {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the photo {}", path.display()))?;
        let now = gridvoice_core::clock::Clock::now(&SystemClock);
        match store.put_photo(&bytes, None, now) {
            Ok(h) => attachments.push(h),
            Err(e) => return Ok(Err(Refused(e.into()))),
        }
    }
    let req = Request::RecordDemand(RecordDemand {
        text: a.text,
        category: a.category,
        grid: a.grid.map(|g| g.as_str().into()),
        location,
        visit,
        contact,
        id: None,
        attachments,
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
