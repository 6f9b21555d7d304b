//! The delegate app's own figures, in the real Tauri webview under Xvfb, each beside a plain
//! baseline measured in the same run:
//! - cold start to the first interactive screen (home with the "record" button, enrolled device),
//!   beside WebKitGTK's MiniBrowser opening a static page through the same driver;
//! - the UI's wasm size, raw and gzip (`dist/`, as `scripts/build-ui` leaves it);
//! - record a demand, from the click on 保存 to "已保存" on screen (the commit is behind it),
//!   beside a no-op command round trip through the same IPC and a raw `synchronous=FULL` SQLite
//!   insert of the same JSON.
//!
//! `scripts/build-ui && cargo bench -p gridvoice-app --bench app` (cargo builds the app in the
//! release profile for it). Writes the "app" section of BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot go on stops loudly"
)]

#[path = "../tests/support/webdriver.rs"]
#[allow(dead_code, reason = "the bench uses part of the test harness")]
mod webdriver;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gridvoice_core::access::{Person, Role};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::device::EnrolInput;
use gridvoice_core::ids::StationId;
use gridvoice_server::auth::AuthDb;
use gridvoice_sync::device::DeviceService;
use serde_json::json;
use webdriver::Desktop;

const COLD_STARTS: usize = 5;
const SAVES: usize = 30;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn percentile(xs: &mut [f64], p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let i = ((xs.len() - 1) as f64 * p).round() as usize;
    xs[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Launches `binary` and waits for `ready` (a CSS selector); returns the time and the desktop.
async fn cold_start(binary: &Path, env: &[(&str, &str)], ready: &str) -> (f64, Desktop) {
    let t0 = Instant::now();
    let d = Desktop::launch(binary, env).await.unwrap();
    d.find(ready).await.unwrap();
    (ms(t0.elapsed()), d)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let app = PathBuf::from(env!("CARGO_BIN_EXE_gridvoice-app"));
    let minibrowser = Path::new("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser");
    let dist = root().join("dist");

    // A server, and the app's store enrolled as D01 with the station's history synced in.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let territory = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &territory).unwrap();
    let server = gridvoice_server::start(gridvoice_server::Config::new(
        &data,
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let code = AuthDb::open(&gridvoice_server::auth_path(&data))
        .unwrap()
        .create_enrolment(
            &Person::Delegate("D01".into()),
            Role::Delegate,
            Some(&StationId::new("S01")),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap();
    let app_data = dir.path().join("app");
    std::fs::create_dir_all(&app_data).unwrap();
    {
        let device = DeviceService::open(&app_data.join("device.sqlite")).unwrap();
        device
            .enrol(EnrolInput {
                server: format!("http://{}", server.addr),
                code,
                device_name: "bench".into(),
            })
            .await
            .unwrap();
        assert!(device.sync_now().await.ok);
    }
    server.stop().await;
    let app_data_s = app_data.to_str().unwrap().to_owned();
    let env = [("GRIDVOICE_APP_DATA", app_data_s.as_str())];

    // A static page for the baseline browser.
    let page = dir.path().join("static.html");
    std::fs::write(
        &page,
        "<!doctype html><meta charset=utf-8><button id=ready>记诉求</button>",
    )
    .unwrap();

    // ---- cold start, then the saves in the last app started ----
    let mut app_ms = Vec::new();
    let mut last = None;
    for _ in 0..COLD_STARTS {
        if let Some(d) = last.take() {
            Desktop::quit(d).await.unwrap();
        }
        let (t, d) = cold_start(&app, &env, "[data-testid=home-record]").await;
        app_ms.push(t);
        last = Some(d);
    }
    let d = last.unwrap();
    let report = bench_saves(&d, &territory).await;
    d.quit().await.unwrap();
    write(&dist, &mut app_ms, report, minibrowser, &page).await;
}

#[derive(Debug, Default)]
struct Report {
    save_ms: Vec<f64>,
    noop_ms: Vec<f64>,
    raw_insert_ms: Vec<f64>,
}

/// Records `SAVES` demands through the form and times each from the click to "已保存".
async fn bench_saves(d: &Desktop, territory: &gridvoice_core::territory::Territory) -> Report {
    // A position well inside one of D01's grids, so no confirmation is asked.
    let me = territory
        .delegates
        .iter()
        .find(|x| x.id.as_str() == "D01")
        .unwrap();
    let locator = gridvoice_core::geography::locate::Locator::new(territory).unwrap();
    let (lat, lon) = me
        .grids
        .iter()
        .find_map(|g| {
            let ring = &territory.grid(g).unwrap().boundary.0[0];
            let n = (ring.len() - 1) as f64;
            let (x, y) = ring[..ring.len() - 1]
                .iter()
                .fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
            let (lon, lat) = (x / n, y / n);
            let p = locator.locate(lon, lat, Some(5.0)).ok()?;
            (p.grid == *g && !p.needs_confirmation()).then_some((lat, lon))
        })
        .unwrap();
    d.run(
        "localStorage.setItem('gridvoice.fixedLocation', JSON.stringify(arguments[0]));",
        json!([{ "lat": lat, "lon": lon, "accuracy_m": 5.0 }]),
    )
    .await
    .unwrap();
    d.click("[data-testid=nav-record]").await.unwrap();
    d.find("[data-testid=placement]").await.unwrap();

    let mut out = Report::default();
    for i in 0..SAVES {
        // Type (as the input events a keyboard sends), pick a chip, then time the save.
        let script = r#"
            const text = arguments[0];
            const ta = document.querySelector('#demand-text');
            ta.value = text;
            ta.dispatchEvent(new Event('input', { bubbles: true }));
            document.querySelector('[data-testid=chip-safety]').click();
            return new Promise((resolve) => {
              const before = document.querySelector('[data-testid=saved]')?.dataset.demandId;
              const t0 = performance.now();
              const done = () => {
                const s = document.querySelector('[data-testid=saved]');
                if (s && s.dataset.demandId !== before) { obs.disconnect(); resolve(performance.now() - t0); return true; }
                const e = document.querySelector('[data-testid=save-error]');
                if (e) { obs.disconnect(); resolve('error: ' + e.textContent); return true; }
                return false;
              };
              const obs = new MutationObserver(done);
              obs.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
              document.querySelector('#save-demand').click();
            });
        "#;
        let v = d
            .run(
                script,
                json!([format!("楼道声控灯第{i}次报修，晚上漆黑一片")]),
            )
            .await
            .unwrap();
        let t = v.as_f64().unwrap_or_else(|| panic!("save {i}: {v}"));
        out.save_ms.push(t);

        let noop = r#"
            const t0 = performance.now();
            return window.__TAURI__.core.invoke('status', { input: {} }).then(() => performance.now() - t0);
        "#;
        let v = d.run(noop, json!([])).await.unwrap();
        out.noop_ms.push(v.as_f64().unwrap());
    }
    out.raw_insert_ms = raw_inserts(SAVES);
    out
}

/// The plain baseline: the same record as JSON, one row per transaction, `synchronous=FULL`.
fn raw_inserts(n: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("raw.sqlite")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE demands (id TEXT PRIMARY KEY, body TEXT NOT NULL);",
    )
    .unwrap();
    (0..n)
        .map(|i| {
            let body = json!({
                "text": format!("楼道声控灯第{i}次报修，晚上漆黑一片"),
                "category": "safety", "grid": "110118003001001",
                "location": { "lat": 40.37, "lon": 116.84, "accuracy_m": 5.0, "source": "manual" },
                "recorded_by": "D01",
            })
            .to_string();
            let t0 = Instant::now();
            conn.execute(
                "INSERT INTO demands (id, body) VALUES (?1, ?2)",
                (format!("raw-{i}"), body),
            )
            .unwrap();
            ms(t0.elapsed())
        })
        .collect()
}

async fn write(dist: &Path, app_ms: &mut [f64], mut r: Report, minibrowser: &Path, page: &Path) {
    // The baseline: the bare engine opening a static page through the same driver.
    let mut base_ms = Vec::new();
    for _ in 0..COLD_STARTS {
        let t0 = Instant::now();
        let d = Desktop::launch_with_args(
            minibrowser,
            &[
                "--automation".to_owned(),
                format!("file://{}", page.display()),
            ],
            &[],
        )
        .await
        .unwrap();
        d.navigate(&format!("file://{}", page.display()))
            .await
            .unwrap();
        d.find("#ready").await.unwrap();
        base_ms.push(ms(t0.elapsed()));
        d.quit().await.unwrap();
    }

    let wasm = dist.join("gridvoice-ui_bg.wasm");
    let raw = std::fs::metadata(&wasm).unwrap().len();
    let gz = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -9 -c '{}' | wc -c", wasm.display()))
        .output()
        .unwrap();
    let gz: u64 = String::from_utf8_lossy(&gz.stdout).trim().parse().unwrap();

    let app_p50 = percentile(app_ms, 0.5);
    let base_p50 = percentile(&mut base_ms, 0.5);
    let save_p50 = percentile(&mut r.save_ms, 0.5);
    let save_p95 = percentile(&mut r.save_ms, 0.95);
    let noop_p50 = percentile(&mut r.noop_ms, 0.5);
    let raw_p50 = percentile(&mut r.raw_insert_ms, 0.5);
    let verdict = |ok: bool| if ok { "met" } else { "**not met**" };
    let body = format!(
        "Measured by `cargo bench -p gridvoice-app --bench app` on this machine (2 cores, shared), \
         the real app (release build) in WebKitGTK under Xvfb, driven over \
         WebDriver; {COLD_STARTS} cold starts, {SAVES} saves.\n\n\
         | figure | app | baseline in the same run | target |\n\
         | --- | --- | --- | --- |\n\
         | cold start → first interactive screen (p50) | {app_p50:.0} ms | MiniBrowser, static page: {base_p50:.0} ms | < 1,500 ms: {} |\n\
         | UI wasm, raw | {:.2} MB | — | < 1.5 MB: {} |\n\
         | UI wasm, gzip -9 | {:.0} KB | — | < 500 KB: {} |\n\
         | record a demand: click → \"已保存\" (p50 / p95) | {save_p50:.1} / {save_p95:.1} ms | no-op command round trip {noop_p50:.2} ms; raw SQLite insert (`synchronous=FULL`) {raw_p50:.2} ms | — |\n\n\
         Cold start counts from nothing running to the home screen's 记诉求 button on screen \
         (the device's store open, its station loaded); both columns include starting Xvfb, the \
         driver and the process, so the difference is the app's own share. The save runs validation, \
         the IPC call, the Automerge change and its durable commit, the projection, and the re-render; the webview's clock is coarsened to whole milliseconds.\n",
        verdict(app_p50 < 1500.0),
        raw as f64 / 1e6,
        verdict(raw < 1_500_000),
        gz as f64 / 1e3,
        verdict(gz < 500_000),
    );
    println!("{body}");
    let path = root().join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(
        &path,
        gridvoice_core::report::replace_section(&old, "app", &body),
    )
    .unwrap();
}
