// A smoke test of the UI against whatever serves it at GRIDVOICE_UI_URL: the device bridge
// (`gridvoice ui --port P --dist dist`) of an enrolled device, or the Tauri dev server. It uses
// only the UI (no test hooks), so it runs against the real backend:
//   GRIDVOICE_UI_URL=http://127.0.0.1:8099 GRIDVOICE_FIXED_LOCATION='{"lat":..,"lon":..,"accuracy_m":8}' \
//     node --test smoke.test.mjs
// Without GRIDVOICE_FIXED_LOCATION the grid is picked on the map (the first of my grids).
// Screenshots: tests/artifacts/ui/smoke-*.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const base = process.env.GRIDVOICE_UI_URL;
const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, "..", "..", "tests", "artifacts", "ui");

test("record a demand through the real backend and find it in my demands and pending", { skip: !base && "GRIDVOICE_UI_URL not set" }, async () => {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run"],
  });
  try {
    const ctx = await browser.newContext({ viewport: { width: 420, height: 900 } });
    const fixed = process.env.GRIDVOICE_FIXED_LOCATION ?? null;
    await ctx.addInitScript((fixed) => {
      if (fixed) localStorage.setItem("gridvoice.fixedLocation", fixed);
      navigator.geolocation.getCurrentPosition = (_ok, err) => setTimeout(() => err({ code: 1 }), 10);
    }, fixed);
    const p = await ctx.newPage();
    p.setDefaultTimeout(15_000);
    const errors = [];
    p.on("pageerror", (e) => errors.push(String(e)));
    await p.goto(base + "/");
    await p.waitForSelector("[data-testid=delegate-name]");
    await p.screenshot({ path: path.join(shots, "smoke-home.png"), fullPage: true });
    await p.click("[data-testid=nav-record]");
    const text = `冒烟测试诉求 ${Date.now()}`;
    await p.fill("#demand-text", text);
    await p.click("[data-testid=chip-livability]");
    if (fixed) {
      await p.waitForSelector("[data-testid=detected-grid]");
      if (await p.locator("#confirm-grid").count()) await p.click("#confirm-grid");
    } else {
      await p.waitForSelector("#grid-map svg");
      const status = await (await p.request.post(base + "/device/status", { data: {} })).json();
      await p.locator(`#grid-map path[data-grid='${status.grids[0]}']`).dispatchEvent("click");
    }
    await p.click("#save-demand");
    await p.waitForSelector("[data-testid=saved]");
    assert.match(await p.locator("[data-testid=saved]").innerText(), /^已保存/);
    const id = await p.getAttribute("[data-testid=saved]", "data-demand-id");
    await p.click("[data-testid=nav-demands]");
    await p.waitForSelector(`[data-testid=demand-item][data-demand-id='${id}']`);
    await p.click("[data-testid=nav-sync]");
    await p.waitForSelector("[data-testid=pending-total], [data-testid=pending-empty]");
    await p.screenshot({ path: path.join(shots, "smoke-sync.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
