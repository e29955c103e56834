// Teleplug control panel. No framework: fetch() for the API, a fetch() stream for server-sent
// events (EventSource cannot send the token header), DOM built with textContent only.
"use strict";

const TOKEN_KEY = "teleplug-panel-token";
const $ = (id) => document.getElementById(id);

// The token: from the URL fragment (never sent to the server by the browser), then kept in this
// tab's session storage and sent in a header, never in a cookie.
(function takeToken() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
})();

function headers(json) {
  const h = {};
  const t = sessionStorage.getItem(TOKEN_KEY);
  if (t) h["X-Teleplug-Token"] = t;
  if (json) h["Content-Type"] = "application/json";
  return h;
}

function askToken(message) {
  $("token-form").hidden = false;
  $("token-error").textContent = message || "";
  $("token-input").focus();
}

async function api(method, path, body) {
  const init = { method, headers: headers(body !== undefined), cache: "no-store" };
  if (body !== undefined) init.body = JSON.stringify(body);
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    throw new Error("server unreachable");
  }
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401) askToken(data && data.error);
  if (!r.ok) throw new Error((data && data.error) || ("HTTP " + r.status));
  return data;
}

// ---- STOP ALL -----------------------------------------------------------------------------
async function stopAll() {
  const out = $("stop-result");
  out.textContent = "stopping…";
  const t0 = performance.now();
  try {
    const r = await api("POST", "/api/stop");
    out.textContent = "stopped in " + Math.round(performance.now() - t0) + " ms" +
      (r.client_disconnected ? " (app disconnected)" : "");
    for (const s of document.querySelectorAll("input[type=range][data-stoppable]")) {
      s.value = 0; s.dispatchEvent(new Event("show"));
    }
  } catch (e) {
    out.textContent = "STOP failed: " + e.message;
  }
}
$("stop-all").addEventListener("click", stopAll);
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") { e.preventDefault(); stopAll(); }
});

// ---- header ---------------------------------------------------------------------------------
let scanning = false;
function showClient(c) {
  $("app").textContent = c
    ? `${c.name} (${c.address || "in-process"}, spec v${c.spec_version}, since ${new Date(c.since_ms).toLocaleTimeString()})`
    : "none connected";
  $("disconnect-app").hidden = !c;
}
function showScanning(on) {
  scanning = on;
  $("scanning").textContent = on ? "yes" : "no";
  $("scan").textContent = on ? "Stop scanning" : "Start scanning";
}
$("scan").addEventListener("click", async () => {
  try {
    await api("POST", scanning ? "/api/scanning/stop" : "/api/scanning/start");
    showScanning(!scanning);
  } catch (e) { $("scanning").textContent = e.message; }
});
$("disconnect-app").addEventListener("click", async () => {
  try { await api("DELETE", "/api/client"); } catch (e) { $("app").textContent = e.message; }
});
$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
  $("token-input").value = "";
  $("token-form").hidden = true;
  start();
  for (const resume of resumers.splice(0)) resume();
});

// ---- devices --------------------------------------------------------------------------------
const STOPPABLE = new Set(["Vibrate", "Rotate", "Oscillate", "Constrict", "Temperature", "Led", "Spray"]);
const cards = new Map(); // device index -> {el, key, readings}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

// Sends the latest value of a control at most every 50 ms while it moves.
function throttled(send) {
  let busy = false, next = null;
  const run = async (v) => {
    busy = true;
    try { await send(v); } finally {
      busy = false;
      if (next !== null) { const n = next; next = null; run(n); }
    }
  };
  return (v) => { if (busy) next = v; else run(v); };
}

function outputControl(dev, feat, type, props) {
  const [lo, hi] = props.Value;
  const min = type === "Rotate" && lo === 0 ? -hi : lo;
  const error = el("span", { class: "error" });
  const value = el("span", { class: "value" }, "0");
  const slider = el("input", {
    type: "range", min, max: hi, step: 1, value: 0,
    "data-device": dev, "data-feature": feat, "data-output": type,
    title: `${type}: ${hi} steps`,
  });
  slider.setAttribute("aria-label", `device ${dev} feature ${feat} ${type}`);
  if (STOPPABLE.has(type)) slider.setAttribute("data-stoppable", "");
  const show = () => { value.textContent = slider.value + "/" + hi; };
  slider.addEventListener("show", show);
  const label = type === "Rotate" ? "Rotate ±" : type === "HwPositionWithDuration" ? "Position" : type;
  const name = el("span", {}, `${label} `, el("span", { class: "muted" }, `${hi} steps`));
  if (type === "HwPositionWithDuration") {
    const duration = el("input", { type: "number", min: 0, value: 500, title: "duration (ms)" });
    duration.setAttribute("aria-label", "duration in milliseconds");
    const go = el("button", { type: "button" }, "Move");
    slider.addEventListener("input", show);
    go.addEventListener("click", async () => {
      error.textContent = "";
      try {
        await api("POST", `/api/devices/${dev}/features/${feat}/output`,
          { type, value: Number(slider.value), duration: Number(duration.value) });
      } catch (e) { error.textContent = e.message; }
    });
    return el("div", { class: "control" }, name, slider, value,
      el("div", { class: "position-row" }, duration, el("span", { class: "muted" }, "ms"), go), error);
  }
  const send = throttled(async (v) => {
    try {
      await api("POST", `/api/devices/${dev}/features/${feat}/output`, { type, value: v });
      error.textContent = "";
    } catch (e) { error.textContent = e.message; }
  });
  slider.addEventListener("input", () => { show(); send(Number(slider.value)); });
  show();
  return el("div", { class: "control" }, name, slider, value, error);
}

function inputControl(card, dev, feat, type, props) {
  const reading = el("span", { class: "reading", "data-reading": `${dev}/${feat}/${type}` }, "–");
  const error = el("span", { class: "error" });
  const row = el("div", { class: "input-row" }, el("span", {}, type), reading);
  card.readings.set(`${feat}/${type}`, reading);
  const cmds = props.Command || [];
  if (cmds.includes("Read")) {
    const b = el("button", { type: "button" }, "Read");
    b.addEventListener("click", () => readInput(dev, feat, type, reading, error));
    row.append(b);
  }
  if (cmds.includes("Subscribe")) {
    let on = false;
    const b = el("button", { type: "button" }, "Subscribe");
    b.addEventListener("click", async () => {
      try {
        await api("POST", `/api/devices/${dev}/features/${feat}/input`,
          { type, command: on ? "Unsubscribe" : "Subscribe" });
        on = !on; b.textContent = on ? "Unsubscribe" : "Subscribe"; error.textContent = "";
      } catch (e) { error.textContent = e.message; }
    });
    row.append(b);
  }
  row.append(error);
  return row;
}

async function readInput(dev, feat, type, reading, error) {
  try {
    const r = await api("POST", `/api/devices/${dev}/features/${feat}/input`, { type, command: "Read" });
    reading.textContent = type === "Battery" ? r.value + "%" : String(r.value);
    if (error) error.textContent = "";
    return r.value;
  } catch (e) { if (error) error.textContent = e.message; return null; }
}

function deviceCard(d) {
  const dev = d.DeviceIndex;
  const card = { readings: new Map() };
  const battery = el("span", { class: "battery", title: "battery" }, "");
  const stop = el("button", { type: "button" }, "Stop");
  const error = el("span", { class: "error" });
  stop.addEventListener("click", async () => {
    try {
      await api("POST", `/api/devices/${dev}/stop`);
      error.textContent = "";
      for (const s of root.querySelectorAll("input[type=range][data-stoppable]")) { s.value = 0; s.dispatchEvent(new Event("show")); }
    } catch (e) { error.textContent = e.message; }
  });
  const title = d.DeviceDisplayName ? `${d.DeviceDisplayName} (${d.DeviceName})` : d.DeviceName;
  const root = el("article", { class: "device", "data-index": dev },
    el("header", {}, el("h3", {}, `#${dev} ${title}`), battery, stop), error);
  const features = Object.values(d.DeviceFeatures).sort((a, b) => a.FeatureIndex - b.FeatureIndex);
  for (const f of features) {
    const box = el("div", { class: "feature" },
      el("div", { class: "muted" }, `feature ${f.FeatureIndex}${f.FeatureDescription ? " – " + f.FeatureDescription : ""}`));
    for (const [type, props] of Object.entries(f.Output || {})) box.append(outputControl(dev, f.FeatureIndex, type, props));
    for (const [type, props] of Object.entries(f.Input || {})) {
      if (type === "Battery") {
        card.batteryFeature = f.FeatureIndex;
        card.readings.set(`${f.FeatureIndex}/Battery`, battery);
        continue;
      }
      box.append(inputControl(card, dev, f.FeatureIndex, type, props));
    }
    if (box.childNodes.length > 1) root.append(box);
  }
  card.el = root;
  card.key = JSON.stringify(d);
  if (card.batteryFeature !== undefined) {
    const read = () => readInput(dev, card.batteryFeature, "Battery", battery, null);
    read();
    card.timer = setInterval(read, 60000);
  }
  return card;
}

function showDevices(list) {
  const seen = new Set();
  for (const d of list) {
    seen.add(d.DeviceIndex);
    const old = cards.get(d.DeviceIndex);
    if (old && old.key === JSON.stringify(d)) continue;
    if (old) { clearInterval(old.timer); old.el.remove(); }
    const card = deviceCard(d);
    cards.set(d.DeviceIndex, card);
    $("devices").append(card.el);
  }
  for (const [i, c] of cards) if (!seen.has(i)) { clearInterval(c.timer); c.el.remove(); cards.delete(i); }
  const sorted = [...cards.entries()].sort((a, b) => a[0] - b[0]);
  for (const [, c] of sorted) $("devices").append(c.el);
  $("no-devices").hidden = cards.size > 0;
}

function showReading(e) {
  const c = cards.get(e.device);
  const r = c && c.readings.get(`${e.feature}/${e.type}`);
  if (r) r.textContent = e.type === "Battery" ? e.value + "%" : String(e.value);
}

// ---- event streams ---------------------------------------------------------------------------
const resumers = []; // streams waiting for a token
// Nothing read for this long (the server sends a comment every 15 s): the connection is dead
// (a laptop that slept, a network that changed) even if the browser has not noticed.
const SILENCE_MS = 40000;

// Reads a server-sent event stream with fetch (so the token goes in a header); calls onEvent
// for each event and onState with "connecting", "live", "reconnecting" or "token needed".
// After a drop or a failed attempt it tries again after 0.5 s, doubling up to 10 s; the wait
// starts again at 0.5 s once a stream is open. Each stream opens with the server's whole state.
function stream(path, onEvent, onState) {
  let wait = 500;
  const state = (s) => onState && onState(s);
  const retry = () => {
    state("reconnecting");
    setTimeout(connect, wait);
    wait = Math.min(wait * 2, 10000);
  };
  const connect = async () => {
    const abort = new AbortController();
    let r;
    try {
      r = await fetch(path, { headers: headers(false), cache: "no-store", signal: abort.signal });
    } catch (e) { r = null; }
    if (r && r.status === 401) {
      askToken("wrong or missing token");
      state("token needed");
      resumers.push(connect); // again once a token is given
      return;
    }
    if (!r || !r.ok || !r.body) { retry(); return; }
    wait = 500;
    state("live");
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let silence = setTimeout(() => abort.abort(), SILENCE_MS);
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(silence);
        silence = setTimeout(() => abort.abort(), SILENCE_MS);
        buf += value;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          let event = "message"; const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (data.length) onEvent(event, data.join("\n"));
        }
      }
    } catch (e) { /* dropped */ }
    clearTimeout(silence);
    retry();
  };
  state("connecting");
  connect();
}

function onPanelEvent(kind, text) {
  const e = JSON.parse(text);
  switch (kind) {
    case "state": showDevices(e.devices); showClient(e.client); showScanning(e.scanning); break;
    case "devices": showDevices(e.devices); break;
    case "client": showClient(e.client); break;
    case "scanning": showScanning(e.scanning); break;
    case "input": showReading(e); break;
    case "stopped":
      for (const s of document.querySelectorAll("input[type=range][data-stoppable]")) { s.value = 0; s.dispatchEvent(new Event("show")); }
      break;
    case "error": logLine("server: " + e.error); break;
  }
}

function logLine(line) {
  const log = $("log");
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(line + "\n");
  while (log.childNodes.length > 300) log.firstChild.remove();
  if (atEnd) log.scrollTop = log.scrollHeight;
}

// The server's name (it may be another server after a reconnect: same port, new process).
async function readServer() {
  const info = await api("GET", "/api/server");
  $("server-name").textContent = info.name;
  document.title = info.name + " – control panel";
}

// While the events are down, what the page shows may be stale: it says so ("reconnecting…")
// and greys the devices; STOP ALL still works (its request is its own, and says when it fails).
function showEvents(s) {
  const down = s !== "live";
  document.body.classList.toggle("offline", down && s !== "connecting");
  $("conn").textContent = "events: " + (s === "reconnecting" ? "reconnecting…" : s);
  if (s === "live" && wasDown) readServer().catch(() => {});
  if (s === "reconnecting") wasDown = true; else if (s === "live") wasDown = false;
}
let wasDown = false;

let started = false;
async function start() {
  try {
    await readServer();
  } catch (e) {
    $("conn").textContent = e.message;
    if (e.message === "server unreachable") setTimeout(start, 2000);
    return;
  }
  if (started) return;
  started = true;
  // The events' first `state` event replaces the devices, the app and scanning shown.
  stream("/api/events", onPanelEvent, showEvents);
  // The log stream starts with the lines kept: shown afresh on each (re)connection.
  stream("/api/log", (kind, text) => {
    if (kind === "line") logLine(text); else if (kind === "skipped") logLine(`(${text} lines skipped)`);
  }, (s) => { if (s === "live") $("log").textContent = ""; });
}
start();
