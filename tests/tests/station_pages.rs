//! "群众吹哨、代表报到；代表吹哨、部门报到" at the station's computer: 李秀英 (D02) and 张伟 (D03) each
//! record the same lift problem in one grid of station S01, offline, and sync. 王建国, the head,
//! works the station pages in headless Chromium (`src-ui/e2e/station.story.mjs`) against this real
//! server with the demo data: he signs in with the office's code, sees the two demands as one
//! proposed cluster, joins them (both residents kept), forms a street-level suggestion and
//! whistles it, then signs out — and the old cookie opens nothing. The head of station S02 sees
//! none of it. At their next sync both delegates' phones say what became of their demand.
//! Before all that, a parking complaint of 李's waits with two decisions 王 made at once on his
//! phone and his tablet, both offline — answered on the spot, and out of scope: the inbox shows
//! both side by side, and he keeps the answer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::path::Path;

use gridvoice_core::access::{Person, Role};
use gridvoice_core::api::Request;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::StationId;
use gridvoice_core::model::WhistleRoute;
use gridvoice_core::workflow::{DemandStatus, EventKind};
use gridvoice_server::auth::AuthDb;
use gridvoice_server::{Config, auth_path};
use gridvoice_store::Store;
use gridvoice_sync::enrol;
use gridvoice_tests::{ask_device, enrolment_code, on_device, record_on_device, sync_device};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

fn head_code(data: &Path, head: &str, station: &str) -> String {
    AuthDb::open(&auth_path(data))
        .unwrap()
        .create_enrolment(
            &Person::Delegate(head.into()),
            Role::StationHead,
            Some(&StationId::new(station)),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap()
}

/// The story's last line: what it saw.
fn seen_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or("{}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_head_joins_a_lift_problem_forms_a_suggestion_and_whistles_it_in_the_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (pages, e2e) = gridvoice_tests::browser_story_dirs();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &t).unwrap();
    let mut config = Config::new(&data, "127.0.0.1:0".parse().unwrap());
    config.pages_dir = Some(pages);
    let server = gridvoice_server::start(config).await.unwrap();
    let url = format!("http://{}", server.addr);

    // Two delegates, one grid, one lift, recorded offline and synced back at the station.
    let grid = t.delegate(&"D02".into()).unwrap().grids[0].clone();
    let mut li = Store::open(dir.path().join("li.sqlite")).unwrap();
    enrol(&mut li, &url, &enrolment_code(&data, "D02").unwrap(), "li")
        .await
        .unwrap();
    let mut zhang = Store::open(dir.path().join("zhang.sqlite")).unwrap();
    enrol(
        &mut zhang,
        &url,
        &enrolment_code(&data, "D03").unwrap(),
        "zhang",
    )
    .await
    .unwrap();
    let a = record_on_device(
        &mut li,
        1,
        "3号楼电梯经常停运，老人上下楼困难",
        "电梯维保",
        Some(grid.clone()),
    )
    .unwrap();
    let b = record_on_device(
        &mut zhang,
        2,
        "三号楼电梯又坏了，老人下不了楼",
        "电梯维保",
        Some(grid.clone()),
    )
    .unwrap();
    let parking = record_on_device(
        &mut li,
        4,
        "小区消防通道被私家车长期占用",
        "停车",
        Some(grid.clone()),
    )
    .unwrap();
    sync_device(&mut li).await.unwrap();
    sync_device(&mut zhang).await.unwrap();

    // 王's phone and tablet both have the parking complaint; offline, he decides on each, and
    // differently. Both sync: the server holds two contradicting decisions.
    let mut decided = Vec::new();
    for (n, req) in [
        Request::AnswerOnSpot {
            demand: parking,
            answer: "已请物业张贴告示并联系车主挪车".into(),
        },
        Request::OutOfScope {
            demand: parking,
            reason: "属物业管理纠纷，请居民联系物业".into(),
        },
    ]
    .into_iter()
    .enumerate()
    {
        let mut device = Store::open(dir.path().join(format!("wang-{n}.sqlite"))).unwrap();
        let code = enrolment_code(&data, "D01").unwrap();
        enrol(&mut device, &url, &code, &format!("wang-{n}"))
            .await
            .unwrap();
        sync_device(&mut device).await.unwrap();
        decided.push(device);
        ask_device(decided.last_mut().unwrap(), 10 + n as u64, req).unwrap();
    }
    for device in &mut decided {
        sync_device(device).await.unwrap();
    }

    // The head's afternoon, in the browser.
    let s02_head = t.station(&"S02".into()).unwrap().head.clone().unwrap();
    let shots = root.join("tests/artifacts/station");
    let mut story = tokio::process::Command::new("node")
        .current_dir(&e2e)
        .arg("station.story.mjs")
        .arg(&url)
        .arg(head_code(&data, "D01", "S01"))
        .arg(head_code(&data, s02_head.as_str(), "S02"))
        .arg(&shots)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    // While the head's inbox is open, 李 records another demand and syncs: the page shows it.
    let mut lines = BufReader::new(story.stdout.take().unwrap()).lines();
    let mut stdout = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains(r#""ready":"live""#) {
            record_on_device(
                &mut li,
                3,
                "小区门口路灯不亮，晚上出行不便",
                "宜居性",
                Some(grid.clone()),
            )
            .unwrap();
            sync_device(&mut li).await.unwrap();
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let out = story.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "the browser story failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(seen_line(&stdout)).unwrap();
    println!("the head saw: {seen}");
    assert!(
        seen["live_texts"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == "小区门口路灯不亮，晚上出行不便")),
        "the demand synced while the inbox was open appeared in it, no reload: {seen}"
    );
    assert!(
        seen["head_bad_code"].as_str().unwrap().contains("绑定码"),
        "a wrong code is refused in Chinese: {}",
        seen["head_bad_code"]
    );
    assert!(seen["head_whoami"].as_str().unwrap().contains("王建国"));
    assert_eq!(seen["inbox_total"], 3);
    assert_eq!(seen["zhang_total"], 1, "the filter by delegate: 张伟's one");
    assert_eq!(seen["needs_decision"], 1, "the parking complaint waits");
    assert_eq!(
        seen["versions"],
        serde_json::json!(["不属受理范围", "当场答复"]),
        "both decisions side by side"
    );
    assert_eq!(seen["needs_decision_after"], 0, "kept one: settled");
    assert_eq!(seen["parking_status"], DemandStatus::Closed.code());
    assert_eq!(seen["overdue"], 2, "the two undecided lift demands of 2021");
    assert_eq!(seen["overdue_lights"], serde_json::json!(["red", "red"]));
    let words = seen["overdue_clock"].as_str().unwrap();
    assert!(
        words.starts_with("研判超期") && words.contains("期限 2021-03-03"),
        "two working days after Monday 1 March 2021: {words}"
    );
    assert!(
        seen["map_grids"].as_u64().unwrap() >= 1,
        "the station's map"
    );
    assert_eq!(
        seen["category_counts"],
        serde_json::json!(["电梯维保 2", "停车 1"]),
        "counts per category"
    );
    assert_eq!(
        seen["after_march_first"], 0,
        "a date filter with nothing in it"
    );
    assert_eq!(seen["clusters"], 1);
    assert_eq!(seen["cluster_members"], 2);
    assert_eq!(
        seen["statuses"],
        serde_json::json!(["closed", "joined", "recorded"])
    );
    assert_eq!(
        seen["cosigners"], 1,
        "the joined resident counts on the kept demand"
    );
    let body = seen["draft_body"].as_str().unwrap();
    assert!(body.contains("电梯"), "{body}");
    assert!(
        body.contains("涉及居民约 2 人"),
        "both residents in the draft: {body}"
    );
    assert_eq!(
        seen["level"], "street",
        "lifts are the street's: {}",
        seen["level_why"]
    );
    assert_eq!(seen["routes"], serde_json::json!(["现场办公、解释说明"]));
    assert!(seen["whistles"].as_str().unwrap().contains("现场办公"));
    assert_eq!(
        seen["register_empty"], "EMPTY_PERIOD",
        "this month holds nothing"
    );
    assert_eq!(seen["register_rows"], 4, "March 2021's opinions register");
    assert_eq!(seen["suggestions"], 1, "the station's suggestions");
    assert_eq!(
        seen["suggestion_demands"], 1,
        "the kept demand (its co-signer joined into it)"
    );
    assert_eq!(
        seen["focused"], seen["suggestion"],
        "the demand links to its suggestion"
    );
    assert_eq!(seen["after_sign_out"], 401);
    assert_eq!(
        seen["other_total"], 0,
        "S02's head sees none of S01's demands"
    );
    assert_eq!(seen["other_clusters"], 0);

    // What the server holds: one demand joined into the other, that one in the suggestion, the
    // suggestion whistled by the head.
    sync_device(&mut li).await.unwrap();
    sync_device(&mut zhang).await.unwrap();
    let va = on_device(&mut li, a).unwrap();
    let vb = on_device(&mut zhang, b).unwrap();
    let (kept, joined) = if va.state.status == DemandStatus::Joined {
        (vb, va)
    } else {
        (va, vb)
    };
    assert_eq!(joined.state.status, DemandStatus::Joined, "on the phone");
    assert_eq!(joined.state.joined_into, Some(kept.demand.id));
    assert_eq!(
        kept.state.status,
        DemandStatus::InSuggestion,
        "on the phone"
    );
    let suggestion = kept.state.suggestion.expect("the suggestion it is in");
    assert_eq!(seen["suggestion"], suggestion.to_string());
    assert!(
        kept.history
            .iter()
            .any(|e| matches!(e.what, EventKind::AddedToSuggestion { .. })),
        "the phone's timeline says so"
    );
    let office = gridvoice_core::access::Principal {
        device: gridvoice_core::ids::DeviceId(uuid::Uuid::from_u128(9)),
        person: Person::Staff(t.office.staff[0].clone()),
        role: Role::Office,
        station: None,
    };
    let Ok(gridvoice_core::api::Response::Suggestion(s)) = gridvoice_server::entry::serve(
        &server.app,
        &office,
        Request::GetSuggestion { id: suggestion },
    )
    .await
    else {
        panic!("the office reads the suggestion")
    };
    assert_eq!(s.state.whistles, vec![WhistleRoute::OnSiteCoordination]);
    // The kept decision reached the phones: the complaint answered, nothing left to decide.
    sync_device(&mut li).await.unwrap();
    let p = on_device(&mut li, parking).unwrap();
    assert_eq!(p.state.status, DemandStatus::Closed);
    assert!(!p.state.needs_decision);
    assert_eq!(
        p.state.answer.as_deref(),
        Some("已请物业张贴告示并联系车主挪车")
    );
    server.stop().await;
}
