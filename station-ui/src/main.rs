//! Mounts the station and office pages; everything else lives in the library.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(gridvoice_station_ui::App);
}
