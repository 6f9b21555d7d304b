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

/// A server with the demo data at `dir/server`, the head's credential, and 李's demand of Monday
/// 1 March 2021, synced: due for review two working days later by the carried calendar and the
/// default limits, Wednesday 3 March. The server is stopped again; its address is kept.
async fn recorded(
    dir: &std::path::Path,
    text: &str,
    category: &str,
) -> (
    std::path::PathBuf,
    gridvoice_core::access::Principal,
    std::net::SocketAddr,
    gridvoice_core::ids::DemandId,
) {
    let data = dir.join("server");
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
    let mut li = Store::open(dir.join("li.sqlite")).unwrap();
    enrol(&mut li, &url, &enrolment_code(&data, "D02").unwrap(), "li")
        .await
        .unwrap();
    let id = record_on_device(&mut li, 1, text, category, None).unwrap();
    sync_device(&mut li).await.unwrap();
    assert_eq!(due_day(&server.app, &head, id).await, "2021-03-03");
    server.stop().await;
    (data, head, addr, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_gives_the_server_its_own_calendar_and_deadlines_follow_it() {
    let dir = tempfile::tempdir().unwrap();
    let (data, head, addr, id) = recorded(dir.path(), "楼道灯坏了，晚上看不见", "宜居性").await;

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

/// The office sets its own time limits: 李's demand of Monday 1 March 2021 is due for review in
/// two working days by the default limits, Wednesday 3 March. A limits file with mistakes (a rule
/// with no condition, a stage of 300 working days) is refused with each named and changes
/// nothing; the corrected one (review within five working days; urgent matters the same day)
/// makes it due Monday 8 March after a restart. The head then marks it urgent: due the day it
/// was recorded. Only the delegate who recorded it, the head and the office may say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_sets_its_time_limits_and_an_urgent_demand_is_due_sooner() {
    let dir = tempfile::tempdir().unwrap();
    let (data, head, addr, id) = recorded(dir.path(), "小区燃气管道有异味", "安全性").await;
    let (zhang, _) = enrolled(
        &data,
        &Person::Delegate("D03".into()),
        Role::Delegate,
        Some("S01"),
        8,
    )
    .unwrap();

    let bad = r#"{"default": [2, 1, 7, 2, 5],
        "rules": [{"limits": [1, 1, 1, 1, 1]}, {"urgent": true, "limits": [0, 0, 300, 1, 2]}]}"#;
    let refused = gridvoice_server::import_policy(&data, bad)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("第 1 条规则没有任何条件"), "{refused}");
    assert!(refused.contains("第 2 条规则的时限超过"), "{refused}");
    assert!(!gridvoice_server::policy_path(&data).exists());
    let not_json = gridvoice_server::import_policy(&data, "{default: 2}")
        .unwrap_err()
        .to_string();
    assert!(not_json.contains("格式不对"), "{not_json}");

    let good = r#"{"default": [5, 1, 7, 2, 5],
        "rules": [{"urgent": true, "limits": [0, 0, 1, 1, 2]}]}"#;
    gridvoice_server::import_policy(&data, good).unwrap();
    let server = gridvoice_server::start(Config::new(&data, addr))
        .await
        .unwrap();
    assert_eq!(due_day(&server.app, &head, id).await, "2021-03-08");

    // Urgent: another delegate may not say so; the head does.
    let urgent = Request::SetUrgency {
        demand: id,
        urgent: true,
        reason: Some("燃气泄漏隐患".into()),
    };
    let (status, code) = serve_as(&server.app, &zhang, urgent.clone())
        .await
        .unwrap_err();
    assert_eq!((status, code.as_str()), (403, "NOT_PERMITTED"));
    let Ok(Response::Demand(v)) = serve_as(&server.app, &head, urgent).await else {
        panic!("the head marks it urgent")
    };
    assert!(v.state.urgent);
    assert_eq!(v.clock.unwrap().due_day(), "2021-03-01");
    server.stop().await;
}
