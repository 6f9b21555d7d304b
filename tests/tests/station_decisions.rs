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

use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::api::{FormSuggestion, Request, Response};
use gridvoice_core::ids::{DelegateId, DemandId, DeviceId, StationId};
use gridvoice_core::model::WhistleRoute;
use gridvoice_core::territory::HandlingLevel;
use gridvoice_core::workflow::{Actor, DemandStatus, EventKind};
use gridvoice_server::Config;
use gridvoice_store::Store;
use gridvoice_sync::enrol;
use gridvoice_tests::{enrolment_code, on_device, record_on_device, serve_as, sync_device};

/// What 李's phone shows of a demand: its status, its events, and the delegates who made them.
fn status(store: &mut Store, id: DemandId) -> (DemandStatus, Vec<EventKind>, Vec<DelegateId>) {
    let v = on_device(store, id).unwrap();
    (
        v.state.status,
        v.history.iter().map(|e| e.what.clone()).collect(),
        v.history
            .iter()
            .filter_map(|e| match &e.by {
                Actor::Delegate(d) => Some(d.clone()),
                _ => None,
            })
            .collect(),
    )
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
    enrol(&mut li, &url, &enrolment_code(&data, "D02").unwrap(), "li")
        .await
        .unwrap();
    let first = record_on_device(
        &mut li,
        1,
        "3号楼电梯经常停运，老人上下楼困难",
        "电梯维保",
        None,
    )
    .unwrap();
    let second =
        record_on_device(&mut li, 2, "三号楼电梯坏了一个月没人修", "电梯维保", None).unwrap();
    sync_device(&mut li).await.unwrap();

    // A delegate's credential may record, not decide.
    let li_at_server = Principal {
        device: DeviceId(uuid::Uuid::from_u64_pair(2, 2)),
        person: Person::Delegate("D02".into()),
        role: Role::Delegate,
        station: Some(StationId::new("S01")),
    };
    let refused = serve_as(
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
    let Response::Suggestion(s) = serve_as(
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
    let misfit = serve_as(
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
    serve_as(
        &server.app,
        &head,
        Request::Classify {
            suggestion: id,
            level: HandlingLevel::District,
        },
    )
    .await
    .unwrap();
    let Response::Suggestion(whistled) = serve_as(
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
    let twice = serve_as(
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
    sync_device(&mut li).await.unwrap();
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
    let bin = record_on_device(&mut li, 3, "楼下垃圾桶满了没人清", "电梯维保", None).unwrap();
    sync_device(&mut li).await.unwrap();
    let Response::Demand(handed) = serve_as(
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
    sync_device(&mut li).await.unwrap();
    let (handed_on_phone, _, _) = status(&mut li, bin);
    assert_eq!(handed_on_phone, DemandStatus::Routed);
    server.stop().await;
}
