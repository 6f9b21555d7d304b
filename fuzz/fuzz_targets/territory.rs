//! A territory upload: grids GeoJSON imported into a known street, and the whole file set with
//! the fuzzed text in each file's place in turn.
#![no_main]

use gridvoice_core::geography::gcj02::Datum;
use gridvoice_core::geography::geojson::{
    TerritoryFiles, export_files, import_grids, territory_from_files,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gridvoice_fuzz::quiet_caught_panics();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = gridvoice_fuzz::territory();
    let _ = import_grids(&base, text, Datum::Wgs84);
    let files = export_files(&base);
    let slot = data.first().map_or(0, |b| b % 6);
    fn pick<'a>(slot: u8, i: u8, text: &'a str, own: &'a str) -> &'a str {
        if slot == i { text } else { own }
    }
    let _ = territory_from_files(
        &TerritoryFiles {
            street: pick(slot, 0, text, &files.street),
            communities: pick(slot, 1, text, &files.communities),
            quarters: Some(pick(slot, 2, text, &files.quarters)),
            grids: pick(slot, 3, text, &files.grids),
            stations: pick(slot, 4, text, &files.stations),
            organisation: pick(slot, 5, text, &files.organisation),
        },
        Datum::Gcj02,
    );
});
