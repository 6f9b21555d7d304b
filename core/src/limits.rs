//! Every size the system holds what enters it to, in one place. Each limit says where it is
//! enforced; RELIABILITY.md lists each with the test that shows the next one over is refused.
//!
//! ```
//! use gridvoice_core::limits::{self, MAX_TEXT_CHARS};
//! assert!(limits::words_fit(&"字".repeat(MAX_TEXT_CHARS)));
//! assert!(!limits::words_fit(&"字".repeat(MAX_TEXT_CHARS + 1)));
//! ```

use crate::service::Record;
use crate::workflow::Event;

pub use crate::capture::{MAX_PHOTO_BYTES, MAX_PHOTOS, MAX_SHORT_CHARS, MAX_TEXT_CHARS};

/// The largest sync message (and WebSocket frame) either side accepts: 16 MiB. A larger one
/// closes that socket; other devices carry on. The server's socket (`ws.rs`) and the device
/// engine's `Limits`.
pub const MAX_SYNC_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Operations in one change a device sends. A delegate's change is one request's records and
/// events: tens of operations (a record is a handful; a text object one per character). Counted
/// off the change's columns before it is decoded (`gridvoice_store::chunks::measure`).
pub const MAX_OPS_PER_CHANGE: usize = 50_000;

/// Operations in one sync message (a saved document sent whole counts every operation in it).
pub const MAX_OPS_PER_MESSAGE: usize = 2_000_000;

/// Bytes of one sync message once its deflated parts are inflated.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// A record's stored JSON (a demand at [`MAX_TEXT_CHARS`] Chinese characters is about 15 KiB).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// An event's stored JSON.
pub const MAX_EVENT_BYTES: usize = 32 * 1024;

/// Names in one record's lists (a visit's delegates, a suggestion's demands).
pub const MAX_LIST_ITEMS: usize = 500;

/// The longest title (a suggestion's).
pub const MAX_TITLE_CHARS: usize = MAX_SHORT_CHARS;

/// The longest body of a suggestion: a draft quotes many demands.
pub const MAX_SUGGESTION_CHARS: usize = 4 * MAX_TEXT_CHARS;

/// A sync socket on which the device sends nothing this long is closed by the server. The
/// device engine's session (`SyncConfig::limits`) ends well before.
pub const SYNC_IDLE: std::time::Duration = std::time::Duration::from_secs(120);

/// A sync socket is closed after this long whatever it does.
pub const SYNC_SESSION: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Sync sockets the server keeps open at once (its file descriptors and memory), and for one
/// device (a phone syncs over one; a few more cover a reconnect racing the old socket's close).
pub const MAX_CONNECTIONS: usize = 1_000;
pub const MAX_DEVICE_CONNECTIONS: usize = 4;
/// Event streams (`/api/events`) one browser may hold open: a desk's tabs. They count towards
/// [`MAX_CONNECTIONS`] with the sync sockets, and end after [`SYNC_SESSION`] (the page's
/// `EventSource` opens a new one by itself).
pub const MAX_DEVICE_EVENT_STREAMS: usize = 16;

/// Objects nested in objects that one message's changes may make, counted from the first object
/// they make inside what exists (a record nests three or four deep).
pub const MAX_NESTING: usize = 16;

/// A request's JSON body at the server.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A territory upload (a street's GeoJSON files as one JSON body).
pub const MAX_TERRITORY_BYTES: usize = 16 * 1024 * 1024;

/// Photo bytes one device may upload to the server in a day (a busy day: fifty demands with four
/// large photos each is about 600 MiB).
pub const MAX_PHOTO_BYTES_PER_DAY: usize = 1024 * 1024 * 1024;

/// A device credential's term from its issue: past it the server refuses the credential. The
/// device renews it during sync once it is older than [`CREDENTIAL_RENEW_AFTER`].
pub const CREDENTIAL_TTL: std::time::Duration = std::time::Duration::from_secs(180 * 24 * 3600);
pub const CREDENTIAL_RENEW_AFTER: std::time::Duration =
    std::time::Duration::from_secs(30 * 24 * 3600);

/// Something over a limit: how long it is, and the most allowed (characters, items or bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    pub len: usize,
    pub max: usize,
}

fn within(len: usize, max: usize) -> Result<(), Overflow> {
    if len <= max {
        Ok(())
    } else {
        Err(Overflow { len, max })
    }
}

fn chars(s: &str, max: usize) -> Result<(), Overflow> {
    within(s.chars().count(), max)
}

/// Whether words (a note, a reason, an answer) fit [`MAX_TEXT_CHARS`].
pub fn words_fit(words: &str) -> bool {
    chars(words, MAX_TEXT_CHARS).is_ok()
}

/// Whether a record as stored (`json_len` bytes of JSON) keeps the limits its capture keeps.
/// Checked where changes enter the server (`access::changes::judge`), so a device that skips its
/// own checks cannot store more, and by the request service before it writes.
pub fn record_fits(json_len: usize, record: &Record) -> Result<(), Overflow> {
    within(json_len, MAX_RECORD_BYTES)?;
    match record {
        Record::Demand(d) => {
            chars(&d.text, MAX_TEXT_CHARS)?;
            within(d.attachments.len(), MAX_PHOTOS)
        }
        Record::Visit(v) => {
            chars(&v.place, MAX_SHORT_CHARS)?;
            chars(&v.topic, MAX_SHORT_CHARS)?;
            within(v.delegates.len(), MAX_LIST_ITEMS)
        }
        Record::Suggestion(s) => {
            chars(&s.title, MAX_TITLE_CHARS)?;
            chars(&s.text, MAX_SUGGESTION_CHARS)?;
            within(s.demands.len(), MAX_LIST_ITEMS)
        }
        Record::Contact(c) => {
            chars(&c.name, MAX_SHORT_CHARS)?;
            chars(&c.phone, MAX_SHORT_CHARS)
        }
    }
}

/// Whether an event (`json_len` bytes of JSON, its words) keeps the limits. Checked where
/// changes enter the server and by the request service before it appends.
pub fn event_fits(json_len: usize, event: &Event) -> Result<(), Overflow> {
    within(json_len, MAX_EVENT_BYTES)?;
    event
        .what
        .words()
        .map_or(Ok(()), |w| chars(w, MAX_TEXT_CHARS))
}
