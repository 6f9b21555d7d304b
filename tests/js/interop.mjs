// A stock automerge-repo client (what a browser or Node app would run) syncing with the Gridvoice
// server: it reads the station document the Rust devices wrote and adds a demand of its own.
// Usage: node interop.mjs <ws-url> <credential> <peer-id> <bs58 doc id> <demand JSON>
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { ImmutableString } from "@automerge/automerge";

const [url, token, peerId, docId, demandJson] = process.argv.slice(2);
// The Node adapter throws from an event handler when the server refuses the upgrade (401).
process.on("uncaughtException", (e) => {
  console.error("uncaught:", e?.message ?? String(e));
  process.exit(3);
});
const timer = setTimeout(() => {
  console.error("timeout");
  process.exit(4);
}, 20000);

const repo = new Repo({
  peerId,
  network: [new WebSocketClientAdapter(`${url}?token=${encodeURIComponent(token)}`)],
});
const handle = await repo.find(`automerge:${docId}`);
const doc = handle.doc();
const seen = Object.values(doc.demands ?? {}).map((d) => JSON.parse(String(d.record)).text);
console.log(JSON.stringify({ seen }));

const demand = JSON.parse(demandJson);
handle.change((d) => {
  d.demands[demand.id] = { record: new ImmutableString(JSON.stringify(demand)), events: {} };
});
// Give the adapter time to push the change; the Rust side then waits for the server's view.
await new Promise((r) => setTimeout(r, 2500));
console.log(JSON.stringify({ added: demand.id }));
clearTimeout(timer);
process.exit(0);
