//! "填写三簿一册": 李秀英 (D02) and 张伟 (D03) hold a voter-contact visit in 东菜园 and record
//! what residents ask — one resident, 刘桂兰, agrees to be called back. 王建国, the head of S01,
//! joins the duplicate and forms a suggestion. Then the registers: on screen (the one request
//! service's JSON) and as workbooks downloaded from the server, each read back by Debian's
//! openpyxl (a reader no one here wrote) and checked cell by cell against the register and the
//! data. The office files the same registers; a delegate gets only their own duty book; another
//! station's head gets nothing; an empty or reversed period is refused in plain words.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::api::{
    FormSuggestion, NewContact, RecordDemand, Request, Response, StartVisit,
};
use gridvoice_core::clock::Clock;
use gridvoice_core::ids::{DemandId, GridId, VisitId};
use gridvoice_core::register::{Register, RegisterKind, RegisterRequest};
use gridvoice_server::Config;
use gridvoice_tests::{enrolled, serve_as};
use serde_json::Value;

async fn ask(app: &gridvoice_server::App, p: &Principal, req: Request) -> Response {
    match serve_as(app, p, req).await {
        Ok(r) => r,
        Err(e) => panic!("{:?} refused: {e:?}", p.person),
    }
}

async fn refused(app: &gridvoice_server::App, p: &Principal, req: Request) -> String {
    match serve_as(app, p, req).await {
        Ok(r) => panic!("{:?} was not refused: {r:?}", p.person),
        Err((_, code)) => code,
    }
}

async fn record(
    app: &gridvoice_server::App,
    p: &Principal,
    text: &str,
    grid: &GridId,
    visit: Option<VisitId>,
    contact: Option<(&str, &str)>,
) -> DemandId {
    let req = Request::RecordDemand(RecordDemand {
        text: text.into(),
        category: "电梯维保".into(),
        grid: Some(grid.clone()),
        location: None,
        visit,
        contact: contact.map(|(name, phone)| NewContact {
            name: name.into(),
            phone: phone.into(),
            consent: true,
        }),
        id: None,
        attachments: Vec::new(),
    });
    match ask(app, p, req).await {
        Response::Demand(v) => v.demand.id,
        other => panic!("{other:?}"),
    }
}

fn register_of(kind: RegisterKind, day: &str) -> RegisterRequest {
    RegisterRequest {
        kind,
        station: None,
        delegate: None,
        from: day.into(),
        to: day.into(),
    }
}

async fn register(app: &gridvoice_server::App, p: &Principal, req: RegisterRequest) -> Register {
    match ask(app, p, Request::Register(req)).await {
        Response::Register(r) => *r,
        other => panic!("{other:?}"),
    }
}

fn client() -> reqwest::Client {
    gridvoice_sync::install_crypto_provider();
    reqwest::Client::new()
}

/// Downloads a register's workbook with a device's credential and reads it back with openpyxl.
async fn workbook(base: &str, credential: &str, kind: &str, query: &str) -> Value {
    let resp = client()
        .get(format!("{base}/api/registers/{kind}/xlsx?{query}"))
        .bearer_auth(credential)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{kind}: {:?}",
        resp.text().await
    );
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''%E"),
        "a Chinese file name for Excel: {disposition}"
    );
    let bytes = resp.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("register.xlsx");
    std::fs::write(&file, &bytes).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("py/read_xlsx.py");
    // Debian's python has Debian's openpyxl; another python on PATH may not.
    let python = if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let out = std::process::Command::new(python)
        .arg(&script)
        .arg(&file)
        .output()
        .expect("python3 runs (scripts/setup.sh installs python3-openpyxl)");
    assert!(
        out.status.success(),
        "openpyxl could not read it: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Spreadsheet column letters of a 1-based column.
fn letters(mut col: usize) -> String {
    let mut s = Vec::new();
    while col > 0 {
        let r = (col - 1) % 26;
        s.push(char::from(b'A' + u8::try_from(r).unwrap()));
        col = (col - 1) / 26;
    }
    s.iter().rev().collect()
}

/// Holds the workbook openpyxl read to the register, cell by cell: title, unit and period,
/// both header rows with their merges, every entry (counts as numbers), the footer to sign, and
/// the print settings.
fn same_as(book: &Value, r: &Register) {
    let cell = |row: usize, col: usize| -> Value {
        book["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c[0] == row && c[1] == col)
            .map_or(Value::Null, |c| c[2].clone())
    };
    let merged: Vec<String> = book["merged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    let last = letters(r.columns.len());
    assert_eq!(book["sheets"], 1);
    assert_eq!(book["title"], r.title.as_str());
    assert_eq!(cell(1, 1), r.title.as_str());
    assert!(merged.contains(&format!("A1:{last}1")), "{merged:?}");
    assert_eq!(cell(2, 1), format!("填报单位：{}", r.unit).as_str());
    let period = format!("期间：{}", r.period);
    assert!(
        (1..=r.columns.len()).any(|c| cell(2, c) == period.as_str()),
        "the period on the second row"
    );
    for (i, c) in r.columns.iter().enumerate() {
        let col = i + 1;
        let at = letters(col);
        match &c.group {
            None => {
                assert_eq!(cell(3, col), c.name.as_str());
                assert!(
                    merged.contains(&format!("{at}3:{at}4")),
                    "{} spans both header rows",
                    c.name
                );
            }
            Some(g) => {
                assert_eq!(cell(4, col), c.name.as_str());
                let first = r
                    .columns
                    .iter()
                    .position(|x| x.group.as_ref() == Some(g))
                    .unwrap();
                assert_eq!(cell(3, first + 1), g.as_str(), "group {g} over its columns");
            }
        }
    }
    for (j, row) in r.rows.iter().enumerate() {
        for (i, value) in row.iter().enumerate() {
            let got = cell(5 + j, i + 1);
            if value.is_empty() {
                assert_eq!(got, Value::Null, "row {j} column {i}");
            } else if r.columns[i].numeric {
                assert_eq!(
                    got.as_f64(),
                    value.parse::<f64>().ok(),
                    "row {j} column {i}"
                );
            } else {
                assert_eq!(got, value.as_str(), "row {j} column {i}");
            }
        }
    }
    let footer = cell(5 + r.rows.len() + 1, 1);
    for f in &r.footer {
        assert!(
            footer.as_str().unwrap().contains(f.as_str()),
            "footer {footer}"
        );
    }
    assert_eq!(book["landscape"], true);
    assert_eq!(book["repeat_rows"], "$3:$4");
    assert_eq!(book["freeze"], "A5");
}

fn column(r: &Register, name: &str) -> usize {
    r.columns.iter().position(|c| c.name == name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_station_keeps_its_registers_and_files_them_as_workbooks() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &t).unwrap();
    let server = gridvoice_server::start(Config::new(&data, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let app = server.app.clone();
    let base = format!("http://{}", server.addr);
    let d = |p: &str| Person::Delegate(p.into());
    let (li, li_key) = enrolled(&data, &d("D02"), Role::Delegate, Some("S01"), 2).unwrap();
    let (zhang, _) = enrolled(&data, &d("D03"), Role::Delegate, Some("S01"), 3).unwrap();
    let (head, head_key) = enrolled(&data, &d("D01"), Role::StationHead, Some("S01"), 1).unwrap();
    let staff = Person::Staff(t.office.staff[0].clone());
    let (office, office_key) = enrolled(&data, &staff, Role::Office, None, 4).unwrap();
    let s02_head = t.station(&"S02".into()).unwrap().head.clone().unwrap();
    let (other_head, other_key) = enrolled(
        &data,
        &Person::Delegate(s02_head),
        Role::StationHead,
        Some("S02"),
        5,
    )
    .unwrap();
    let today: String = gridvoice_store::system::SystemClock
        .now()
        .beijing()
        .chars()
        .take(10)
        .collect();

    // The visit, and what residents asked during it.
    let li_grid = t.delegate(&"D02".into()).unwrap().grids[0].clone();
    let zhang_grid = t.delegate(&"D03".into()).unwrap().grids[0].clone();
    let Response::Visit(visit) = ask(
        &app,
        &li,
        Request::StartVisit(StartVisit {
            grid: li_grid.clone(),
            place: "东菜园社区活动室".into(),
            topic: "加装电梯意见征集".into(),
            delegates: vec!["D03".into()],
        }),
    )
    .await
    else {
        panic!("no visit")
    };
    let visit = visit.visit.id;
    let lift = record(
        &app,
        &li,
        "3号楼电梯经常停运，老人上下楼困难",
        &li_grid,
        Some(visit),
        Some(("刘桂兰", "13812345678")),
    )
    .await;
    let again = record(
        &app,
        &zhang,
        "三号楼电梯坏了一个月没人修",
        &zhang_grid,
        Some(visit),
        None,
    )
    .await;
    let lamp = record(&app, &li, "小区门口路灯不亮", &li_grid, None, None).await;
    ask(
        &app,
        &li,
        Request::EndVisit {
            visit,
            attendance: 23,
            delegates: Vec::new(),
        },
    )
    .await;
    // The head joins the duplicate (both residents kept) and forms a suggestion.
    ask(
        &app,
        &head,
        Request::Join {
            demand: again,
            into: lift,
        },
    )
    .await;
    ask(
        &app,
        &head,
        Request::FormSuggestion(FormSuggestion {
            demands: vec![lift],
            title: Some("东菜园3号楼电梯维修".into()),
            text: None,
            level: None,
            id: None,
        }),
    )
    .await;

    // The opinions register on the head's screen: every demand of the period, in order, with the
    // resident who may be called back, the co-signer count and what became of each.
    let opinions = register(&app, &head, register_of(RegisterKind::Opinions, &today)).await;
    assert_eq!(opinions.title, "群众意见建议登记簿");
    assert!(
        opinions
            .unit
            .contains(&t.station(&"S01".into()).unwrap().name)
    );
    let texts: Vec<&str> = opinions
        .rows
        .iter()
        .map(|r| r[column(&opinions, "意见建议内容")].as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "3号楼电梯经常停运，老人上下楼困难",
            "三号楼电梯坏了一个月没人修",
            "小区门口路灯不亮"
        ]
    );
    let first = &opinions.rows[0];
    assert_eq!(first[0], "1");
    assert_eq!(first[column(&opinions, "姓名")], "刘桂兰");
    assert_eq!(first[column(&opinions, "联系电话")], "13812345678");
    assert_eq!(first[column(&opinions, "代表")], "李秀英");
    assert_eq!(
        first[column(&opinions, "附议（条）")],
        "1",
        "张's resident co-signs"
    );
    assert_eq!(first[column(&opinions, "状态")], "已形成建议");
    assert_eq!(opinions.rows[1][column(&opinions, "状态")], "已合并");
    assert_eq!(opinions.rows[1][column(&opinions, "处理方式")], "并入第1条");
    assert_eq!(
        first[column(&opinions, "处理方式")],
        "纳入建议《东菜园3号楼电梯维修》"
    );
    let _ = lamp;

    // The same register as a workbook, read back by openpyxl.
    let q = format!("from={today}&to={today}");
    same_as(&workbook(&base, &head_key, "opinions", &q).await, &opinions);
    // The office files the same register of S01.
    let mut of_s01 = register_of(RegisterKind::Opinions, &today);
    of_s01.station = Some("S01".into());
    assert_eq!(register(&app, &office, of_s01).await, opinions);
    let book = workbook(&base, &office_key, "opinions", &format!("{q}&station=S01")).await;
    same_as(&book, &opinions);

    // The visit register: one visit, its delegates, attendance and the opinions it gathered.
    let visits = register(&app, &head, register_of(RegisterKind::Visits, &today)).await;
    assert_eq!(visits.rows.len(), 1);
    let v = &visits.rows[0];
    assert_eq!(v[column(&visits, "地点")], "东菜园社区活动室");
    assert_eq!(v[column(&visits, "参加代表")], "李秀英、张伟");
    assert_eq!(v[column(&visits, "参加群众（人）")], "23");
    assert_eq!(v[column(&visits, "收集意见（条）")], "2");
    assert_eq!(v[column(&visits, "代表签字")], "", "left to sign");
    same_as(&workbook(&base, &head_key, "visits", &q).await, &visits);

    // The suggestion-handling register.
    let suggestions = register(&app, &head, register_of(RegisterKind::Suggestions, &today)).await;
    assert_eq!(suggestions.rows.len(), 1);
    let s = &suggestions.rows[0];
    assert_eq!(s[column(&suggestions, "标题")], "东菜园3号楼电梯维修");
    assert_eq!(s[column(&suggestions, "涉及诉求（条）")], "1");
    assert_eq!(s[column(&suggestions, "提出代表")], "王建国");
    same_as(
        &workbook(&base, &head_key, "suggestions", &q).await,
        &suggestions,
    );

    // 李's duty book, which he may read himself: the visit and his two demands.
    let duty = register(&app, &li, register_of(RegisterKind::DutyBook, &today)).await;
    let kinds: Vec<&str> = duty
        .rows
        .iter()
        .map(|r| r[column(&duty, "履职事项")].as_str())
        .collect();
    assert_eq!(kinds, ["联系选民", "收集意见", "收集意见"]);
    assert!(duty.unit.contains("李秀英"));
    same_as(&workbook(&base, &li_key, "duty_book", &q).await, &duty);

    // Who may not: a delegate asks for the station's register, 张 for 李's duty book, the head of
    // S02 for anything of S01's.
    assert_eq!(
        refused(
            &app,
            &li,
            Request::Register(register_of(RegisterKind::Opinions, &today))
        )
        .await,
        "NOT_PERMITTED"
    );
    let mut li_book = register_of(RegisterKind::DutyBook, &today);
    li_book.delegate = Some("D02".into());
    assert_eq!(
        refused(&app, &zhang, Request::Register(li_book.clone())).await,
        "NOT_PERMITTED"
    );
    assert_eq!(
        refused(&app, &other_head, Request::Register(li_book)).await,
        "NOT_PERMITTED"
    );
    let http = client();
    let other = http
        .get(format!(
            "{base}/api/registers/opinions/xlsx?{q}&station=S01"
        ))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    // S02's head gets S02's register, which has nothing in it: S01's residents never reach it.
    assert_eq!(other.status().as_u16(), 400);
    let body = other.text().await.unwrap();
    assert!(
        body.contains("EMPTY_PERIOD") && !body.contains("刘桂兰"),
        "{body}"
    );

    // Bad input, in plain words, over HTTP as a browser or tool meets it.
    for (query, status, code) in [
        ("from=2020-01-01&to=2020-01-31", 400, "EMPTY_PERIOD"),
        (
            &format!("from={today}&to=2020-01-01") as &str,
            400,
            "INVALID_DATE",
        ),
        ("from=2026/11/01&to=2026-11-30", 400, "INVALID_DATE"),
        ("to=2026-11-30", 400, "MISSING_FIELD"),
    ] {
        let resp = http
            .get(format!("{base}/api/registers/opinions/xlsx?{query}"))
            .bearer_auth(&head_key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{query}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], code, "{query}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{message}"
        );
    }
    let unknown = http
        .get(format!("{base}/api/registers/ledger/xlsx?{q}"))
        .bearer_auth(&head_key)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let nobody = http
        .get(format!("{base}/api/registers/opinions/xlsx?{q}"))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status().as_u16(), 401);
    let office_without_station = http
        .get(format!("{base}/api/registers/opinions/xlsx?{q}"))
        .bearer_auth(&office_key)
        .send()
        .await
        .unwrap();
    assert_eq!(office_without_station.status().as_u16(), 400);
    server.stop().await;
}
