// dashboard.mjs - the dashboard in headless Chromium (Debian's, through
// playwright-core) against real daemons: FLOWOPT_URL (a run optimizing
// in the background, RUN), TOKEN_URL (a daemon with API tokens, TOKEN).
// Screenshots go to SHOTS. TAP on stdout.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.TOOLS, "package.json"));
const { chromium } = require("playwright-core");
const URL = process.env.FLOWOPT_URL, RUN = process.env.RUN;
let n = 0, failed = 0;
const ok = (c, what) => { n++; if (!c) failed++; console.log(`${c ? "ok" : "not ok"} ${n} - ${what}`); };
const api = async (u, p, init) => (await fetch(u + p, init)).json();

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  let dialog = false;
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => { dialog = true; d.dismiss(); });

  const t0 = Date.now();
  await page.goto(URL + "/");
  await page.waitForSelector(`tr[data-run="${RUN}"]`);
  const loadMs = Date.now() - t0;
  ok(true, `the runs list shows the run (${loadMs} ms to the list)`);
  const name = await page.textContent(`tr[data-run="${RUN}"] td.name`);
  ok(name === "<img src=x onerror=alert(1)>" && (await page.$$("main img")).length === 0 && !dialog,
     "a run named <img src=x onerror=alert(1)> renders as text");
  await page.waitForSelector(`tr[data-run="${RUN}"] td.trend polyline`);
  ok(true, "its best so far as a sparkline");
  await page.screenshot({ path: path.join(process.env.SHOTS, "dashboard-runs.png") });

  await page.click(`a[href="#/runs/${RUN}"]`);
  await page.waitForSelector("#convergence polyline.best");
  await page.waitForSelector("#heatmap rect.cell");
  const shown = Number((await page.textContent("#status")).split(" ")[0]);
  const drawn = Number(await page.getAttribute("#status", "data-drawn"));
  const points = await page.$eval("#convergence polyline.best", (e) => e.getAttribute("points").trim().split(/\s+/).length);
  const rows = (await api(URL, `/v1/runs/${RUN}/history?limit=10000`)).steps.length;
  ok(points === drawn && drawn === Math.min(shown, 600) && shown > 0 && rows >= shown,
     `the convergence plot has a point per history row (${points} points, ${shown} rows, ${rows} now)`);
  ok((await page.$$("#heatmap rect.cell")).length === 24 * 24, "the density heatmap: 24 x 24 cells from log_prob");
  ok((await page.$$("#scatter circle")).length > 0, "the scatter of the samples");
  ok((await page.$$("#heatmap circle.mode")).length >= 1, "the modes the run holds ringed on the density");
  await page.screenshot({ path: path.join(process.env.SHOTS, "dashboard-run.png"), fullPage: true });

  let later = shown;
  for (let i = 0; i < 100 && later <= shown; i++) {
    await page.waitForTimeout(200);
    later = Number((await page.textContent("#status")).split(" ")[0]) || later;
  }
  ok(later > shown, `the page follows the run without a reload (${shown} -> ${later} rows)`);

  // by keyboard: focus Pause and press Enter, as a person without a mouse would
  await page.focus("#pause");
  await page.keyboard.press("Enter");
  let state = "";
  for (let i = 0; i < 50 && state !== "paused"; i++) {
    await page.waitForTimeout(100);
    state = (await api(URL, `/v1/runs/${RUN}`)).state;
  }
  ok(state === "paused", "Pause by keyboard on the page pauses the run (the JSON API says paused)");
  ok((await page.$$("#checkpoints tbody tr")).length >= 1, "the run's checkpoints are listed");
  ok(errors.length === 0, `no console errors (${errors.join("; ")})`);
  await page.fill("#budget", "-5"); /* refused: the browser logs the 422 itself */
  await page.click("#set-budget");
  await page.waitForFunction(() => document.querySelector("#problem").textContent.length > 0);
  ok((await page.textContent("#problem")).includes("budget"), "a refused setting shows the daemon's problem");

  const tp = await browser.newPage();
  await tp.goto(process.env.TOKEN_URL + "/");
  await tp.waitForSelector("#token:not([hidden])");
  ok((await tp.$$("#runs")).length === 0, "with tokens configured the page shows nothing but the token form");
  await tp.fill("#token-input", process.env.TOKEN);
  await tp.click("#token button");
  await tp.waitForSelector("#runs tbody tr");
  ok(true, "and the runs once a token is given");

  // a long run: 10,000 samples, over 1,000 history rows (BIG), drawn thinned
  const big = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const t1 = Date.now();
  await big.goto(URL + "/#/runs/" + process.env.BIG);
  await big.waitForSelector("#heatmap rect.cell");
  const bigMs = Date.now() - t1;
  const bigRows = Number((await big.textContent("#status")).split(" ")[0]);
  const bigPoints = await big.$eval("#convergence polyline.best", (e) => e.getAttribute("points").trim().split(/\s+/).length);
  ok(bigRows >= 1000 && bigPoints <= 700 && bigPoints >= 600,
     `a run of 10,000 samples and ${bigRows} history rows draws ${bigPoints} points, the daemon thinning them`);
  console.log(`# the long run's page in ${bigMs} ms`);

  let weight = 0;
  for (const f of ["/", "/ui/app.js", "/ui/app.css"])
    weight += (await (await fetch(URL + f)).arrayBuffer()).byteLength;
  console.log(`# page weight ${weight} bytes; list in ${loadMs} ms`);
} finally {
  await browser.close();
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
