//! The app's commands: one line each over the device service. Each takes its JSON as `input` and
//! answers the core types; errors are `ApiError { code, message }` (message in Chinese). Nothing
//! here logs what it carries: demands and contacts pass through untouched.

use std::sync::Arc;

use gridvoice_core::api::{ApiError, Request, Response};
use gridvoice_core::device::{
    DeviceStatus, EnrolInput, PendingItem, PhotoData, PhotoInput, PhotoRef, PhotoSaved, ResetDone,
    ResetInput, SyncSummary,
};
use gridvoice_core::territory::Territory;
use gridvoice_sync::device::DeviceService;
use tauri::State;

type Device<'a> = State<'a, Arc<DeviceService>>;

#[tauri::command]
pub async fn status(device: Device<'_>) -> Result<DeviceStatus, ApiError> {
    Ok(device.status().await)
}

#[tauri::command]
pub async fn enrol(device: Device<'_>, input: EnrolInput) -> Result<DeviceStatus, ApiError> {
    device.enrol(input).await
}

#[tauri::command]
pub async fn sync_now(device: Device<'_>) -> Result<SyncSummary, ApiError> {
    Ok(device.sync_now().await)
}

#[tauri::command]
pub async fn pending(device: Device<'_>) -> Result<Vec<PendingItem>, ApiError> {
    device.pending().await
}

#[tauri::command]
pub async fn territory(device: Device<'_>) -> Result<Territory, ApiError> {
    device.territory().await
}

#[tauri::command]
pub async fn request(device: Device<'_>, input: Request) -> Result<Response, ApiError> {
    device.request(input).await
}

#[tauri::command]
pub async fn put_photo(device: Device<'_>, input: PhotoInput) -> Result<PhotoSaved, ApiError> {
    device.put_photo(input).await
}

#[tauri::command]
pub async fn photo(device: Device<'_>, input: PhotoRef) -> Result<PhotoData, ApiError> {
    device.photo(input).await
}

#[tauri::command]
pub async fn reset(device: Device<'_>, input: ResetInput) -> Result<ResetDone, ApiError> {
    device.reset(input).await
}
