//! 件件有回音 on the delegate's phone, in the real Tauri webview (WebKitGTK) under Xvfb: 李秀英 met
//! 刘大妈 about a stopped lift and took her number with her consent; 张伟 met another resident about
//! the same lift. The head joins 张's into 李's and forms a suggestion; the street office routes it
//! to the city-management office (lead) and the petitions centre (assisting), and both answer.
//! 张's phone calls his resident back: satisfied. 李's phone, synced at the station, goes out with
//! no network: the tasks page lists 刘大妈 with her number and both units' answers; 李 records that
//! she is not satisfied, with a note, offline. Back in range, a sync carries it: the case is
//! reopened and counted at the server, back with its units.
//!
//! Needs the UI built first (`scripts/build-ui`). Screenshots: tests/artifacts/app/callback-*.png.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

#[path = "support/webdriver.rs"]
#[allow(dead_code, reason = "the harness serves the bench too")]
mod webdriver;

#[path = "support/app.rs"]
#[allow(dead_code, reason = "shared by the app's stories")]
mod app;

use app::{code_for, phone, record, start_server};
use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::api::{Case, FormSuggestion, NewContact, Request, Response, RouteCase};
use gridvoice_core::ids::{DeviceId, StationId};
use gridvoice_core::workflow::{DemandStatus, Satisfaction};

/// A request served by the server's one request service for `who`.
async fn at_server(server: &gridvoice_server::Running, who: &Principal, req: Request) -> Response {
    gridvoice_server::entry::serve(&server.app, who, req)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dissatisfied_resident_recorded_offline_in_the_app_reopens_the_case_after_sync() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let territory = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &territory).unwrap();
    let server = start_server(&data, "127.0.0.1:0".parse().unwrap()).await;
    let addr = server.addr;
    let base = format!("http://{addr}");
    let grid = territory.delegate(&"D02".into()).unwrap().grids[0].clone();

    // 李's phone (the app's store) and 张's, each with their resident's demand, synced.
    let store_dir = dir.path().join("phone/store");
    std::fs::create_dir_all(&store_dir).unwrap();
    let li = phone(
        &store_dir.join("device.sqlite"),
        &base,
        code_for(&data, "D02", Role::Delegate, "S01"),
    )
    .await;
    let a = record(
        &li,
        "9号楼电梯停运一周，老人下不了楼",
        "lift_maintenance",
        &grid,
        Some(NewContact {
            name: "刘大妈".into(),
            phone: "13912345678".into(),
            consent: true,
        }),
    )
    .await;
    assert!(li.sync_now().await.ok);
    let zhang = phone(
        &dir.path().join("zhang.sqlite"),
        &base,
        code_for(&data, "D03", Role::Delegate, "S01"),
    )
    .await;
    let b = record(
        &zhang,
        "九号楼电梯坏了没人修",
        "lift_maintenance",
        &grid,
        None,
    )
    .await;
    assert!(zhang.sync_now().await.ok);

    // The head joins and forms the suggestion; the office routes it to two units; both answer.
    let head = Principal {
        device: DeviceId(uuid::Uuid::from_u128(7)),
        person: Person::Delegate("D01".into()),
        role: Role::StationHead,
        station: Some(StationId::new("S01")),
    };
    at_server(&server, &head, Request::Join { demand: b, into: a }).await;
    let Response::Suggestion(s) = at_server(
        &server,
        &head,
        Request::FormSuggestion(FormSuggestion {
            demands: vec![a],
            title: None,
            text: None,
            level: None,
            id: None,
        }),
    )
    .await
    else {
        panic!("not a suggestion");
    };
    let office = Principal {
        device: DeviceId(uuid::Uuid::from_u128(8)),
        person: Person::Staff(territory.office.staff[0].clone()),
        role: Role::Office,
        station: None,
    };
    let case = Case::Suggestion(s.suggestion.id);
    at_server(
        &server,
        &office,
        Request::Route(RouteCase {
            case,
            lead: "U-S02".into(),
            assisting: vec!["U-S07".into()],
            due: None,
            reason: None,
        }),
    )
    .await;
    for (unit, text) in [
        ("U-S02", "已协调维保单位更换曳引机，电梯已恢复运行"),
        ("U-S07", "已将该电梯列入更新改造计划"),
    ] {
        at_server(
            &server,
            &office,
            Request::Answer {
                case,
                unit: unit.into(),
                text: text.into(),
                resolved: true,
            },
        )
        .await;
    }

    // 张 calls his resident back: satisfied.
    assert!(zhang.sync_now().await.ok);
    zhang
        .request(Request::CallBack {
            demand: b,
            outcome: Satisfaction::Satisfied,
            note: None,
        })
        .await
        .unwrap();
    assert!(zhang.sync_now().await.ok);
    // 李's phone takes in the answers at the station, then goes out of range.
    assert!(li.sync_now().await.ok);
    drop(li);
    server.stop().await;

    let app = app::launch(&dir.path().join("phone")).await;
    let d = &app.d;
    app.see("[data-testid=page-home]").await;

    // The tasks page, offline: 刘大妈, her number, both units' answers.
    app.go("tasks", "tasks").await;
    let item = format!("[data-testid=task-item][data-demand-id='{a}']");
    app.see(&item).await;
    assert_eq!(
        app.count("[data-testid=task-item]").await,
        1,
        "张's resident is his"
    );
    let name = d
        .text(&format!("{item} [data-testid=task-contact-name]"))
        .await
        .unwrap();
    assert_eq!(name, "刘大妈");
    assert_eq!(
        app.count(&format!("{item} [data-testid=task-unit]")).await,
        2,
        "both units' answers to read out"
    );
    let units = d
        .text(&format!("{item} [data-testid=task-units]"))
        .await
        .unwrap();
    assert!(units.contains("已协调维保单位更换曳引机"), "{units}");
    app.shot("callback-01-task").await;

    // She is not satisfied; 李 notes why and saves, offline.
    d.click(&format!(
        "{item} [data-testid=outcome-{}]",
        Satisfaction::Dissatisfied.code()
    ))
    .await
    .unwrap();
    d.type_into(&format!("{item} [data-testid=task-note]"), "电梯仍时常停运")
        .await
        .unwrap();
    d.click(&format!("{item} [data-testid=task-save]"))
        .await
        .unwrap();
    app.until(
        "the call-back saved",
        "const s = document.querySelector('[data-testid=task-saved]'); return s && s.textContent.length > 0;",
    )
    .await;
    app.until(
        "the task off the list",
        "return [...document.querySelectorAll('[data-testid=task-item]')].every(e => e.hidden);",
    )
    .await;
    app.shot("callback-02-recorded-offline").await;

    // Back in range: the sync carries it.
    let server = start_server(&data, addr).await;
    app.go("sync", "sync").await;
    d.click("#sync-now").await.unwrap();
    app.see("[data-testid=pending-empty]").await;
    app.shot("callback-03-synced").await;

    let Response::Demand(v) = at_server(&server, &office, Request::GetDemand { id: a }).await
    else {
        panic!("not a demand");
    };
    assert_eq!(v.state.reopened, 1, "{:?}", v.state);
    assert_eq!(v.state.status, DemandStatus::Routed);
    let outcomes: Vec<Satisfaction> = v.state.callbacks.iter().map(|c| c.outcome).collect();
    assert_eq!(
        outcomes,
        vec![Satisfaction::Satisfied, Satisfaction::Dissatisfied]
    );

    app.d.quit().await.unwrap();
    server.stop().await;
}
