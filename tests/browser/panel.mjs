// The control panel in a real browser: Debian's headless Chromium driven by playwright-core (no
// browser download). Starts `teleplug serve` with a panel token and the simulator endpoint, then:
// opens the page with the token, starts scanning from the page, sees a simulated Lovense Hush
// appear with its battery, moves its slider and checks the bytes the toy received; adds a Nora
// and saves a screenshot of both (for the README); presses STOP ALL, then Escape, while an app
// floods commands over the Buttplug WebSocket, and checks the toy's bytes end with the stop;
// checks that the API refuses a request without the token and a page reached under another
// host name (DNS rebinding); then that 50 event streams opened and dropped leave none open on
// the server, and that the page, while its server is stopped and started again on the same
// ports with another toy, shows "reconnecting…", says STOP ALL failed, and then shows the new
// server's state and toy without a reload.
//
// node --experimental-websocket tests/browser/panel.mjs <teleplug binary> <screenshot.png>
// Environment: CHROMIUM (default /usr/bin/chromium).

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const [bin, screenshot] = process.argv.slice(2);
if (!bin || !screenshot) {
  console.error("usage: panel.mjs <teleplug binary> <screenshot.png>");
  process.exit(2);
}
const TOKEN = "browser-test-" + Math.random().toString(36).slice(2);
const WAIT = 15000;
const HUSH = "Z:11:0082059AD3BD;";
const NORA = "A:13:0082059AD3BE;";

function fail(message) {
  throw new Error(message);
}

function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("timed out: " + what)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// ---- teleplug serve -------------------------------------------------------------------------
const FLAGS = ["--no-bluetooth", "--no-serial", "--no-hid", "--no-gamepad"];
let lines = [];
const lineWaiters = [];
function startServe(ports) {
  lines = [];
  const child = spawn(bin, [
    "--log", "info", "serve", "--port", ports.ws, "--simulator-port", ports.sim, "--panel-token", TOKEN,
    ...(ports.http ? ["--http-port", ports.http] : []), ...FLAGS,
  ], { stdio: ["ignore", "pipe", "inherit"] });
  createInterface({ input: child.stdout }).on("line", (l) => {
    lines.push(l);
    for (const w of [...lineWaiters]) w();
  });
  child.exited = new Promise((r) => child.on("exit", r));
  return child;
}
async function stopServe(child) {
  child.kill("SIGTERM");
  await within(WAIT, child.exited, "teleplug serve exits");
}
let serve = startServe({ ws: "0", sim: "0" });
function lineWith(needle) {
  return within(WAIT, new Promise((resolve) => {
    const check = () => {
      const l = lines.find((x) => x.includes(needle));
      if (l) { lineWaiters.splice(lineWaiters.indexOf(check), 1); resolve(l); }
    };
    lineWaiters.push(check);
    check();
  }), "serve line " + needle);
}
const urlOf = (line, scheme) => line.slice(line.indexOf(scheme)).trim();

// Waits until `probe()` (async) returns true; `what` names it in the timeout.
async function until(probe, what) {
  const deadline = Date.now() + WAIT;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last === true) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  fail("timed out: " + what + " (last: " + JSON.stringify(last) + ")");
}

// ---- the simulated toys (simulator control endpoint) ------------------------------------------
class Sim {
  constructor(url) {
    this.writes = new Map(); // id -> [text]
    this.waiters = [];
    this.ws = new WebSocket(url);
    this.ws.onmessage = (m) => this.onFrame(JSON.parse(m.data));
  }
  open() { return within(WAIT, new Promise((r, j) => { this.ws.onopen = r; this.ws.onerror = j; }), "simulator socket"); }
  send(v) { this.ws.send(JSON.stringify(v)); }
  advertise(id, name, address) { this.send({ Advertise: { id, name, address } }); }
  onFrame(f) {
    if (f.Write) {
      const { id, data } = f.Write;
      const text = Buffer.from(data).toString("latin1");
      if (!this.writes.has(id)) this.writes.set(id, []);
      this.writes.get(id).push(text);
      const reply = text === "DeviceType;" ? (id === "hush" ? HUSH : NORA) : text === "Battery;" ? "87;" : null;
      if (reply) this.send({ Notify: { id, endpoint: "rx", data: [...Buffer.from(reply)] } });
    }
    for (const w of [...this.waiters]) w();
  }
  of(id) { return this.writes.get(id) || []; }
  // The first write from index `from` on satisfying `pred`.
  until(id, pred, what, from = 0) {
    return within(WAIT, new Promise((resolve) => {
      const check = () => {
        const w = this.of(id).slice(from).find(pred);
        if (w !== undefined) { this.waiters.splice(this.waiters.indexOf(check), 1); resolve(w); }
      };
      this.waiters.push(check);
      check();
    }), `${id} receives ${what}`);
  }
}

// ---- an app flooding commands over the Buttplug WebSocket -----------------------------------
async function floodingApp(url, deviceIndex) {
  const ws = new WebSocket(url);
  await within(WAIT, new Promise((r, j) => { ws.onopen = r; ws.onerror = j; }), "app socket");
  const closed = new Promise((r) => { ws.onclose = r; });
  const info = new Promise((r) => { ws.onmessage = (m) => { if (String(m.data).includes("ServerInfo")) r(); }; });
  ws.send(JSON.stringify([{ RequestServerInfo: { Id: 1, ClientName: "flooding app", ProtocolVersionMajor: 4, ProtocolVersionMinor: 0 } }]));
  await within(WAIT, info, "ServerInfo");
  let id = 2, sent = 0, open = true;
  closed.then(() => { open = false; });
  (async () => {
    while (open) {
      if (ws.bufferedAmount < 1 << 16) {
        const frame = [];
        for (let k = 0; k < 20; k++, id++) {
          frame.push({ OutputCmd: { Id: id, DeviceIndex: deviceIndex, FeatureIndex: 0, Command: { Vibrate: { Value: 1 + (id % 20) } } } });
        }
        try { ws.send(JSON.stringify(frame)); sent += 20; } catch (e) { break; }
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  return { closed, sent: () => sent };
}

// ---- the test -----------------------------------------------------------------------------
let browser;
const timings = {};
try {
  const wsUrl = urlOf(await lineWith("Buttplug server listening on"), "ws://");
  const simUrl = urlOf(await lineWith("simulator control on"), "ws://");
  const panelLine = await lineWith("control panel and HTTP API on");
  const panelUrl = urlOf(panelLine, "http://");
  if (!panelUrl.includes("#token=" + TOKEN)) fail("the printed URL carries the token: " + panelLine);
  const origin = new URL(panelUrl).origin;
  const port = new URL(panelUrl).port;
  const sim = new Sim(simUrl);
  await sim.open();

  const t0 = Date.now();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--host-resolver-rules=MAP rebind.test 127.0.0.1"],
  });
  timings.launch = Date.now() - t0;
  const context = await browser.newContext({ viewport: { width: 1280, height: 600 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(panelUrl);
  await page.waitForFunction(() => document.getElementById("conn").textContent === "events: live", null, { timeout: WAIT });
  if (new URL(page.url()).hash) fail("the token stays in the address bar: " + page.url());

  // Scanning from the page; the Hush appears with its battery.
  await page.click("#scan");
  await page.waitForFunction(() => document.getElementById("scanning").textContent === "yes", null, { timeout: WAIT });
  sim.advertise("hush", "LVS-Hush", "AA:BB:CC:00:00:01");
  const hush = page.locator("article.device", { hasText: "Lovense Hush" });
  await hush.waitFor({ timeout: WAIT });
  await page.waitForFunction(() => [...document.querySelectorAll(".battery")].some((b) => b.textContent === "87%"), null, { timeout: WAIT });
  const hushIndex = Number(await hush.getAttribute("data-index"));

  // A slider move reaches the toy as its protocol's bytes.
  const slider = hush.locator('input[type=range][data-output="Vibrate"]');
  if ((await slider.getAttribute("max")) !== "20") fail("the Hush's slider has its 20 steps");
  await slider.fill("12");
  await sim.until("hush", (w) => w === "Vibrate:12;", "Vibrate:12;");

  // A second toy, for the README's screenshot.
  sim.advertise("nora", "LVS-Nora", "AA:BB:CC:00:00:02");
  const nora = page.locator("article.device", { hasText: "Lovense Nora" });
  await nora.waitFor({ timeout: WAIT });
  await nora.locator('input[type=range][data-output="Vibrate"]').fill("7");
  await nora.locator('input[type=range][data-output="Rotate"]').fill("-9");
  await sim.until("nora", (w) => w.startsWith("RotateAntiClockwise:9") || w.startsWith("Rotate") && w.includes("9"), "a rotation");
  const app = new WebSocket(wsUrl);
  await within(WAIT, new Promise((r, j) => { app.onopen = r; app.onerror = j; }), "app socket");
  app.send(JSON.stringify([{ RequestServerInfo: { Id: 1, ClientName: "Buttplug Playground", ProtocolVersionMajor: 4, ProtocolVersionMinor: 0 } }]));
  await page.waitForFunction(() => document.getElementById("app").textContent.startsWith("Buttplug Playground"), null, { timeout: WAIT });
  await page.screenshot({ path: screenshot, fullPage: true });
  const appGone = new Promise((r) => { app.onclose = r; });
  app.close();
  await within(WAIT, appGone, "the app leaves");
  await page.waitForFunction(() => document.getElementById("app").textContent === "none connected", null, { timeout: WAIT });

  // STOP ALL (the button, then Escape) while an app floods commands.
  for (const how of ["button", "Escape"]) {
    const app = await floodingApp(wsUrl, hushIndex);
    const from = sim.of("hush").length;
    await sim.until("hush", (w) => w !== "Vibrate:0;" && w.startsWith("Vibrate:"), "the flood", from);
    await page.evaluate(() => { document.getElementById("stop-result").textContent = ""; });
    const pressed = Date.now();
    if (how === "button") await page.click("#stop-all"); else await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.getElementById("stop-result").textContent.startsWith("stopped in"), null, { timeout: WAIT });
    timings["stop_" + how] = Date.now() - pressed;
    const atAnswer = sim.of("hush").at(-1);
    if (atAnswer !== "Vibrate:0;") fail(`${how}: the toy's last bytes when STOP ALL answered: ${atAnswer}`);
    await within(WAIT, app.closed, "the app's connection ends");
    const last = sim.of("hush").at(-1);
    if (last !== "Vibrate:0;") fail(`${how}: the app's queued commands started the toy again: ${last}`);
    console.log(`STOP ALL (${how}) during a flood of ${app.sent()} commands: ${timings["stop_" + how]} ms from the press to the page showing it`);
  }

  // Without the token: the page asks for it, and the API refuses.
  const bare = await browser.newPage();
  await bare.goto(origin + "/");
  await bare.waitForSelector("#token-form:not([hidden])", { timeout: WAIT });
  const status = await bare.evaluate(async () => (await fetch("/api/devices")).status);
  if (status !== 401) fail("a request without the token answered " + status);
  const wrong = await bare.evaluate(async () => (await fetch("/api/devices", { headers: { "X-Teleplug-Token": "guess" } })).status);
  if (wrong !== 401) fail("a wrong token answered " + wrong);
  // Given the token in its form, the page works.
  await bare.fill("#token-input", TOKEN);
  await bare.click("#token-form button[type=submit]");
  await bare.waitForFunction(() => document.getElementById("conn").textContent === "events: live", null, { timeout: WAIT });
  await bare.locator("article.device", { hasText: "Lovense Hush" }).waitFor({ timeout: WAIT });
  // A page reached under another name (DNS rebinding) is refused.
  const rebound = await bare.goto(`http://rebind.test:${port}/`);
  if (rebound.status() !== 403) fail("a rebound Host answered " + rebound.status());
  const body = await rebound.json();
  if (body.code !== "host_refused") fail("a rebound Host: " + JSON.stringify(body));
  await bare.close();

  // ---- a tab left open while the server goes away and comes back (issue 17) ----
  const api = async (method, path) => {
    const r = await fetch(origin + path, { method, headers: { "X-Teleplug-Token": TOKEN } });
    if (!r.ok) fail(`${method} ${path}: ${r.status}`);
    return r.json();
  };
  const openStreams = async () => (await api("GET", "/api/server")).panel.open_event_streams;
  // The one page left: its event stream and its log stream, nothing of the closed page.
  await until(async () => { const n = await openStreams(); return n === 2 || n; }, "2 open streams after the second page closed");
  // Streams opened and dropped 50 times (a tab reconnecting for days) leave nothing open.
  for (let k = 0; k < 50; k++) {
    const abort = new AbortController();
    const r = await fetch(origin + (k % 2 ? "/api/log" : "/api/events"), { headers: { "X-Teleplug-Token": TOKEN }, signal: abort.signal });
    const reader = r.body.getReader();
    await reader.read(); // the stream is open and has sent its first event
    abort.abort();
  }
  await until(async () => { const n = await openStreams(); return n === 2 || n; }, "2 open streams after 50 dropped ones");
  console.log("event streams open after 50 dropped: 2");

  await page.evaluate(() => { window.notReloaded = true; });
  await stopServe(serve);
  await page.waitForFunction(() => document.getElementById("conn").textContent === "events: reconnecting…" &&
    document.body.classList.contains("offline"), null, { timeout: WAIT });
  // STOP ALL while the server is down says so.
  await page.click("#stop-all");
  await page.waitForFunction(() => document.getElementById("stop-result").textContent === "STOP failed: server unreachable", null, { timeout: WAIT });
  // The same ports and token, another process, with no device and another one to come.
  const downAt = Date.now();
  serve = startServe({ ws: new URL(wsUrl).port, sim: new URL(simUrl).port, http: port });
  await lineWith("control panel and HTTP API on");
  const sim2 = new Sim(urlOf(await lineWith("simulator control on"), "ws://"));
  await sim2.open();
  await page.waitForFunction(() => document.getElementById("conn").textContent === "events: live" &&
    !document.body.classList.contains("offline"), null, { timeout: WAIT });
  timings.reconnect = Date.now() - downAt;
  // Nothing stale: the old server's toys are gone, scanning is the new server's.
  await page.waitForFunction(() => document.querySelectorAll("article.device").length === 0 &&
    !document.getElementById("no-devices").hidden && document.getElementById("scanning").textContent === "no", null, { timeout: WAIT });
  await api("POST", "/api/scanning/start");
  sim2.advertise("nora", "LVS-Nora", "AA:BB:CC:00:00:03");
  await page.locator("article.device", { hasText: "Lovense Nora" }).waitFor({ timeout: WAIT });
  if (!(await page.evaluate(() => window.notReloaded))) fail("the page was reloaded");
  if (await page.locator("article.device", { hasText: "Lovense Hush" }).count()) fail("the old server's Hush is still shown");
  await page.locator("article.device", { hasText: "Lovense Nora" }).locator('input[type=range][data-output="Vibrate"]').fill("5");
  await sim2.until("nora", (w) => w === "Vibrate:5;", "Vibrate:5; from the page after the reconnect");
  await page.click("#stop-all");
  await page.waitForFunction(() => document.getElementById("stop-result").textContent.startsWith("stopped in"), null, { timeout: WAIT });
  if (await openStreams() !== 2) fail("open streams after the reconnect: " + await openStreams());
  console.log(`reconnected ${timings.reconnect} ms after the new server was started; the new toy shown, the old one gone`);
  if (pageErrors.length) fail("errors in the page: " + pageErrors.join("; "));
  console.log(JSON.stringify({ ok: true, timings }));
} finally {
  if (browser) await browser.close();
  await stopServe(serve);
}
