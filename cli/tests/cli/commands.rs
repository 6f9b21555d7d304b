//! A delegate's day at the command line.

use crate::{device, gv, stderr, stdout, territory_file};

const GRID: &str = "110118003001001";

#[test]
fn a_delegate_starts_a_visit_records_lists_searches_shows_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let s = device(dir.path());
    let o = gv(
        &s,
        &[
            "visit",
            "start",
            "--grid",
            GRID,
            "--place",
            "东菜园社区广场",
            "--topic",
            "电梯加装",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let visit = stdout(&o).trim().to_owned();

    let o = gv(
        &s,
        &[
            "record",
            "--text",
            "5号楼想加装电梯，一楼住户有顾虑",
            "--category",
            "电梯维保",
            "--grid",
            GRID,
            "--visit",
            &visit,
            "--lat",
            "40.3701",
            "--lon",
            "116.8402",
            "--accuracy",
            "9",
            "--contact-name",
            "孙阿姨",
            "--contact-phone",
            "13611112222",
            "--consent",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("已保存 "),
        "the delegate hears 'saved' only after the commit"
    );
    let id = stdout(&o).trim().trim_start_matches("已保存 ").to_owned();
    let o = gv(
        &s,
        &[
            "record",
            "--text",
            "垃圾分类桶站太远",
            "--category",
            "垃圾分类",
            "--grid",
            GRID,
            "--source",
            "grid-pick",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let list = stdout(&gv(&s, &["list"]));
    assert!(
        list.contains("共 2 条") && list.contains("电梯维保"),
        "{list}"
    );
    let found = stdout(&gv(&s, &["search", "加装电梯"]));
    assert!(found.contains(&id) && found.contains("共 1 条"), "{found}");
    let shown = stdout(&gv(&s, &["show", &id]));
    assert!(shown.contains("联系方式：已登记"), "{shown}");
    assert!(
        !shown.contains("13611112222") && !list.contains("13611112222"),
        "no phone on screen"
    );

    let o = gv(&s, &["visit", "end", &visit, "--attendance", "18"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&gv(&s, &["visit", "list"])).contains("到场 18 人"));

    let export = gv(&s, &["export", "--json"]);
    let all: Vec<serde_json::Value> = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(all.len(), 2);
    assert!(
        !stdout(&export).contains("13611112222"),
        "exports carry no contacts"
    );

    // The raw vocabulary, as the app and the server speak it.
    let o = gv(
        &s,
        &["request", r#"{"op":"list_demands","category":"垃圾分类"}"#],
    );
    let resp: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(resp["type"], "demands");
    assert_eq!(resp["total"], 1);
}

#[test]
fn bad_input_exits_non_zero_with_a_code_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = device(dir.path());
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "record",
                "--text",
                "   ",
                "--category",
                "other",
                "--grid",
                GRID,
            ],
            "EMPTY_TEXT",
        ),
        (
            &[
                "record",
                "--text",
                "x",
                "--category",
                "天气",
                "--grid",
                GRID,
            ],
            "UNKNOWN_CATEGORY",
        ),
        (
            &[
                "record",
                "--text",
                "x",
                "--category",
                "other",
                "--grid",
                "123",
            ],
            "UNKNOWN_GRID",
        ),
        (
            &[
                "record",
                "--text",
                "x",
                "--category",
                "other",
                "--grid",
                GRID,
                "--lat",
                "NaN",
                "--lon",
                "116",
            ],
            "INVALID_LOCATION",
        ),
        (
            &[
                "record",
                "--text",
                "x",
                "--category",
                "other",
                "--grid",
                GRID,
                "--lat",
                "40",
            ],
            "INVALID_LOCATION",
        ),
        (
            &[
                "record",
                "--text",
                "x",
                "--category",
                "other",
                "--grid",
                GRID,
                "--visit",
                "not-an-id",
            ],
            "INVALID_ID",
        ),
        (
            &[
                "record",
                "--text",
                "x",
                "--category",
                "other",
                "--grid",
                GRID,
                "--visit",
                "01900000-0000-7000-8000-000000000000",
            ],
            "UNKNOWN_VISIT",
        ),
        (
            &[
                "record",
                "--text",
                "x",
                "--category",
                "other",
                "--grid",
                GRID,
                "--contact-name",
                "王",
                "--contact-phone",
                "13800138000",
            ],
            "CONSENT_REQUIRED",
        ),
        (
            &["show", "01900000-0000-7000-8000-000000000000"],
            "NOT_FOUND",
        ),
        (&["list", "--to", "2021-02-30"], "INVALID_DATE"),
        (&["request", "{\"op\":\"fly\"}"], "BAD_REQUEST"),
    ];
    let long = "长".repeat(5_001);
    let too_long: &[&str] = &[
        "record",
        "--text",
        &long,
        "--category",
        "other",
        "--grid",
        GRID,
    ];
    for (args, code) in cases.iter().copied().chain([(too_long, "TEXT_TOO_LONG")]) {
        let o = gv(&s, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(code), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("错误"),
            "a Chinese message: {}",
            stderr(&o)
        );
    }
    assert!(stdout(&gv(&s, &["list"])).contains("共 0 条"));

    // A second init, a store that is garbage.
    let t = territory_file(dir.path());
    let o = gv(
        &s,
        &[
            "init",
            "--delegate",
            "D01",
            "--territory",
            t.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ALREADY_INITIALISED"));
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![0x5a; 4096]).unwrap();
    let o = gv(&junk, &["list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("CORRUPT_STORE"), "{}", stderr(&o));
}

#[test]
fn on_the_demo_territory_a_gps_fix_finds_its_grid() {
    use gridvoice_core::geography::locate::Locator;
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("d.sqlite");
    let o = gv(&s, &["init", "--demo", "--delegate", "D01"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("王建国"), "{}", stdout(&o));

    // A point well inside one of D01's grids: the mean of its outline, checked by the locator itself.
    let t = gridvoice_core::demo::gulou().unwrap();
    let locator = Locator::new(&t).unwrap();
    let (lon, lat) = t
        .grids
        .iter()
        .filter_map(|g| {
            let ring = g.boundary.0.first()?;
            let n = ring.len() as f64;
            let lon = ring.iter().map(|p| p[0]).sum::<f64>() / n;
            let lat = ring.iter().map(|p| p[1]).sum::<f64>() / n;
            let p = locator.locate(lon, lat, Some(5.0)).ok()?;
            (p.grid == g.id && !p.near_boundary && !p.outside).then_some((lon, lat))
        })
        .next()
        .expect("some grid has an interior mean point");
    let expected = locator.locate(lon, lat, Some(5.0)).unwrap().grid;

    let o = gv(
        &s,
        &[
            "record",
            "--text",
            "路边井盖缺失，夜里很危险",
            "--category",
            "安全性",
            "--lat",
            &lat.to_string(),
            "--lon",
            &lon.to_string(),
            "--accuracy",
            "5",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["grid"], expected.as_str());
    // With neither a grid nor a position there is nothing to go on.
    let o = gv(&s, &["record", "--text", "x", "--category", "other"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("MISSING_FIELD"), "{}", stderr(&o));
}

#[test]
fn a_demand_is_recorded_with_its_photo_and_a_file_that_is_not_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = device(dir.path());
    let photo = dir.path().join("lamp.jpg");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    jpeg.extend(std::iter::repeat_n(7u8, 500));
    std::fs::write(&photo, &jpeg).unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a picture").unwrap();

    let record_with = |file: &std::path::Path| {
        let args = [
            "record",
            "--grid",
            GRID,
            "--category",
            "安全性",
            "--text",
            "路灯坏了",
        ];
        let file = file.to_str().unwrap();
        gv(&s, &[&args[..], &["--photo", file, "--json"]].concat())
    };

    // A text file as the photo: refused with its code, and no demand stored.
    let o = record_with(&notes);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("INVALID_PHOTO"), "{}", stderr(&o));
    assert!(stdout(&gv(&s, &["list", "--json"])).trim() == "[]");

    let o = record_with(&photo);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        v["attachments"],
        serde_json::json!([gridvoice_store::photo_hash(&jpeg)])
    );
    // Waiting for the server, like the demand itself.
    let pending = stdout(&gv(&s, &["pending"]));
    assert!(pending.contains(v["id"].as_str().unwrap()), "{pending}");
    assert!(
        pending.contains(&gridvoice_store::photo_hash(&jpeg)),
        "{pending}"
    );
}

#[test]
fn a_device_is_reset_only_when_told_and_not_while_its_records_wait_for_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = device(dir.path());
    let o = gv(
        &s,
        &[
            "record",
            "--text",
            "楼道灯坏了三天",
            "--category",
            "电梯维保",
            "--grid",
            GRID,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let o = gv(&s, &["reset"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    let o = gv(&s, &["reset", "--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("[UNSENT]"), "{}", stderr(&o));
    assert!(stdout(&gv(&s, &["list"])).contains("楼道灯坏了三天"));

    let o = gv(&s, &["reset", "--yes", "--discard-unsent"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("放弃未同步的记录 1 条"),
        "{}",
        stdout(&o)
    );
    let o = gv(&s, &["list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NOT_INITIALISED"), "{}", stderr(&o));
}
