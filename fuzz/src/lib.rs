//! What the fuzz targets share: each is one door through which bytes from outside enter, driven
//! the way the server (or the device) drives it. A crash found here becomes a fixture test in the
//! crate that owns the door (RELIABILITY.md lists them).

use automerge::Automerge;
use gridvoice_core::access::changes::{Writer, judge};
use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::ids::DeviceId;
use gridvoice_core::territory::{Territory, sample};
use gridvoice_store::chunks::measure::Bounds;

/// 赵 (D03), a delegate of S01, on her phone: the writer every sync target judges as.
pub fn zhao() -> Principal {
    Principal {
        device: DeviceId(uuid::Uuid::from_u128(3)),
        person: Person::Delegate("D03".into()),
        role: Role::Delegate,
        station: Some("S01".into()),
    }
}

pub fn territory() -> Territory {
    sample::small()
}

/// S01's document as a server holds it before the device's message.
pub fn s01() -> Automerge {
    gridvoice_core::doc::station_genesis(&"S01".into()).unwrap_or_default()
}

/// Panics the doors catch themselves (Automerge's, turned into refusals by
/// `gridvoice_store::chunks::guarded`) are answers, not crashes: libFuzzer's hook would abort on
/// them, so each target quiets the hook once. A panic that escapes a door still fails the run
/// (libfuzzer-sys aborts on a callback that panics).
pub fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

/// The server's door for one sync message: measured, decoded, judged under the authority rule.
pub fn sync_message(data: &[u8]) {
    let Ok(changes) = gridvoice_server::ws::changes_of(data, Bounds::default()) else {
        return;
    };
    if changes.is_empty() {
        return;
    }
    let (who, t) = (zhao(), territory());
    let writer = Writer {
        who: &who,
        territory: &t,
    };
    let _ = judge(&s01(), &changes, writer, &|_, _| false);
}
