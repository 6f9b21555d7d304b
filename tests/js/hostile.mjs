// A hostile writer: the stock automerge-repo client holding a real delegate credential of one
// station tries one forgery on that station's document, then gives the server time to answer.
// Usage: node hostile.mjs <ws-url> <credential> <peer-id> <bs58 doc id> <case> <JSON argument>
// Cases: put <{key, record}> (a record under a key), edit <{key, record}> (rewrite a record's
// fixed fields), event <{key, id, event}> (append an event to a record).
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { ImmutableString } from "@automerge/automerge";

const [url, token, peerId, docId, kind, argJson] = process.argv.slice(2);
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
const arg = JSON.parse(argJson);
handle.change((d) => {
  if (kind === "put") {
    d.demands[arg.key] = { record: new ImmutableString(JSON.stringify(arg.record)), events: {} };
  } else if (kind === "edit") {
    d.demands[arg.key].record = new ImmutableString(JSON.stringify(arg.record));
  } else if (kind === "event") {
    d.demands[arg.key].events[arg.id] = new ImmutableString(JSON.stringify(arg.event));
  } else {
    throw new Error(`unknown case ${kind}`);
  }
});
await new Promise((r) => setTimeout(r, 2000));
console.log(JSON.stringify({ tried: kind }));
clearTimeout(timer);
process.exit(0);
