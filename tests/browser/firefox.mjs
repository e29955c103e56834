// The control panel in Firefox (Debian's firefox-esr) through geckodriver, over plain WebDriver
// (playwright-core 1.65's Firefox support needs WebDriver BiDi commands Firefox ESR 153 lacks).
// Opens the page with its token, waits for the live event stream, starts a scan from the page and
// presses STOP ALL, each seen in the page. Run by run-firefox.sh (outside the test command).
const [wd, url] = process.argv.slice(2);
const call = async (method, path, body) => {
  const r = await fetch(wd + path, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (j.value && j.value.error) throw new Error(path + ": " + j.value.message);
  return j.value;
};
const s = await call("POST", "/session", { capabilities: { alwaysMatch: { "moz:firefoxOptions": { binary: "/usr/bin/firefox-esr", args: ["-headless"] } } } });
const id = s.sessionId;
const js = (script) => call("POST", `/session/${id}/execute/sync`, { script, args: [] });
const until = async (script, want) => { for (let i = 0; i < 100; i++) { const v = await js(script); if (v === want || (want instanceof RegExp && want.test(v))) return v; await new Promise((r) => setTimeout(r, 100)); } throw new Error("never " + want + " from " + script); };
const click = async (css) => { const e = await call("POST", `/session/${id}/element`, { using: "css selector", value: css }); await call("POST", `/session/${id}/element/${Object.values(e)[0]}/click`, {}); };
try {
  await call("POST", `/session/${id}/url`, { url });
  console.log(await until("return document.getElementById('conn').textContent", "events: live"));
  await click("#scan");
  console.log("scanning:", await until("return document.getElementById('scanning').textContent", "yes"));
  await click("#stop-all");
  console.log(await until("return document.getElementById('stop-result').textContent", /^stopped in/));
  console.log(`Firefox ${s.capabilities.browserVersion}: the panel works`);
} finally {
  await call("DELETE", `/session/${id}`);
}
