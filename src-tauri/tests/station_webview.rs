//! The station's pages in the delegate's app, in the real Tauri webview (WebKitGTK) under Xvfb:
//! 王建国 heads 东菜园代表工作站, so his phone carries the station's pages beside his own. 李秀英
//! recorded a resident's demand and synced it; 王's phone synced it too. At a residents' meeting,
//! with no network, he opens 工作站 from the app's home, finds 李's demand in the station's inbox
//! and answers it on the spot; the decision waits on the phone. Back in range, he syncs from the
//! station's pages, and the station's computer — a browser signed in at the server — reads the
//! demand answered, by him, in his words.
//!
//! Needs the UI built first (`scripts/build-ui`: the app embeds `dist/`, the station's pages under
//! `dist/station/`). Screenshots: tests/artifacts/app/station-*.png.

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
use gridvoice_core::access::Role;
use gridvoice_core::api::Request;
use gridvoice_core::workflow::{DemandStatus, EventKind};
use serde_json::{Value, json};

/// The station's computer: a browser session at the server (the office's one-time code for the
/// head), asking as the station's pages do (the cookie, the page's header, its origin).
async fn station_computer(base: &str, code: &str, req: &Request) -> Value {
    let http = reqwest::Client::new();
    let signed = http
        .post(format!("{base}/api/session"))
        .header("X-Gridvoice-Csrf", "1")
        .header("Origin", base)
        .json(&json!({ "code": code, "name": "工作站电脑" }))
        .send()
        .await
        .unwrap();
    assert!(signed.status().is_success(), "{}", signed.status());
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let resp = http
        .post(format!("{base}/api/request"))
        .header("cookie", cookie)
        .header("X-Gridvoice-Csrf", "1")
        .header("Origin", base)
        .json(req)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_head_answers_a_demand_offline_in_the_app_and_the_station_computer_sees_it_after_sync()
{
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let territory = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &territory).unwrap();
    let server = start_server(&data, "127.0.0.1:0".parse().unwrap()).await;
    let addr = server.addr;
    let base = format!("http://{addr}");
    let li_grid = territory.delegate(&"D02".into()).unwrap().grids[0].clone();

    // 李秀英 records a resident's demand and syncs it.
    let li = phone(
        &dir.path().join("li.sqlite"),
        &base,
        code_for(&data, "D02", Role::Delegate, "S01"),
    )
    .await;
    let demand = record(
        &li,
        "三号楼电梯经常停运，老人上下楼困难",
        "lift_maintenance",
        &li_grid,
        None,
    )
    .await;
    // And one nobody has decided on yet: its review's clock runs.
    let waiting = record(
        &li,
        "小区健身器材损坏，存在安全隐患",
        "safety",
        &li_grid,
        None,
    )
    .await;
    let synced = li.sync_now().await;
    assert!(synced.ok && synced.pending_left == 0, "{synced:?}");

    // 王建国's phone, enrolled and synced at the station before he set out.
    let store_dir = dir.path().join("phone/store");
    std::fs::create_dir_all(&store_dir).unwrap();
    drop(
        phone(
            &store_dir.join("device.sqlite"),
            &base,
            code_for(&data, "D01", Role::Delegate, "S01"),
        )
        .await,
    );

    // The residents' meeting: no network.
    server.stop().await;
    let app = app::launch(&dir.path().join("phone")).await;
    let d = &app.d;

    // Home offers the station's pages: he heads the station.
    app.see("[data-testid=go-station]").await;
    app.shot("station-01-home").await;
    d.click("[data-testid=go-station]").await.unwrap();
    app.see("[data-testid=page-inbox]").await;
    let item = format!("[data-testid=demand-item][data-demand-id='{demand}']");
    app.see(&item).await;
    // The page settled: the counts and the map drawn (they arrive after the list).
    app.see("[data-testid=category-count]").await;
    app.see("[data-testid=inbox-map] [data-grid]").await;
    assert_eq!(
        d.attr(&item, "data-status").await.unwrap().as_deref(),
        Some(DemandStatus::Recorded.code())
    );
    // He is the head on his own device: no sign-in, no sign-out, a sync button instead.
    assert!(!d.present("[data-testid=sign-out]").await.unwrap());
    assert!(!d.present("[data-testid=page-signin]").await.unwrap());
    app.shot("station-02-inbox-offline").await;

    // He answers it on the spot, offline.
    let answer = "已联系物业，本周五前完成电梯检修";
    d.click(&format!("{item} [data-testid=act-answer]"))
        .await
        .unwrap();
    app.see(&format!("{item} [data-testid=decision-words]"))
        .await;
    d.type_into(&format!("{item} [data-testid=decision-words]"), answer)
        .await
        .unwrap();
    d.click(&format!("{item} [data-testid=decision-send]"))
        .await
        .unwrap();
    app.until(
        "the demand answered on the phone",
        &format!(
            "return document.querySelector(\"{item}\")?.dataset.status === '{}';",
            DemandStatus::Closed.code()
        ),
    )
    .await;
    // The decision waits on the phone until a sync carries it.
    app.until(
        "the decision waiting to sync",
        "const p = document.querySelector('[data-testid=device-pending]'); return p && Number(p.dataset.count) > 0;",
    )
    .await;
    d.click("[data-testid=device-sync]").await.unwrap();
    let failed = app
        .until(
            "a sync that says why it failed",
            "const r = document.querySelector('[data-testid=device-sync-result]'); return r && r.dataset.ok === 'false' && r.textContent;",
        )
        .await;
    let failed = failed.as_str().unwrap_or_default().to_owned();
    assert!(
        failed
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{failed}"
    );
    app.shot("station-03-answered-offline").await;

    // Back in range: the server is up again at the same address; he syncs from the station's pages.
    let server = start_server(&data, addr).await;
    d.click("[data-testid=device-sync]").await.unwrap();
    app.until(
        "a sync that went through",
        "const r = document.querySelector('[data-testid=device-sync-result]'); return r && r.dataset.ok === 'true';",
    )
    .await;
    app.until(
        "nothing left to sync",
        "const p = document.querySelector('[data-testid=device-pending]'); return p && p.dataset.count === '0';",
    )
    .await;
    app.shot("station-04-synced").await;

    // The station's computer sees it: answered on the spot, by him, in his words.
    let head_code = code_for(&data, "D01", Role::StationHead, "S01");
    let seen = station_computer(&base, &head_code, &Request::GetDemand { id: demand }).await;
    assert_eq!(seen["type"], "demand", "{seen}");
    assert_eq!(
        seen["state"]["status"],
        DemandStatus::Closed.code(),
        "{seen}"
    );
    let history: Vec<gridvoice_core::workflow::Event> =
        serde_json::from_value(seen["history"].clone()).unwrap();
    let decided = history
        .iter()
        .find(|e| matches!(&e.what, EventKind::AnsweredOnSpot { answer: a } if a == answer))
        .unwrap_or_else(|| panic!("no answer on the spot in {history:?}"));
    assert_eq!(
        decided.by,
        gridvoice_core::workflow::Actor::Delegate("D01".into())
    );

    // And back to his own pages, where the station's undecided demand shows its time limit:
    // the review is due within two working days of its recording.
    d.click("[data-testid=back-to-delegate]").await.unwrap();
    app.see("[data-testid=page-home]").await;
    app.go("demands", "demands").await;
    d.click("[data-testid=scope-station]").await.unwrap();
    d.click(&format!("[data-testid='open-{waiting}']"))
        .await
        .unwrap();
    app.see("[data-testid=demand-clock]").await;
    let light = d
        .attr("[data-testid=demand-clock]", "data-light")
        .await
        .unwrap()
        .unwrap();
    assert!(light == "green" || light == "yellow", "{light}");
    let words = d.text("[data-testid=demand-clock]").await.unwrap();
    assert!(
        words.starts_with("研判期限") && words.contains("个工作日"),
        "{words}"
    );
    app.shot("station-05-demand-clock").await;

    app.d.quit().await.unwrap();
    server.stop().await;
}
