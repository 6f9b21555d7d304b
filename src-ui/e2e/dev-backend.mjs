// A stand-in for the device backend, for developing and testing the forms ONLY (forms.test.mjs).
// It serves dist/ (index.html for unknown paths, like the real shells) and an in-memory fake of
// the device commands under POST /device/<command> (gridvoice-core's `boundary::DeviceCommand`;
// tests/tests/device_commands.rs checks each is answered here), in the JSON shapes of
// gridvoice-core's `device` and `api` types. It validates almost nothing: the real rules live in
// the store's service, which the lead's end-to-end test drives through `gridvoice ui`. Test
// hooks: POST /__fake/fail
// {"command","code","message"} makes the next call of that command fail; /__fake/state returns
// the fake's records; POST /__fake/slow {"command","ms"} delays the next call of that command;
// POST /__fake/online {"online"} sets what the status says of the server; POST /__fake/demand
// {"text","recorded_by"?,"grid"?} adds a demand as if it had arrived by sync (another delegate's);
// POST /__fake/suggestion {"demand","title","level","whistles","joined"} puts a demand into a
// suggestion as the head's decisions would arrive by sync (with `joined` co-signing demands).
// POST /__fake/call_backs {} puts the two call-back tasks of the fixture on this device (answered
// cases; see `seedCallBacks`); `call_backs` / `call_back` then list and record them (an unreachable
// resident stays listed, marked; any other outcome takes the task off; 不满意 reopens the case).
// Pending records are named as the store names them: the record's own id, photos `photo:<hash>`.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml" };

export function loadTerritory() {
  return JSON.parse(fs.readFileSync(path.join(here, "fixtures", "territory.json"), "utf8"));
}

export function startDevBackend({ dist = path.join(here, "..", "..", "dist"), port = 0, delegate = "D01" } = {}) {
  const territory = loadTerritory();
  const me = territory.delegates.find((d) => d.id === delegate);
  const station = territory.stations.find((s) => s.id === me.station);
  const device = crypto.randomUUID();
  const st = {
    enrolled: true, online: false, lastSync: null, demands: [], visits: [], contacts: [],
    pending: [], fail: {}, slow: {}, photos: {}, photoData: {}, tasks: [], callBacks: [],
  };
  const status = () => ({
    enrolled: st.enrolled, delegate: st.enrolled ? me.id : null, delegate_name: st.enrolled ? me.name : null,
    station: st.enrolled ? station.id : null, station_name: st.enrolled ? station.name : null,
    grids: st.enrolled ? me.grids : [], server: st.enrolled ? "http://127.0.0.1:9" : null,
    online: st.online, pending: st.pending.length, last_sync: st.lastSync, last_error: null, syncing: null,
  });
  const err = (code, message, http = 400) => ({ http, body: { code, message } });
  const demandState = (d) => ({
    status: d.status ?? (d.suggestion ? "in_suggestion" : "recorded"), joined_into: null, suggestion: d.suggestion?.id ?? null, unit: null, deadline: null, answer: null,
    resolved: null, satisfied: null, contacts_in: d.extraContacts, needs_decision: false, conflicting: [],
    last_event_at: null, units: d.units ?? [], paused: false, reopened: d.reopened ?? 0, callbacks: [],
  });
  const view = (d) => ({ ...d.demand, state: demandState(d), history: d.history, joined: d.joined ?? [] });
  const visitView = (v) => ({ ...v.visit, state: { ended_at: v.ended_at, attendance: v.attendance, delegates: v.visit.delegates, needs_decision: false } });

  // The store lists newest first.
  const newestFirst = (items) => [...items].sort((a, b) => b.demand.recorded_at - a.demand.recorded_at);
  function addContact(demand, c) {
    const id = crypto.randomUUID();
    st.contacts.push({ id, demand, name: c.name, phone: c.phone, consent: c.consent, recorded_at: Date.now(), recorded_by: me.id });
    st.pending.push({ record: id, created_at: Date.now() });
    return id;
  }

  // The fixture's call-backs: one answered case of the delegate's own, with the resident's
  // consented contact, answered by one unit; and a co-signer's demand (another delegate's, joined
  // into a case this delegate holds a resident of) under co-handling, with no contact on this
  // device. The co-signer's is due sooner.
  function seedCallBacks() {
    const now = Date.now(), day = 86_400_000;
    const ev = (kind, extra, at) => ({ id: crypto.randomUUID(), at, by: { role: "staff", id: "office-1" }, device, prev: [], kind, ...extra });
    const demand = (text, by) => ({ demand: { id: crypto.randomUUID(), station: station.id, text, category: "other",
      grid: me.grids[0], location: null, recorded_at: now - 20 * day, recorded_by: by, device, visit: null,
      contacts_in: by === me.id ? me.id : null, attachments: [] }, history: [], extraContacts: [], status: "answered" });
    const own = demand("6号楼楼道灯坏了两个月，晚上老人下楼看不见，已经有人摔倒过，希望尽快修好并且以后定期检查，楼道里还堆放了很多杂物，消防通道也被占用了，居民多次反映没有结果", me.id);
    own.units = [{ unit: "U-S02", lead: true, answer: "已更换6号楼全部楼道灯，并纳入每月巡检。", resolved: true, answered_at: now - 2 * day }];
    own.history.push(ev("routed", { unit: "U-S02", deadline: now + 5 * day }, now - 15 * day),
      ev("answered", { text: own.units[0].answer, resolved: true, unit: "U-S02" }, now - 2 * day));
    const other = demand("东菜园小区车棚电线乱拉，电动车充电有火灾隐患", "D02");
    other.units = [
      { unit: "U-S05", lead: true, answer: "已拆除私拉电线，车棚加装了集中充电桩。", resolved: true, answered_at: now - day },
      { unit: "U-S06", lead: false, answer: "对私拉电线的住户进行了劝导并登记。", resolved: true, answered_at: now - day },
    ];
    other.history.push(ev("routed", { unit: "U-S05", assisting: ["U-S06"], deadline: now + 3 * day }, now - 10 * day),
      ev("answered", { text: other.units[0].answer, resolved: true, unit: "U-S05" }, now - day),
      ev("answered", { text: other.units[1].answer, resolved: true, unit: "U-S06" }, now - day));
    st.demands.push(own, other);
    const contact = { id: crypto.randomUUID(), demand: own.demand.id, name: "赵桂芬", phone: "13911112222", consent: true,
      recorded_at: now - 20 * day, recorded_by: me.id };
    st.contacts.push(contact);
    const task = (d, due, left, light, contacts) => ({ demand: d.demand.id, text: d.demand.text, case: d.demand.id,
      answer: d.units[0].answer, resolved: true,
      units: d.units.map((u) => ({ unit: territory.handling_units.find((h) => h.id === u.unit).name, lead: u.lead, answer: u.answer })),
      due, left, light, contacts, last: null });
    const dayText = (ms) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
    st.tasks.push(task(own, dayText(now + 5 * day), 3, "green", [contact]), task(other, dayText(now + day), 1, "yellow", []));
    return { own: own.demand.id, cosigner: other.demand.id };
  }

  function request(r) {
    switch (r.op) {
      case "record_demand": {
        if (!r.text || !r.text.trim()) return err("EMPTY_TEXT", "诉求内容不能为空");
        if (!r.grid) return err("MISSING_FIELD", "缺少 grid");
        const grid = territory.grids.find((g) => g.id === r.grid);
        if (!grid) return err("UNKNOWN_GRID", `未知网格 ${r.grid}`);
        if (grid.station !== station.id) return err("GRID_NOT_IN_STATION", "该网格不属于本站");
        if (r.contact && !r.contact.consent) return err("CONSENT_REQUIRED", "记录居民联系方式须征得同意");
        const id = r.id || crypto.randomUUID();
        let d = st.demands.find((x) => x.demand.id === id);
        if (!d) {
          d = { demand: { id, station: station.id, text: r.text.trim(), category: r.category, grid: r.grid,
            location: r.location ?? null, recorded_at: Date.now(), recorded_by: me.id, device, visit: r.visit ?? null,
            contacts_in: r.contact ? me.id : null, attachments: r.attachments ?? [] }, history: [], extraContacts: [] };
          st.demands.push(d);
          st.pending.push({ record: id, created_at: Date.now() });
          if (r.contact) addContact(id, r.contact);
        }
        return { type: "demand", ...view(d) };
      }
      case "list_demands": {
        let items = newestFirst(st.demands.filter((d) => (!r.grid || d.demand.grid === r.grid)
          && (!r.category || d.demand.category === r.category) && (!r.status || r.status === "recorded")));
        return { type: "demands", items: items.slice(0, r.limit ?? 50).map(view), total: items.length };
      }
      case "search": {
        const items = newestFirst(st.demands.filter((d) => d.demand.text.includes(r.query)));
        return { type: "demands", items: items.map(view), total: items.length };
      }
      case "get_demand": {
        const d = st.demands.find((x) => x.demand.id === r.id);
        if (!d) return err("NOT_FOUND", "未找到：诉求", 404);
        return { type: "demand", ...view(d) };
      }
      case "contacts_of": {
        if (!st.demands.some((x) => x.demand.id === r.demand)) return err("NOT_FOUND", "未找到：诉求", 404);
        // Only the delegate's own contacts document is on this device.
        return { type: "contacts", items: st.contacts.filter((c) => c.demand === r.demand && c.recorded_by === me.id) };
      }
      case "attach_contact": {
        const d = st.demands.find((x) => x.demand.id === r.demand);
        if (!d) return err("NOT_FOUND", "找不到这条诉求", 404);
        if (!r.contact.consent) return err("CONSENT_REQUIRED", "记录居民联系方式须征得同意");
        const cid = addContact(r.demand, r.contact);
        d.history.push({ id: crypto.randomUUID(), at: Date.now(), by: { role: "delegate", id: me.id }, device,
          prev: [], kind: "contact_attached", delegate: me.id });
        return { type: "contact_attached", contact: cid, demand: r.demand };
      }
      case "start_visit": {
        const v = { visit: { id: crypto.randomUUID(), station: station.id, grid: r.grid, place: r.place, topic: r.topic,
          delegates: [me.id, ...(r.delegates ?? []).filter((d) => d !== me.id)], started_at: Date.now(), started_by: me.id, device }, ended_at: null, attendance: null };
        st.visits.push(v);
        st.pending.push({ record: v.visit.id, created_at: Date.now() });
        return { type: "visit", ...visitView(v) };
      }
      case "end_visit": {
        const v = st.visits.find((x) => x.visit.id === r.visit);
        if (!v) return err("UNKNOWN_VISIT", "找不到这次走访", 404);
        v.ended_at = Date.now(); v.attendance = r.attendance;
        return { type: "visit", ...visitView(v) };
      }
      case "get_suggestion": {
        const d = st.demands.find((x) => x.suggestion?.id === r.id);
        if (!d) return err("NOT_FOUND", "未找到：代表建议", 404);
        const s = d.suggestion;
        return { type: "suggestion", id: s.id, station: station.id, title: s.title, text: "", demands: [d.demand.id],
          level: s.level, formed_at: Date.now(), formed_by: me.id, device,
          state: { level: s.level, whistles: s.whistles, unit: null, deadline: null, answered: false, resolved: null,
            closed: false, needs_decision: false }, history: [] };
      }
      case "call_backs":
        // The service sorts soonest due first.
        return { type: "call_backs", items: [...st.tasks].sort((a, b) => (a.left ?? 1e9) - (b.left ?? 1e9)) };
      case "call_back": {
        const task = st.tasks.find((x) => x.demand === r.demand);
        if (!task) return err("NOT_FOUND", "未找到：回访任务", 404);
        if (!["satisfied", "basically_satisfied", "dissatisfied", "unreachable"].includes(r.outcome)) return err("BAD_REQUEST", "无法识别的回访结果");
        if (r.note && [...r.note.trim()].length > 5000) return err("TEXT_TOO_LONG", "内容过长");
        const c = st.demands.find((x) => x.demand.id === task.case);
        st.callBacks.push({ demand: r.demand, outcome: r.outcome, note: r.note ?? null });
        c.history.push({ id: crypto.randomUUID(), at: Date.now(), by: { role: "delegate", id: me.id }, device, prev: [],
          kind: "called_back", cosigner: r.demand, outcome: r.outcome, note: r.note ?? null });
        if (r.outcome === "unreachable") task.last = "unreachable";
        else st.tasks = st.tasks.filter((x) => x !== task);
        if (r.outcome === "dissatisfied") {
          c.reopened = (c.reopened ?? 0) + 1; c.status = "routed";
          c.history.push({ id: crypto.randomUUID(), at: Date.now(), by: { role: "delegate", id: me.id }, device, prev: [],
            kind: "reopened", reason: "居民不满意" });
        }
        st.pending.push({ record: task.case, created_at: Date.now() });
        return { type: "demand", ...view(c) };
      }
      case "list_visits":
        return { type: "visits", items: [...st.visits].sort((a, b) => b.visit.started_at - a.visit.started_at).map(visitView) };
      default:
        return err("BAD_REQUEST", "无法识别的请求");
    }
  }

  async function answer(name, input) {
    const ms = st.slow[name];
    if (ms) { delete st.slow[name]; await new Promise((r) => setTimeout(r, ms)); }
    return command(name, input);
  }

  function command(name, input) {
    if (st.fail[name]) { const f = st.fail[name]; delete st.fail[name]; return err(f.code, f.message, f.http ?? 500); }
    switch (name) {
      case "status": return status();
      case "territory": return territory;
      case "pending": return st.pending;
      case "enrol":
        if (input.code === "BAD") return err("ENROLMENT_INVALID", "绑定码无效", 401);
        st.enrolled = true; return status();
      case "sync_now": {
        const n = st.pending.length; st.pending = []; st.online = true; st.lastSync = Date.now();
        return { ok: true, documents: 2, changes_received: 0, receipts_confirmed: n, pending_left: 0, error: null };
      }
      case "request": return request(input);
      case "put_photo": {
        const bytes = Buffer.from(input.data_base64 ?? "", "base64");
        const jpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
        if (!jpeg) return err("INVALID_PHOTO", "照片无法使用：不是可识别的图片");
        const hash = crypto.createHash("sha256").update(bytes).digest("hex");
        st.photos[hash] = bytes.length;
        st.photoData[hash] = bytes.toString("base64");
        return { hash, bytes: bytes.length, mime: "image/jpeg" };
      }
      case "photo": {
        const data = st.photoData[input.hash];
        if (data) return { hash: input.hash, mime: "image/jpeg", data_base64: data };
        if (!st.online) return err("OFFLINE", "照片还没有下载到本机，联网后再打开即可查看", 503);
        return err("NOT_FOUND", "服务器上还没有这张照片（拍照的代表可能尚未同步）", 404);
      }
      case "reset": {
        const unsent = st.pending.length;
        if (unsent && !input.discard_unsent) {
          return err("UNSENT", `还有 ${unsent} 条记录、0 张照片未同步到服务器；请先同步，或确认放弃这些内容后再重置`, 400);
        }
        st.enrolled = false; st.pending = [];
        return { unsent_records: unsent, unsent_photos: 0 };
      }
      default: return err("NOT_FOUND", "没有这个命令", 404);
    }
  }

  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      const url = new URL(req.url, "http://x");
      const send = (code, obj) => { res.writeHead(code, { "content-type": "application/json" }); res.end(JSON.stringify(obj)); };
      if (req.method === "POST" && url.pathname.startsWith("/device/")) {
        let input = {};
        try { input = body ? JSON.parse(body) : {}; } catch { return send(400, { code: "BAD_REQUEST", message: "请求不是 JSON" }); }
        return answer(url.pathname.slice("/device/".length), input)
          .then((out) => (out && out.http && out.body ? send(out.http, out.body) : send(200, out)));
      }
      if (req.method === "POST" && url.pathname === "/__fake/fail") {
        const f = JSON.parse(body); st.fail[f.command] = f; return send(200, {});
      }
      if (req.method === "POST" && url.pathname === "/__fake/slow") {
        const f = JSON.parse(body); st.slow[f.command] = f.ms; return send(200, {});
      }
      if (req.method === "POST" && url.pathname === "/__fake/online") {
        st.online = !!JSON.parse(body).online; return send(200, {});
      }
      if (req.method === "POST" && url.pathname === "/__fake/demand") {
        const f = JSON.parse(body);
        const by = f.recorded_by ?? me.id;
        const d = { demand: { id: crypto.randomUUID(), station: station.id, text: f.text, category: f.category ?? "other",
          grid: f.grid ?? me.grids[0], location: null, recorded_at: Date.now(), recorded_by: by, device: crypto.randomUUID(),
          visit: null, contacts_in: null, attachments: [] }, history: [], extraContacts: [] };
        st.demands.push(d);
        return send(200, { id: d.demand.id });
      }
      if (req.method === "POST" && url.pathname === "/__fake/suggestion") {
        const f = JSON.parse(body);
        const d = st.demands.find((x) => x.demand.id === f.demand);
        d.suggestion = { id: crypto.randomUUID(), title: f.title, level: f.level, whistles: f.whistles ?? [] };
        d.joined = f.joined ?? [];
        return send(200, { id: d.suggestion.id });
      }
      if (req.method === "POST" && url.pathname === "/__fake/call_backs") return send(200, seedCallBacks());
      if (url.pathname === "/__fake/state") return send(200, { callBacks: st.callBacks, tasks: st.tasks, demands: st.demands, contacts: st.contacts.length, contactList: st.contacts, pending: st.pending, photos: st.photos, visits: st.visits });
      let file = path.join(dist, path.normalize(url.pathname).replace(/^([/\\])+/, ""));
      if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dist, "index.html");
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)), me, station, territory });
  }));
}

// `node dev-backend.mjs [port]`: serve for working on the forms by hand.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const b = await startDevBackend({ port: Number(process.argv[2] ?? 8088) });
  console.log(`dev backend (fake device) on ${b.url}`);
}
