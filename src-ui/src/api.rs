//! The one typed door to the backend. Every screen calls these functions; nothing else in the UI
//! talks to the device. The way there (the Tauri app's commands, or the CLI's local bridge) is
//! `gridvoice_ui_device`, shared with the station's pages that run on a head's device.

use gridvoice_core::api::{
    ApiError, DemandFilter, DemandView, NewContact, RecordDemand, Request, StartVisit, VisitView,
};
use gridvoice_core::boundary::DeviceCommand;
use gridvoice_core::device::{
    DeviceStatus, EnrolInput, PendingItem, PhotoData, PhotoInput, PhotoRef, PhotoSaved, SyncSummary,
};
use gridvoice_core::ids::{DemandId, VisitId};
use gridvoice_core::model::Contact;
use gridvoice_core::territory::Territory;
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

/// A photo to show: from the device, else fetched from the server once (needs the network).
pub async fn photo(hash: String) -> Result<PhotoData> {
    call(DeviceCommand::Photo, &PhotoRef { hash }).await
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
pub async fn suggestion(
    id: gridvoice_core::ids::SuggestionId,
) -> Result<gridvoice_core::api::SuggestionView> {
    ask(&Request::GetSuggestion { id }, "suggestion").await
}

pub async fn list_visits() -> Result<Vec<VisitView>> {
    let got: Items<VisitView> = ask(&Request::ListVisits, "visits").await?;
    Ok(got.items)
}
