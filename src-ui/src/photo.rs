//! A photo from the camera or the gallery, made small enough for a field sync: decoded by the
//! webview, drawn at most [`MAX_SIDE`] pixels on its longer side, and encoded as JPEG. A phone's
//! 4–8 MB picture becomes about 0.2–0.5 MB; the device stores it and names it by its SHA-256.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The longer side of a stored photo, in pixels: enough to read a sign or see a crack.
pub const MAX_SIDE: u32 = 1600;
const JPEG_QUALITY: f64 = 0.8;

/// Why a photo could not be used (shown in Chinese next to the field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoError {
    /// The file is not an image the webview can decode.
    NotAnImage,
    /// Anything else in the browser's machinery.
    Failed,
}

/// A shrunk photo: the JPEG as base64 (for the device command) and a data URL (for the preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shrunk {
    pub base64: String,
    pub data_url: String,
}

/// Decodes, scales and re-encodes `file`.
pub async fn shrink(file: &web_sys::File) -> Result<Shrunk, PhotoError> {
    let url = web_sys::Url::create_object_url_with_blob(file).map_err(|_| PhotoError::Failed)?;
    let out = draw(&url).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    out
}

async fn draw(url: &str) -> Result<Shrunk, PhotoError> {
    let img = web_sys::HtmlImageElement::new().map_err(|_| PhotoError::Failed)?;
    img.set_src(url);
    JsFuture::from(img.decode())
        .await
        .map_err(|_| PhotoError::NotAnImage)?;
    let (w, h) = (img.natural_width(), img.natural_height());
    if w == 0 || h == 0 {
        return Err(PhotoError::NotAnImage);
    }
    let scale = (f64::from(MAX_SIDE) / f64::from(w.max(h))).min(1.0);
    let (cw, ch) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let canvas: web_sys::HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|e| e.dyn_into().ok())
        .ok_or(PhotoError::Failed)?;
    canvas.set_width(cw);
    canvas.set_height(ch);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or(PhotoError::Failed)?;
    ctx.draw_image_with_html_image_element_and_dw_and_dh(
        &img,
        0.0,
        0.0,
        f64::from(cw),
        f64::from(ch),
    )
    .map_err(|_| PhotoError::Failed)?;
    let data_url = canvas
        .to_data_url_with_type_and_encoder_options("image/jpeg", &JsValue::from_f64(JPEG_QUALITY))
        .map_err(|_| PhotoError::Failed)?;
    let base64 = data_url
        .split_once(";base64,")
        .map(|(_, b)| b.to_owned())
        .ok_or(PhotoError::Failed)?;
    Ok(Shrunk { base64, data_url })
}
