//! Deterministic fault simulation of sync: delegates' devices, the server and the office exchange
//! Automerge sync messages over a simulated network that drops, duplicates and reorders them,
//! partitions links, cuts connections mid-sync and restarts the server. At the end, once the network
//! heals, every replica of every document is identical, no acknowledged demand is missing, and every
//! replica's projections equal a recomputation from its documents.
//!
//! Each device's clock is off by up to a day either way, and one phone is backed up now and then
//! and restored from its backup: it writes again from there (under a fresh actor — no two changes
//! anywhere share an actor and sequence number), and only what it recorded after the backup and
//! had not yet synced is lost with the restore.
//!
//! Seeds: `GRIDVOICE_SIM_SEEDS` (default 200) starting at `GRIDVOICE_SEED` (printed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use automerge::ReadDoc;
use automerge::sync::{Message, State};
use gridvoice_core::api::{NewContact, RecordDemand, Request, Response, StartVisit};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::doc::{self, Collection};
use gridvoice_core::ids::{DelegateId, DeviceId, DocId, EventId, HandlingUnitId, StationId};
use gridvoice_core::model::Demand;
use gridvoice_core::territory::{Territory, sample};
use gridvoice_core::workflow::{self, Actor, Event, EventKind};
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::{DeviceIdentity, Store, projection};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const SERVER: usize = 0;
const OFFICE: usize = 1;

struct Node {
    store: Store,
    path: Option<PathBuf>,
    ids: SeededIds,
    clock: FixedClock,
    /// Documents this node syncs with the server.
    docs: Vec<DocId>,
}

struct Link {
    device: usize,
    doc: DocId,
    up: bool,
    /// Sync state on the device side and on the server side.
    device_state: State,
    server_state: State,
}

struct Packet {
    link: usize,
    to_server: bool,
    bytes: Vec<u8>,
}

fn scratch() -> tempfile::TempDir {
    // tmpfs when there is one: fsync is free there and the simulation runs many seeds.
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

/// A delegate's device whose clock is `skew` ms off; on disk at `path` when given (the phone that
/// is backed up and restored).
fn device(
    t: &Territory,
    delegate: &str,
    (seed, n): (u64, u64),
    skew: i64,
    path: Option<PathBuf>,
) -> Node {
    let mut store = match &path {
        Some(p) => Store::open(p).unwrap(),
        None => Store::open_in_memory().unwrap(),
    };
    let d = t.delegate(&DelegateId::new(delegate)).unwrap();
    let identity = DeviceIdentity {
        device: DeviceId(uuid::Uuid::from_u64_pair(seed, n)),
        delegate: d.id.clone(),
        station: d.station.clone(),
    };
    store.init_device(identity, t.clone()).unwrap();
    let docs = vec![DocId::for_station(&d.station), DocId::for_contacts(&d.id)];
    Node {
        store,
        path,
        ids: SeededIds::new(seed * 100 + n),
        clock: FixedClock(Timestamp(1_614_556_800_000 + skew)),
        docs,
    }
}

/// The phone that is backed up and restored.
const RESTORED: usize = 2;

const DAY_MS: i64 = 86_400_000;

fn all_docs(t: &Territory) -> Vec<DocId> {
    t.stations
        .iter()
        .map(|s| DocId::for_station(&s.id))
        .chain(t.delegates.iter().map(|d| DocId::for_contacts(&d.id)))
        .collect()
}

struct Sim {
    rng: StdRng,
    nodes: Vec<Node>,
    links: Vec<Link>,
    net: Vec<Packet>,
    /// Demands each device heard "saved" for, and which device.
    acknowledged: BTreeSet<String>,
    made_on: BTreeMap<String, usize>,
    /// The restored phone's last backup: where, and the demands it held.
    backup: Option<(PathBuf, BTreeSet<String>)>,
    restores: usize,
    dir: PathBuf,
    territory: Territory,
}

impl Sim {
    fn new(seed: u64, dir: &Path) -> Sim {
        let t = sample::small();
        let server_path = dir.join("server.sqlite");
        let mut server = Store::open(&server_path).unwrap();
        server.set_territory(t.clone()).unwrap();
        server.seed_documents(&t).unwrap();
        let mut office = Store::open_in_memory().unwrap();
        office.set_territory(t.clone()).unwrap();
        office.seed_documents(&t).unwrap();
        let mut nodes = vec![
            Node {
                store: server,
                path: Some(server_path),
                ids: SeededIds::new(seed),
                clock: FixedClock(Timestamp(0)),
                docs: all_docs(&t),
            },
            Node {
                store: office,
                path: None,
                ids: SeededIds::new(seed + 1),
                clock: FixedClock(Timestamp(1_614_556_800_000)),
                docs: all_docs(&t),
            },
        ];
        let mut rng = StdRng::seed_from_u64(seed);
        for (n, d) in ["D01", "D03", "D02"].iter().enumerate() {
            let skew = rng.random_range(-DAY_MS..=DAY_MS);
            let i = n + 2;
            let path = (i == RESTORED).then(|| dir.join(format!("phone-{i}.sqlite")));
            nodes.push(device(&t, d, (seed, i as u64), skew, path));
        }
        let mut links = Vec::new();
        for (i, node) in nodes.iter().enumerate().skip(1) {
            for doc in &node.docs {
                links.push(Link {
                    device: i,
                    doc: *doc,
                    up: true,
                    device_state: State::new(),
                    server_state: State::new(),
                });
            }
        }
        Sim {
            rng,
            nodes,
            links,
            net: Vec::new(),
            acknowledged: BTreeSet::new(),
            made_on: BTreeMap::new(),
            backup: None,
            restores: 0,
            dir: dir.to_owned(),
            territory: t,
        }
    }

    fn local_work(&mut self) {
        let i = self.rng.random_range(2..self.nodes.len());
        let rng = &mut self.rng;
        let node = &mut self.nodes[i];
        node.clock.0.0 += 60_000;
        let me = node.store.identity().unwrap().clone();
        let grids: Vec<String> = self
            .territory
            .station_grids(&me.station)
            .map(|g| g.id.to_string())
            .collect();
        let req = match rng.random_range(0..4) {
            0 => Request::StartVisit(StartVisit {
                grid: grids[0].as_str().into(),
                place: "活动室".into(),
                topic: "征求意见".into(),
                delegates: vec![],
            }),
            _ => Request::RecordDemand(RecordDemand {
                text: ["电梯停运", "停车难", "路灯不亮", "垃圾清运不及时"][rng.random_range(0..4)]
                    .into(),
                category: "other".into(),
                grid: Some(grids.choose(rng).unwrap().as_str().into()),
                location: None,
                visit: None,
                contact: rng.random_bool(0.3).then(|| NewContact {
                    name: "居民".into(),
                    phone: "13800000000".into(),
                    consent: true,
                }),
                id: None,
                attachments: Vec::new(),
            }),
        };
        let mut ctx = Ctx {
            clock: &node.clock,
            ids: &mut node.ids,
        };
        if let Ok(Response::Demand(v)) = handle(&mut node.store, &mut ctx, req) {
            self.acknowledged.insert(v.demand.id.to_string());
            self.made_on.insert(v.demand.id.to_string(), i);
        }
    }

    /// The office routes or closes a demand it has heard of.
    fn office_work(&mut self) {
        let station =
            DocId::for_station(&StationId::new(["S01", "S02"][self.rng.random_range(0..2)]));
        let node = &mut self.nodes[OFFICE];
        let ids = doc::record_ids(node.store.doc(&station).unwrap(), Collection::Demands).unwrap();
        let Some(key) = ids.choose(&mut self.rng).cloned() else {
            return;
        };
        let s = doc::read_record::<Demand>(
            node.store.doc(&station).unwrap(),
            Collection::Demands,
            &key,
        )
        .unwrap()
        .unwrap();
        node.clock.0.0 += 60_000;
        let what = if self.rng.random_bool(0.5) {
            EventKind::Routed {
                unit: HandlingUnitId::new("U01"),
                deadline: node.clock.0,
                assisting: vec![],
                reason: None,
            }
        } else {
            EventKind::Closed { note: None }
        };
        let event = Event {
            id: EventId::new(&mut node.ids, node.clock.0),
            at: node.clock.0,
            by: Actor::Staff("office-1".into()),
            device: DeviceId(uuid::Uuid::nil()),
            prev: workflow::heads(&s.events),
            what,
        };
        node.store
            .write(None, |b| {
                b.edit(&station, |tx| {
                    doc::append_event(tx, Collection::Demands, &key, &event)
                })?;
                b.project(&station, Collection::Demands, &key)
            })
            .unwrap();
    }

    fn generate(&mut self, l: usize, from_server: bool) {
        let link = &mut self.links[l];
        if !link.up {
            return;
        }
        let (node, state) = if from_server {
            (SERVER, &mut link.server_state)
        } else {
            (link.device, &mut link.device_state)
        };
        if let Some(msg) = self.nodes[node]
            .store
            .generate_sync_message(&link.doc, state)
            .unwrap()
        {
            self.net.push(Packet {
                link: l,
                to_server: !from_server,
                bytes: msg.encode(),
            });
        }
    }

    fn deliver(&mut self, p: &Packet) {
        let link = &mut self.links[p.link];
        if !link.up {
            return;
        }
        let msg = Message::decode(&p.bytes).unwrap();
        let (node, state) = if p.to_server {
            (SERVER, &mut link.server_state)
        } else {
            (link.device, &mut link.device_state)
        };
        self.nodes[node]
            .store
            .receive_sync_message(&link.doc, state, msg)
            .unwrap();
        if !p.to_server {
            let encoded = link.device_state.encode();
            self.nodes[link.device]
                .store
                .put_sync_state(&link.doc, "server", &encoded)
                .unwrap();
        }
    }

    /// A connection drops: in-flight packets are lost; both ends start the next session from what
    /// they persisted (the device its sync state; the server nothing).
    fn reconnect(&mut self, l: usize) {
        self.net.retain(|p| p.link != l);
        let link = &mut self.links[l];
        let saved = self.nodes[link.device]
            .store
            .sync_state(&link.doc, "server")
            .unwrap();
        link.device_state = saved
            .and_then(|b| State::decode(&b).ok())
            .unwrap_or_default();
        link.server_state = State::new();
    }

    /// Demand ids a node's copy of its station document holds.
    fn demands_on(&mut self, node: usize) -> BTreeSet<String> {
        let station = self.nodes[node].docs[0];
        doc::record_ids(
            self.nodes[node].store.doc(&station).unwrap(),
            Collection::Demands,
        )
        .unwrap()
        .into_iter()
        .collect()
    }

    /// The phone is backed up (a copy of its store file, as a backup app would take).
    fn back_up(&mut self) {
        let to = self.dir.join(format!("backup-{}.sqlite", self.restores));
        let _ = std::fs::remove_file(&to);
        self.nodes[RESTORED]
            .store
            .connection()
            .execute("VACUUM INTO ?1", [to.to_str().unwrap()])
            .unwrap();
        let held = self.demands_on(RESTORED);
        self.backup = Some((to, held));
    }

    /// The phone is restored from its last backup and goes on from there. What it recorded since
    /// and had not synced is gone with the restore; everything else must survive.
    fn restore(&mut self) {
        let Some((from, held)) = self.backup.clone() else {
            return;
        };
        let on_server: BTreeSet<String> = self.all_on_server();
        self.restores += 1;
        let to = self
            .dir
            .join(format!("phone-restored-{}.sqlite", self.restores));
        std::fs::copy(&from, &to).unwrap();
        self.nodes[RESTORED].store = Store::open(&to).unwrap();
        self.nodes[RESTORED].path = Some(to);
        let lost: Vec<String> = self
            .made_on
            .iter()
            .filter(|(id, on)| **on == RESTORED && !held.contains(*id) && !on_server.contains(*id))
            .map(|(id, _)| id.clone())
            .collect();
        for id in lost {
            self.acknowledged.remove(&id);
        }
        for l in 0..self.links.len() {
            if self.links[l].device == RESTORED {
                self.reconnect(l);
            }
        }
    }

    fn all_on_server(&mut self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for s in &self.territory.stations {
            let id = DocId::for_station(&s.id);
            out.extend(
                doc::record_ids(
                    self.nodes[SERVER].store.doc(&id).unwrap(),
                    Collection::Demands,
                )
                .unwrap(),
            );
        }
        out
    }

    fn restart_server(&mut self) {
        let path = self.nodes[SERVER].path.clone().unwrap();
        self.nodes[SERVER].store = Store::open(&path).unwrap();
        for l in 0..self.links.len() {
            self.reconnect(l);
        }
    }

    fn step(&mut self) {
        match self.rng.random_range(0..100) {
            0..=14 => self.local_work(),
            15..=18 => self.office_work(),
            19..=50 => {
                let l = self.rng.random_range(0..self.links.len());
                let from_server = self.rng.random_bool(0.5);
                self.generate(l, from_server);
            }
            51..=85 => {
                if self.net.is_empty() {
                    return;
                }
                let k = self.rng.random_range(0..self.net.len());
                let p = self.net.swap_remove(k);
                match self.rng.random_range(0..20) {
                    0 | 1 => {} // dropped
                    2 | 3 => {
                        let copy = Packet {
                            link: p.link,
                            to_server: p.to_server,
                            bytes: p.bytes.clone(),
                        };
                        self.net.push(copy);
                        self.deliver(&p);
                    }
                    _ => self.deliver(&p),
                }
            }
            86..=92 => {
                let l = self.rng.random_range(0..self.links.len());
                let up = !self.links[l].up;
                self.links[l].up = up;
                self.reconnect(l);
            }
            93..=95 => {
                let l = self.rng.random_range(0..self.links.len());
                self.reconnect(l);
            }
            96 => self.back_up(),
            97 => self.restore(),
            _ => self.restart_server(),
        }
    }

    /// Heals every link and runs sessions until nobody has anything to say.
    fn heal(&mut self) {
        for l in 0..self.links.len() {
            self.links[l].up = true;
            self.reconnect(l);
        }
        for _round in 0..200 {
            let mut quiet = true;
            for l in 0..self.links.len() {
                for from_server in [false, true] {
                    self.generate(l, from_server);
                }
            }
            while let Some(p) = self.net.pop() {
                quiet = false;
                self.deliver(&p);
            }
            if quiet {
                return;
            }
        }
        panic!("the network did not go quiet");
    }

    fn check(&mut self, seed: u64) {
        let docs = all_docs(&self.territory);
        for doc_id in &docs {
            let holders: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].docs.contains(doc_id))
                .collect();
            let mut reference: Option<(Vec<automerge::ChangeHash>, automerge::hydrate::Value)> =
                None;
            for &i in &holders {
                let store = &mut self.nodes[i].store;
                let mut heads = store.heads(doc_id).unwrap();
                heads.sort();
                let value = store.doc(doc_id).unwrap().hydrate(None);
                match &reference {
                    None => reference = Some((heads, value)),
                    Some((h, v)) => {
                        assert_eq!(&heads, h, "seed {seed}: node {i} heads of {doc_id} differ");
                        assert_eq!(&value, v, "seed {seed}: node {i} document {doc_id} differs");
                    }
                }
                let rows = projection::dump(store.connection(), doc_id).unwrap();
                store.rebuild_projections(doc_id).unwrap();
                assert_eq!(
                    projection::dump(store.connection(), doc_id).unwrap(),
                    rows,
                    "seed {seed}: node {i} projections of {doc_id} differ from a recomputation"
                );
            }
        }
        // Every acknowledged demand reached the server (and survived its restarts).
        let on_server = self.all_on_server();
        for a in &self.acknowledged {
            assert!(
                on_server.contains(a),
                "seed {seed}: acknowledged demand {a} is missing on the server"
            );
        }
        // No two changes anywhere share an actor and a sequence number.
        for doc_id in &docs {
            let mut seen: BTreeMap<(Vec<u8>, u64), automerge::ChangeHash> = BTreeMap::new();
            for bytes in self.nodes[SERVER].store.changes_since(doc_id, &[]).unwrap() {
                let c = automerge::Change::from_bytes(bytes).unwrap();
                let key = (c.actor_id().to_bytes().to_vec(), c.seq());
                if let Some(other) = seen.insert(key, c.hash()) {
                    assert_eq!(
                        other,
                        c.hash(),
                        "seed {seed}: an actor reused a sequence number"
                    );
                }
            }
        }
        let doc = self.nodes[SERVER]
            .store
            .doc(&DocId::for_station(&StationId::new("S01")))
            .unwrap();
        assert!(doc.get(automerge::ROOT, "demands").unwrap().is_some());
    }
}

#[test]
fn devices_server_and_office_converge_under_faults() {
    let base: u64 = std::env::var("GRIDVOICE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    let seeds: u64 = std::env::var("GRIDVOICE_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    println!(
        "fault simulation: seeds {base}..{} (GRIDVOICE_SEED={base})",
        base + seeds
    );
    let mut acknowledged = 0;
    let mut restores = 0;
    for seed in base..base + seeds {
        let dir = scratch();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut sim = Sim::new(seed, dir.path());
            let steps = sim.rng.random_range(50..150);
            for _ in 0..steps {
                sim.step();
            }
            sim.heal();
            sim.check(seed);
            (sim.acknowledged.len(), sim.restores)
        }));
        match result {
            Ok((n, r)) => {
                acknowledged += n;
                restores += r;
            }
            Err(_) => panic!(
                "fault simulation failed for seed {seed}; rerun with GRIDVOICE_SEED={seed} GRIDVOICE_SIM_SEEDS=1"
            ),
        }
    }
    println!(
        "fault simulation: {seeds} seeds, {acknowledged} acknowledged demands, all present and converged; {restores} phones restored from a backup"
    );
    assert!(
        acknowledged as u64 > seeds,
        "the simulation recorded demands"
    );
}
