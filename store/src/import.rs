//! Bulk import of records made elsewhere (the demo history, a migration): many records per commit,
//! each record with its events, contacts into their delegates' contacts documents.

use automerge::ActorId;
use gridvoice_core::demo::DemoHistory;
use gridvoice_core::doc::{self, Collection, DocKind};
use gridvoice_core::ids::DocId;

use crate::{Result, Store};

/// How many records one commit carries.
const BATCH: usize = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub visits: usize,
    pub demands: usize,
    pub suggestions: usize,
    pub contacts: usize,
}

/// Imports a history under `actor`. Records already present are left alone, so importing twice
/// changes nothing.
pub fn import_history(store: &mut Store, h: &DemoHistory, actor: &ActorId) -> Result<ImportReport> {
    let visits = import(
        store,
        actor,
        Collection::Visits,
        h.visits.iter().map(|(v, e)| {
            (
                DocId::for_station(&v.station),
                v.station.to_string(),
                v.id.to_string(),
                v,
                e.as_slice(),
            )
        }),
    )?;
    let demands = import(
        store,
        actor,
        Collection::Demands,
        h.demands.iter().map(|(d, e)| {
            (
                DocId::for_station(&d.station),
                d.station.to_string(),
                d.id.to_string(),
                d,
                e.as_slice(),
            )
        }),
    )?;
    let suggestions = import(
        store,
        actor,
        Collection::Suggestions,
        h.suggestions.iter().map(|(s, e)| {
            (
                DocId::for_station(&s.station),
                s.station.to_string(),
                s.id.to_string(),
                s,
                e.as_slice(),
            )
        }),
    )?;
    let contacts = import(
        store,
        actor,
        Collection::Contacts,
        h.contacts.iter().map(|c| {
            (
                DocId::for_contacts(&c.recorded_by),
                c.recorded_by.to_string(),
                c.id.to_string(),
                c,
                &[][..],
            )
        }),
    )?;
    Ok(ImportReport {
        visits,
        demands,
        suggestions,
        contacts,
    })
}

fn import<'a, T: serde::Serialize + 'a>(
    store: &mut Store,
    actor: &ActorId,
    c: Collection,
    records: impl Iterator<
        Item = (
            DocId,
            String,
            String,
            &'a T,
            &'a [gridvoice_core::workflow::Event],
        ),
    >,
) -> Result<usize> {
    let records: Vec<_> = records.collect();
    let kind = if c == Collection::Contacts {
        DocKind::Contacts
    } else {
        DocKind::Station
    };
    let mut written = 0;
    for chunk in records.chunks(BATCH) {
        written += store.write(Some(actor.clone()), |b| {
            let mut n = 0;
            for (doc_id, owner, key, record, events) in chunk {
                b.ensure_doc(kind, owner)?;
                if doc::has_record(b.doc(doc_id)?, c, key)? {
                    continue;
                }
                b.edit(doc_id, |tx| {
                    doc::put_record(tx, c, key, *record)?;
                    for e in *events {
                        doc::append_event(tx, c, key, e)?;
                    }
                    Ok(())
                })?;
                b.project(doc_id, c, key)?;
                n += 1;
            }
            Ok(n)
        })?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_history_imports_once_and_its_figures_show_in_the_projections() {
        let t = gridvoice_core::demo::gulou().unwrap();
        let h =
            gridvoice_core::demo::generate_history(&t, gridvoice_core::demo::HISTORY_SEED).unwrap();
        let mut s = Store::open_in_memory().unwrap();
        s.set_territory(t.clone()).unwrap();
        s.seed_documents(&t).unwrap();
        let actor = ActorId::from(&[7u8; 16][..]);
        let r = import_history(&mut s, &h, &actor).unwrap();
        assert_eq!(r.demands, h.demands.len());
        assert_eq!(r.visits, h.visits.len());
        let again = import_history(&mut s, &h, &actor).unwrap();
        assert_eq!(
            again,
            ImportReport::default(),
            "a second import adds nothing"
        );
        let all = crate::projection::list_demands(
            s.connection(),
            &gridvoice_core::api::DemandFilter::default()
                .parse()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(all.1 as usize, h.demands.len());
        let closed = crate::projection::list_demands(
            s.connection(),
            &gridvoice_core::api::DemandFilter {
                status: Some("closed".into()),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .unwrap()
        .1;
        assert!(
            closed > 0,
            "the history's workflow shows in the derived states"
        );
    }
}
