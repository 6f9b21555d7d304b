//! "Back at the station, the head turns demands into a suggestion": 李 (D02), a delegate of
//! station S01, records two lift demands offline and syncs; 王建国 (D01), the station's head,
//! decides at the station's computer through the server's one request service — a suggestion
//! from both demands, its level, a whistle; a delegate's credential cannot decide. At 李's next
//! sync his phone shows what became of each demand, and who decided.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::path::Path;

use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::api::{FormSuggestion, RecordDemand, Request, Response};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::ids::{DelegateId, DemandId, DeviceId, StationId};
use gridvoice_core::model::WhistleRoute;
use gridvoice_core::territory::HandlingLevel;
use gridvoice_core::workflow::{Actor, DemandStatus, EventKind};
use gridvoice_server::auth::AuthDb;
use gridvoice_server::{Config, auth_path};
use gridvoice_store::Store;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_sync::{SyncConfig, enrol, sync_once};

fn record(store: &mut Store, seed: u64, text: &str) -> DemandId {
    let me = store.identity().unwrap().clone();
    let grid = store
        .territory()
        .unwrap()
        .delegate(&me.delegate)
        .unwrap()
        .grids[0]
        .clone();
    let clock = FixedClock(Timestamp(1_614_556_800_000));
    let mut ids = SeededIds::new(seed);
    let mut ctx = Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let req = Request::RecordDemand(RecordDemand {
        text: text.into(),
        category: "电梯维保".into(),
        grid: Some(grid),
        location: None,
        visit: None,
        contact: None,
        id: None,
        attachments: Vec::new(),
    });
    match handle(store, &mut ctx, req).unwrap() {
        Response::Demand(v) => v.demand.id,
        other => panic!("{other:?}"),
    }
}

async fn sync(store: &mut Store) {
    let mut cfg = SyncConfig::from_store(store).unwrap();
    cfg.backoff.max_attempts = Some(1);
    sync_once(store, &cfg, &mut |_| {}).await.unwrap();
}

fn code(dir: &Path, delegate: &str) -> String {
    AuthDb::open(&auth_path(dir))
        .unwrap()
        .create_enrolment(
            &Person::Delegate(delegate.into()),
            Role::Delegate,
            Some(&StationId::new("S01")),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap()
}

async fn ask(
    app: &gridvoice_server::App,
    p: &Principal,
    req: Request,
) -> Result<Response, (u16, String)> {
    gridvoice_server::entry::serve(app, p, req)
        .await
        .map_err(|e| {
            (
                gridvoice_server::http::status_of(e.code).as_u16(),
                e.code.as_str().to_owned(),
            )
        })
}

fn status(store: &mut Store, id: DemandId) -> (DemandStatus, Vec<EventKind>, Vec<DelegateId>) {
    let clock = FixedClock(Timestamp(1_614_600_000_000));
    let mut ids = SeededIds::new(99);
    let mut ctx = Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    match handle(store, &mut ctx, Request::GetDemand { id }).unwrap() {
        Response::Demand(v) => (
            v.state.status,
            v.history.iter().map(|e| e.what.clone()).collect(),
            v.history
                .iter()
                .filter_map(|e| match &e.by {
                    Actor::Delegate(d) => Some(d.clone()),
                    _ => None,
                })
                .collect(),
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heads_suggestion_reaches_the_delegates_phone_at_its_next_sync() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &t).unwrap();
    let server = gridvoice_server::start(Config::new(&data, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);

    // 李 records two lift demands in the field and syncs back at the station.
    let mut li = Store::open(dir.path().join("li.sqlite")).unwrap();
    enrol(&mut li, &url, &code(&data, "D02"), "li")
        .await
        .unwrap();
    let first = record(&mut li, 1, "3号楼电梯经常停运，老人上下楼困难");
    let second = record(&mut li, 2, "三号楼电梯坏了一个月没人修");
    sync(&mut li).await;

    // A delegate's credential may record, not decide.
    let li_at_server = Principal {
        device: DeviceId(uuid::Uuid::from_u64_pair(2, 2)),
        person: Person::Delegate("D02".into()),
        role: Role::Delegate,
        station: Some(StationId::new("S01")),
    };
    let refused = ask(
        &server.app,
        &li_at_server,
        Request::Review {
            demand: first,
            note: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refused, (403, "NOT_PERMITTED".to_owned()));

    // 王建国, the head of S01 (the territory names him), in the station's browser session.
    let head = Principal {
        device: DeviceId(uuid::Uuid::from_u64_pair(1, 1)),
        person: Person::Delegate("D01".into()),
        role: Role::StationHead,
        station: Some(StationId::new("S01")),
    };
    let Response::Suggestion(s) = ask(
        &server.app,
        &head,
        Request::FormSuggestion(FormSuggestion {
            demands: vec![first, second],
            title: None,
            text: None,
            level: None,
            id: None,
        }),
    )
    .await
    .unwrap() else {
        panic!("not a suggestion")
    };
    assert_eq!(s.suggestion.station, StationId::new("S01"));
    assert_eq!(s.suggestion.level, HandlingLevel::Street);
    let id = s.suggestion.id;
    // Supervision is for the district: refused until the level says so.
    let misfit = ask(
        &server.app,
        &head,
        Request::Whistle {
            suggestion: id,
            route: WhistleRoute::SupervisionTracking,
            note: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(misfit, (400, "ROUTE_DOES_NOT_FIT".to_owned()));
    ask(
        &server.app,
        &head,
        Request::Classify {
            suggestion: id,
            level: HandlingLevel::District,
        },
    )
    .await
    .unwrap();
    let Response::Suggestion(whistled) = ask(
        &server.app,
        &head,
        Request::Whistle {
            suggestion: id,
            route: WhistleRoute::SupervisionTracking,
            note: Some("区人大城建环保委".into()),
        },
    )
    .await
    .unwrap() else {
        panic!("not a suggestion")
    };
    assert_eq!(
        whistled.state.whistles,
        vec![WhistleRoute::SupervisionTracking]
    );
    // A demand already in a suggestion takes no second one.
    let twice = ask(
        &server.app,
        &head,
        Request::FormSuggestion(FormSuggestion {
            demands: vec![first],
            title: None,
            text: None,
            level: None,
            id: None,
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(twice, (409, "DEMAND_SETTLED".to_owned()));

    // 李's next sync: his phone says what became of both demands, and that the head decided.
    let (before, _, _) = status(&mut li, first);
    assert_eq!(before, DemandStatus::Recorded);
    sync(&mut li).await;
    for d in [first, second] {
        let (now, events, by) = status(&mut li, d);
        assert_eq!(now, DemandStatus::InSuggestion);
        assert!(
            events.iter().any(
                |e| matches!(e, EventKind::AddedToSuggestion { suggestion } if *suggestion == id)
            ),
            "{events:?}"
        );
        assert!(by.contains(&DelegateId::new("D01")), "{by:?}");
    }
    // A small matter goes to the community's 12345 workroom (小事不出社区): the one of the
    // community the demand's grid lies in.
    let bin = record(&mut li, 3, "楼下垃圾桶满了没人清");
    sync(&mut li).await;
    let Response::Demand(handed) = ask(
        &server.app,
        &head,
        Request::HandToWorkroom {
            demand: bin,
            note: Some("请物业三日内清运".into()),
        },
    )
    .await
    .unwrap() else {
        panic!("not a demand")
    };
    let community = t.grid(&handed.demand.grid).unwrap().community.clone();
    let workroom = t
        .workrooms
        .iter()
        .find(|w| w.community == community)
        .unwrap();
    assert_eq!(handed.state.workroom.as_ref(), Some(&workroom.id));
    assert_eq!(handed.state.status, DemandStatus::Routed);
    sync(&mut li).await;
    let (handed_on_phone, _, _) = status(&mut li, bin);
    assert_eq!(handed_on_phone, DemandStatus::Routed);
    server.stop().await;
}
