// Loads the station pages' wasm (wasm-bindgen --target web output) and marks the page ready.
import init from "./gridvoice-station-ui.js";
init().then(() => { document.documentElement.dataset.ready = "1"; });
