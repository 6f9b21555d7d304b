// The station head's afternoon, in Debian's headless Chromium against a real gridvoice-server
// (started, with its data, by tests/tests/station_pages.rs, which checks the server and the
// delegates' phones afterwards). 王建国 signs in with the office's code, finds the lift problem his
// two delegates recorded as one proposed cluster, joins it, picks it for a suggestion, forms it at
// the street level the rule proposes and whistles it; then signs out, and the page and the API
// refuse the old cookie. The head of another station signs in and sees none of it. First, he
// settles a parking complaint on which he decided twice at once (phone and tablet, offline):
// both decisions side by side, he keeps the answer; and he looks at 张伟's demands alone.
//
// Usage: node station.story.mjs <base url> <head code> <other station head code> <screenshot dir>
// Prints {"ready":"live"} when the inbox is open and waiting for a demand to arrive by sync, and
// at the end one JSON line of what it saw.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const [base, headCode, otherCode, shots] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });
const timer = setTimeout(() => { console.error("timeout"); process.exit(4); }, 120_000);
const seen = {};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run"],
  timeout: 30_000,
});
const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

async function signIn(context, code, name) {
  const page = await context.newPage();
  page.on("pageerror", (e) => { console.error("page error:", e.message); });
  await page.goto(base + "/");
  await page.waitForSelector("html[data-ready='1']");
  await page.getByTestId("signin-code").fill("WRONG-CODE");
  await page.getByTestId("signin-submit").click();
  seen[`${name}_bad_code`] = await page.getByTestId("error").innerText();
  await page.getByTestId("signin-code").fill(code);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("whoami").waitFor();
  seen[`${name}_whoami`] = await page.getByTestId("whoami").innerText();
  return page;
}

try {
  const head = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
  const page = await signIn(head, headCode, "head");
  await page.getByTestId("inbox-count").waitFor();
  seen.inbox_total = Number(await page.getByTestId("inbox-count").getAttribute("data-total"));
  seen.inbox_texts = await page.getByTestId("demand-item").locator(".item-text").allInnerTexts();

  await page.locator("[data-testid=inbox-map] [data-grid]").first().waitFor();
  seen.map_grids = await page.locator("[data-testid=inbox-map] [data-grid]").count();
  await page.getByTestId("category-count").first().waitFor();
  seen.category_counts = await page.getByTestId("category-count").allInnerTexts();
  // A day with nothing in it, then every day again.
  await page.getByTestId("filter-from").fill("2021-03-02");
  await page.getByTestId("inbox-empty").waitFor();
  seen.after_march_first = Number(await page.getByTestId("inbox-count").getAttribute("data-total"));
  await page.getByTestId("filter-from").fill("");
  await page.locator("[data-testid=inbox-count][data-total='3']").waitFor();
  await page.locator("[data-testid=inbox-map] [data-grid]").first().waitFor();
  await page.getByTestId("category-count").first().waitFor();
  await shot(page, "station-inbox");
  // Two decisions made at once on the parking complaint: both shown, he keeps the answer.
  await page.getByTestId("filter-needs-decision").check();
  await page.locator("[data-testid=inbox-count][data-total='1']").waitFor();
  seen.needs_decision = Number(await page.getByTestId("inbox-count").getAttribute("data-total"));
  await page.getByTestId("version").first().waitFor();
  seen.versions = (await page.getByTestId("version").locator("strong").allInnerTexts()).sort();
  await shot(page, "station-needs-decision");
  await page.getByTestId("version").filter({ hasText: "当场答复" }).getByTestId("version-keep").click();
  await page.getByTestId("inbox-empty").waitFor();
  seen.needs_decision_after = Number(await page.getByTestId("inbox-count").getAttribute("data-total"));
  await page.getByTestId("filter-needs-decision").uncheck();
  await page.locator("[data-testid=inbox-count][data-total='3']").waitFor();
  seen.parking_status = await page.getByTestId("demand-item").filter({ hasText: "消防通道" }).getAttribute("data-status");

  // Overdue: recorded in March 2021 and never decided, the two lift demands are long past their
  // review's due day (the parking complaint is settled).
  await page.getByTestId("filter-overdue").check();
  await page.locator("[data-testid=inbox-count][data-total='2']").waitFor();
  seen.overdue = Number(await page.getByTestId("inbox-count").getAttribute("data-total"));
  seen.overdue_lights = await page.getByTestId("demand-clock").evaluateAll((els) => els.map((e) => e.dataset.light));
  seen.overdue_clock = await page.getByTestId("demand-clock").first().innerText();
  await page.getByTestId("filter-overdue").uncheck();
  await page.locator("[data-testid=inbox-count][data-total='3']").waitFor();

  // One delegate's demands.
  const zhang = await page.getByTestId("filter-delegate").locator("option", { hasText: "张伟" }).getAttribute("value");
  await page.getByTestId("filter-delegate").selectOption(zhang);
  await page.locator("[data-testid=inbox-count][data-total='1']").waitFor();
  seen.zhang_total = Number(await page.getByTestId("inbox-count").getAttribute("data-total"));
  await page.getByTestId("filter-delegate").selectOption("");
  await page.locator("[data-testid=inbox-count][data-total='3']").waitFor();

  // The proposed cluster: both lift demands; the head joins them.
  await page.getByTestId("tab-clusters").click();
  await page.getByTestId("cluster").first().waitFor();
  seen.clusters = await page.getByTestId("cluster").count();
  seen.cluster_members = await page.getByTestId("cluster-member").count();
  await shot(page, "station-clusters");
  await page.getByTestId("cluster-join").first().click();
  await page.getByTestId("clusters-empty").waitFor();

  // Back in the inbox: one joined, one still open; the open one goes into a suggestion.
  await page.getByTestId("tab-inbox").click();
  await page.locator("[data-testid=demand-item][data-status=joined]").waitFor();
  seen.statuses = await page.getByTestId("demand-item").evaluateAll((els) => els.map((e) => e.dataset.status).sort());
  seen.cosigners = Number(await page.locator("[data-testid=demand-item][data-status=recorded] [data-testid=demand-cosigners]").getAttribute("data-count"));
  await page.locator("[data-testid=demand-item][data-status=recorded] [data-testid=act-pick]").click();
  await page.getByTestId("tab-suggestion").click();
  await page.getByTestId("suggestion-title").waitFor();
  seen.draft_title = await page.getByTestId("suggestion-title").inputValue();
  seen.draft_body = await page.getByTestId("suggestion-body").inputValue();
  seen.level = await page.getByTestId("suggestion-level").inputValue();
  seen.level_why = await page.getByTestId("suggestion-level-why").innerText();
  await shot(page, "station-suggestion");
  await page.getByTestId("suggestion-form").click();
  await page.getByTestId("suggestion-formed").waitFor();
  seen.suggestion = await page.getByTestId("suggestion-formed").getAttribute("data-suggestion-id");
  seen.routes = await page.getByTestId("whistle-route").locator("option").allInnerTexts();
  await page.getByTestId("whistle-target").fill("街道城建科");
  await page.getByTestId("whistle-send").click();
  await page.getByTestId("suggestion-whistles").getByText("已吹哨：").waitFor();
  seen.whistles = await page.getByTestId("suggestion-whistles").innerText();
  await shot(page, "station-whistled");
  // The station's suggestions, each with the demands it carries; a demand links to its own.
  await page.locator("[data-testid=station-suggestion]").first().waitFor();
  seen.suggestions = await page.getByTestId("station-suggestion").count();
  seen.suggestion_demands = await page.getByTestId("suggestion-demand").count();
  await page.getByTestId("tab-inbox").click();
  await page.locator("[data-testid=demand-item][data-status=in_suggestion] [data-testid=demand-suggestion]").click();
  await page.locator("[data-testid=station-suggestion][data-focused=true]").waitFor();
  seen.focused = await page.locator("[data-testid=station-suggestion][data-focused=true]").getAttribute("data-suggestion-id");

  // The inbox open at the station: a delegate's phone syncs a new demand, and it appears without
  // a reload (the server's `changed` event). The test records it when it reads this line.
  await page.getByTestId("tab-inbox").click();
  await page.locator("[data-testid=inbox-count][data-total='3']").waitFor();
  console.log(JSON.stringify({ ready: "live" }));
  await page.locator("[data-testid=inbox-count][data-total='4']").waitFor({ timeout: 30_000 });
  seen.live_texts = await page.getByTestId("demand-item").locator(".item-text").allInnerTexts();

  // The registers on screen.
  await page.getByTestId("tab-registers").click();
  await page.getByTestId("register-show").click();
  await page.getByTestId("error").waitFor();
  seen.register_empty = await page.getByTestId("error").getAttribute("data-code");
  await page.getByTestId("register-from").fill("2021-03-01");
  await page.getByTestId("register-to").fill("2021-03-31");
  await page.getByTestId("register-show").click();
  // The empty month's message stays until the new answer replaces it: wait for the table itself.
  await page.getByTestId("register").waitFor();
  seen.register_rows = await page.getByTestId("register-row").count();
  await shot(page, "station-registers");

  // Signed out: the page asks for a code again, and the old cookie opens nothing.
  const cookies = await head.cookies();
  await page.getByTestId("sign-out").click();
  await page.getByTestId("page-signin").waitFor();
  const again = await browser.newContext();
  await again.addCookies(cookies);
  const p2 = await again.newPage();
  await p2.goto(base + "/healthz");
  seen.after_sign_out = await p2.evaluate(async () => {
    const r = await fetch("/api/request", { method: "POST", headers: { "X-Gridvoice-Csrf": "1", "content-type": "application/json" },
      body: JSON.stringify({ op: "list_demands" }) });
    return r.status;
  });

  // Another station's head sees none of it.
  const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const op = await signIn(other, otherCode, "other");
  await op.getByTestId("inbox-count").waitFor();
  seen.other_total = Number(await op.getByTestId("inbox-count").getAttribute("data-total"));
  await op.getByTestId("tab-clusters").click();
  await op.locator("[data-testid=clusters-empty], [data-testid=cluster]").first().waitFor();
  seen.other_clusters = await op.getByTestId("cluster").count();
  console.log(JSON.stringify(seen));
} catch (e) {
  console.error("story failed:", e?.message ?? String(e));
  console.log(JSON.stringify(seen));
  process.exitCode = 3;
} finally {
  clearTimeout(timer);
  await browser.close();
}
