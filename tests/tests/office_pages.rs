//! "件件有回音、事事有反馈" at the street office: 李秀英 (D02) and 张伟 (D03) each met a resident
//! about the same stopped lift, in September 2025; 王建国, the head, joins 张's into 李's and forms
//! a street-level suggestion. Office staff, in headless Chromium (`src-ui/e2e/office.story.mjs`)
//! against this real server, route it on Friday 26 September to the street's city-management
//! office with the petitions centre assisting. The due day is eight working days on — across
//! National Day (1–8 October off) and its make-up Saturday 11 October — Tuesday 14 October. The
//! lead answers on 9 October; on 15 October the assisting unit is a working day late, red; it
//! answers. Each delegate's phone then lists one resident to call back; offline, 李's resident
//! is satisfied, 张's is not. After they sync, the office sees the case reopened and counted.
//!
//! The server's request clock is moved by the test (`Config::clock`); the phones record at the
//! times given.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::path::Path;

use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::api::{FormSuggestion, Request, Response};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::{DeviceId, StationId};
use gridvoice_core::workflow::{DemandStatus, Satisfaction};
use gridvoice_server::auth::AuthDb;
use gridvoice_server::{Config, auth_path};
use gridvoice_store::Store;
use gridvoice_sync::enrol;
use gridvoice_tests::{
    ask_device_at, enrolment_code, on_device, record_on_device_at, serve_as, sync_device,
};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// 10:00 Beijing on a day of 2025.
fn day(month: u8, d: u8) -> Timestamp {
    let date =
        time::Date::from_calendar_date(2025, time::Month::try_from(month).unwrap(), d).unwrap();
    Timestamp(Timestamp::beijing_midnight(date).unwrap().0 + 10 * 3_600_000)
}

fn office_code(data: &Path, staff: &str) -> String {
    AuthDb::open(&auth_path(data))
        .unwrap()
        .create_enrolment(
            &Person::Staff(staff.into()),
            Role::Office,
            None,
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap()
}

fn tasks(store: &mut Store, at: Timestamp) -> Vec<gridvoice_core::api::CallBackTask> {
    match ask_device_at(store, 40, at, Request::CallBacks).unwrap() {
        Response::CallBacks { items } => items,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_routes_a_suggestion_to_two_units_and_a_dissatisfied_resident_reopens_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (pages, e2e) = gridvoice_tests::browser_story_dirs();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &t).unwrap();
    let mut config = Config::new(&data, "127.0.0.1:0".parse().unwrap());
    config.pages_dir = Some(pages);
    let clock = config.clock.clone();
    clock.set(day(9, 22));
    let server = gridvoice_server::start(config).await.unwrap();
    let url = format!("http://{}", server.addr);

    // Two delegates, one lift, Monday 22 September.
    let grid = t.delegate(&"D02".into()).unwrap().grids[0].clone();
    let mut li = Store::open(dir.path().join("li.sqlite")).unwrap();
    enrol(&mut li, &url, &enrolment_code(&data, "D02").unwrap(), "li")
        .await
        .unwrap();
    let mut zhang = Store::open(dir.path().join("zhang.sqlite")).unwrap();
    let code = enrolment_code(&data, "D03").unwrap();
    enrol(&mut zhang, &url, &code, "zhang").await.unwrap();
    let a = record_on_device_at(
        &mut li,
        1,
        day(9, 22),
        "7号楼电梯停运十天，老人下不了楼",
        "电梯维保",
        Some(grid.clone()),
    )
    .unwrap();
    let b = record_on_device_at(
        &mut zhang,
        2,
        day(9, 22),
        "七号楼电梯坏了一直没人修",
        "电梯维保",
        Some(grid.clone()),
    )
    .unwrap();
    sync_device(&mut li).await.unwrap();
    sync_device(&mut zhang).await.unwrap();

    // The head joins 张's into 李's and forms the suggestion, at the station's computer.
    let head = Principal {
        device: DeviceId(uuid::Uuid::from_u128(7)),
        person: Person::Delegate("D01".into()),
        role: Role::StationHead,
        station: Some(StationId::new("S01")),
    };
    serve_as(&server.app, &head, Request::Join { demand: b, into: a })
        .await
        .unwrap();
    serve_as(
        &server.app,
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
    .unwrap();

    // The office's afternoons, in the browser; the test moves the server's clock between them.
    clock.set(day(9, 26));
    let shots = root.join("tests/artifacts/station");
    let mut story = tokio::process::Command::new("node")
        .current_dir(&e2e)
        .arg("office.story.mjs")
        .arg(&url)
        .arg(office_code(&data, t.office.staff[0].as_str()))
        .arg(&shots)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut stdin = story.stdin.take().unwrap();
    let mut lines = BufReader::new(story.stdout.take().unwrap()).lines();
    let mut stdout = String::new();
    let mut phones = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains(r#""step":"answer_lead""#) {
            clock.set(day(10, 9));
        } else if line.contains(r#""step":"late""#) {
            clock.set(day(10, 15));
        } else if line.contains(r#""step":"called_back""#) {
            // Each phone, after its sync, lists its own resident; offline, each records what
            // they said (李's in the morning, 张's in the afternoon), then syncs.
            sync_device(&mut li).await.unwrap();
            sync_device(&mut zhang).await.unwrap();
            let li_tasks = tasks(&mut li, day(10, 16));
            let zhang_tasks = tasks(&mut zhang, day(10, 16));
            phones.push((li_tasks.clone(), zhang_tasks.clone()));
            ask_device_at(
                &mut li,
                41,
                day(10, 16),
                Request::CallBack {
                    demand: a,
                    outcome: Satisfaction::Satisfied,
                    note: Some("居民说电梯已恢复，表示感谢".into()),
                },
            )
            .unwrap();
            ask_device_at(
                &mut zhang,
                42,
                Timestamp(day(10, 16).0 + 4 * 3_600_000),
                Request::CallBack {
                    demand: b,
                    outcome: Satisfaction::Dissatisfied,
                    note: Some("电梯仍时常停运".into()),
                },
            )
            .unwrap();
            sync_device(&mut li).await.unwrap();
            sync_device(&mut zhang).await.unwrap();
        }
        if line.contains(r#""step""#) {
            stdin.write_all(b"go\n").await.unwrap();
            stdin.flush().await.unwrap();
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    drop(stdin);
    let out = story.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "the browser story failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    println!("the office saw: {seen}");
    assert!(
        seen["whoami"].as_str().unwrap().contains("代表工作室"),
        "{seen}"
    );
    assert_eq!(seen["early_due"], "INVALID_DEADLINE");
    assert!(
        seen["early_due_words"]
            .as_str()
            .unwrap()
            .contains("早于交办日 2025-09-26"),
        "{}",
        seen["early_due_words"]
    );
    assert_eq!(seen["units"], serde_json::json!(["U-S02", "U-S07"]));
    assert_eq!(
        seen["routed_due"], "办理期限 2025-10-14",
        "8 working days from Friday 26 September across National Day"
    );
    let routed = seen["routed_clock"].as_str().unwrap();
    assert!(
        routed.starts_with("响应期限 2025-09-28"),
        "the first word is due the next working day, Sunday 28 September (调休): {routed}"
    );
    let respond = seen["respond_on_oct_9"].as_str().unwrap();
    assert!(respond.starts_with("响应超期"), "{respond}");
    let resolve = seen["resolve_on_oct_9"].as_str().unwrap();
    assert!(resolve.starts_with("办理期限 2025-10-14"), "{resolve}");
    // On Thursday 9 October: 10, 11 (a Saturday, worked), 13 and 14 October are left.
    assert_eq!(seen["left_on_oct_9"], 4);
    assert_eq!(seen["light_on_oct_15"], "red");
    assert_eq!(seen["left_on_oct_15"], -1);
    assert!(
        seen["late_clock"]
            .as_str()
            .unwrap()
            .starts_with("办理超期 1 个工作日"),
        "{}",
        seen["late_clock"]
    );
    assert_eq!(seen["empty_answer"], "MISSING_FIELD");
    assert_eq!(seen["answered_units"], 2);
    assert!(
        seen["late_answer"].as_str().unwrap().contains("逾期答复"),
        "{}",
        seen["late_answer"]
    );

    // Both phones had a task for their own resident, with the lead's answer to read out.
    let (li_tasks, zhang_tasks) = phones.pop().expect("the phones were asked");
    assert_eq!(li_tasks.len(), 1, "{li_tasks:?}");
    assert_eq!(li_tasks[0].demand, a);
    assert_eq!(
        li_tasks[0].answer,
        "已协调维保单位更换曳引机，电梯已恢复运行"
    );
    assert_eq!(li_tasks[0].units.len(), 2);
    assert_eq!(zhang_tasks.len(), 1, "{zhang_tasks:?}");
    assert_eq!(
        zhang_tasks[0].demand, b,
        "张's resident stands behind his joined demand"
    );
    assert_eq!(zhang_tasks[0].case, a);

    // The office saw the case reopened, both call-backs, the units back at work.
    assert_eq!(seen["reopened"], "1");
    assert_eq!(
        seen["callbacks"],
        serde_json::json!(["satisfied", "dissatisfied"])
    );
    assert_eq!(seen["units_after"], 0, "the units answer again");
    assert!(
        seen["clock_after"].as_str().unwrap().starts_with("办理"),
        "{}",
        seen["clock_after"]
    );
    // Urgent: one working day to resolve from the reopening (16 October), the 17th.
    let urgent = seen["urgent_clock"].as_str().unwrap();
    assert!(urgent.contains("2025-10-17"), "{urgent}");
    // 李's phone agrees after its next sync, and has nothing left to call back.
    sync_device(&mut li).await.unwrap();
    let v = on_device(&mut li, a).unwrap();
    assert_eq!(v.state.status, DemandStatus::Routed);
    assert_eq!(v.state.reopened, 1);
    assert!(tasks(&mut li, day(10, 17)).is_empty());

    // Administration: a bad validity refused in words; the code made in the browser enrols a
    // new phone for the delegate it names; 张's revoked phone syncs no more.
    assert!(
        seen["bad_hours"].as_str().unwrap().contains("有效期"),
        "{seen}"
    );
    assert_eq!(seen["enrol_qr"], 1, "the card carries a QR code");
    assert_eq!(seen["units_levels"], 4, "the catalogue by level");
    assert!(seen["devices"].as_u64().unwrap() >= 3, "{seen}");
    assert_eq!(seen["revoked"], 1);
    assert!(
        seen["territory_missing"]
            .as_str()
            .unwrap()
            .contains("stations.geojson"),
        "{seen}"
    );
    let calendar = seen["calendar_ok"].as_str().unwrap();
    assert!(calendar.contains("2019–2027"), "{calendar}");
    assert!(gridvoice_server::calendar_path(&data).exists());
    let policy = seen["policy_problems"].as_str().unwrap();
    assert!(policy.contains("第 1 条规则没有任何条件"), "{policy}");
    assert!(
        !gridvoice_server::policy_path(&data).exists(),
        "nothing installed"
    );
    let ok = seen["territory_ok"].as_str().unwrap();
    assert!(ok.contains(&format!("{} 个网格", t.grids.len())), "{ok}");
    assert!(
        seen["territory_installed"]
            .as_str()
            .unwrap()
            .contains("已导入"),
        "{seen}"
    );
    let d05 = t.delegate(&"D05".into()).unwrap();
    assert!(
        seen["enrol_who"].as_str().unwrap().contains(&d05.name),
        "{seen}"
    );
    let mut new_phone = Store::open(dir.path().join("new.sqlite")).unwrap();
    enrol(
        &mut new_phone,
        &url,
        seen["enrol_code"].as_str().unwrap(),
        "新手机",
    )
    .await
    .unwrap();
    assert_eq!(
        new_phone.identity().unwrap().delegate.as_str(),
        "D05",
        "the code enrols the delegate it was made for"
    );
    let refused = sync_device(&mut zhang).await.unwrap_err();
    assert_eq!(refused.code(), "credential_refused", "{refused:?}");
}
