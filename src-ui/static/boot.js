// Loads the wasm UI (wasm-bindgen --target web output) and marks the page ready for tests.
import init from "/gridvoice-ui.js";
init().then(() => { document.documentElement.dataset.ready = "1"; });
