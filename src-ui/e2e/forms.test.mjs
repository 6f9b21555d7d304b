// Component tests of the UI's forms in Debian's headless Chromium, against dev-backend.mjs (an
// in-memory fake of the device commands). They check what the UI itself decides: validation
// messages next to fields, the consent rule, category chips, drafts surviving a reload, the
// location flows (fix inside a grid, near a boundary, no fix → the station's map), a failed save
// keeping the text, similar demands with "add this resident", language switch, and the issue 9
// walkthrough at a phone's size (390 × 844): a sync left mid-way, errors brought into view, lists
// and the demand's page, home's honesty about the server, the words, and the taps it takes to
// record a demand with a resident's contact. The real backend is the lead's end-to-end test's
// business.
//
//   scripts/build-ui && (cd src-ui/e2e && npm install && npm run test:forms)
//   GRIDVOICE_UI_DIST=/tmp/ui npm run test:forms   # against DIST=/tmp/ui scripts/build-ui
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
  // GRIDVOICE_UI_DIST: a dist directory other than the repository's dist/ (scripts/build-ui's DIST).
  backend = await startDevBackend(process.env.GRIDVOICE_UI_DIST ? { dist: path.resolve(process.env.GRIDVOICE_UI_DIST) } : {});
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
  // A phone: the walkthrough of issue 9 was made at 390 × 844.
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
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
  // A Rust panic prints through console_error_panic_hook ("panicked at …") before it throws.
  p.on("console", (m) => { if (m.type() === "error" && /panicked|disposed|RuntimeError/.test(m.text())) errors.push(m.text()); });
  p.errors = errors;
  return p;
}
/** Taps 保存 and waits for this save's answer (not an earlier one still shown). */
async function saveAndWait(p) {
  const before = await p.locator("[data-testid=saved]").getAttribute("data-demand-id").catch(() => null);
  await p.click("#save-demand");
  await p.waitForFunction((b) => {
    const el = document.querySelector("[data-testid=saved]");
    return el && el.dataset.demandId !== b;
  }, before);
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

test("a resident's name and phone need the consent tick and a valid phone; the message says which part is wrong (item 7)", async () => {
  const c = centroid(ring(myGrid()));
  const p = await page({ fixed: { lat: c[1], lon: c[0], accuracy_m: 5 } });
  await go(p, "/record");
  await p.fill("#demand-text", "小区路灯不亮");
  await p.click("[data-testid=chip-safety]");
  // One tap says the resident agrees and opens name and phone; the tick can still be taken back.
  await p.click("#contact-add");
  assert.equal(await p.isChecked("#contact-consent"), true);
  await p.uncheck("#contact-consent");
  await p.fill("#contact-name", "李阿姨");
  await p.waitForSelector("[data-testid=detected-grid]");
  // A name with an empty phone asks for the phone.
  await p.click("#save-demand");
  assert.equal(await text(p, "#contact-phone-error"), "请填写居民电话");
  assert.match(await text(p, "#contact-consent-error"), /必须征得本人同意/);
  // A 10-digit "mobile" is refused, and the message says why.
  await p.fill("#contact-phone", "1380013800");
  await p.click("#save-demand");
  assert.equal(await text(p, "#contact-phone-error"), "手机号应为 11 位数字，现在是 10 位");
  await p.fill("#contact-phone", "69041234");
  await p.click("#save-demand");
  assert.match(await text(p, "#contact-phone-error"), /固定电话请加上区号/);
  await p.fill("#contact-phone", "12ab");
  await p.click("#save-demand");
  assert.match(await text(p, "#contact-phone-error"), /只能有数字/);
  assert.equal(await p.locator("[data-testid=saved]").count(), 0);
  await shot(p, "record-consent");
  // A landline with its area code is a valid phone; fixed, the error lines go before any save.
  await p.fill("#contact-phone", "010-6904 1234");
  assert.equal(await p.locator("#contact-phone-error").count(), 0);
  await p.check("#contact-consent");
  assert.equal(await p.locator("#contact-consent-error").count(), 0);
  assert.equal(await p.locator("#save-error").count(), 0, "the summary goes with the last error");
  await p.fill("#contact-phone", "138 0013 8000");
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
  await p.click("#contact-add");
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
  assert.equal(await text(p, "[data-testid=detected-accuracy]"), "本机预设位置 ±12 米");
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
  // The errors are in the contact part: it opened, its first field focused.
  await p.waitForFunction(() => document.activeElement?.id === "contact-name");
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
  assert.equal(await text(p, "#demand-location-error"), "请先确认网格");
  assert.match(await text(p, "[data-testid=boundary-confirm]"), /相邻网格：.*（\d+ 米）/);
  await shot(p, "record-boundary");
  await p.click("#confirm-grid");
  await p.waitForSelector("[data-testid=grid-confirmed]");
  assert.equal(await p.locator("#demand-location-error").count(), 0, "the error goes once the grid is confirmed");
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  await p.context().close();
});

test("with no position the grid is picked on the station's map: labelled, own grids marked, another station's refused; the pick is not carried over once a position can be had (item 3)", async () => {
  const p = await page();
  await go(p, "/record");
  await p.waitForSelector("[data-testid=no-fix]");
  assert.match(await text(p, "[data-testid=no-fix]"), /没有定位权限/);
  await p.waitForSelector("#grid-map svg");
  // The station's grids and their neighbours, each of the station's grids named on the map.
  const stationGrids = backend.territory.grids.filter((g) => g.station === backend.station.id);
  assert.equal(await p.locator("#grid-map path.g-mine").count(), backend.me.grids.length);
  assert.equal(await p.locator("#grid-map path.g-station").count(), stationGrids.length - backend.me.grids.length);
  assert.equal(await p.locator("#grid-map text[data-label]").count(), stationGrids.length);
  assert.match(await text(p, "#grid-map"), new RegExp(myGrid(0).name.replace(/网格$/, "")));
  const shown = await p.locator("#grid-map path[data-grid]").count();
  assert.ok(shown < backend.territory.grids.length, `${shown} grids: the station's part, not the street`);
  await shot(p, "record-map");
  const g = myGrid(2 % backend.me.grids.length);
  await p.fill("#demand-text", "希望增加社区食堂");
  await p.click("[data-testid=chip-elderly_care]");
  await p.click("#save-demand");
  assert.match(await text(p, "#demand-location-error"), /在地图上选网格/);
  // Another station's grid: warned, and not taken.
  const theirs = await p.locator("#grid-map path.g-other").first().getAttribute("data-grid");
  await p.locator(`#grid-map path[data-grid='${theirs}']`).dispatchEvent("click");
  assert.match(await text(p, "[data-testid=pick-warning]"), /不是您的代表工作站，不能选/);
  assert.equal(await p.locator("[data-testid=detected-grid]").count(), 0);
  await shot(p, "record-map-other");
  // The whole street is a tap away.
  await p.click("[data-testid=map-whole]");
  assert.equal(await p.locator("#grid-map path[data-grid]").count(), backend.territory.grids.length);
  await p.click("[data-testid=map-whole]");
  await p.locator(`#grid-map path[data-grid='${g.id}']`).dispatchEvent("click");
  assert.equal(await text(p, "[data-testid=detected-grid]"), g.name);
  assert.match(await text(p, "[data-testid=detected-accuracy]"), /在地图上选的/);
  assert.equal(await p.locator("#demand-location-error").count(), 0, "the error goes once a grid is picked");
  assert.match(await text(p, "[data-testid=filed-in]"), new RegExp(`将记入：${g.name}`));
  // The position is back (GPS again) before the next demand: the next one is placed by it.
  const other = myGrid(0);
  const oc = centroid(ring(other));
  await p.evaluate((f) => localStorage.setItem("gridvoice.fixedLocation", JSON.stringify(f)), { lat: oc[1], lon: oc[0], accuracy_m: 6 });
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  const state = await (await fetch(backend.url + "/__fake/state")).json();
  const d = state.demands.find((x) => x.demand.text === "希望增加社区食堂");
  assert.equal(d.demand.grid, g.id);
  assert.equal(d.demand.location, null);
  await p.waitForFunction((name) => document.querySelector("[data-testid=detected-grid]")?.innerText === name, other.name);
  assert.match(await text(p, "[data-testid=detected-accuracy]"), /本机预设位置/);
  // No position again: the last grid is kept, but must be confirmed.
  await p.evaluate(() => localStorage.setItem("gridvoice.fixedLocation", JSON.stringify("none")));
  await p.fill("#demand-text", "希望社区食堂周末也开");
  await p.click("[data-testid=chip-elderly_care]");
  await saveAndWait(p);
  await p.waitForSelector("[data-testid=boundary-confirm]");
  assert.match(await text(p, "[data-testid=boundary-confirm]"), /暂用上一条诉求的网格/);
  assert.match(await text(p, "[data-testid=detected-accuracy]"), /沿用上一条诉求的网格/);
  await p.fill("#demand-text", "食堂饭菜偏咸");
  await p.click("[data-testid=chip-elderly_care]");
  await p.click("#save-demand");
  assert.equal(await text(p, "#demand-location-error"), "请先确认网格");
  await p.click("#confirm-grid");
  await saveAndWait(p);
  assert.deepEqual(p.errors, []);
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
  // Each pending record is named by what it is, never by its id.
  const pendingTexts = await p.locator("[data-testid=pending-item]").allInnerTexts();
  assert.ok(pendingTexts.some((x) => /^诉求：3号楼电梯经常停运/.test(x)), pendingTexts.join("\n"));
  assert.ok(pendingTexts.some((x) => /^居民联系方式/.test(x)), pendingTexts.join("\n"));
  for (const x of pendingTexts) assert.doesNotMatch(x, /[0-9a-f]{8}-[0-9a-f]{4}-/, "no record ids");
  await shot(p, "sync-pending");
  await p.click("#sync-now");
  await p.waitForSelector("[data-testid=sync-ok]");
  assert.match(await text(p, "[data-testid=sync-ok]"), /^已全部同步/);
  await p.waitForSelector("[data-testid=pending-empty]");
  await shot(p, "sync-done");

  await go(p, "/tasks");
  await p.waitForSelector("[data-testid=tasks-count]");
  assert.match(await text(p, "[data-testid=tasks-count]"), /暂时没有任务/);
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
  // My demands: the demand's page shows its photo. When the photo cannot be had (not on the
  // device and no network), the reason is said in place of it; opened again, it shows.
  await fetch(backend.url + "/__fake/fail", { method: "POST", body: JSON.stringify({ command: "photo", code: "OFFLINE", message: "照片还没有下载到本机，联网后再打开即可查看", http: 503 }) });
  await go(p, "/demands");
  await p.click(`[data-testid='open-${id}']`);
  await p.waitForSelector("[data-testid=demand-photo-error]");
  assert.equal(await p.getAttribute("[data-testid=demand-photo-error]", "data-code"), "OFFLINE");
  assert.match(await text(p, "[data-testid=demand-photo-error]"), /联网后/);
  await p.click("[data-testid=back-to-demands]");
  await p.click(`[data-testid='open-${id}']`);
  await p.waitForSelector("[data-testid=demand-photo]");
  const shown = await p.evaluate(() => { const i = document.querySelector("[data-testid=demand-photo]");
    return new Promise((ok) => { if (i.complete) ok([i.naturalWidth, i.naturalHeight]); else i.onload = () => ok([i.naturalWidth, i.naturalHeight]); }); });
  assert.deepEqual(shown, [1600, 1200]);
  await shot(p, "demand-photo");
  assert.deepEqual(p.errors, []);
});

// ---- issue 9: the walkthrough on a phone ----

const fake = (what, body) => fetch(`${backend.url}/__fake/${what}`, { method: "POST", body: JSON.stringify(body) });
const state = async () => (await fetch(backend.url + "/__fake/state")).json();
/** Whether the element lies wholly on screen (no scroll needed to see or tap it). */
const onScreen = (p, sel) => p.locator(sel).first().evaluate((el) => {
  const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
});

test("item 1: leaving the sync page mid-sync breaks nothing, and the result is there on coming back; a save or a visit answered after its page was left neither", async () => {
  const p = await page();
  await go(p, "/record"); // a demand to sync
  await p.fill("#demand-text", "同步途中切换页面");
  await p.click("[data-testid=chip-other]");
  await p.locator(`#grid-map path[data-grid='${myGrid(0).id}']`).dispatchEvent("click");
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");

  await p.click("[data-testid=nav-sync]");
  await p.waitForSelector("[data-testid=pending-item]");
  await fake("slow", { command: "sync_now", ms: 1500 });
  await p.click("#sync-now");
  await p.waitForSelector("[data-testid=sync-running]");
  await p.click("[data-testid=nav-demands]");
  await p.waitForSelector("[data-testid=page-demands]");
  await p.waitForTimeout(1800); // the sync ends while its page is gone
  await p.click("[data-testid=nav-home]");
  await p.waitForSelector("[data-testid=delegate-name]");
  assert.deepEqual(p.errors, [], "no panic while away");
  await p.click("[data-testid=nav-sync]");
  await p.waitForSelector("[data-testid=sync-ok]");
  assert.match(await text(p, "[data-testid=sync-ok]"), /^已全部同步/);
  await p.waitForSelector("[data-testid=pending-empty]");
  await shot(p, "sync-came-back");

  // A save the backend answers after the delegate switched tabs.
  await go(p, "/record");
  await p.fill("#demand-text", "保存途中切换页面");
  await p.click("[data-testid=chip-other]");
  await p.locator(`#grid-map path[data-grid='${myGrid(0).id}']`).dispatchEvent("click");
  await fake("slow", { command: "request", ms: 800 });
  await p.click("#save-demand");
  await p.click("[data-testid=nav-home]");
  await p.waitForTimeout(1200);
  assert.ok((await state()).demands.some((d) => d.demand.text === "保存途中切换页面"), "saved all the same");
  await p.click("[data-testid=nav-record]");
  await p.waitForSelector("[data-testid=page-record]");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("item 4: 保存 brings the first error into view and focuses its field; errors in the contact part open it; emptying the name neither closes it nor loses the cursor; error lines go once fixed", async () => {
  const c = centroid(ring(myGrid(1)));
  const p = await page({ fixed: { lat: c[1], lon: c[0], accuracy_m: 9 } });
  await go(p, "/record");
  await p.waitForSelector("[data-testid=detected-grid]");
  const toBottom = () => p.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await toBottom();
  assert.equal(await onScreen(p, "#save-demand"), true, "the save bar stays on screen");
  await p.click("#save-demand");
  await p.waitForFunction(() => document.activeElement?.id === "demand-text");
  assert.equal(await onScreen(p, "#demand-text"), true, "the first error's field is brought into view");
  assert.equal(await text(p, "#demand-text-error"), "请填写诉求内容");
  await p.keyboard.type("单元门禁坏了，陌生人随便进出");
  assert.equal(await p.locator("#demand-text-error").count(), 0, "gone once fixed, before any save");
  assert.equal(await text(p, "#demand-category-error"), "请选择一个类别", "the other errors stay");
  await p.click("[data-testid=chip-safety]");
  assert.equal(await p.locator("#demand-category-error").count(), 0);
  assert.equal(await p.locator("#save-error").count(), 0, "the summary goes with the last error");

  await p.click("#contact-add");
  await p.waitForFunction(() => document.activeElement?.id === "contact-name");
  await p.keyboard.type("赵先生");
  await p.fill("#contact-phone", "139");
  await toBottom();
  await p.click("#save-demand");
  await p.waitForFunction(() => document.activeElement?.id === "contact-phone");
  assert.equal(await onScreen(p, "#contact-phone"), true);
  assert.equal(await text(p, "#contact-phone-error"), "手机号应为 11 位数字，现在是 3 位");
  await shot(p, "record-error-in-view");

  // Emptying the name: the part stays open and the cursor stays in the field.
  await p.click("#contact-name");
  await p.keyboard.press("End");
  for (let i = 0; i < 3; i++) await p.keyboard.press("Backspace");
  assert.equal(await p.inputValue("#contact-name"), "");
  assert.equal(await p.locator("[data-testid=contact]").isVisible(), true);
  assert.equal(await p.evaluate(() => document.activeElement?.id), "contact-name");
  await p.keyboard.type("赵建华");
  assert.equal(await p.inputValue("#contact-name"), "赵建华");

  // A draft whose contact part was closed (nothing typed there yet), then an attach that needs
  // a contact: the part opens at its first error.
  await p.click("[data-testid=contact-remove]");
  assert.equal(await p.locator("[data-testid=contact]").count(), 0);
  await p.fill("#demand-text", "单元门禁坏了");
  await p.click("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  await p.fill("#demand-text", "单元门禁又坏了");
  await p.click("[data-testid=chip-safety]");
  const id = await p.getAttribute("[data-testid=saved]", "data-demand-id");
  await p.waitForSelector(`[data-testid=attach-${id}]`);
  await p.click(`[data-testid=attach-${id}]`);
  await p.waitForFunction(() => document.activeElement?.id === "contact-name");
  assert.equal(await onScreen(p, "#contact-name"), true);
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("Goal: a demand with a resident's contact takes at most 6 taps besides typing, no scroll; within a visit the category is remembered", async () => {
  const g = myGrid(0);
  const c = centroid(ring(g));
  const p = await page({ fixed: { lat: c[1], lon: c[0], accuracy_m: 8 } });
  await go(p, "/visit");
  await p.selectOption("#visit-grid", g.id);
  await p.fill("#visit-place", "东菜园小区南门");
  await p.fill("#visit-topic", "听取安全隐患意见");
  await p.click("#start-visit");
  await p.waitForSelector("[data-testid=current-visit]");
  await go(p, "/");
  await p.waitForSelector("[data-testid=home-visit-now]");

  let taps = 0;
  let scrolls = 0;
  const log = [];
  const tap = async (sel) => {
    await p.waitForSelector(sel);
    if (!(await onScreen(p, sel))) { scrolls++; log.push(`scroll to ${sel}`); }
    await p.locator(sel).first().tap();
    taps++;
    log.push(`tap ${sel}`);
  };
  const type = (s) => p.keyboard.type(s);
  const focused = (id) => p.waitForFunction((id) => document.activeElement?.id === id, id);

  // The first demand of the visit.
  await tap("[data-testid=home-record]"); // 为本次走访记诉求
  await focused("demand-text"); // the form opens in the text
  await type("小区门口路灯坏了一个月，晚上很黑");
  await tap("[data-testid=chip-safety]");
  await tap("#contact-add"); // the resident agrees: name and phone open, the cursor in the name
  await focused("contact-name");
  await type("孙阿姨");
  await tap("#contact-phone");
  await type("13912345678");
  await p.waitForSelector("[data-testid=detected-grid]"); // the position came without a tap
  await shot(p, "goal-before-save");
  await tap("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  console.log(`goal, first demand: ${taps} taps, ${scrolls} scrolls (${log.join(", ")})`);
  assert.ok(taps <= 6, `${taps} taps: ${log.join(", ")}`);
  assert.equal(scrolls, 0, log.join(", "));

  // The next demand of the same visit: the category is still chosen.
  taps = 0; scrolls = 0; log.length = 0;
  assert.equal(await p.getAttribute("[data-testid=chip-safety]", "aria-pressed"), "true");
  await p.waitForSelector("[data-testid=detected-grid]");
  await tap("#demand-text");
  await type("楼道里电动车充电，担心起火");
  await tap("#contact-add");
  await focused("contact-name");
  await type("周师傅");
  await tap("#contact-phone");
  await type("13700001111");
  await tap("#save-demand");
  await p.waitForSelector("[data-testid=saved]");
  console.log(`goal, next demand: ${taps} taps, ${scrolls} scrolls (${log.join(", ")})`);
  assert.ok(taps <= 6, `${taps} taps: ${log.join(", ")}`);
  assert.equal(scrolls, 0, log.join(", "));

  const s = await state();
  const visit = s.visits.find((v) => v.visit.topic === "听取安全隐患意见").visit.id;
  for (const t of ["小区门口路灯坏了一个月，晚上很黑", "楼道里电动车充电，担心起火"]) {
    const d = s.demands.find((x) => x.demand.text === t);
    assert.equal(d.demand.category, "safety");
    assert.equal(d.demand.grid, g.id);
    assert.equal(d.demand.visit, visit);
    assert.equal(d.demand.contacts_in, backend.me.id);
    assert.ok(s.contactList.some((x) => x.demand === d.demand.id && x.consent), "the contact, with consent");
  }
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("item 6: home says 在线 only while the server answers, shows the visit under way and records for it; the visit screen offers it too; visits newest first (item 5)", async () => {
  const p = await page();
  await go(p, "/visit");
  await p.selectOption("#visit-grid", backend.me.grids[1]);
  await p.fill("#visit-place", "西门社区广场");
  await p.fill("#visit-topic", "入户走访听意见");
  await p.click("#start-visit");
  await p.waitForSelector("[data-testid=current-visit]");
  await fake("online", { online: false });
  await go(p, "/");
  assert.equal(await text(p, "[data-testid=online-state]"), "离线");
  await fake("online", { online: true });
  await p.reload(); await p.waitForSelector("html[data-ready='1']");
  assert.equal(await text(p, "[data-testid=online-state]"), "在线");
  await fake("online", { online: false });
  await p.reload(); await p.waitForSelector("html[data-ready='1']");
  assert.equal(await text(p, "[data-testid=online-state]"), "离线", "the server went down: said at once");
  assert.match(await text(p, "main"), /上次同步成功/);

  // The visit under way is on home, with its own record button.
  await p.waitForSelector("[data-testid=home-visit-now]");
  assert.match(await text(p, "[data-testid=home-visit-now]"), /正在走访：.*入户走访听意见/);
  assert.equal(await text(p, "[data-testid=home-record]"), "为本次走访记诉求");
  await shot(p, "home-visit");
  await p.click("[data-testid=home-visit]");
  await p.waitForSelector("[data-testid=current-visit]");
  assert.equal(await text(p, "[data-testid=visit-record]"), "为本次走访记诉求");
  await p.click("[data-testid=visit-record]");
  await p.waitForSelector("[data-testid=record-visit]");
  assert.match(await text(p, "[data-testid=record-visit]"), /入户走访听意见/);
  // End it; home goes back to its two buttons; the newest visit heads the list.
  await go(p, "/visit");
  await p.fill("#visit-attendance", "9");
  await p.click("#end-visit");
  await p.waitForSelector("[data-testid=visit-ok]");
  const topics = await p.locator("[data-testid=visit-item] strong").allInnerTexts();
  assert.ok(topics.length >= 2, topics.join("、"));
  assert.equal(topics[0], "入户走访听意见", "newest first");
  await shot(p, "visit-list");
  await go(p, "/");
  await p.waitForSelector("[data-testid=home-record]");
  assert.equal(await p.locator("[data-testid=home-visit-now]").count(), 0);
  assert.equal(await text(p, "[data-testid=home-record]"), "记诉求");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("item 5: my demands are the delegate's own (the station's a tap away), long texts cut in the list and whole on the demand's page, which shows residents, contacts, visit and sync state", async () => {
  const other = backend.territory.delegates.find((d) => d.station === backend.me.station && d.id !== backend.me.id);
  await fake("demand", { text: "（其他代表记录）社区卫生站周末不开门", recorded_by: other.id });
  const long = "居民反映：" + "小区二期地下车库长期积水，".repeat(400);
  await fake("demand", { text: long.slice(0, 5000) });
  const p = await page();
  await go(p, "/demands");
  await p.waitForSelector("[data-testid=demand-item]");
  const mine = await p.locator("[data-testid=demand-item]").allInnerTexts();
  assert.ok(!mine.some((x) => x.includes("其他代表记录")), "only the delegate's own by default");
  await p.click("[data-testid=scope-station]");
  await p.waitForFunction(() => [...document.querySelectorAll("[data-testid=demand-item]")].some((e) => e.innerText.includes("其他代表记录")));
  await p.click("[data-testid=scope-mine]");
  // The long one: a few lines in the list.
  const item = p.locator("[data-testid=demand-item]", { hasText: "地下车库长期积水" });
  const shown = await item.locator("[data-testid=demand-text-short]").innerText();
  assert.ok(shown.length <= 81, `${shown.length} characters shown`);
  assert.ok((await item.boundingBox()).height < 260, "clipped");
  // Dates stay on one line.
  for (const lines of await p.locator(".list-item .date").evaluateAll((els) => els.map((e) => e.getClientRects().length))) {
    assert.equal(lines, 1, "a date broken over two lines");
  }
  await shot(p, "demands-mine");
  await item.locator(".item-head").click();
  await p.waitForSelector("[data-testid=demand-full-text]");
  assert.equal((await text(p, "[data-testid=demand-full-text]")).length, 5000);
  await p.click("[data-testid=back-to-demands]");

  // A demand of the goal's visit, with its resident.
  const d = (await state()).demands.find((x) => x.demand.text === "小区门口路灯坏了一个月，晚上很黑");
  await go(p, `/demands/${d.demand.id}`);
  await p.waitForSelector("[data-testid=demand-full-text]");
  assert.equal(await text(p, "[data-testid=demand-residents]"), "1 位留了联系方式");
  assert.match(await text(p, "[data-testid=demand-visit]"), /听取安全隐患意见 · 东菜园小区南门/);
  assert.match(await text(p, "[data-testid=demand-sync]"), /还没同步/);
  await p.waitForSelector("[data-testid=contact-item]");
  assert.match(await text(p, "[data-testid=contact-item]"), /孙阿姨 139\*\*\*\*5678/);
  await p.click("[data-testid=contact-show]");
  assert.equal(await text(p, "[data-testid=contact-phone-full]"), "13912345678");
  assert.equal(await p.getAttribute("[data-testid=contact-phone-full]", "href"), "tel:13912345678");
  await shot(p, "demand-page");
  // Synced: the page says so.
  await go(p, "/sync");
  await p.click("#sync-now");
  await p.waitForSelector("[data-testid=sync-ok]");
  await go(p, `/demands/${d.demand.id}`);
  await p.waitForSelector("[data-testid=demand-sync]");
  assert.equal(await text(p, "[data-testid=demand-sync]"), "已同步，服务器已确认");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("item 8: one name for the tab, the button and the page; every tab on a 390 px screen; 工作站 for the station", async () => {
  const p = await page();
  await go(p, "/");
  await p.waitForSelector("[data-testid=home-record]");
  const name = await text(p, "[data-testid=nav-record]");
  assert.equal(name, "记诉求");
  assert.equal(await text(p, "[data-testid=home-record]"), name);
  for (const tab of ["home", "record", "visit", "demands", "sync", "tasks"]) {
    const b = await p.locator(`[data-testid=nav-${tab}]`).boundingBox();
    assert.ok(b.x >= 0 && b.x + b.width <= 390, `${tab} tab at ${b.x}..${b.x + b.width}`);
  }
  assert.equal(await text(p, ".facts dt:nth-of-type(2)"), "代表工作站");
  await p.click("[data-testid=nav-record]");
  assert.equal(await text(p, "[data-testid=page-record] h2"), name);
  await shot(p, "record-top");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("what became of a demand: after the head's decisions arrive by sync, its page names the suggestion, its level and whistle, and the co-signers; the list counts them too", async () => {
  const { id } = await (await fake("demand", { text: "5号楼电梯停运三天，老人被困家中" })).json();
  const { id: twin } = await (await fake("demand", { text: "五号楼电梯坏了没人修" })).json();
  await fake("suggestion", { demand: id, title: "关于东菜园5号楼电梯维修的建议", level: "street",
    whistles: ["on_site_coordination"], joined: [twin] });
  const p = await page();
  await go(p, `/demands/${id}`);
  await p.waitForSelector("[data-testid=demand-suggestion]");
  assert.equal(await text(p, "[data-testid=demand-suggestion-title]"), "关于东菜园5号楼电梯维修的建议");
  assert.equal(await text(p, "[data-testid=demand-suggestion-level]"), "街道级办理");
  assert.equal(await text(p, "[data-testid=demand-suggestion-whistles]"), "已吹哨：现场办公、解释说明");
  assert.equal(await text(p, "[data-testid=demand-cosigners]"), "1 位居民");
  assert.equal(await text(p, "[data-testid=demand-status]"), "已形成建议");
  await shot(p, "demand-in-suggestion");
  await go(p, "/demands");
  const item = p.locator("[data-testid=demand-item]", { hasText: "5号楼电梯停运三天" });
  await item.waitFor();
  assert.match(await item.locator("[data-testid=demand-cosigners]").innerText(), /附议 1 人/);
  // In English too.
  await p.evaluate(() => localStorage.setItem("gridvoice.lang", "en"));
  await go(p, `/demands/${id}`);
  await p.waitForSelector("[data-testid=demand-suggestion]");
  assert.equal(await text(p, "[data-testid=demand-suggestion-level]"), "handled at street level");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("call-backs: the tasks page lists the two residents to call back with the answer and due day; 不满意 with a note takes one off and reopens its case, 未能联系上 keeps the other marked; a note over the limit is refused beside the field with nothing sent; a failed save keeps the note", async () => {
  const { own, cosigner } = await (await fake("call_backs", {})).json();
  const p = await page();
  await go(p, "/tasks");
  await p.waitForSelector("[data-testid=task-item]");
  // A recorded task hides itself: the ones on screen are those not hidden.
  const shown = "[data-testid=task-item]:not([hidden])";
  const items = p.locator("[data-testid=task-item]");
  assert.equal(await p.locator(shown).count(), 2);
  assert.equal(await text(p, "[data-testid=tasks-count]"), "2 位居民等待回访，最早到期的在前");
  // Soonest due first: the co-signer's (1 working day left), then the delegate's own (3).
  assert.equal(await items.nth(0).getAttribute("data-demand-id"), cosigner);
  assert.equal(await items.nth(1).getAttribute("data-demand-id"), own);
  const first = items.nth(0), second = items.nth(1);
  // The co-signer's: both units' answers under co-handling, the due day in yellow, no contact here.
  assert.match(await first.locator("[data-testid=task-text]").innerText(), /^东菜园小区车棚电线乱拉/);
  const units = await first.locator("[data-testid=task-unit]").allInnerTexts();
  assert.equal(units.length, 2);
  assert.match(units[0], /街道平安建设办公室\s*主办[\s\S]*已拆除私拉电线/);
  assert.match(units[1], /街道综合行政执法队\s*协办[\s\S]*劝导/);
  assert.equal(await first.locator("[data-testid=task-due]").getAttribute("data-light"), "yellow");
  assert.match(await first.locator("[data-testid=task-due]").innerText(), /^回访期限 \d{4}-\d{2}-\d{2}，还剩 1 个工作日$/);
  assert.equal(await first.locator("[data-testid=task-contact]").count(), 0);
  assert.match(await first.locator("[data-testid=task-no-contact]").innerText(), /没有这位居民/);
  // The delegate's own: the words cut in the list, the answer to read out, the resident to call.
  const words = await second.locator("[data-testid=task-text]").innerText();
  assert.ok(words.endsWith("…") && words.length <= 61, words);
  assert.match(await second.locator("[data-testid=task-unit]").innerText(), /^街道城市管理办公室\s+已更换6号楼全部楼道灯/);
  assert.match(await second.locator("[data-testid=task-due]").innerText(), /还剩 3 个工作日/);
  assert.equal(await second.locator("[data-testid=task-contact-name]").innerText(), "赵桂芬");
  assert.equal(await second.locator("[data-testid=task-call]").getAttribute("href"), "tel:13911112222");
  // The buttons are big enough to tap.
  for (const sel of ["[data-testid=outcome-satisfied]", "[data-testid=task-call]", "[data-testid=task-save]"]) {
    const b = await second.locator(sel).boundingBox();
    assert.ok(b.height >= 44 && b.x >= 0 && b.x + b.width <= 390, `${sel} ${JSON.stringify(b)}`);
  }
  await shot(p, "tasks-list");

  // 保存 with no choice says so beside the choices; a note over the core's limit is refused beside
  // the field; nothing is sent.
  // (The message lines are always there, empty until they have something to say.)
  const says = (card, id, words) => card.locator(`[data-testid=${id}]`, { hasText: words }).waitFor();
  await second.locator("[data-testid=task-save]").click();
  await says(second, "task-outcome-error", "请选择回访结果");
  assert.equal(await second.locator("[data-testid=task-outcome-error]").innerText(), "请选择回访结果");
  await second.locator("[data-testid=outcome-dissatisfied]").click();
  assert.equal(await second.locator("[data-testid=task-outcome-error]").innerText(), "");
  assert.equal(await second.locator("[data-testid=outcome-dissatisfied]").getAttribute("aria-pressed"), "true");
  await second.locator("[data-testid=task-note]").fill("字".repeat(5001));
  await second.locator("[data-testid=task-save]").click();
  await says(second, "task-note-error", "内容过长");
  assert.equal(await second.locator("[data-testid=task-note-error]").innerText(), "内容过长：5001 字，最多 5000 字");
  assert.equal((await state()).callBacks.length, 0, "nothing sent");
  await shot(p, "tasks-note-too-long");

  // A failed save says why in plain Chinese and keeps what was typed.
  const note = "居民说灯修好了但楼道还是很暗，希望再加装两盏";
  await second.locator("[data-testid=task-note]").fill(note);
  assert.equal(await second.locator("[data-testid=task-note-error]").innerText(), "");
  await fake("fail", { command: "request", code: "INTERNAL", message: "存储暂时不可用" });
  await second.locator("[data-testid=task-save]").click();
  await says(second, "task-error", "没有保存");
  assert.match(await second.locator("[data-testid=task-error]").innerText(), /^没有保存：存储暂时不可用。/);
  assert.equal(await second.locator("[data-testid=task-note]").inputValue(), note);
  assert.equal(await p.locator(shown).count(), 2);

  // 不满意 with the note: recorded, the task goes, the case is to be handled again.
  await second.locator("[data-testid=task-save]").click();
  await says(p, "task-saved", "不满意");
  assert.match(await text(p, "[data-testid=task-saved]"), /^已记录「6号楼楼道灯坏了两个月.*」的回访：不满意。该诉求将重新办理。$/);
  await p.waitForFunction((sel) => document.querySelectorAll(sel).length === 1, shown);
  assert.equal(await text(p, "[data-testid=tasks-count]"), "1 位居民等待回访，最早到期的在前");
  let sent = (await state()).callBacks;
  assert.deepEqual(sent, [{ demand: own, outcome: "dissatisfied", note }]);

  // 未能联系上: the task stays, marked.
  const left = p.locator(shown).first();
  assert.equal(await left.getAttribute("data-demand-id"), cosigner);
  assert.equal(await left.locator("[data-testid=task-unreachable]").count(), 0);
  await left.locator("[data-testid=outcome-unreachable]").click();
  await left.locator("[data-testid=task-save]").click();
  await left.locator("[data-testid=task-unreachable]").waitFor();
  await says(p, "task-saved", "任务保留");
  assert.match(await text(p, "[data-testid=task-saved]"), /未能联系上。任务保留，请稍后再联系。$/);
  assert.equal(await p.locator(shown).count(), 1);
  assert.equal(await text(p, "[data-testid=task-unreachable]"), "上次未能联系上");
  assert.equal(await left.locator("[data-testid=task-note]").inputValue(), "");
  sent = (await state()).callBacks;
  assert.deepEqual(sent[1], { demand: cosigner, outcome: "unreachable", note: null });
  await shot(p, "tasks-recorded");
  // Coming back, the device still lists it, marked.
  await go(p, "/tasks");
  await p.waitForSelector("[data-testid=task-item] [data-testid=task-unreachable]");
  assert.equal(await p.locator(shown).count(), 1);

  // The reopened case's page names the unit, the call-back and the reopening.
  await go(p, `/demands/${own}`);
  await p.waitForSelector("[data-testid=timeline]");
  assert.match(await text(p, "[data-testid=demand-units]"), /街道城市管理办公室\s*主办/);
  assert.equal(await text(p, "[data-testid=demand-reopened]"), "1 次");
  const timeline = await text(p, "[data-testid=timeline]");
  assert.match(timeline, /交办理单位：街道城市管理办公室；期限/);
  assert.match(timeline, /已答复：街道城市管理办公室；已更换6号楼全部楼道灯/);
  assert.match(timeline, new RegExp(`代表回访居民：不满意；${note}`));
  assert.match(timeline, /重新打开：居民不满意/);
  await shot(p, "demand-called-back");

  // In English too.
  await p.evaluate(() => localStorage.setItem("gridvoice.lang", "en"));
  await go(p, "/tasks");
  await p.waitForSelector("[data-testid=task-item]");
  assert.equal(await text(p, "[data-testid=task-unreachable]"), "Not reached last time");
  assert.equal(await p.locator("[data-testid=outcome-basically_satisfied]").innerText(), "Basically satisfied");
  assert.match(await text(p, "[data-testid=task-due]"), /^Call-back due \d{4}-\d{2}-\d{2}, 1 working days left$/);
  await shot(p, "tasks-en");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("a phone pinned to another server: the enrol page offers the reset, asks again before discarding what is unsent, then the phone enrols anew", async () => {
  const p = await page();
  // A record the server has not confirmed yet.
  const g = myGrid(0);
  await fetch(`${backend.url}/device/request`, { method: "POST", body: JSON.stringify({ op: "record_demand", text: "南锣鼓巷口路灯不亮", category: "safety", grid: g.id }) });
  await go(p, "/enrol");
  assert.equal(await p.locator("[data-testid=reset-submit]").count(), 0, "no reset offered before it is needed");
  await fake("fail", { command: "enrol", code: "ALREADY_INITIALISED", http: 400,
    message: "本设备已绑定另一台同步服务器，不能改绑到这里；如确需更换服务器，请先在代表工作室的指导下重置本设备（将清除本机数据）" });
  await p.fill("#enrol-server", "https://new.gulou.example");
  await p.fill("#enrol-code", "NEWC-ODE1-2345");
  await p.click("#enrol-submit");
  await p.waitForSelector("[data-testid=reset-submit]");
  assert.match(await text(p, "[data-testid=enrol-error]"), /另一台同步服务器/);
  assert.match(await text(p, "[data-testid=reset]"), /清除本机的记录、照片和凭据/);
  assert.equal(await text(p, "[data-testid=reset-submit]"), "重置本设备");
  // The first tap is refused while a record waits for the server; the button now says what it would discard.
  await p.click("[data-testid=reset-submit]");
  await p.waitForFunction(() => document.querySelector("[data-testid=reset-submit]")?.textContent.includes("放弃"));
  assert.match(await text(p, "[data-testid=enrol-error]"), /未同步到服务器/);
  assert.equal((await (await fetch(`${backend.url}/device/status`, { method: "POST", body: "{}" })).json()).enrolled, true, "nothing wiped yet");
  await shot(p, "reset-unsent");
  await p.click("[data-testid=reset-submit]");
  await p.waitForSelector("[data-testid=enrol-ok]");
  assert.equal(await text(p, "[data-testid=enrol-ok]"), "本设备已重置，可以重新绑定");
  assert.equal(await p.locator("[data-testid=reset-submit]").count(), 0);
  assert.equal((await (await fetch(`${backend.url}/device/status`, { method: "POST", body: "{}" })).json()).enrolled, false);
  await shot(p, "reset-done");
  // Enrolled anew at the new server.
  await p.fill("#enrol-code", "NEWC-ODE1-2345");
  await p.click("#enrol-submit");
  await p.waitForURL(`${backend.url}/`);
  assert.deepEqual(p.errors, []);
  await p.context().close();
});
