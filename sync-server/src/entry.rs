//! Where writes enter the server, both ways:
//!
//! - **sync**: [`judge`] holds every device's changes against the authority rule
//!   (`gridvoice_core::access::changes`) on a copy of the document as samod holds it, before samod
//!   sees them; a message with one refused change is refused whole.
//! - **requests**: [`serve`] runs the one request service (`gridvoice_core::service`) on the
//!   server's store and applies its effects to samod's documents under the server's own actor, so
//!   they are stored and projected like any change and sync to every device. The answer leaves
//!   only once the store holds the change.

use std::time::Duration;

use automerge::{Change, ChangeHash};
use gridvoice_core::access::changes::{self, Writer};
use gridvoice_core::access::{Principal, Refusal};
use gridvoice_core::api::{ApiError, Request, Response};
use gridvoice_core::doc::{self, Collection, DocKind};
use gridvoice_core::ids::{DelegateId, DocId, StationId};
use gridvoice_core::service::{self, Ctx, DocRef, Effect};
use gridvoice_core::{Error as CoreError, ErrorCode};
use gridvoice_store::projection;

use crate::App;
use crate::storage::document_id;
use crate::ws::Refused;

/// The hash of a territory document's genesis change (the one change every device makes alike).
pub fn genesis_hash(app: &App, id: &DocId) -> Option<ChangeHash> {
    let (kind, owner) = app.acl.borrow().document(id)?;
    let genesis = match kind {
        DocKind::Station => doc::station_genesis(&StationId::new(owner)),
        DocKind::Contacts => doc::contacts_genesis(&DelegateId::new(owner)),
    }
    .ok()?;
    genesis.get_heads().first().copied()
}

/// Judges a device's changes to one document under the authority rule.
pub async fn judge(
    app: &App,
    who: &Principal,
    id: &DocId,
    changes: Vec<Change>,
) -> Result<(), Refused> {
    let rule = |r| Err(Refused::Rule(r));
    // Documents outside the territory are nobody's: samod's share policy refuses them.
    if !app.is_document(id) {
        return Ok(());
    }
    let Some(handle) = document_id(id).map(|d| app.repo.find(d)) else {
        return rule(Refusal::Unreadable);
    };
    let Ok(Some(handle)) = handle.await else {
        return rule(Refusal::Unreadable);
    };
    let (app, who, id) = (app.clone(), who.clone(), *id);
    tokio::task::spawn_blocking(move || {
        let base = handle.with_document(|d| d.clone());
        // A store that fails to answer is the server's fault, never the device's: the frame is
        // left unjudged (and not stored), not refused.
        let failed = std::cell::Cell::new(false);
        let elsewhere = |_: Collection, record: &str| -> bool {
            let held = app.store.lock().map_err(|_| ()).and_then(|s| {
                projection::held_elsewhere(s.connection(), record, &id).map_err(|_| ())
            });
            held.unwrap_or_else(|()| {
                failed.set(true);
                true
            })
        };
        let writer = Writer {
            who: &who,
            territory: &app.territory,
        };
        let verdict = changes::judge(&base, &changes, writer, &elsewhere);
        if failed.get() {
            return Err(Refused::Unjudged);
        }
        verdict.map_err(Refused::Rule)
    })
    .await
    .unwrap_or(Err(Refused::Unjudged))
}

/// Serves one request for `who`: reads from the store, writes through samod.
pub async fn serve(app: &App, who: &Principal, req: Request) -> Result<Response, ApiError> {
    let (a, p) = (app.clone(), who.clone());
    let outcome = tokio::task::spawn_blocking(move || {
        let mut store = a.store.lock().map_err(|_| internal())?;
        let clock = a.config.clock.clone();
        let mut ids = gridvoice_store::system::OsIds;
        let mut ctx = Ctx {
            clock: &clock,
            ids: &mut ids,
        };
        service::handle(&mut *store, &p, &mut ctx, req).map_err(ApiError::from)
    })
    .await
    .map_err(|_| internal())??;
    apply(app, &outcome.effects).await?;
    Ok(outcome.response)
}

fn internal() -> ApiError {
    ApiError::new(ErrorCode::Internal, "服务器内部错误，请稍后重试")
}

/// Applies effects to samod's documents, one transaction per document, under the server's actor,
/// and waits until the store holds each change.
async fn apply(app: &App, effects: &[Effect]) -> Result<(), ApiError> {
    let mut groups: Vec<(DocRef, Vec<Effect>)> = Vec::new();
    for e in effects {
        let target = match e {
            Effect::Put { doc, .. } | Effect::Append { doc, .. } => doc.clone(),
        };
        match groups.iter_mut().find(|(d, _)| *d == target) {
            Some((_, list)) => list.push(e.clone()),
            None => groups.push((target, vec![e.clone()])),
        }
    }
    let mut written = Vec::new();
    for (target, list) in groups {
        let id = target.id();
        let handle = match document_id(&id).map(|d| app.repo.find(d)) {
            Some(f) => f.await.ok().flatten().ok_or_else(internal)?,
            None => return Err(internal()),
        };
        let actor = app.actor.clone();
        let hash = tokio::task::spawn_blocking(move || {
            handle.with_document(|d| {
                d.set_actor(actor);
                let mut tx = d.transaction();
                for e in &list {
                    let done = match e {
                        Effect::Put { record, .. } => record.put(&mut tx),
                        Effect::Append {
                            collection,
                            id,
                            event,
                            ..
                        } => doc::append_event(&mut tx, *collection, id, event),
                    };
                    if let Err(e) = done {
                        tx.rollback();
                        return Err(e);
                    }
                }
                Ok(tx.commit().0)
            })
        })
        .await
        .map_err(|_| internal())?
        .map_err(|e: CoreError| ApiError::from(e))?;
        written.extend(hash);
    }
    // samod hands each change to the store (group commit); answer once it is durable there.
    for _ in 0..200 {
        let hashes = written.clone();
        let held = app
            .with_store(move |s| hashes.iter().all(|h| s.holds_change(h).unwrap_or(false)))
            .await
            .unwrap_or(false);
        if held {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tracing::error!("a request's changes did not reach the store in time");
    Err(internal())
}
