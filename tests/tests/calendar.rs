//! The street office keeps its own working-day calendar: 李 (D02) records a demand on Monday 1
//! March 2021 and syncs it; its review is due two working days later, Wednesday 3 March. The
//! office then gives the server a calendar on which 2 and 3 March are days off (say, a local
//! arrangement): a file with mistakes is refused line by line and changes nothing; the corrected
//! one is taken, and after a restart the same demand is due Friday 5 March — on the station's
//! pages and in the overdue list alike.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::access::{Person, Role};
use gridvoice_core::api::{Request, Response};
use gridvoice_core::deadline::{Light, Stage};
use gridvoice_server::Config;
use gridvoice_store::Store;
use gridvoice_sync::enrol;
use gridvoice_tests::{enrolled, enrolment_code, record_on_device, serve_as, sync_device};

async fn due_day(
    app: &gridvoice_server::App,
    who: &gridvoice_core::access::Principal,
    id: gridvoice_core::ids::DemandId,
) -> String {
    let Ok(Response::Demand(v)) = serve_as(app, who, Request::GetDemand { id }).await else {
        panic!("the head reads the demand")
    };
    let clock = v.clock.expect("an undecided demand's clock runs");
    assert_eq!(clock.stage, Stage::Classify);
    assert_eq!(clock.light, Light::Red, "2021 is long past");
    clock.due_day()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_gives_the_server_its_own_calendar_and_deadlines_follow_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &t).unwrap();
    let (head, _) = enrolled(
        &data,
        &Person::Delegate("D01".into()),
        Role::StationHead,
        Some("S01"),
        7,
    )
    .unwrap();
    let server = gridvoice_server::start(Config::new(&data, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let addr = server.addr;
    let url = format!("http://{addr}");
    let mut li = Store::open(dir.path().join("li.sqlite")).unwrap();
    enrol(&mut li, &url, &enrolment_code(&data, "D02").unwrap(), "li")
        .await
        .unwrap();
    let id = record_on_device(&mut li, 1, "楼道灯坏了，晚上看不见", "宜居性", None).unwrap();
    sync_device(&mut li).await.unwrap();

    // The carried calendar: two working days after Monday 1 March 2021.
    assert_eq!(due_day(&server.app, &head, id).await, "2021-03-03");
    server.stop().await;

    // A file with mistakes: every problem named by its line, nothing changed.
    let bad =
        "date,type,name\n2021-03-02,holiday,调整\n2021-02-30,holiday,调整\n2021-03-03,rest,调整\n";
    let refused = gridvoice_server::import_calendar(&data, bad).unwrap_err();
    let words = refused.to_string();
    assert!(
        words.contains("第 3 行") && words.contains("2021-02-30"),
        "{words}"
    );
    assert!(
        words.contains("第 4 行") && words.contains("rest"),
        "{words}"
    );
    assert!(!gridvoice_server::calendar_path(&data).exists());

    // The corrected file: 2 and 3 March off.
    let good = "date,type,name\n2021-03-02,holiday,调整\n2021-03-03,holiday,调整\n";
    let taken = gridvoice_server::import_calendar(&data, good).unwrap();
    assert_eq!(taken.years(), 2021..=2021);
    let server = gridvoice_server::start(Config::new(&data, addr))
        .await
        .unwrap();
    assert_eq!(due_day(&server.app, &head, id).await, "2021-03-05");
    let Ok(Response::Demands { items, .. }) =
        serve_as(&server.app, &head, Request::Overdue { station: None }).await
    else {
        panic!("the overdue list")
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].clock.as_ref().unwrap().due_day(), "2021-03-05");
    server.stop().await;

    // A calendar file spoiled by hand afterwards stops the server from starting, saying why.
    std::fs::write(
        gridvoice_server::calendar_path(&data),
        "2021-13-01,holiday,x\n",
    )
    .unwrap();
    let Err(e) = gridvoice_server::start(Config::new(&data, addr)).await else {
        panic!("a server must not count deadlines on a broken calendar")
    };
    assert!(e.to_string().contains("第 1 行"), "{e}");
}
