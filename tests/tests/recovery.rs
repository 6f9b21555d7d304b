//! "The server refused one of my changes": 赵's phone runs an older app that let a delegate close a
//! demand. Offline she records a demand, closes 王's demand (which the authority rule gives to the
//! office only), and records another. The server refuses that sync whole; the phone starts over
//! from the server's documents under a fresh actor and writes her two demands again, without the
//! closing; the next sessions carry on, every receipt arrives, and the office sees her demands
//! and 王's still open.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::access::{Person, Role};
use gridvoice_core::api::{RecordDemand, Request, Response};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::doc::{self, Collection};
use gridvoice_core::ids::{DocId, EventId, StationId};
use gridvoice_core::workflow::{self, Actor, Event, EventKind};
use gridvoice_server::Config;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::{Store, projection};
use gridvoice_sync::{SyncConfig, enrol, sync_once};

fn say(store: &mut Store, seed: u64, text: &str) -> String {
    let me = store.identity().unwrap().clone();
    let grid = store
        .territory()
        .unwrap()
        .delegate(&me.delegate)
        .unwrap()
        .grids[0]
        .clone();
    let clock = FixedClock(Timestamp(1_614_556_800_000 + seed as i64));
    let mut ids = SeededIds::new(seed);
    let mut ctx = Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let req = Request::RecordDemand(RecordDemand {
        text: text.into(),
        category: "other".into(),
        grid: Some(grid),
        location: None,
        visit: None,
        contact: None,
        id: None,
        attachments: Vec::new(),
    });
    match handle(store, &mut ctx, req).unwrap() {
        Response::Demand(v) => v.demand.id.to_string(),
        other => panic!("{other:?}"),
    }
}

async fn sync(store: &mut Store) -> Result<gridvoice_sync::SyncReport, gridvoice_sync::Error> {
    let mut cfg = SyncConfig::from_store(store).unwrap();
    cfg.backoff.max_attempts = Some(1);
    sync_once(store, &cfg, &mut |_| {}).await
}

async fn device(url: &str, data: &std::path::Path, delegate: &str) -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let code = gridvoice_tests::enrolment_code(data, delegate).unwrap();
    enrol(&mut s, url, &code, delegate).await.unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_whose_change_was_refused_starts_over_and_keeps_its_honest_records() {
    let dir = tempfile::tempdir().unwrap();
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(dir.path(), &t).unwrap();
    let running = gridvoice_server::start(Config::new(dir.path(), "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let url = format!("http://{}", running.addr);
    let mut wang = device(&url, dir.path(), "D01").await;
    let wangs = say(&mut wang, 1, "小区门口的路灯坏了");
    sync(&mut wang).await.unwrap();

    let mut zhao = device(&url, dir.path(), "D03").await;
    sync(&mut zhao).await.unwrap();
    let first = say(&mut zhao, 2, "楼道堆放杂物");
    // What an older app version let through: 赵 closes 王's demand from her phone.
    let station = DocId::for_station(&StationId::new("S01"));
    let me = zhao.identity().unwrap().clone();
    let seen = doc::read_record::<serde_json::Value>(
        zhao.doc(&station).unwrap(),
        Collection::Demands,
        &wangs,
    )
    .unwrap()
    .unwrap()
    .events;
    let closing = Event {
        id: EventId(uuid::Uuid::from_u128(0xC105ED)),
        at: Timestamp(1_614_557_000_000),
        by: Actor::Delegate(me.delegate.clone()),
        device: me.device,
        prev: workflow::heads(&seen),
        what: EventKind::Closed { note: None },
    };
    zhao.write(None, |b| {
        b.edit(&station, |tx| {
            doc::append_event(tx, Collection::Demands, &wangs, &closing)
        })?;
        Ok(())
    })
    .unwrap();
    let second = say(&mut zhao, 3, "希望增加健身器材");

    let report = sync(&mut zhao).await.expect("the sync recovers by itself");
    let recovered = report.recovered.expect("the phone started over");
    assert_eq!(
        (recovered.rewritten, recovered.dropped),
        (2, 1),
        "her two demands are written again; the closing is not"
    );
    assert_eq!(report.pending_left, 0, "every receipt arrived: {report:?}");
    // A later sync is an ordinary one.
    let again = sync(&mut zhao).await.unwrap();
    assert!(again.recovered.is_none());

    // The office sees both of 赵's demands, and 王's demand still open.
    let office_code =
        gridvoice_server::auth::AuthDb::open(&gridvoice_server::auth_path(dir.path()))
            .unwrap()
            .create_enrolment(
                &Person::Staff(t.office.staff[0].clone()),
                Role::Office,
                None,
                Timestamp(0),
                i64::MAX / 4,
            )
            .unwrap();
    let (office, _) =
        gridvoice_server::auth::AuthDb::open(&gridvoice_server::auth_path(dir.path()))
            .unwrap()
            .redeem(
                &office_code,
                "office",
                gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock),
                gridvoice_core::ids::DeviceId(uuid::Uuid::from_u128(9)),
            )
            .unwrap();
    for id in [&first, &second, &wangs] {
        let got = gridvoice_server::entry::serve(
            &running.app,
            &office,
            Request::GetDemand {
                id: id.parse().unwrap(),
            },
        )
        .await;
        let Ok(Response::Demand(v)) = got else {
            panic!("the office cannot read {id}: {got:?}")
        };
        assert_eq!(v.state.status.code(), "recorded", "{}", v.demand.text);
    }
    // On the phone too: the closing is gone, her demands are there.
    let mine = projection::get_demand(zhao.connection(), &wangs, None)
        .unwrap()
        .unwrap();
    assert!(mine.history.is_empty());
    assert!(
        projection::get_demand(zhao.connection(), &second, None)
            .unwrap()
            .is_some()
    );
    running.stop().await;
}
