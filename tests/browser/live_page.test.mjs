// live_page.test.mjs NLOGD WORKDIR: nlogd's live page end to end in Debian's
// Chromium, driven by playwright-core. Starts its own nlogd on 127.0.0.1 with
// an ephemeral port, produces entries over the REST API and checks that they
// appear, that the level filter hides lower levels (update_filter), that pause
// stops updates and resume brings them, that the counters and the chart move,
// and that the page loads nothing from anywhere but nlogd (no CDN). Leaves a
// screenshot, live_page.png, in WORKDIR. Every wait polls a condition with a
// deadline.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const [nlogdPath, work] = process.argv.slice(2);
const results = { passed: 0, failed: 0 };
function check(cond, what) {
  if (cond) { results.passed++; console.log("ok:", what); }
  else { results.failed++; console.log("FAIL:", what); }
}
async function waitFor(pred, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dir = fs.mkdtempSync(path.join(work, "run-"));
const portFile = path.join(dir, "port");
const log = fs.openSync(path.join(dir, "nlogd.log"), "a");
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("NETLINK_LOG_")));
const nlogd = spawn(nlogdPath, ["--listen", "127.0.0.1:0", "--database", path.join(dir, "live.db"),
                                "--port-file", portFile], { stdio: ["ignore", log, log], env });
let browser;
try {
  await waitFor(() => fs.existsSync(portFile) || nlogd.exitCode !== null, "nlogd's port file");
  if (nlogd.exitCode !== null) throw new Error("nlogd exited with " + nlogd.exitCode);
  const port = parseInt(fs.readFileSync(portFile, "utf8"), 10);
  const base = `http://127.0.0.1:${port}`;
  let n = 0;
  async function ingest(records) {
    const body = records.map((r) => JSON.stringify({ timestamp: new Date().toISOString(),
                                                     category: "shop", module: "shop.web", ...r }))
      .join("\n");
    const res = await fetch(base + "/api/v2/logs/entries", { method: "POST", body });
    if (res.status !== 202) throw new Error("ingest answered " + res.status);
    n += records.length;
  }

  browser = await chromium.launchPersistentContext(path.join(dir, "profile"), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = browser.pages()[0] || await browser.newPage();
  const foreign = [], errors = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/");
  await waitFor(() => page.textContent("#status").then((t) => t.startsWith("live")), "status live");
  check(true, "the page loads and connects to the stream");

  const rows = (tag) => page.$$eval("#tail .row:not(.drop)", (rs, t) =>
    rs.filter((r) => r.textContent.includes(t)).map((r) => r.dataset.level), tag);

  // entries produced by the test appear, with their level's colour
  await ingest([{ level: "DEBUG", message: "T1 debug detail" }, { level: "INFO", message: "T1 order placed" },
                { level: "WARNING", message: "T1 slow payment" }, { level: "ERROR", message: "T1 payment failed" }]);
  await waitFor(async () => (await rows("T1")).length === 4, "4 T1 rows");
  check(true, "entries produced by the test appear");
  const colour = await page.$eval("#tail .row[data-level=ERROR] .lv", (e) => getComputedStyle(e).color);
  const infoColour = await page.$eval("#tail .row[data-level=INFO] .lv", (e) => getComputedStyle(e).color);
  check(colour !== infoColour, `levels have their own colours (${colour} vs ${infoColour})`);

  // the level filter hides lower levels from the next entry on
  await page.selectOption("#f-level", "ERROR");
  // the server's answer to update_filter names the filter in force; the page keeps it on
  // the form (an ERROR probe entry would show up with or without the filter)
  await waitFor(async () => {
    const applied = await page.$eval("#filters", (f) => f.dataset.applied || "{}");
    return JSON.parse(applied).level === "ERROR";
  }, "the server's filter ack");
  await ingest([{ level: "DEBUG", message: "T3 hidden debug" }, { level: "WARNING", message: "T3 hidden warning" },
                { level: "CRITICAL", message: "T3 shown critical" }]);
  await waitFor(async () => (await rows("T3")).length >= 1, "T3 critical");
  const t3 = await rows("T3");
  check(t3.length === 1 && t3[0] === "CRITICAL", "changing the level filter hides lower levels: " + t3);

  // pause stops updates; a second stream (opened in the page) proves they were sent
  await page.click("#pause");
  await waitFor(() => page.textContent("#status").then((t) => t.startsWith("paused")), "status paused");
  const before = await page.$$eval("#tail .row", (rs) => rs.length);
  const seenElsewhere = page.evaluate(() => new Promise((resolve, reject) => {
    const ws = new WebSocket(location.origin.replace("http", "ws") + "/api/v2/logs/stream?level=ERROR");
    const t = setTimeout(() => reject(new Error("probe stream timed out")), 20000);
    ws.onmessage = (ev) => { const m = JSON.parse(ev.data); if (m.message && m.message.startsWith("T4")) { clearTimeout(t); ws.close(); resolve(m.message); } };
    ws.onopen = () => { window.__probeOpen = true; };
  }));
  await waitFor(() => page.evaluate(() => window.__probeOpen === true), "probe stream open");
  await ingest([{ level: "ERROR", message: "T4 while paused" }]);
  check(await seenElsewhere === "T4 while paused", "the entry was streamed (to another client)");
  const after = await page.$$eval("#tail .row", (rs) => rs.length);
  check(after === before && (await rows("T4")).length === 0, "pause stops updates");
  await page.click("#pause");
  await waitFor(async () => (await rows("T4")).length === 1, "T4 after resume");
  check(true, "resume delivers what came during the pause");

  // counters and chart
  const shown = await page.textContent("#c-entries");
  const total = await page.evaluate(() => window.nlogdLive.entries);
  // T1 (4), the T3 critical and the T4 entry at least
  check(parseInt(shown, 10) === total && total >= 6, `the entry counter counts (${shown})`);
  check((await page.textContent("#c-drops")) === "0", "no drops counted");
  await waitFor(() => page.evaluate(() => {
    const c = document.getElementById("chart"), d = c.getContext("2d").getImageData(0, 12, c.width, c.height - 12).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
    return false;
  }), "bars in the chart");
  check(true, "the chart of entries per second shows bars");

  await page.screenshot({ path: path.join(work, "live_page.png"), fullPage: false });
  check(fs.statSync(path.join(work, "live_page.png")).size > 1000, "screenshot saved: " + path.join(work, "live_page.png"));
  check(foreign.length === 0, "nothing is loaded from outside nlogd: " + foreign.join(" "));
  check(errors.length === 0, "no script or CSP errors: " + errors.join(" | "));
} catch (e) {
  results.failed++;
  console.log("FAIL:", e.message);
  console.log(fs.readFileSync(path.join(dir, "nlogd.log"), "utf8").slice(-2000));
} finally {
  if (browser) await browser.close();
  nlogd.kill("SIGTERM");
  await waitFor(() => nlogd.exitCode !== null, "nlogd to stop", 60000).catch(() => nlogd.kill("SIGKILL"));
  check(nlogd.exitCode === 0, "nlogd exits 0 (" + nlogd.exitCode + ")");
}
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
