//! The sync endpoint: the automerge-repo protocol over WebSocket, served by samod.
//!
//! The credential is checked *before* the upgrade (`Authorization: Bearer …`, or `?token=` for
//! browsers and the stock JS clients, which cannot set headers); a bad or revoked one gets 401 and no
//! socket. The accepted socket is bound to the device's peer id, so a client announcing another id is
//! dropped by samod. Every incoming frame passes the actor check below, and the socket ends when the
//! device is revoked.

use std::collections::HashMap;
use std::sync::Arc;

use automerge::{Automerge, Change};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt, future};
use gridvoice_core::access::Principal;
use gridvoice_core::ids::DeviceId;
use samod::{PeerId, Transport};

use crate::App;
use crate::http::{HttpError, credential};
use crate::policy::peer_id_of;

pub async fn sync_ws(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let token = credential(&headers).or_else(|| q.get("token").cloned());
    let principal = match token {
        Some(t) => app.authenticate(t).await,
        None => None,
    };
    let Some(p) = principal else {
        app.metrics.connections_refused.inc();
        return HttpError::unauthorized().into_response();
    };
    let limit = app.config.max_message_bytes;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(app, p, socket))
}

async fn serve(app: App, p: Principal, socket: WebSocket) {
    let cancel = app.cancel_token(&p.device);
    let device = p.device;
    let (sink, stream) = socket.split();
    let metrics = app.metrics.clone();
    let check_app = app.clone();
    let incoming = stream
        .take_until(cancel.cancelled_owned())
        .then(move |m| {
            let app = check_app.clone();
            async move {
                match m {
                    Ok(Message::Binary(b)) => {
                        app.metrics.messages_in.inc();
                        app.metrics.bytes_in.add(b.len() as u64);
                        let bytes = b.to_vec();
                        let checked = {
                            let app = app.clone();
                            let frame = bytes.clone();
                            tokio::task::spawn_blocking(move || check_actors(&app, &device, &frame))
                                .await
                                .unwrap_or_else(|_| Err("actor check failed".into()))
                        };
                        match checked {
                            Ok(()) => Some(Ok(bytes)),
                            Err(why) => {
                                app.metrics.rejected_changes.inc();
                                tracing::warn!(%device, why, "sync frame refused; closing");
                                Some(Err(std::io::Error::other(why)))
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
    let outgoing = sink.with(move |v: Vec<u8>| {
        metrics.messages_out.inc();
        metrics.bytes_out.add(v.len() as u64);
        future::ready(Ok::<_, axum::Error>(Message::Binary(v.into())))
    });
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
    app.metrics.connections_open.dec();
}

/// The `type` and `data` of a wire message, if it is a CBOR map that has them.
fn type_and_data(frame: &[u8]) -> Option<(String, Option<Vec<u8>>)> {
    let mut d = minicbor::Decoder::new(frame);
    let n = d.map().ok()??;
    let mut ty = None;
    let mut data = None;
    for _ in 0..n {
        let k = d.str().ok()?.to_owned();
        match k.as_str() {
            "type" => ty = Some(d.str().ok()?.to_owned()),
            "data" => data = Some(d.bytes().ok()?.to_vec()),
            _ => d.skip().ok()?,
        }
    }
    Some((ty?, data))
}

/// Refuses a frame carrying a change whose author (actor) is bound to another device. Changes the
/// server already holds (relayed copies) pass; the deterministic genesis change of a document passes.
/// Frames that are not sync messages, or do not decode, pass here and are judged by samod.
pub fn check_actors(
    app: &Arc<crate::AppInner>,
    device: &DeviceId,
    frame: &[u8],
) -> Result<(), String> {
    let Some((ty, Some(data))) = type_and_data(frame) else {
        return Ok(());
    };
    if ty != "sync" && ty != "request" {
        return Ok(());
    }
    let Ok(msg) = automerge::sync::Message::decode(&data) else {
        return Ok(());
    };
    let mut changes = Vec::new();
    for chunk in msg.changes.iter() {
        match Change::from_bytes(chunk.to_vec()) {
            Ok(c) => changes.push(c),
            Err(_) => {
                if let Ok(doc) = Automerge::load(chunk) {
                    changes.extend(doc.get_changes(&[]));
                }
            }
        }
    }
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock);
    for c in changes {
        let actor = c.actor_id().to_hex_string();
        // A document's genesis change is made by every device alike under the document's own id.
        let genesis = c.seq() == 1
            && c.deps().is_empty()
            && uuid::Uuid::from_slice(c.actor_id().to_bytes())
                .is_ok_and(|u| app.is_document(&gridvoice_core::ids::DocId(u)));
        if genesis {
            continue;
        }
        let held = app
            .store
            .lock()
            .map_err(|_| "store lock")?
            .holds_change(&c.hash())
            .unwrap_or(false);
        if held {
            continue;
        }
        match app.auth.bind_actor(&actor, device, now) {
            Ok(true) => {}
            Ok(false) => return Err(format!("actor {actor} belongs to another device")),
            Err(e) => return Err(format!("actor check: {e}")),
        }
    }
    Ok(())
}
