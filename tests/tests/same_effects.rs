//! One service, two homes: 王's phone and the server answer the same request, with the same clock
//! and ids, with the same response and the same effects — whether it records, ends a visit,
//! attaches a contact, reads, or is refused. Random sequences of requests (seed printed), each
//! applied on both sides before the next.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::api::{DemandFilter, NewContact, RecordDemand, Request, Response, StartVisit};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::ids::{DemandId, DeviceId, VisitId};
use gridvoice_core::service::{self, Ctx, Outcome};
use gridvoice_store::service::{apply, device_principal};
use gridvoice_store::{DeviceIdentity, Store};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const TEXTS: &[&str] = &[
    "小区门口的路灯坏了",
    "楼道堆放杂物有消防隐患",
    "希望增加老年食堂",
    "",
    "菜市场门口积水",
];
const CATEGORIES: &[&str] = &["livability", "宜居性", "other", "no-such-category"];

fn request(
    rng: &mut StdRng,
    grids: &[String],
    other_grid: &str,
    demands: &[DemandId],
    visits: &[VisitId],
) -> Request {
    let grid = if rng.random_bool(0.1) {
        other_grid.to_owned()
    } else {
        grids.choose(rng).unwrap().clone()
    };
    match rng.random_range(0..9) {
        0 => Request::StartVisit(StartVisit {
            grid: grid.as_str().into(),
            place: "社区活动室".into(),
            topic: if rng.random_bool(0.1) {
                String::new()
            } else {
                "环境整治".into()
            },
            delegates: Vec::new(),
        }),
        1 if !visits.is_empty() => Request::EndVisit {
            visit: *visits.choose(rng).unwrap(),
            attendance: rng.random_range(0..40),
            delegates: Vec::new(),
        },
        2 if !demands.is_empty() => Request::AttachContact {
            demand: *demands.choose(rng).unwrap(),
            contact: NewContact {
                name: "张阿姨".into(),
                phone: if rng.random_bool(0.2) {
                    "123".into()
                } else {
                    "13800138000".into()
                },
                consent: rng.random_bool(0.9),
            },
        },
        3 => Request::ListDemands(DemandFilter {
            limit: Some(rng.random_range(1..20)),
            ..Default::default()
        }),
        4 => Request::Search {
            query: "路灯".into(),
            limit: None,
        },
        5 if !demands.is_empty() => Request::GetDemand {
            id: *demands.choose(rng).unwrap(),
        },
        6 if !demands.is_empty() => Request::ContactsOf {
            demand: *demands.choose(rng).unwrap(),
        },
        7 => Request::ListVisits {
            limit: None,
            offset: None,
        },
        _ => Request::RecordDemand(RecordDemand {
            text: (*TEXTS.choose(rng).unwrap()).into(),
            category: (*CATEGORIES.choose(rng).unwrap()).into(),
            grid: Some(grid.as_str().into()),
            location: None,
            visit: if rng.random_bool(0.3) {
                visits.choose(rng).copied()
            } else {
                None
            },
            contact: rng.random_bool(0.3).then(|| NewContact {
                name: "李师傅".into(),
                phone: "010-64041234".into(),
                consent: true,
            }),
            id: None,
            attachments: Vec::new(),
        }),
    }
}

fn run(store: &mut Store, req: Request, seed: u64, at: i64) -> Result<Outcome, String> {
    let who = device_principal(store).unwrap();
    let clock = FixedClock(Timestamp(at));
    let mut ids = SeededIds::new(seed);
    let mut ctx = Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    service::handle(store, &who, &mut ctx, req)
        .map_err(|e| format!("{:?}", gridvoice_core::api::ApiError::from(e)))
}

#[test]
fn the_same_request_gives_the_same_effects_on_a_device_and_on_the_server() {
    let seed: u64 = std::env::var("GRIDVOICE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    println!("same effects: seed {seed} (GRIDVOICE_SEED={seed} to repeat)");
    let mut rng = StdRng::seed_from_u64(seed);
    let t = gridvoice_core::demo::gulou().unwrap();
    let me = t.delegate(&"D01".into()).unwrap().clone();
    let identity = DeviceIdentity {
        device: DeviceId(uuid::Uuid::from_u128(0xD01)),
        delegate: me.id.clone(),
        station: me.station.clone(),
    };
    let mut phone = Store::open_in_memory().unwrap();
    phone.init_device(identity.clone(), t.clone()).unwrap();
    // The server's store: every station's documents; the same person acting through it.
    let mut server = Store::open_in_memory().unwrap();
    server.set_server_territory(t.clone()).unwrap();
    server.seed_documents(&t).unwrap();
    server.init_device(identity, t.clone()).unwrap();
    let grids: Vec<String> = me.grids.iter().map(ToString::to_string).collect();
    let other_grid = t
        .grids
        .iter()
        .find(|g| g.station != me.station)
        .unwrap()
        .id
        .to_string();
    let (mut demands, mut visits) = (Vec::new(), Vec::new());
    let mut writes = 0;
    for step in 0..150u64 {
        let req = request(&mut rng, &grids, &other_grid, &demands, &visits);
        let at = 1_614_556_800_000 + step as i64 * 60_000;
        let on_phone = run(&mut phone, req.clone(), seed ^ step, at);
        let on_server = run(&mut server, req.clone(), seed ^ step, at);
        assert_eq!(on_phone, on_server, "seed {seed} step {step}: {req:?}");
        if let Ok(outcome) = on_phone {
            if !outcome.effects.is_empty() {
                writes += 1;
                apply(&mut phone, &outcome.effects, Timestamp(at)).unwrap();
                apply(&mut server, &outcome.effects, Timestamp(at)).unwrap();
            }
            match outcome.response {
                Response::Demand(v) => demands.push(v.demand.id),
                Response::Visit(v) => visits.push(v.visit.id),
                _ => {}
            }
        }
    }
    assert!(
        writes > 10,
        "seed {seed}: too few writes to mean anything ({writes})"
    );
}
