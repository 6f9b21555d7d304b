//! An ordinary day leaves no ERROR in the server's log: ERROR is for what needs someone's
//! attention. 王 records a visit with demands and a resident's contact on his phone and syncs,
//! records again and syncs again, and a second phone of his starts from nothing and syncs the
//! whole station, on the demo's Gulou Street with its history. Its own test binary, so the log collector sees this server alone.
//!
//! The same day is the canary search of the logs: every event and span of every level, from the
//! server, the phones' sync engine and the libraries under them, is kept with its field values,
//! and the resident's name and phone (and the device credentials) appear in none of it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gridvoice_core::api::{NewContact, RecordDemand, Request, Response, StartVisit};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_store::Store;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_sync::{SyncConfig, enrol, sync_once};
use tracing_subscriber::layer::SubscriberExt;

/// Counts ERROR events and keeps their text (targets and messages only); keeps every event's and
/// span's field values, of every level, for the canary search.
#[derive(Clone, Default)]
struct Errors(
    Arc<AtomicUsize>,
    Arc<std::sync::Mutex<Vec<String>>>,
    Arc<std::sync::Mutex<String>>,
);

/// Writes the fields it is shown as `name=value`.
struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
        self.0.push_str(&format!(" {}={v}", f.name()));
    }
    fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={v:?}", f.name()));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Errors {
    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if let Ok(mut all) = self.2.lock() {
            all.push_str(&format!(
                "\n{} {}",
                e.metadata().level(),
                e.metadata().target()
            ));
            e.record(&mut Fields(&mut all));
        }
        if *e.metadata().level() == tracing::Level::ERROR {
            self.0.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut v) = self.1.lock() {
                v.push(format!(
                    "{} {:?}",
                    e.metadata().target(),
                    e.metadata().fields()
                ));
            }
        }
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Ok(mut all) = self.2.lock() {
            all.push_str(&format!("\nspan {}", attrs.metadata().name()));
            attrs.record(&mut Fields(&mut all));
        }
    }

    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Ok(mut all) = self.2.lock() {
            values.record(&mut Fields(&mut all));
        }
    }
}

fn ask(store: &mut Store, seed: u64, req: Request) -> Response {
    let clock = FixedClock(Timestamp(1_614_556_800_000 + seed as i64));
    let mut ids = SeededIds::new(seed);
    let mut ctx = Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    handle(store, &mut ctx, req).unwrap()
}

fn demand(text: &str, grid: &str, contact: bool) -> Request {
    Request::RecordDemand(RecordDemand {
        text: text.into(),
        category: "other".into(),
        grid: Some(grid.into()),
        location: None,
        visit: None,
        contact: contact.then(|| NewContact {
            name: "刘大妈".into(),
            phone: "13912345678".into(),
            consent: true,
        }),
        id: None,
        attachments: Vec::new(),
    })
}

async fn sync(store: &mut Store) {
    let mut cfg = SyncConfig::from_store(store).unwrap();
    cfg.backoff.max_attempts = Some(1);
    sync_once(store, &cfg, &mut |_| {}).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_day_of_syncs_logs_no_error() {
    let errors = Errors::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(errors.clone()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(dir.path(), &t).unwrap();
    // The demo's 2019–2021 history, as `gridvoice-server init --demo-history` imports it.
    {
        let h =
            gridvoice_core::demo::generate_history(&t, gridvoice_core::demo::HISTORY_SEED).unwrap();
        let mut store = Store::open(gridvoice_server::store_path(dir.path())).unwrap();
        let actor = automerge::ActorId::from(&b"gridvoice-import"[..]);
        gridvoice_store::import::import_history(&mut store, &h, &actor).unwrap();
    }
    let running = gridvoice_server::start(gridvoice_server::Config::new(
        dir.path(),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let url = format!("http://{}", running.addr);
    let grid = t.delegate(&"D01".into()).unwrap().grids[0].to_string();

    let mut phone = Store::open_in_memory().unwrap();
    let code = enrolment_code(dir.path(), "D01");
    enrol(&mut phone, &url, &code, "王建国的手机")
        .await
        .unwrap();
    let Response::Visit(v) = ask(
        &mut phone,
        1,
        Request::StartVisit(StartVisit {
            grid: grid.as_str().into(),
            place: "东菜园社区党群服务中心".into(),
            topic: "老旧小区改造意见征集".into(),
            delegates: Vec::new(),
        }),
    ) else {
        panic!("no visit")
    };
    ask(&mut phone, 2, demand("3号楼电梯经常停运", &grid, false));
    ask(&mut phone, 3, demand("供暖管道老化", &grid, true));
    ask(
        &mut phone,
        4,
        Request::EndVisit {
            visit: v.visit.id,
            attendance: 23,
            delegates: Vec::new(),
        },
    );
    sync(&mut phone).await;
    ask(&mut phone, 5, demand("小区停车位不足", &grid, false));
    sync(&mut phone).await;

    let mut second = Store::open_in_memory().unwrap();
    let code = enrolment_code(dir.path(), "D01");
    enrol(&mut second, &url, &code, "王建国的平板")
        .await
        .unwrap();
    sync(&mut second).await;
    running.stop().await;

    let seen = errors.1.lock().unwrap().clone();
    assert_eq!(
        errors.0.load(Ordering::SeqCst),
        0,
        "ERROR logged: {seen:#?}"
    );

    // The canary search: what was logged, at every level, names no resident and no credential.
    let logged = errors.2.lock().unwrap().clone();
    let credentials: Vec<String> = [&phone, &second]
        .iter()
        .map(|s| {
            s.server_link()
                .unwrap()
                .unwrap()
                .credential
                .expose()
                .to_owned()
        })
        .collect();
    assert!(
        logged.lines().count() > 100,
        "the collector heard the day: {} lines",
        logged.lines().count()
    );
    assert!(
        logged.contains("gridvoice"),
        "the collector heard the server and the phones"
    );
    for secret in ["13912345678", "刘大妈"]
        .into_iter()
        .chain(credentials.iter().map(String::as_str))
    {
        assert!(
            !logged.contains(secret),
            "a resident's contact or a credential in the logs"
        );
    }
}

fn enrolment_code(data: &std::path::Path, delegate: &str) -> String {
    gridvoice_server::auth::AuthDb::open(&gridvoice_server::auth_path(data))
        .unwrap()
        .create_enrolment(
            &gridvoice_core::access::Person::Delegate(delegate.into()),
            gridvoice_core::access::Role::Delegate,
            Some(&"S01".into()),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap()
}
