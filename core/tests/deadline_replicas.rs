//! Every replica tells the same time: random histories of one demand — the station head and the
//! office deciding concurrently, answers, feedback, reopenings — delivered to three replicas in
//! three random orders derive the same status, the same stage clock and the same light on every
//! day of the month that follows. Seeded: the seed is printed, `GRIDVOICE_SEED` repeats a run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::calendar::Calendar;
use gridvoice_core::category::Category;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::deadline::{Policy, Subject, clock};
use gridvoice_core::ids::{DeviceId, EventId, WorkroomId};
use gridvoice_core::territory::HandlingLevel;
use gridvoice_core::workflow::{Actor, Event, EventKind, derive_demand, heads};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use time::Duration;
use time::macros::date;

/// 2025-09-22 08:00 Beijing: the month ahead crosses National Day and its make-up days.
const START: i64 = 1_758_499_200_000;
const HOUR: i64 = 3_600_000;

fn kind(rng: &mut StdRng) -> EventKind {
    match rng.random_range(0..12) {
        0 => EventKind::Reviewed { note: None },
        1 => EventKind::Routed {
            unit: "U-CJK".into(),
            deadline: Timestamp(START + 10 * 24 * HOUR),
            assisting: vec![],
            reason: None,
        },
        2 | 3 => EventKind::Answered {
            text: "已受理".into(),
            resolved: rng.random_bool(0.5),
            unit: None,
        },
        4 => EventKind::FedBack {
            satisfied: None,
            note: None,
        },
        5 => EventKind::FedBack {
            satisfied: Some(rng.random_bool(0.7)),
            note: None,
        },
        6 => EventKind::Reopened {
            reason: "居民不满意".into(),
        },
        7 => EventKind::Note {
            text: "电话联系".into(),
        },
        8 => EventKind::HandedToWorkroom {
            workroom: WorkroomId::new("W01"),
            note: None,
        },
        9 => EventKind::Classified {
            level: HandlingLevel::Street,
        },
        10 => EventKind::OutOfScope {
            reason: "非人大渠道事项".into(),
        },
        _ => EventKind::Closed { note: None },
    }
}

/// A history of up to `n` events; each names as `prev` a random part of the heads so far, so
/// branches (people deciding at once, offline) are common.
fn history(rng: &mut StdRng, n: usize) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    for i in 0..n {
        let tips = heads(&events);
        let prev: Vec<EventId> = tips.into_iter().filter(|_| rng.random_bool(0.6)).collect();
        let by = if rng.random_bool(0.5) {
            Actor::Delegate("D01".into())
        } else {
            Actor::Staff("office-1".into())
        };
        let after = events
            .iter()
            .filter(|e| prev.contains(&e.id))
            .map(|e| e.at.0)
            .max()
            .unwrap_or(START);
        events.push(Event {
            id: EventId(uuid::Uuid::from_u128(rng.random::<u128>() | (i as u128))),
            at: Timestamp(after + rng.random_range(1..72) * HOUR),
            by,
            device: DeviceId(uuid::Uuid::from_u128(rng.random_range(1..4))),
            prev,
            what: kind(rng),
        });
    }
    events
}

#[test]
fn random_histories_tell_the_same_deadline_on_every_replica() {
    let seed: u64 = std::env::var("GRIDVOICE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("seed {seed} (GRIDVOICE_SEED={seed} repeats this run)");
    let mut rng = StdRng::seed_from_u64(seed);
    let calendar = Calendar::china().unwrap();
    let policy = Policy::default();
    let subject = Subject {
        received: Timestamp(START),
        level: None,
        category: Category::LiftMaintenance,
        urgent: false,
        cosigners: 1,
    };
    let mut lights = std::collections::BTreeMap::new();
    for case in 0..300 {
        let n = rng.random_range(0..9);
        let events = history(&mut rng, n);
        let mut replicas = Vec::new();
        for _ in 0..3 {
            let mut delivered = events.clone();
            delivered.shuffle(&mut rng);
            replicas.push(delivered);
        }
        let first = derive_demand(&replicas[0]);
        let mut day = date!(2025 - 09 - 22);
        while day <= date!(2025 - 10 - 31) {
            let expected = clock(&subject, &replicas[0], &policy, &calendar, day);
            for (r, delivered) in replicas.iter().enumerate().skip(1) {
                let state = derive_demand(delivered);
                assert_eq!(
                    (state.status, state.needs_decision),
                    (first.status, first.needs_decision),
                    "case {case}, replica {r}: status (seed {seed})"
                );
                assert_eq!(
                    clock(&subject, delivered, &policy, &calendar, day),
                    expected,
                    "case {case}, replica {r}, {day}: clock (seed {seed})"
                );
            }
            if let Some(c) = &expected {
                *lights.entry(c.light).or_insert(0u32) += 1;
            }
            day += Duration::DAY;
        }
    }
    println!("lights seen: {lights:?}");
    // The histories reach every colour: the test compares more than empty clocks.
    assert_eq!(lights.len(), 3, "{lights:?} (seed {seed})");
}
