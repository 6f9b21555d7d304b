//! Residents' contacts live in the delegate's contacts document and nowhere else.

use automerge::ReadDoc;
use gridvoice_core::api::{NewContact, Request};
use gridvoice_core::ids::DocId;

use crate::{Device, GRID_A1, demand};

const CANARY_PHONE: &str = "13987654321";
const CANARY_NAME: &str = "金丝雀测试居民";

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_canary_phone_never_appears_in_the_station_document_or_the_projections() {
    let mut d = Device::in_memory("D01", 20);
    let mut r = demand("希望增加社区养老驿站的助餐服务", "elderly_care", GRID_A1);
    r.contact = Some(NewContact {
        name: CANARY_NAME.into(),
        phone: CANARY_PHONE.into(),
        consent: true,
    });
    let v = match d.call(Request::RecordDemand(r)).unwrap() {
        gridvoice_core::api::Response::Demand(v) => v,
        other => panic!("{other:?}"),
    };
    let later = d.record("路面坑洼", "traffic", GRID_A1);
    d.call(Request::AttachContact {
        demand: later.demand.id,
        contact: NewContact {
            name: CANARY_NAME.into(),
            phone: CANARY_PHONE.into(),
            consent: true,
        },
    })
    .unwrap();

    let station = DocId::for_station(&"S01".into());
    let contacts = DocId::for_contacts(&"D01".into());

    // Uncompressed bytes, so compression cannot hide the canary from the search.
    let station_bytes = d.store.doc(&station).unwrap().save_nocompress();
    let station_json =
        serde_json::to_string(&automerge::AutoSerde::from(d.store.doc(&station).unwrap())).unwrap();
    let hydrated = format!("{:?}", d.store.doc(&station).unwrap().hydrate(None));
    for (what, bytes) in [
        ("station document", station_bytes.as_slice()),
        ("station JSON", station_json.as_bytes()),
        ("station hydrate", hydrated.as_bytes()),
    ] {
        assert!(!contains(bytes, CANARY_PHONE), "phone found in {what}");
        assert!(!contains(bytes, CANARY_NAME), "name found in {what}");
    }
    // Every stored change of the station document, and every projection row.
    let conn = d.store.connection();
    let rows: Vec<Vec<u8>> = conn
        .prepare("SELECT bytes FROM changes WHERE doc_id = ?1")
        .unwrap()
        .query_map([station.to_string()], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!rows.is_empty());
    for change in rows {
        let decoded = automerge::Change::from_bytes(change).unwrap().decode();
        let text = format!("{decoded:?}");
        assert!(!text.contains(CANARY_PHONE) && !text.contains(CANARY_NAME));
    }
    let views: Vec<String> = conn
        .prepare("SELECT view || text FROM demands")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        views
            .iter()
            .all(|v| !v.contains(CANARY_PHONE) && !v.contains(CANARY_NAME))
    );

    // The control: the contacts document does hold it, so the search above could have found it.
    let contacts_bytes = d.store.doc(&contacts).unwrap().save_nocompress();
    assert!(contains(&contacts_bytes, CANARY_PHONE));
    assert_eq!(
        gridvoice_store::service::contacts_of(&mut d.store, &v.demand.id)
            .unwrap()
            .len(),
        1
    );
    let doc = d.store.doc(&contacts).unwrap();
    assert_eq!(
        doc.length(doc.get(automerge::ROOT, "contacts").unwrap().unwrap().1),
        2
    );
}
