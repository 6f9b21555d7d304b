//! Regenerates the committed demo territory under `data/gulou/`:
//! `cargo run -p gridvoice-core --example gen_demo [OUT_DIR]`.

use std::path::PathBuf;

use gridvoice_core::demo::{DEMO_SEED, generate_territory};
use gridvoice_core::geography::geojson::export_files;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/gulou"),
        PathBuf::from,
    );
    let territory = generate_territory(DEMO_SEED)?;
    std::fs::create_dir_all(&out)?;
    for (name, text) in export_files(&territory).named() {
        std::fs::write(out.join(name), text)?;
    }
    println!(
        "wrote {} communities, {} grids, {} stations, {} quarters to {}",
        territory.communities.len(),
        territory.grids.len(),
        territory.stations.len(),
        territory.quarters.len(),
        out.display()
    );
    Ok(())
}
