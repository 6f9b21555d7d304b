// Component tests of the UI's forms in Debian's headless Chromium, against dev-backend.mjs (an
// in-memory fake of the device commands). They check what the UI itself decides: validation
// messages next to fields, the consent rule, category chips, drafts surviving a reload, the
// location flows (fix inside a grid, near a boundary, no fix → map pick), a failed save keeping
// the text, similar demands with "add this resident", language switch. The real backend is the
// lead's end-to-end test's business.
//
//   scripts/build-ui && (cd src-ui/e2e && npm install && npm run test:forms)
// Screenshots: tests/artifacts/ui/*.png (gitignored).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startDevBackend } from "./dev-backend.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, "..", "..", "tests", "artifacts", "ui");
fs.mkdirSync(shots, { recursive: true });

let backend, browser;
before(async () => {
  backend = await startDevBackend();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run"],
    timeout: 30_000,
  });
});
after(async () => { await browser?.close(); await backend?.close(); });

// ---- geometry helpers over the fixture territory (plain WGS-84 rings) ----
const ring = (g) => g.boundary[0];
const centroid = (r) => {
  // polygon centroid (shoelace), good for the convex-ish synthetic grids
  let a = 0, x = 0, y = 0;
  for (let i = 0; i < r.length - 1; i++) {
    const [x0, y0] = r[i], [x1, y1] = r[i + 1], f = x0 * y1 - x1 * y0;
    a += f; x += (x0 + x1) * f; y += (y0 + y1) * f;
  }
  return [x / (3 * a), y / (3 * a)];
};
function myGrid(i = 0) { return backend.territory.grids.find((g) => g.id === backend.me.grids[i]); }
function nearBoundaryPoint() {
  // A vertex my grid shares with another grid, moved 4 m into my grid: within 30 m of the other.
  for (const id of backend.me.grids) {
    const g = backend.territory.grids.find((x) => x.id === id);
    for (const v of ring(g)) {
      const other = backend.territory.grids.find((o) => o.id !== g.id && ring(o).some((w) => Math.abs(w[0] - v[0]) < 1e-9 && Math.abs(w[1] - v[1]) < 1e-9));
      if (!other) continue;
      const c = centroid(ring(g));
      const dx = c[0] - v[0], dy = c[1] - v[1], len = Math.hypot(dx * 111_000 * Math.cos(v[1] * Math.PI / 180), dy * 111_000);
      return { grid: g, other, lon: v[0] + dx * 4 / len, lat: v[1] + dy * 4 / len };
    }
  }
  throw new Error("no shared vertex");
}

async function page({ fixed, denyGeo = true, lang } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 420, height: 900 } });
  await ctx.addInitScript(([fixed, denyGeo, lang]) => {
    if (!sessionStorage.getItem("init")) {
      sessionStorage.setItem("init", "1");
      localStorage.clear();
      if (fixed) localStorage.setItem("gridvoice.fixedLocation", JSON.stringify(fixed));
      if (lang) localStorage.setItem("gridvoice.lang", lang);
    }
    if (denyGeo) {
      // Headless Chromium would leave the permission prompt unanswered: answer "denied" at once.
      navigator.geolocation.getCurrentPosition = (_ok, err) => setTimeout(() => err({ code: 1, PERMISSION_DENIED: 1, TIMEOUT: 3, message: "denied" }), 10);
    }
  }, [fixed ?? null, denyGeo, lang ?? null]);
  const p = await ctx.newPage();
  p.setDefaultTimeout(10_000);
  const errors = [];
  p.on("pageerror", (e) => errors.push(String(e)));
  p.errors = errors;
  return p;
}
const go = async (p, route) => { await p.goto(backend.url + route); await p.waitForSelector("html[data-ready='1']"); };
const shot = (p, name) => p.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
const text = (p, sel) => p.locator(sel).innerText();

test("home shows the delegate, station, grids and sync state in Chinese", async () => {
  const p = await page();
  await go(p, "/");
  await p.waitForSelector("[data-testid=delegate-name]");
  assert.equal(await text(p, "[data-testid=delegate-name]"), backend.me.name);
  assert.equal(await text(p, "[data-testid=station-name]"), backend.station.name);
  assert.match(await text(p, "[data-testid=my-grids]"), new RegExp(myGrid(0).name));
  assert.equal(await text(p, "[data-testid=online-state]"), "离线");
  assert.equal(await p.getAttribute("html", "lang"), "zh-CN");
  await shot(p, "home");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("the language switches to English and stays after a reload", async () => {
  const p = await page();
  await go(p, "/");
  assert.equal(await text(p, "[data-testid=nav-home]"), "首页");
  await p.click("#lang-toggle");
  assert.equal(await text(p, "[data-testid=nav-home]"), "Home");
  assert.equal(await p.getAttribute("html", "lang"), "en");
  await p.reload(); await p.waitForSelector("html[data-ready='1']");
  assert.equal(await text(p, "[data-testid=nav-record]"), "Record");
  await go(p, "/record");
  await shot(p, "record-en");
  await p.click("#lang-toggle");
  assert.equal(await text(p, "[data-testid=nav-record]"), "记诉求");
  await p.context().close();
});

test("an empty demand is refused with the reasons next to the fields, and nothing is sent", async () => {
  const p = await page({ fixed: { lat: centroid(ring(myGrid())) [1], lon: centroid(ring(myGrid()))[0], accuracy_m: 8 } });
  await go(p, "/record");
  await p.waitForSelector("[data-testid=detected-grid]");
  await p.click("#save-demand");
  assert.equal(await text(p, "#demand-text-error"), "请填写诉求内容");
  assert.equal(await text(p, "#demand-category-error"), "请选择一个类别");
  assert.match(await text(p, "#save-error"), /还不能保存/);
  assert.equal(await p.locator("[data-testid=saved]").count(), 0);
  const state = await (await fetch(backend.url + "/__fake/state")).json();
  assert.equal(state.demands.length, 0);
  await shot(p, "record-errors");
  await p.context().close();
});

test("category chips: one selected at a time, all twenty shown in three groups", async () => {
  const p = await page();
  await go(p, "/record");
  assert.equal(await p.locator("button.chip").count(), 20);
  await p.click("[data-testid=chip-lift_maintenance]");
  assert.equal(await p.getAttribute("[data-testid=chip-lift_maintenance]", "aria-pressed"), "true");
  await p.click("[data-testid=chip-elderly_care]");
  assert.equal(await p.getAttribute("[data-testid=chip-lift_maintenance]", "aria-pressed"), "false");
  assert.equal(await p.getAttribute("[data-testid=chip-elderly_care]", "aria-pressed"), "true");
  assert.equal(await text(p, "[data-testid=chip-elderly_care]"), "老有所养");
  await p.context().close();
});

test("a resident's name and phone need the consent tick and a valid phone", async () => {
  const c = centroid(ring(myGrid()));
  const p = await page({ fixed: { lat: c[1], lon: c[0], accuracy_m: 5 } });
  await go(p, "/record");
  await p.fill("#demand-text", "小区路灯不亮");
  await p.click("[data-testid=chip-safety]");
  await p.click(".contact summary");
  await p.fill("#contact-name", "李阿姨");
  await p.fill("#contact-phone", "12ab");
  await p.waitForSelector("[data-testid=detected-grid]");
  await p.click("#save-demand");
  assert.match(await text(p, "#contact-consent-error"), /必须征得本人同意/);
  assert.match(await text(p, "#contact-phone-error"), /电话号码格式不对/);
  assert.equal(await p.locator("[data-testid=saved]").count(), 0);
  await shot(p, "record-consent");
  await p.fill("#contact-phone", "138 0013 8000");
  await p.check("#contact-consent");
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  assert.match(await text(p, "[data-testid=saved]"), /^已保存/);
  const state = await (await fetch(backend.url + "/__fake/state")).json();
  assert.equal(state.contacts, 1);
  await p.context().close();
});

test("a draft survives closing the app mid-form", async () => {
  const p = await page();
  await go(p, "/record");
  await p.fill("#demand-text", "楼道堆放杂物，消防通道堵塞");
  await p.click("[data-testid=chip-safety]");
  await p.click(".contact summary");
  await p.fill("#contact-name", "赵先生");
  await p.reload(); await p.waitForSelector("html[data-ready='1']");
  assert.equal(await p.inputValue("#demand-text"), "楼道堆放杂物，消防通道堵塞");
  assert.equal(await p.getAttribute("[data-testid=chip-safety]", "aria-pressed"), "true");
  assert.equal(await p.inputValue("#contact-name"), "赵先生");
  await p.context().close();
});

test("a fix inside a grid shows grid, community and accuracy; 已保存 only after the backend answered", async () => {
  const g = myGrid(1);
  const c = centroid(ring(g));
  const p = await page({ fixed: { lat: c[1], lon: c[0], accuracy_m: 12 } });
  await go(p, "/record");
  await p.waitForSelector("[data-testid=detected-grid]");
  assert.equal(await text(p, "[data-testid=detected-grid]"), g.name);
  const community = backend.territory.communities.find((x) => x.id === g.community);
  assert.equal(await text(p, "[data-testid=detected-community]"), community.name);
  assert.match(await text(p, "[data-testid=detected-accuracy]"), /±12 m/);
  assert.equal(await p.locator("[data-testid=boundary-confirm]").count(), 0);
  await p.fill("#demand-text", "3号楼电梯经常停运，老人上下楼困难");
  await p.click("[data-testid=chip-lift_maintenance]");
  // A failed save keeps every typed character.
  await fetch(backend.url + "/__fake/fail", { method: "POST", body: JSON.stringify({ command: "request", code: "INTERNAL", message: "存储暂时不可用" }) });
  await p.click("#save-demand");
  assert.equal(await text(p, "#save-error"), "存储暂时不可用");
  assert.equal(await p.inputValue("#demand-text"), "3号楼电梯经常停运，老人上下楼困难");
  assert.equal(await p.locator("[data-testid=saved]").count(), 0);
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  const id = await p.getAttribute("[data-testid=saved]", "data-demand-id");
  const state = await (await fetch(backend.url + "/__fake/state")).json();
  const d = state.demands.find((x) => x.demand.id === id);
  assert.ok(d, "the saved id is the backend's record");
  assert.equal(d.demand.grid, g.id);
  assert.equal(d.demand.category, "lift_maintenance");
  assert.equal(d.demand.location.source, "manual");
  assert.equal(await p.inputValue("#demand-text"), "", "the form is cleared for the next demand");
  await shot(p, "record-saved");

  // The same grid now offers that demand as similar, and the resident can be added to it.
  await p.fill("#demand-text", "3号楼电梯又停运了");
  await p.waitForSelector(`[data-testid=similar-item][data-demand-id='${id}']`);
  await p.click(`[data-testid=attach-${id}]`);
  assert.match(await text(p, "#save-error"), /请填写居民姓名、电话并勾选同意/);
  await p.click(".contact summary");
  await p.fill("#contact-name", "王大爷");
  await p.fill("#contact-phone", "13900139000");
  await p.check("#contact-consent");
  await shot(p, "record-similar");
  await p.click(`[data-testid=attach-${id}]`);
  await p.waitForSelector("[data-testid=saved]");
  assert.match(await text(p, "[data-testid=saved]"), /居民已加入/);
  const after = await (await fetch(backend.url + "/__fake/state")).json();
  assert.equal(after.demands.length, state.demands.length, "no new record");
  await p.context().close();
});

test("near a boundary the grid must be confirmed before saving", async () => {
  const nb = nearBoundaryPoint();
  const p = await page({ fixed: { lat: nb.lat, lon: nb.lon, accuracy_m: 10 } });
  await go(p, "/record");
  await p.waitForSelector("[data-testid=boundary-confirm]");
  assert.equal(await text(p, "[data-testid=detected-grid]"), nb.grid.name);
  await p.fill("#demand-text", "路口没有红绿灯");
  await p.click("[data-testid=chip-traffic]");
  await p.click("#save-demand");
  assert.equal(await text(p, "#demand-location-error"), "位置靠近网格边界，请先确认网格");
  await shot(p, "record-boundary");
  await p.click("#confirm-grid");
  await p.waitForSelector("[data-testid=grid-confirmed]");
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  await p.context().close();
});

test("with no position the grid is picked on the offline map", async () => {
  const p = await page();
  await go(p, "/record");
  await p.waitForSelector("[data-testid=no-fix]");
  assert.match(await text(p, "[data-testid=no-fix]"), /没有定位权限/);
  await p.waitForSelector("#grid-map svg");
  assert.equal(await p.locator("#grid-map path[data-grid]").count(), backend.territory.grids.length);
  const g = myGrid(2 % backend.me.grids.length);
  await p.fill("#demand-text", "希望增加社区食堂");
  await p.click("[data-testid=chip-elderly_care]");
  await p.click("#save-demand");
  assert.match(await text(p, "#demand-location-error"), /在地图上选网格/);
  await p.locator(`#grid-map path[data-grid='${g.id}']`).dispatchEvent("click");
  assert.equal(await text(p, "[data-testid=detected-grid]"), g.name);
  assert.match(await text(p, "[data-testid=detected-accuracy]"), /地图选择/);
  await shot(p, "record-map");
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  const state = await (await fetch(backend.url + "/__fake/state")).json();
  const d = state.demands.find((x) => x.demand.text === "希望增加社区食堂");
  assert.equal(d.demand.grid, g.id);
  assert.equal(d.demand.location, null);
  await p.context().close();
});

test("visit: fields are checked, a visit starts and ends with its attendance", async () => {
  const p = await page();
  await go(p, "/visit");
  await p.click("#start-visit");
  assert.equal(await text(p, "#visit-grid-error"), "请选择网格");
  assert.equal(await text(p, "#visit-place-error"), "此项必填");
  await p.selectOption("#visit-grid", backend.me.grids[0]);
  await p.fill("#visit-place", "鼓楼社区活动室");
  await p.fill("#visit-topic", "老旧小区改造听取意见");
  // A fellow delegate of the station comes along (the list offers the station's others, not me).
  const fellows = backend.territory.delegates.filter((d) => d.station === backend.me.station && d.id !== backend.me.id);
  assert.ok(fellows.length > 0);
  assert.equal(await p.locator("[data-testid=visit-fellows] input").count(), fellows.length);
  await p.check(`[data-testid=with-${fellows[0].id}]`);
  await p.click("#start-visit");
  await p.waitForSelector("[data-testid=current-visit]");
  await p.fill("#visit-attendance", "-3");
  await p.click("#end-visit");
  assert.match(await text(p, "#visit-attendance-error"), /请填写人数/);
  await shot(p, "visit");
  await go(p, "/record");
  assert.match(await text(p, "[data-testid=record-visit]"), /老旧小区改造听取意见/);
  await go(p, "/visit");
  await p.fill("#visit-attendance", "14");
  await p.click("#end-visit");
  await p.waitForSelector("[data-testid=visit-ok]");
  assert.equal(await p.locator("[data-testid=visit-item]").count(), 1);
  assert.match(await text(p, "[data-testid=visit-delegates]"), new RegExp(fellows[0].name));
  await p.context().close();
});

test("my demands lists, searches and opens a timeline; sync lists receipts and clears them; tasks are honestly empty; enrol checks its fields", async () => {
  const p = await page();
  await go(p, "/demands");
  await p.waitForSelector("[data-testid=demand-item]");
  const all = await p.locator("[data-testid=demand-item]").count();
  assert.ok(all >= 3, `${all} demands`);
  await p.fill("#demand-search", "电梯");
  await p.press("#demand-search", "Enter");
  await p.waitForFunction(() => document.querySelectorAll("[data-testid=demand-item]").length === 1);
  await p.locator("[data-testid=demand-item] .item-head").click();
  await p.waitForSelector("[data-testid=timeline]");
  assert.match(await text(p, "[data-testid=timeline]"), /加入了居民联系方式/);
  await shot(p, "demands");

  await go(p, "/sync");
  await p.waitForSelector("[data-testid=pending-item]");
  assert.ok(await p.locator("[data-testid=pending-item]").count() >= 3);
  await shot(p, "sync-pending");
  await p.click("#sync-now");
  await p.waitForSelector("[data-testid=sync-ok]");
  await p.waitForSelector("[data-testid=pending-empty]");
  await shot(p, "sync-done");

  await go(p, "/tasks");
  assert.match(await text(p, "[data-testid=tasks-empty]"), /暂时没有任务/);
  await shot(p, "tasks");

  await go(p, "/enrol");
  await p.fill("#enrol-server", "gulou.example");
  await p.click("#enrol-submit");
  assert.match(await text(p, "#enrol-server-error"), /http:\/\//);
  assert.equal(await text(p, "#enrol-code-error"), "请填写绑定码");
  await p.fill("#enrol-server", "http://127.0.0.1:8080");
  await p.fill("#enrol-code", "BAD");
  await p.click("#enrol-submit");
  assert.equal(await text(p, "[data-testid=enrol-error]"), "绑定码无效");
  await shot(p, "enrol");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("a photo is shrunk in the webview before it is stored; a file that is not a picture is refused; the demand names the photo", async () => {
  const g = myGrid(0);
  const c = centroid(ring(g));
  const p = await page({ fixed: { lat: c[1], lon: c[0], accuracy_m: 8 } });
  await go(p, "/record");
  await p.waitForSelector("[data-testid=detected-grid]");
  await p.fill("#demand-text", "小区东门路灯坏了，晚上很黑");
  await p.click("[data-testid=chip-safety]");
  // A text file from the gallery: refused next to the field, nothing stored.
  await p.setInputFiles("#demand-photo", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a picture") });
  await p.waitForSelector("#demand-photo-error");
  assert.equal(await p.locator("[data-testid=photo-item]").count(), 0);
  // A 4000 × 3000 camera picture: stored as a JPEG no larger than 1600 px on its long side.
  const big = await p.evaluate(async () => {
    const c = document.createElement("canvas"); c.width = 4000; c.height = 3000;
    const g = c.getContext("2d"); g.fillStyle = "#2c3e50"; g.fillRect(0, 0, 4000, 3000);
    g.fillStyle = "#f1c40f"; g.fillRect(1800, 600, 400, 1800);
    const b = await new Promise((ok) => c.toBlob(ok, "image/png"));
    return Array.from(new Uint8Array(await b.arrayBuffer()));
  });
  await p.setInputFiles("#demand-photo", { name: "gate.png", mimeType: "image/png", buffer: Buffer.from(big) });
  await p.waitForSelector("[data-testid=photo-item] img");
  assert.equal(await p.locator("#demand-photo-error").count(), 0);
  const hash = await p.getAttribute("[data-testid=photo-item]", "data-hash");
  const size = await p.evaluate(() => { const i = document.querySelector("[data-testid=photo-item] img");
    return new Promise((ok) => { const im = new Image(); im.onload = () => ok([im.naturalWidth, im.naturalHeight]); im.src = i.src; }); });
  assert.deepEqual(size, [1600, 1200]);
  let state = await (await fetch(backend.url + "/__fake/state")).json();
  assert.ok(state.photos[hash] > 0 && state.photos[hash] < big.length, "the stored photo is smaller than the picture taken");
  await shot(p, "record-photo");
  // The photo survives a reload as part of the draft (without its preview), then is saved with the demand.
  await p.reload(); await p.waitForSelector("html[data-ready='1']");
  await p.waitForSelector(`[data-testid=photo-item][data-hash='${hash}']`);
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  const id = await p.getAttribute("[data-testid=saved]", "data-demand-id");
  state = await (await fetch(backend.url + "/__fake/state")).json();
  assert.deepEqual(state.demands.find((x) => x.demand.id === id).demand.attachments, [hash]);
  assert.equal(await p.locator("[data-testid=photo-item]").count(), 0, "the form is cleared for the next demand");
  // My demands: opening the demand shows its photo. When the photo cannot be had (not on the
  // device and no network), the reason is said in place of it; opened again, it shows.
  await fetch(backend.url + "/__fake/fail", { method: "POST", body: JSON.stringify({ command: "photo", code: "OFFLINE", message: "照片还没有下载到本机，联网后再打开即可查看", http: 503 }) });
  await go(p, "/demands");
  await p.click(`[data-testid='open-${id}']`);
  await p.waitForSelector("[data-testid=demand-photo-error]");
  assert.equal(await p.getAttribute("[data-testid=demand-photo-error]", "data-code"), "OFFLINE");
  assert.match(await text(p, "[data-testid=demand-photo-error]"), /联网后/);
  await p.click(`[data-testid='open-${id}']`);
  await p.click(`[data-testid='open-${id}']`);
  await p.waitForSelector("[data-testid=demand-photo]");
  const shown = await p.evaluate(() => { const i = document.querySelector("[data-testid=demand-photo]");
    return new Promise((ok) => { if (i.complete) ok([i.naturalWidth, i.naturalHeight]); else i.onload = () => ok([i.naturalWidth, i.naturalHeight]); }); });
  assert.deepEqual(shown, [1600, 1200]);
  await shot(p, "demand-photo");
  assert.deepEqual(p.errors, []);
});
