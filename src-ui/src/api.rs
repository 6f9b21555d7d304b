//! The one typed door to the backend. Every screen calls these functions; nothing else in the UI
//! talks to the device. The way there (the Tauri app's commands, or the CLI's local bridge) is
//! `gridvoice_ui_device`, shared with the station's pages that run on a head's device.

use gridvoice_core::api::{
    ApiError, CallBackTask, DemandFilter, NewContact, RecordDemand, Request, StartVisit,
};
use gridvoice_core::boundary::DeviceCommand;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::deadline::StageClock;
use gridvoice_core::device::{
    DeviceStatus, EnrolInput, PendingItem, PhotoData, PhotoInput, PhotoRef, PhotoSaved, ResetInput,
    SyncSummary,
};
use gridvoice_core::ids::{DemandId, SuggestionId, VisitId};
use gridvoice_core::model::WhistleRoute;
use gridvoice_core::model::{Contact, Demand, Suggestion, Visit};
use gridvoice_core::territory::HandlingLevel;
use gridvoice_core::territory::Territory;
use gridvoice_core::workflow::{DemandStatus, Satisfaction};
use gridvoice_ui_device::{NoInput, call, call_text, transport_error};
use serde::de::DeserializeOwned;

pub use gridvoice_ui_device::{Result, in_tauri};

/// An answer of another kind than asked for, named by its kind only (an answer may hold personal
/// data, such as contacts).
fn unexpected(kind: &str) -> ApiError {
    transport_error(format!("本机服务返回了意外的结果（{kind}）"))
}

// ---- device commands ----

pub async fn status() -> Result<DeviceStatus> {
    call(DeviceCommand::Status, &NoInput {}).await
}

pub async fn enrol(input: EnrolInput) -> Result<DeviceStatus> {
    call(DeviceCommand::Enrol, &input).await
}

pub async fn sync_now() -> Result<SyncSummary> {
    call(DeviceCommand::SyncNow, &NoInput {}).await
}

pub async fn pending() -> Result<Vec<PendingItem>> {
    call(DeviceCommand::Pending, &NoInput {}).await
}

pub async fn territory() -> Result<Territory> {
    call(DeviceCommand::Territory, &NoInput {}).await
}

/// Stores a photo on the device; the answer names it for `RecordDemand::attachments`.
pub async fn put_photo(data_base64: String) -> Result<PhotoSaved> {
    call(DeviceCommand::PutPhoto, &PhotoInput { data_base64 }).await
}

/// Wipes the device to enrol it anew (`UNSENT` while the server lacks something, unless discarded).
/// The answer's counts (`ResetDone`) are not shown: the page says the device is reset.
pub async fn reset(discard_unsent: bool) -> Result<()> {
    call_text(DeviceCommand::Reset, &ResetInput { discard_unsent })
        .await
        .map(drop)
}

/// A photo to show: from the device, else fetched from the server once (needs the network).
pub async fn photo(hash: String) -> Result<PhotoData> {
    call(DeviceCommand::Photo, &PhotoRef { hash }).await
}

// ---- the answers' shapes, as the delegate's screens read them ----
//
// The core's `DemandView`, `SuggestionView` and `VisitView` carry their history as
// `workflow::Event`s, whose `EventKind` is an internally tagged enum of some twenty-five kinds: its
// derived decoder (buffered through serde's `Content`) was the largest single item of the wasm
// after the router. The screens only name each event and show the few words it carries, so they
// read the same JSON into the flat [`Event`] below, and leave out the history where no screen
// shows it.

/// One event of a demand's history, as its timeline shows it: the kind's wire name
/// (`EventKind`'s `kind` tag, e.g. `"routed"`) and the fields the timeline names, each absent
/// where the kind carries none. Kinds and fields from newer versions are ignored.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub kind: String,
    /// An answer or a note's text (`answered`, `note`).
    #[serde(default)]
    pub text: Option<String>,
    /// The on-the-spot answer (`answered_on_spot`).
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The due day (`routed`, `extended`).
    #[serde(default)]
    pub deadline: Option<Timestamp>,
    /// The handling unit's code (`routed`, `returned`, `answered`).
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub assisting: Vec<String>,
    /// A call-back's outcome (`called_back`): `Satisfaction`'s wire name.
    #[serde(default)]
    pub outcome: Option<String>,
}

impl Event {
    /// The call-back's outcome, when it is one this version knows.
    pub fn satisfaction(&self) -> Option<Satisfaction> {
        let code = self.outcome.as_deref()?;
        Satisfaction::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What the screens show of a demand's derived state (`workflow::DemandState`, same JSON; the
/// rest of it is left unread).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct DemandState {
    pub status: DemandStatus,
    #[serde(default)]
    pub suggestion: Option<SuggestionId>,
    /// The units the case is routed to, the lead first (`workflow::Assignment`).
    #[serde(default)]
    pub units: Vec<Assignment>,
    /// How many times the case was reopened.
    #[serde(default)]
    pub reopened: u32,
}

/// One handling unit on a case, with its answer this round.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Assignment {
    /// The unit's code (`HandlingUnitId`).
    pub unit: String,
    pub lead: bool,
    #[serde(default)]
    pub answer: Option<String>,
}

/// What the screens show of a suggestion's state (`workflow::SuggestionState`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct SuggestionState {
    #[serde(default)]
    pub level: Option<HandlingLevel>,
    #[serde(default)]
    pub whistles: Vec<WhistleRoute>,
}

/// What the screens show of a visit's state (`workflow::VisitState`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct VisitState {
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub attendance: Option<u32>,
}

/// A demand as the screens show it (the core's `api::DemandView`, same JSON).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct DemandView {
    #[serde(flatten)]
    pub demand: Demand,
    pub state: DemandState,
    #[serde(default)]
    pub history: Vec<Event>,
    #[serde(default)]
    pub joined: Vec<DemandId>,
    #[serde(default)]
    pub clock: Option<StageClock>,
}

/// A delegate suggestion (the core's `api::SuggestionView` without its history, which no screen
/// of the delegate's shows).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct SuggestionView {
    #[serde(flatten)]
    pub suggestion: Suggestion,
    pub state: SuggestionState,
}

/// A visit (the core's `api::VisitView` without its history).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct VisitView {
    #[serde(flatten)]
    pub visit: Visit,
    pub state: VisitState,
}

// ---- the request vocabulary, typed ----
//
// Each call reads the one variant of `api::Response` it asks for, by that variant's JSON shape
// (`{"type": "<variant>", ...}`), instead of decoding the whole `Response` enum: the delegate's
// wasm then carries decoders only for what its screens show, not for the station's and office's
// payloads (clusters, registers) — the difference kept it within its size budget.

/// `{"type": …}` of an answer.
#[derive(serde::Deserialize)]
struct Tag {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(serde::Deserialize)]
struct Items<T> {
    items: Vec<T>,
    #[serde(default)]
    total: u64,
}

#[derive(serde::Deserialize)]
struct Attached {
    demand: DemandId,
}

/// Sends `req` and reads its answer as the variant `kind`; any other answer is unexpected.
async fn ask<T: DeserializeOwned>(req: &Request, kind: &'static str) -> Result<T> {
    let text = call_text(DeviceCommand::Request, req).await?;
    let tag: Tag = serde_json::from_str(&text).map_err(|_| unexpected("?"))?;
    if tag.kind != kind {
        return Err(unexpected(&tag.kind));
    }
    serde_json::from_str(&text).map_err(|_| unexpected(kind))
}

pub async fn record_demand(req: RecordDemand) -> Result<DemandView> {
    ask(&Request::RecordDemand(req), "demand").await
}

pub async fn list_demands(filter: DemandFilter) -> Result<(Vec<DemandView>, u64)> {
    let got: Items<DemandView> = ask(&Request::ListDemands(filter), "demands").await?;
    Ok((got.items, got.total))
}

pub async fn search(query: String, limit: u32) -> Result<Vec<DemandView>> {
    let req = Request::Search {
        query,
        limit: Some(limit),
    };
    let got: Items<DemandView> = ask(&req, "demands").await?;
    Ok(got.items)
}

pub async fn attach_contact(demand: DemandId, contact: NewContact) -> Result<DemandId> {
    let got: Attached = ask(
        &Request::AttachContact { demand, contact },
        "contact_attached",
    )
    .await?;
    Ok(got.demand)
}

pub async fn start_visit(req: StartVisit) -> Result<VisitView> {
    ask(&Request::StartVisit(req), "visit").await
}

pub async fn end_visit(visit: VisitId, attendance: u32) -> Result<VisitView> {
    let req = Request::EndVisit {
        visit,
        attendance,
        delegates: Vec::new(),
    };
    ask(&req, "visit").await
}

pub async fn get_demand(id: DemandId) -> Result<DemandView> {
    ask(&Request::GetDemand { id }, "demand").await
}

/// The residents' contacts of a demand that this device's delegate may see (the service leaves
/// out the others).
pub async fn contacts_of(demand: DemandId) -> Result<Vec<Contact>> {
    let got: Items<Contact> = ask(&Request::ContactsOf { demand }, "contacts").await?;
    Ok(got.items)
}

/// The delegate suggestion a demand went into, as this device last synced it.
pub async fn suggestion(id: SuggestionId) -> Result<SuggestionView> {
    ask(&Request::GetSuggestion { id }, "suggestion").await
}

pub async fn list_visits() -> Result<Vec<VisitView>> {
    let got: Items<VisitView> = ask(
        &Request::ListVisits {
            limit: None,
            offset: None,
        },
        "visits",
    )
    .await?;
    Ok(got.items)
}

/// The residents this delegate is to call back (回访), soonest due first (the service's order).
pub async fn call_backs() -> Result<Vec<CallBackTask>> {
    let got: Items<CallBackTask> = ask(&Request::CallBacks, "call_backs").await?;
    Ok(got.items)
}

/// Records what the resident behind `demand` said when called back; the answer is the case after
/// (不满意 reopens it).
pub async fn call_back(
    demand: DemandId,
    outcome: Satisfaction,
    note: Option<String>,
) -> Result<DemandView> {
    let req = Request::CallBack {
        demand,
        outcome,
        note,
    };
    ask(&req, "demand").await
}
