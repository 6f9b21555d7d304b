//! Store integration tests, by area.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

mod bad_input;
mod convergence;
mod office_loop;
mod photos;
mod privacy;
mod station_head;
mod stories;
mod sync;

use gridvoice_core::api::{RecordDemand, Request, Response};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::ids::DeviceId;
use gridvoice_core::territory::sample;
use gridvoice_store::service::{Ctx, handle};
use gridvoice_store::{DeviceIdentity, Store};

/// A delegate's device: a store bound to them, a clock that moves when told, deterministic ids.
#[allow(missing_debug_implementations, reason = "test fixture")]
pub struct Device {
    pub store: Store,
    pub clock: FixedClock,
    pub ids: SeededIds,
}

impl Device {
    pub fn new(store: Store, delegate: &str, seed: u64) -> Device {
        let mut store = store;
        let territory = sample::small();
        let station = territory
            .delegate(&delegate.into())
            .unwrap()
            .station
            .clone();
        let ids = SeededIds::new(seed);
        let identity = DeviceIdentity {
            device: DeviceId(uuid::Uuid::from_u64_pair(seed, 1)),
            delegate: delegate.into(),
            station,
        };
        store.init_device(identity, territory).unwrap();
        Device {
            store,
            clock: FixedClock(Timestamp(1_614_556_800_000)),
            ids,
        }
    }

    /// Reopens a store that was initialised before.
    pub fn reopen(path: &std::path::Path, seed: u64) -> Device {
        let store = Store::open(path).unwrap();
        assert!(
            store.identity().is_some(),
            "the store remembers whose device it is"
        );
        Device {
            store,
            clock: FixedClock(Timestamp(1_614_556_800_000 + 86_400_000)),
            ids: SeededIds::new(seed + 1_000),
        }
    }

    pub fn in_memory(delegate: &str, seed: u64) -> Device {
        Device::new(Store::open_in_memory().unwrap(), delegate, seed)
    }

    pub fn call(&mut self, req: Request) -> Result<Response, gridvoice_core::api::ApiError> {
        self.clock.0 = Timestamp(self.clock.0.0 + 60_000);
        let mut ctx = Ctx {
            clock: &self.clock,
            ids: &mut self.ids,
        };
        handle(&mut self.store, &mut ctx, req)
    }

    pub fn record(
        &mut self,
        text: &str,
        category: &str,
        grid: &str,
    ) -> gridvoice_core::api::DemandView {
        match self
            .call(Request::RecordDemand(demand(text, category, grid)))
            .unwrap()
        {
            Response::Demand(v) => *v,
            other => panic!("unexpected {other:?}"),
        }
    }
}

pub fn demand(text: &str, category: &str, grid: &str) -> RecordDemand {
    RecordDemand {
        text: text.into(),
        category: category.into(),
        grid: Some(grid.into()),
        location: None,
        visit: None,
        contact: None,
        id: None,
        attachments: Vec::new(),
    }
}

pub const GRID_A1: &str = "110118003001001";
pub const GRID_A2: &str = "110118003001002";
pub const GRID_B1: &str = "110118003002001";
