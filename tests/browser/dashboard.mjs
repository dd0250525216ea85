// dashboard.mjs - the dashboard in headless Chromium and Firefox (Debian's,
// through puppeteer-core: the DevTools protocol for one, WebDriver BiDi for
// the other) against real daemons: FLOWOPT_URL (runs optimizing in the
// background, RUNS: one per browser), TOKEN_URL (a daemon with API tokens,
// TOKEN), BIG (a long finished run). Screenshots go to SHOTS. TAP on stdout.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.TOOLS, "package.json"));
const puppeteer = require("puppeteer-core");
const URL = process.env.FLOWOPT_URL, RUNS = process.env.RUNS.split(" ");
const BROWSERS = [
  { name: "chromium", browser: "chrome", executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"] },
  { name: "firefox", browser: "firefox", executablePath: "/usr/bin/firefox-esr", args: [] },
];
let n = 0, failed = 0;
const ok = (c, what) => { n++; if (!c) failed++; console.log(`${c ? "ok" : "not ok"} ${n} - ${what}`); };
const api = async (u, p, init) => (await fetch(u + p, init)).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const text = (p, sel) => p.$eval(sel, (e) => e.textContent);
const attr = (p, sel, a) => p.$eval(sel, (e, k) => e.getAttribute(k), a);
const count = async (p, sel) => (await p.$$(sel)).length;
const rowsShown = async (p) => Number((await text(p, "#status")).split(" ")[0]);
const draws = async (p) => Number(await attr(p, "#status", "data-draws"));
// as a person types: the field emptied, then keys
const fill = async (p, sel, v) => {
  await p.focus(sel);
  // cleared as a user clears it (an input event): a redraw before the first
  // keystroke then keeps the field as the user left it, empty
  await p.$eval(sel, (e) => { e.value = ""; e.dispatchEvent(new Event("input", { bubbles: true })); });
  await p.keyboard.type(v);
};
// 304s the daemon sent for GET /v1/runs/{id}, from its /metrics
const notModified = async () => {
  const m = (await (await fetch(URL + "/metrics")).text()).match(/flowopt_http_requests_total\{method="GET",route="\/v1\/runs\/\{id\}",status="304"\} (\d+)/);
  return m ? Number(m[1]) : 0;
};

async function newPage(browser) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  return page;
}

async function checkBrowser(b, RUN) {
  const browser = await puppeteer.launch({ browser: b.browser, executablePath: b.executablePath, headless: true, args: b.args });
  const shot = (page, what) => page.screenshot({ path: path.join(process.env.SHOTS, `dashboard-${what}${b.name === "chromium" ? "" : "-" + b.name}.png`), fullPage: true });
  const say = (c, what) => ok(c, `${b.name}: ${what}`);
  try {
    say(true, `${await browser.version()} runs the page`);
    const page = await newPage(browser);
    const errors = [];
    let dialog = false;
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("dialog", (d) => { dialog = true; d.dismiss(); });

    const t0 = Date.now();
    await page.goto(URL + "/");
    await page.waitForSelector(`tr[data-run="${RUN}"]`);
    const loadMs = Date.now() - t0;
    say(true, `the runs list shows the run (${loadMs} ms to the list)`);
    const name = await text(page, `tr[data-run="${RUN}"] td.name`);
    say(name === "<img src=x onerror=alert(1)>" && (await count(page, "main img")) === 0 && !dialog,
        "a run named <img src=x onerror=alert(1)> renders as text");
    await page.waitForSelector(`tr[data-run="${RUN}"] td.trend polyline`);
    say(true, "its best so far as a sparkline");
    await shot(page, "runs");

    await page.click(`a[href="#/runs/${RUN}"]`);
    await page.waitForSelector("#convergence polyline.best");
    await page.waitForSelector("#heatmap rect.cell");
    const shown = await rowsShown(page);
    const drawn = Number(await attr(page, "#status", "data-drawn"));
    const points = await page.$eval("#convergence polyline.best", (e) => e.getAttribute("points").trim().split(/\s+/).length);
    const rows = (await api(URL, `/v1/runs/${RUN}/history?limit=10000`)).steps.length;
    say(points === drawn && drawn === Math.min(shown, 600) && shown > 0 && rows >= shown,
        `the convergence plot has a point per history row (${points} points, ${shown} rows, ${rows} now)`);
    say((await count(page, "#heatmap rect.cell")) === 24 * 24, "the density heatmap: 24 x 24 cells from log_prob");
    say((await count(page, "#scatter circle")) > 0, "the scatter of the samples");
    say((await count(page, "#heatmap circle.mode")) >= 1, "the modes the run holds ringed on the density");
    await shot(page, "run");
    // the coordinates are the user's to choose: swap them
    const [cx, cy] = [await page.$eval("#dim-x", (e) => e.value), await page.$eval("#dim-y", (e) => e.value)];
    await page.select("#dim-x", cy);
    await page.select("#dim-y", cx);
    await page.waitForFunction((want) => [...document.querySelectorAll("figcaption")].some((f) => f.textContent.startsWith(want)), {}, `Samples (x${cy}, x${cx})`);
    say((await count(page, "#heatmap rect.cell")) === 24 * 24 && (await count(page, "#scatter circle")) > 0,
        `the scatter and the density redrawn on coordinates chosen on the page (x${cy}, x${cx})`);

    let later = shown;
    for (let i = 0; i < 100 && later <= shown; i++) {
      await sleep(200);
      later = (await rowsShown(page)) || later;
    }
    say(later > shown, `the page follows the run without a reload (${shown} -> ${later} rows)`);

    // typing while the run moves on: the redraws leave the value and the focus
    await fill(page, "#budget", "777");
    const d0 = await draws(page);
    let d1 = d0;
    for (let i = 0; i < 50 && d1 === d0; i++) { await sleep(200); d1 = await draws(page); }
    const typed = await page.$eval("#budget", (e) => e.value);
    const focused = await page.evaluate(() => document.activeElement.id);
    say(d1 > d0 && typed === "777" && focused === "budget",
        `a value being typed survives the page's redraws (${d1 - d0} of them; "${typed}", focus on ${focused || "none"})`);

    // by keyboard: focus Pause and press Enter, as a person without a mouse would
    await page.focus("#pause");
    await page.keyboard.press("Enter");
    let state = "";
    for (let i = 0; i < 50 && state !== "paused"; i++) {
      await sleep(100);
      state = (await api(URL, `/v1/runs/${RUN}`)).state;
    }
    say(state === "paused", "Pause by keyboard on the page pauses the run (the JSON API says paused)");
    // paused, nothing changes (once the evaluations in flight are told):
    // the polls revalidate (304) and draw nothing
    for (let i = 0, last = ""; i < 40; i++) {
      const now = await (await fetch(`${URL}/v1/runs/${RUN}`)).text();
      if (now === last) break;
      last = now;
      await sleep(500);
    }
    await sleep(2500);
    const p0 = await draws(page), m0 = await notModified();
    await sleep(4500);
    const p1 = await draws(page), m1 = await notModified();
    say(p1 === p0 && m1 >= m0 + 2,
        `a poll of an unchanged run is a 304 and draws nothing (${m1 - m0} 304s, ${p1 - p0} draws in 4.5 s)`);
    say((await count(page, "#checkpoints tbody tr")) >= 1, "the run's checkpoints are listed");
    say(errors.length === 0, `no console errors (${errors.join("; ")})`);
    await fill(page, "#budget", "-5"); /* refused: the browser logs the 422 itself */
    await page.click("#set-budget");
    await page.waitForFunction(() => document.querySelector("#problem").textContent.length > 0);
    say((await text(page, "#problem")).includes("budget"), "a refused setting shows the daemon's problem");

    const tp = await newPage(browser);
    await tp.goto(process.env.TOKEN_URL + "/");
    await tp.waitForSelector("#token:not([hidden])");
    say((await count(tp, "#runs")) === 0, "with tokens configured the page shows nothing but the token form");
    await fill(tp, "#token-input", process.env.TOKEN);
    await tp.click("#token button");
    await tp.waitForSelector("#runs tbody tr");
    say(true, "and the runs once a token is given");

    // a run whose stored state is damaged: listed, its page says why, nothing breaks
    const dp = await newPage(browser);
    const derrors = [];
    dp.on("console", (m) => { if (m.type() === "error") derrors.push(m.text()); });
    dp.on("pageerror", (e) => derrors.push(String(e)));
    await dp.goto(process.env.DAMAGED_URL + "/");
    await dp.waitForSelector(`tr[data-run="${process.env.DAMAGED}"]`);
    say((await count(dp, "#runs tbody tr")) === 2 &&
        (await dp.$eval(`tr[data-run="${process.env.DAMAGED}"]`, (e) => e.textContent)).includes("damaged"),
        "a damaged run is listed as damaged beside a whole one");
    await dp.goto(process.env.DAMAGED_URL + "/#/runs/" + process.env.DAMAGED);
    await dp.waitForSelector("#damage");
    say((await text(dp, "#damage")).includes("snapshot") && (await count(dp, "#checkpoints tbody tr")) === 1 &&
        (await count(dp, "#pause")) === 0,
        "its page says what is damaged, lists its checkpoint and offers no control");
    say(derrors.length === 0, `and no console errors (${derrors.join("; ")})`);

    // a long run: 10,000 samples, over 1,000 history rows (BIG), drawn thinned
    const big = await newPage(browser);
    const t1 = Date.now();
    await big.goto(URL + "/#/runs/" + process.env.BIG);
    await big.waitForSelector("#heatmap rect.cell");
    const bigMs = Date.now() - t1;
    const bigRows = await rowsShown(big);
    const bigPoints = await big.$eval("#convergence polyline.best", (e) => e.getAttribute("points").trim().split(/\s+/).length);
    say(bigRows >= 1000 && bigPoints <= 700 && bigPoints >= 600,
        `a run of 10,000 samples and ${bigRows} history rows draws ${bigPoints} points, the daemon thinning them`);
    console.log(`# ${b.name}: the long run's page in ${bigMs} ms; the list in ${loadMs} ms`);
  } finally {
    await browser.close();
  }
}

for (let i = 0; i < BROWSERS.length; i++) await checkBrowser(BROWSERS[i], RUNS[i]);
let weight = 0;
for (const f of ["/", "/ui/app.js", "/ui/app.css"])
  weight += (await (await fetch(URL + f)).arrayBuffer()).byteLength;
console.log(`# page weight ${weight} bytes`);
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
