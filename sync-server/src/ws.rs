//! The sync endpoint: the automerge-repo protocol over WebSocket, served by samod.
//!
//! The credential is checked *before* the upgrade (`Authorization: Bearer …`, or — when the
//! server is configured for browser-style clients (`Config::browser_tokens`) — `?token=` for
//! browsers and the stock JS clients, which cannot set headers); a bad or revoked one gets 401 and no
//! socket. The accepted socket is bound to the device's peer id, so a client announcing another id is
//! dropped by samod. Every incoming frame passes the actor check below, and the socket ends when the
//! device is revoked.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use automerge::Change;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt, future};
use gridvoice_core::ErrorCode;
use gridvoice_core::access::{Principal, Refusal};
use gridvoice_core::boundary::Credential;
use gridvoice_core::ids::{DeviceId, DocId};
use gridvoice_store::chunks::measure::{Bounds, Oversize, measure};
use samod::{PeerId, Transport};

use crate::App;
use crate::http::{HttpError, bearer};
use crate::limits::{Full, Slot};
use crate::policy::peer_id_of;
use tokio_util::sync::CancellationToken;

pub async fn sync_ws(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // `?token=` only where the server was told to take it (browser-style clients).
    let token = bearer(&headers).or_else(|| {
        app.config
            .browser_tokens
            .then(|| q.get("token").map(Credential::new))
            .flatten()
    });
    let principal = match token {
        Some(t) => app.authenticate(t).await,
        None => None,
    };
    let Some(p) = principal else {
        app.metrics.connections_refused.inc();
        return HttpError::unauthorized().into_response();
    };
    // Keyed on the authenticated device: its rate, then its share of the sockets.
    if let Err(wait) = app.requests.take(&p.device) {
        app.metrics.rate_limited.inc();
        return HttpError::rate_limited(wait).into_response();
    }
    let slot = match app.connections.take(
        p.device,
        app.config.max_connections,
        app.config.max_device_connections,
    ) {
        Ok(slot) => slot,
        Err(full) => {
            app.metrics.connections_over_cap.inc();
            tracing::warn!(device = %p.device, ?full, "sync socket refused: over the cap");
            return match full {
                Full::Server => HttpError::new(ErrorCode::ServerBusy, "服务器繁忙，请稍后再同步")
                    .into_response(),
                Full::Device => HttpError::rate_limited(Duration::from_secs(5)).into_response(),
            };
        }
    };
    // A credential enrolled by another process (the CLI) since the last poll: the share policy
    // learns of it now, or samod would answer its documents as unavailable.
    if app.acl.borrow().principal(&peer_id_of(&p)).is_none() {
        let a = app.clone();
        let _ = tokio::task::spawn_blocking(move || a.refresh_devices()).await;
    }
    let limit = app.config.max_message_bytes;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(app, p, socket, slot))
}

async fn serve(app: App, p: Principal, socket: WebSocket, slot: Slot) {
    // Ended by a revocation (the device's token) or by the watchdog (idle, or too long).
    let cancel = app.cancel_token(&p.device).child_token();
    let started = Instant::now();
    let last_heard = Arc::new(AtomicU64::new(0));
    let watchdog = tokio::spawn(watch(
        cancel.clone(),
        started,
        last_heard.clone(),
        (app.config.sync_idle, app.config.sync_session),
        app.metrics.clone(),
    ));
    let (mut sink, stream) = socket.split();
    let metrics = app.metrics.clone();
    // One writer owns the socket: samod's messages and our own refusal notice go through it, so a
    // refused device reads why before the socket closes.
    let (out_tx, mut out_rx) = futures::channel::mpsc::unbounded::<Vec<u8>>();
    let notice_tx = out_tx.clone();
    let writer = tokio::spawn(async move {
        while let Some(v) = out_rx.next().await {
            metrics.messages_out.inc();
            metrics.bytes_out.add(v.len() as u64);
            if sink.send(Message::Binary(v.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let check_app = app.clone();
    let who = p.clone();
    let incoming = stream
        .take_until(cancel.clone().cancelled_owned())
        .then(move |m| {
            last_heard.store(
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            let app = check_app.clone();
            let who = who.clone();
            let notice_tx = notice_tx.clone();
            async move {
                match m {
                    Ok(Message::Binary(b)) => {
                        app.metrics.messages_in.inc();
                        app.metrics.bytes_in.add(b.len() as u64);
                        let bytes = b.to_vec();
                        match check_frame(&app, &who, &bytes).await {
                            Ok(()) => Some(Ok(bytes)),
                            Err(Refused::Unjudged) => {
                                app.metrics.errors.inc();
                                tracing::error!(
                                    device = %who.device,
                                    "sync message not judged (store failure); closing"
                                );
                                Some(Err(std::io::Error::other(Refused::Unjudged.code())))
                            }
                            Err(refused) => {
                                app.metrics.refused(refused);
                                tracing::warn!(
                                    device = %who.device,
                                    reason = refused.code(),
                                    "sync message refused whole; closing"
                                );
                                let _ = notice_tx.unbounded_send(refusal_notice(refused));
                                Some(Err(std::io::Error::other(refused.code())))
                            }
                        }
                    }
                    // The protocol is binary CBOR; a text frame is a protocol error (samod closes too).
                    Ok(Message::Text(_)) => Some(Err(std::io::Error::other("text frame"))),
                    Ok(_) => None,
                    Err(e) => Some(Err(std::io::Error::other(e))),
                }
            }
        })
        .filter_map(future::ready)
        .boxed();
    let outgoing = out_tx.sink_map_err(|_| std::io::Error::other("socket closed"));
    let transport = Transport::new(incoming, Box::pin(outgoing))
        .with_expected_peer_id(PeerId::from(peer_id_of(&p)));
    app.metrics.connections_total.inc();
    app.metrics.connections_open.inc();
    match app.acceptor.accept(transport) {
        Ok(conn) => {
            let mut events = conn.events();
            while let Some(e) = events.next().await {
                if let samod::AcceptorEvent::ClientDisconnected { .. } = e {
                    break;
                }
            }
        }
        Err(_) => tracing::warn!("sync connection refused: the repo is stopping"),
    }
    let _ = writer.await;
    cancel.cancel();
    let _ = watchdog.await;
    app.metrics.connections_open.dec();
    drop(slot);
}

/// Ends a socket the device has sent nothing on for `idle`, or that has lasted `session`.
async fn watch(
    cancel: CancellationToken,
    started: Instant,
    last_heard: Arc<AtomicU64>,
    (idle, session): (Duration, Duration),
    metrics: Arc<crate::metrics::Metrics>,
) {
    loop {
        let heard = Duration::from_millis(last_heard.load(Ordering::Relaxed));
        let quiet = started.elapsed().saturating_sub(heard);
        let wait = idle
            .saturating_sub(quiet)
            .min(session.saturating_sub(started.elapsed()));
        if wait.is_zero() {
            metrics.sockets_timed_out.inc();
            cancel.cancel();
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = cancel.cancelled() => return,
        }
    }
}

/// Why a frame was refused, as a device reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A change under an actor bound to another device (or the server's own).
    Actor,
    /// A change the authority rule refuses.
    Rule(Refusal),
    /// The server could not judge the frame (its store failed): nothing of the device's is at
    /// fault, so it gets no refusal (which would make it start over), only a closed socket, and
    /// syncs again on its next try.
    Unjudged,
}

impl Refused {
    pub fn code(self) -> &'static str {
        match self {
            Refused::Actor => "actor_of_another_device",
            Refused::Rule(r) => r.code(),
            Refused::Unjudged => "unjudged",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Refused::Actor => "这些修改署名为另一台设备",
            Refused::Rule(r) => r.zh(),
            Refused::Unjudged => "服务器暂时无法核对本次同步，请稍后重试",
        }
    }
}

/// The protocol `error` message a refused device receives: the stable code first, then the reason
/// in plain words.
fn refusal_notice(r: Refused) -> Vec<u8> {
    let message = format!(
        "{}: {}（{}）。服务器未保存本次同步的任何内容。",
        ErrorCode::ChangeRefused.as_str(),
        r.zh(),
        r.code()
    );
    let mut e = minicbor::Encoder::new(Vec::new());
    let written = e
        .map(3)
        .and_then(|e| e.str("type")?.str("error"))
        .and_then(|e| e.str("senderId")?.str(SERVER_PEER))
        .and_then(|e| e.str("message")?.str(&message))
        .is_ok();
    if written { e.into_writer() } else { Vec::new() }
}

const SERVER_PEER: &str = "gridvoice-server";

/// What the check needs from a frame: its type, document and sync data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub ty: String,
    pub doc: Option<DocId>,
    pub data: Option<Vec<u8>>,
}

/// The `type`, `documentId` and `data` of a wire message, if it is a CBOR map that has them.
pub fn frame_fields(frame: &[u8]) -> Option<Frame> {
    let mut d = minicbor::Decoder::new(frame);
    let n = d.map().ok()??;
    let mut ty = None;
    let mut data = None;
    let mut doc = None;
    for _ in 0..n {
        let k = d.str().ok()?.to_owned();
        match k.as_str() {
            "type" => ty = Some(d.str().ok()?.to_owned()),
            "data" => data = Some(d.bytes().ok()?.to_vec()),
            "documentId" => {
                doc = match d.datatype().ok()? {
                    minicbor::data::Type::Bytes => {
                        samod::DocumentId::try_from(d.bytes().ok()?.to_vec()).ok()
                    }
                    _ => d.str().ok()?.parse::<samod::DocumentId>().ok(),
                }
                .as_ref()
                .and_then(crate::storage::doc_id);
            }
            _ => d.skip().ok()?,
        }
    }
    Some(Frame { ty: ty?, doc, data })
}

/// The changes a sync message carries (documents and bundles expanded into their changes),
/// measured against `core::limits` before any is decoded. `Err` when the message is over a
/// limit or one of its chunks does not decode: such a frame is refused, never passed on
/// unjudged.
pub fn changes_of(data: &[u8], bounds: Bounds) -> Result<Vec<Change>, Refusal> {
    let Ok(msg) = automerge::sync::Message::decode(data) else {
        return Ok(Vec::new());
    };
    let chunks: Vec<Vec<u8>> = msg.changes.iter().map(|c| c.to_vec()).collect();
    if chunks.is_empty() {
        return Ok(Vec::new());
    }
    match measure(&chunks, bounds) {
        Ok(_) => {}
        Err(Oversize::TooLarge(what)) => {
            tracing::warn!(over = what, "sync message over a limit");
            return Err(Refusal::TooLarge);
        }
        Err(Oversize::Unreadable(_)) => return Err(Refusal::Unreadable),
    }
    gridvoice_store::decode_chunks(&chunks).map_err(|_| Refusal::Unreadable)
}

/// Judges one incoming frame: its changes' authors (actors) and, under the authority rule, what
/// they would do to their document. Frames that are not sync messages, or do not decode, pass here
/// and are judged by samod.
async fn check_frame(app: &App, who: &Principal, frame: &[u8]) -> Result<(), Refused> {
    let Some(Frame {
        ty,
        doc,
        data: Some(data),
    }) = frame_fields(frame)
    else {
        return Ok(());
    };
    if ty != "sync" && ty != "request" {
        return Ok(());
    }
    let changes = changes_of(&data, app.config.change_bounds).map_err(Refused::Rule)?;
    if changes.is_empty() {
        return Ok(());
    }
    let Some(doc) = doc else {
        return Err(Refused::Rule(Refusal::Unreadable));
    };
    {
        let (app, device, changes) = (app.clone(), who.device, changes.clone());
        tokio::task::spawn_blocking(move || check_actors(&app, &device, &doc, &changes))
            .await
            .unwrap_or(Err(Refused::Unjudged))?;
    }
    crate::entry::judge(app, who, &doc, changes).await
}

/// Refuses a change whose author (actor) is bound to another device, or is the server's own.
/// Changes the server already holds (relayed copies) pass, and so does the exact genesis change of
/// the document the message is for (every device makes it alike, under the document's own id).
pub fn check_actors(
    app: &Arc<crate::AppInner>,
    device: &DeviceId,
    doc: &DocId,
    changes: &[Change],
) -> Result<(), Refused> {
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
    let genesis = crate::entry::genesis_hash(app, doc);
    for c in changes {
        if Some(c.hash()) == genesis {
            continue;
        }
        let held = app
            .store
            .lock()
            .map_err(|_| Refused::Unjudged)?
            .holds_change_in(doc, &c.hash())
            .map_err(|_| Refused::Unjudged)?;
        if held {
            continue;
        }
        if c.actor_id() == &app.actor {
            return Err(Refused::Actor);
        }
        let actor = c.actor_id().to_hex_string();
        match app.auth.bind_actor(&actor, device, now) {
            Ok(true) => {}
            Ok(false) => return Err(Refused::Actor),
            Err(_) => return Err(Refused::Unjudged),
        }
    }
    Ok(())
}
