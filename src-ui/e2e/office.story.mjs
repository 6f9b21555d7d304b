// The street office closing the loop, in Debian's headless Chromium against a real
// gridvoice-server (started, with its data and its movable clock, by tests/tests/office_pages.rs,
// which also plays the delegates' phones). Office staff sign in, find the station's lift
// suggestion, route it to the street's city-management office (lead) with the petitions centre
// assisting, on Friday 26 September 2025; the due day is counted in working days across National
// Day. The lead answers on time; on 15 October the assisting unit has not, and the case is red;
// it answers late. After both delegates have called their residents back — one satisfied, one not
// — the office sees the case reopened and counted. Then it hands out a one-time code for a new
// delegate's phone and revokes a lost one.
//
// Usage: node office.story.mjs <base url> <office code> <screenshot dir>
// Prints {"step":"<name>"} when it waits for the test to move the server's clock or the phones,
// then reads one line on stdin before it goes on; at the end one JSON line of what it saw.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { chromium } from "playwright-core";

const [base, officeCode, shots] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });
const timer = setTimeout(() => { console.error("timeout"); process.exit(4); }, 150_000);
const seen = {};
const input = readline.createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
async function step(name) {
  console.log(JSON.stringify({ step: name }));
  await lines.next();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run"],
  timeout: 30_000,
});
const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  page.on("pageerror", (e) => { console.error("page error:", e.message); });
  await page.goto(base + "/");
  await page.waitForSelector("html[data-ready='1']");
  await page.getByTestId("signin-code").fill(officeCode);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("whoami").waitFor();
  seen.whoami = await page.getByTestId("whoami").innerText();

  const openSuggestions = async () => {
    await page.getByTestId("tab-suggestion").click();
    await page.getByTestId("station-suggestion").first().waitFor();
  };
  const suggestion = () => page.getByTestId("station-suggestion").first();
  const handling = () => suggestion().getByTestId("handling");
  await openSuggestions();
  seen.suggestions = await page.getByTestId("station-suggestion").count();

  // Routing with a unit the catalogue does not have is not possible from the form; a due day
  // before today is refused in plain words, and nothing is written.
  await handling().getByTestId("act-route").click();
  const form = () => handling().getByTestId("handling-form");
  await form().getByTestId("route-lead").selectOption("U-S02");
  await form().locator("[data-testid=route-assist][value='U-S07']").check();
  await form().getByTestId("handling-due").fill("2025-09-01");
  await form().getByTestId("handling-send").click();
  await handling().getByTestId("error").waitFor();
  seen.early_due = await handling().getByTestId("error").getAttribute("data-code");
  seen.early_due_words = await handling().getByTestId("error").innerText();
  await form().getByTestId("handling-due").fill("");
  await form().getByTestId("handling-send").click();
  await handling().locator("[data-testid=unit]").first().waitFor();
  seen.units = await handling().locator("[data-testid=unit]").evaluateAll(
    (els) => els.map((e) => e.getAttribute("data-unit")));
  seen.routed_due = await handling().getByTestId("handling-deadline").innerText();
  seen.routed_clock = await suggestion().getByTestId("demand-clock").innerText();
  await shot(page, "office-01-routed");

  // 9 October, the first working day after the holiday: the lead answers.
  await step("answer_lead");
  await page.reload();
  await page.waitForSelector("html[data-ready='1']");
  await openSuggestions();
  // The units' first word was due on Sunday 28 September, a make-up working day: late.
  seen.respond_on_oct_9 = await suggestion().getByTestId("demand-clock").innerText();
  await handling().getByTestId("act-unit-answer").click();
  await form().getByTestId("handling-unit").selectOption("U-S02");
  await form().getByTestId("handling-words").fill("已协调维保单位更换曳引机，电梯已恢复运行");
  await form().getByTestId("handling-send").click();
  await handling().locator("[data-testid=unit][data-unit='U-S02'][data-answered='true']").waitFor();
  // Now the case waits on the assisting unit, due on the routing's day.
  seen.left_on_oct_9 = Number(await suggestion().getByTestId("demand-clock").getAttribute("data-left"));
  seen.light_on_oct_9 = await suggestion().getByTestId("demand-clock").getAttribute("data-light");
  seen.resolve_on_oct_9 = await suggestion().getByTestId("demand-clock").innerText();

  // 15 October: the assisting unit has not answered by the 14th — red.
  await step("late");
  await page.reload();
  await page.waitForSelector("html[data-ready='1']");
  await openSuggestions();
  const clock = suggestion().getByTestId("demand-clock");
  seen.light_on_oct_15 = await clock.getAttribute("data-light");
  seen.left_on_oct_15 = Number(await clock.getAttribute("data-left"));
  seen.late_clock = await clock.innerText();
  await shot(page, "office-02-late");
  // An answer with no words is refused; then the late answer.
  await handling().getByTestId("act-unit-answer").click();
  await form().getByTestId("handling-unit").selectOption("U-S07");
  await form().getByTestId("handling-send").click();
  await handling().getByTestId("error").waitFor();
  seen.empty_answer = await handling().getByTestId("error").getAttribute("data-code");
  await form().getByTestId("handling-words").fill("已将电梯纳入老旧电梯更新计划，明年一季度更换");
  await form().getByTestId("handling-send").click();
  await handling().locator("[data-testid=unit][data-unit='U-S07'][data-answered='true']").waitFor();
  seen.answered_units = await handling().locator("[data-testid=unit][data-answered='true']").count();
  seen.late_answer = await handling().locator("[data-testid=unit][data-unit='U-S07']").innerText();

  // The delegates call their residents back on their phones, offline, and sync.
  await step("called_back");
  await page.reload();
  await page.waitForSelector("html[data-ready='1']");
  await openSuggestions();
  await handling().getByTestId("reopened").waitFor();
  seen.reopened = await handling().getAttribute("data-reopened");
  seen.reopened_words = await handling().getByTestId("reopened").innerText();
  seen.callbacks = await handling().locator("[data-testid=callback]").evaluateAll(
    (els) => els.map((e) => e.getAttribute("data-outcome")));
  seen.units_after = await handling().locator("[data-testid=unit][data-answered='true']").count();
  seen.clock_after = await suggestion().getByTestId("demand-clock").innerText();
  await shot(page, "office-03-reopened");
  // The inbox says the same of the demand.
  await page.getByTestId("tab-inbox").click();
  await page.getByTestId("demand-item").first().waitFor();
  seen.statuses = (await page.getByTestId("demand-status").allInnerTexts()).sort();
  // The stopped lift leaves old people stranded: the office marks it urgent.
  const kept = page.locator("[data-testid=demand-item][data-status=routed]").first();
  await kept.getByTestId("act-urgent").click();
  await page.locator("[data-testid=demand-item][data-status=routed] [data-testid=urgent]").waitFor();
  seen.urgent_clock = await page.locator("[data-testid=demand-item][data-status=routed] [data-testid=demand-clock]").innerText();
  await shot(page, "office-04-inbox");

  // Administration: a one-time code for a new delegate's phone, with its QR code; 张伟's phone
  // was lost — it is revoked at once.
  await page.getByTestId("tab-admin").click();
  await page.getByTestId("enrol-delegate").selectOption("D05");
  await page.getByTestId("enrol-hours").fill("0");
  await page.getByTestId("enrol-make").click();
  await page.getByTestId("admin-enrol").getByTestId("error").waitFor();
  seen.bad_hours = await page.getByTestId("admin-enrol").getByTestId("error").innerText();
  await page.getByTestId("enrol-hours").fill("48");
  await page.getByTestId("enrol-make").click();
  await page.getByTestId("enrol-card").waitFor();
  seen.enrol_code = await page.getByTestId("enrol-code").innerText();
  seen.enrol_who = await page.getByTestId("enrol-card").locator("strong").innerText();
  seen.enrol_qr = await page.getByTestId("enrol-qr").locator("svg").count();
  seen.units_levels = await page.getByTestId("units-level").count();
  // The street's territory files: one missing is named; all of them pass the check with their
  // counts, and then install.
  const gulou = path.resolve("../../data/gulou");
  const territoryFiles = ["street.geojson", "communities.geojson", "quarters.geojson",
    "grids.geojson", "stations.geojson", "organisation.json"].map((f) => path.join(gulou, f));
  await page.getByTestId("territory-files").setInputFiles(territoryFiles.filter((f) => !f.endsWith("stations.geojson")));
  await page.getByTestId("territory-check").click();
  await page.getByTestId("admin-territory").getByTestId("error").waitFor();
  seen.territory_missing = await page.getByTestId("admin-territory").getByTestId("error").innerText();
  await page.getByTestId("territory-files").setInputFiles(territoryFiles);
  await page.getByTestId("territory-check").click();
  await page.getByTestId("territory-ok").waitFor();
  seen.territory_ok = await page.getByTestId("territory-ok").innerText();
  await page.getByTestId("territory-install").click();
  await page.locator("[data-testid=territory-ok][data-installed=true]").waitFor();
  seen.territory_installed = await page.getByTestId("territory-ok").innerText();
  // The State Council's calendar file passes; a time-limits file with a rule of no condition
  // does not, and says so.
  await page.getByTestId("file-calendar-input").setInputFiles(path.resolve("../../data/calendar/cn-workdays.csv"));
  await page.getByTestId("file-calendar-send").click();
  await page.getByTestId("file-calendar-ok").waitFor();
  seen.calendar_ok = await page.getByTestId("file-calendar-ok").innerText();
  await page.getByTestId("file-policy-input").setInputFiles({
    name: "policy.json", mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify({ default: [2, 1, 7, 2, 5], rules: [{ limits: [1, 1, 1, 1, 1] }] })),
  });
  await page.getByTestId("file-policy-send").click();
  await page.getByTestId("file-policy-problems").waitFor();
  seen.policy_problems = await page.getByTestId("file-policy-problems").innerText();
  await page.getByTestId("device-row").first().waitFor();
  seen.devices = await page.getByTestId("device-row").count();
  await shot(page, "office-05-admin");
  page.once("dialog", (d) => d.accept());
  const zhang = page.locator("[data-testid=device-row]", { hasText: "zhang" });
  await zhang.getByTestId("device-revoke").click();
  await page.locator("[data-testid=device-row][data-active='false']", { hasText: "zhang" }).waitFor();
  seen.revoked = await page.locator("[data-testid=device-row][data-active='false']").count();
} catch (e) {
  console.error(e);
  try { await browser.close(); } catch {}
  clearTimeout(timer);
  process.exit(1);
}
await browser.close();
clearTimeout(timer);
input.close();
console.log(JSON.stringify(seen));
