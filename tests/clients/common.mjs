// Shared by the buttplug-js scripts: arguments, the overall deadline, the simulated Lovense Hush
// played over teleplug's simulator control endpoint, the frame spy and the result line that
// run.sh reads.

import WebSocket from 'ws';

/** Every wait of a script ends within this. */
export const DEADLINE_MS = 20_000;
/** Vibrate commands sent behind the battery read. */
export const VIBRATES = 10;
/** The battery level the toy reports (Lovense answers `Battery;` with `55;`). */
export const BATTERY = 55;

const started = Date.now();

export function log(...args) {
  const t = ((Date.now() - started) / 1000).toFixed(2);
  console.error(`[${t}s]`, ...args);
}

/** `node script.mjs SERVER_URL SIM_URL` */
export function parseArgs() {
  const [server, sim] = process.argv.slice(2);
  if (!server || !sim) {
    console.error(`usage: node ${process.argv[1]} ws://SERVER ws://SIMULATOR`);
    process.exit(2);
  }
  return { server, sim };
}

/** `promise`, or a rejection naming `what` once the overall deadline has passed. */
export function bounded(promise, what) {
  const left = Math.max(0, DEADLINE_MS - (Date.now() - started));
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out (${DEADLINE_MS / 1000} s overall) waiting for ${what}`)),
      left,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const bytes = (s) => [...Buffer.from(s, 'latin1')];
const text = (data) => Buffer.from(data).toString('latin1');

/**
 * A Lovense Hush on teleplug's simulator control endpoint: it advertises, answers `DeviceType;`
 * at once, records every write, and answers `Battery;` only when told to.
 */
export class SimToy {
  constructor(url, id = 'hush1') {
    this.url = url;
    this.id = id;
    this.writes = [];
    this.connected = false;
    this.errors = [];
    this.waiters = [];
  }

  async open() {
    this.ws = new WebSocket(this.url);
    await bounded(
      new Promise((resolve, reject) => {
        this.ws.once('open', resolve);
        this.ws.once('error', reject);
      }),
      `the simulator control endpoint ${this.url}`,
    );
    this.ws.on('message', (data) => this.onFrame(JSON.parse(data.toString())));
    this.send({ Advertise: { id: this.id, name: 'LVS-Hush', address: 'C4:4F:33:00:00:01' } });
  }

  send(v) {
    this.ws.send(JSON.stringify(v));
  }

  onFrame(f) {
    if (f.Write) {
      const w = text(f.Write.data);
      this.writes.push(w);
      if (w === 'DeviceType;') {
        this.send({ Notify: { id: this.id, endpoint: 'rx', data: bytes('Z:11:0082059AD3BD;') } });
      }
    } else if (f.Connected) {
      this.connected = true;
    } else if (f.Error) {
      this.errors.push(f.Error.message);
      log('simulator error:', f.Error.message);
    }
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `pred()` holds (checked after every frame from the server). */
  until(pred, what) {
    if (pred()) return Promise.resolve();
    return bounded(
      new Promise((resolve) => {
        const check = () => {
          if (pred()) {
            this.waiters = this.waiters.filter((w) => w !== check);
            resolve();
          }
        };
        this.waiters.push(check);
      }),
      what,
    );
  }

  answerBattery(level = BATTERY) {
    this.send({ Notify: { id: this.id, endpoint: 'rx', data: bytes(`${level};`) } });
  }

  close() {
    this.ws?.close();
  }
}

/**
 * Records the frames a buttplug-js WebSocket connector parses: its `parseIncomingMessage(event)`
 * is wrapped on the instance (the library calls it through `this` for every text frame), and
 * for each frame we note how many messages the frame held, how many the connector handed to
 * the client in its 'message' event, and whether an event (Id 0) shared the frame.
 */
export function spyOnFrames(connector) {
  const spy = { frames: [], largest: 0, largestTypes: [], dropped: [], mixed: [] };
  const original = connector.parseIncomingMessage;
  if (typeof original !== 'function') {
    throw new Error('the connector has no parseIncomingMessage to spy on (library changed?)');
  }
  connector.parseIncomingMessage = function (event) {
    let raw = null;
    if (typeof event.data === 'string') {
      try {
        raw = JSON.parse(event.data);
      } catch {
        raw = null;
      }
    }
    let handed = null;
    const onMessage = (msgs) => {
      handed = msgs.length;
    };
    this.on('message', onMessage);
    try {
      return original.call(this, event);
    } finally {
      this.off('message', onMessage);
      if (Array.isArray(raw)) {
        spy.frames.push({ size: raw.length, handed });
        if (raw.length > spy.largest) {
          spy.largest = raw.length;
          spy.largestTypes = raw.map((m) => Object.keys(m)[0]);
        }
        // teleplug packs replies only; an event (Id 0) always has a frame of its own. That
        // matters to buttplug-js 5, whose ButtplugClient.parseMessages stops at a DeviceList
        // and so would drop any event after one in the same frame.
        if (raw.length > 1 && raw.some((m) => Object.values(m)[0]?.Id === 0)) {
          spy.mixed.push(event.data.slice(0, 300));
        }
        if (handed !== raw.length) {
          spy.dropped.push({ size: raw.length, handed, text: event.data.slice(0, 300) });
        }
      }
    }
  };
  return spy;
}

/** "InputReading, Ok×10" */
export function describeTypes(types) {
  const runs = [];
  for (const t of types) {
    const last = runs[runs.length - 1];
    if (last && last[0] === t) last[1] += 1;
    else runs.push([t, 1]);
  }
  return runs.map(([t, n]) => (n > 1 ? `${t}×${n}` : t)).join(', ');
}

const settle = (p) =>
  p.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  );

/**
 * The scenario, for any buttplug-js version. `lib` says how to use it:
 * - `name`, `version`, `connector` (a connector instance for the server URL), `client`;
 * - `battery(device)`: the library's battery read; `expectBattery`: the value it should return;
 * - `vibrate(device, step)`: one vibrate command at `step` of the Hush's 20;
 * - `bad(client)`: a raw message for device 99, which the server answers with an Error.
 * Prints the result line and exits.
 */
export async function runScenario(makeLib) {
  const { server, sim } = parseArgs();
  let lib = { name: 'buttplug-js', version: '?' };
  let spy = null;
  let failure = null;
  try {
    lib = makeLib(server);
    const toy = new SimToy(sim);
    await toy.open();

    spy = spyOnFrames(lib.connector);
    const client = lib.client;
    const added = new Promise((resolve) => client.once('deviceadded', resolve));
    await bounded(client.connect(lib.connector), `the connection to ${server}`);
    log(`connected (${lib.name} ${lib.version})`);
    await bounded(client.startScanning(), 'the reply to StartScanning');
    const device = await bounded(added, 'the simulated Hush to be added');
    log(`device added: ${device.name} (index ${device.index})`);
    const before = toy.writes.length;

    // The read first, then the commands, none awaited: their replies queue behind the read's
    // and go out together once the toy answers it.
    const battery = settle(lib.battery(device));
    const vibrates = [];
    let bad = null;
    for (let i = 1; i <= VIBRATES; i++) {
      vibrates.push(settle(lib.vibrate(device, i)));
      if (i === VIBRATES / 2) {
        // A message for a device that does not exist: its Error reply sits among the Oks.
        bad = settle(lib.bad(client));
      }
    }
    const last = `Vibrate:${VIBRATES};`;
    await toy.until(() => {
      const w = toy.writes.slice(before);
      return w.includes('Battery;') && w.includes(last);
    }, `the toy to see "Battery;" and "${last}"`);
    const n = toy.writes.slice(before).filter((w) => w.startsWith('Vibrate:')).length;
    log(`toy saw Battery; and ${n} vibrate writes; answering the battery`);
    toy.answerBattery();

    const b = await bounded(battery, 'the battery reading');
    if (!b.ok) throw new Error(`battery read failed: ${b.error}`);
    if (b.value !== lib.expectBattery) {
      throw new Error(`battery read ${b.value}, expected ${lib.expectBattery}`);
    }
    const results = await bounded(Promise.all(vibrates), 'the vibrate replies');
    const failed = results.map((r, i) => [r, i + 1]).filter(([r]) => !r.ok);
    if (failed.length > 0) {
      const what = failed.map(([r, i]) => `#${i}: ${r.error}`).join('; ');
      throw new Error(`vibrate commands failed: ${what}`);
    }
    const e = await bounded(bad, 'the Error reply');
    if (e.ok) {
      throw new Error(`a command for device 99 resolved (${JSON.stringify(e.value)})`);
    }
    log(
      `battery ${b.value}, ${results.length} vibrate commands resolved Ok, ` +
        `the bad one failed: ${e.error.message ?? e.error}`,
    );

    await bounded(client.disconnect(), 'disconnecting');
    toy.close();
  } catch (error) {
    failure = error;
  }
  finish(lib.name, lib.version, spy, failure);
}

/** The line run.sh reads, then exit. */
export function finish(name, version, spy, error) {
  const largest = spy ? spy.largest : 0;
  if (!error && spy) {
    if (spy.dropped.length > 0) {
      const d = spy.dropped[0];
      error = new Error(
        `the library handed on ${d.handed} of the ${d.size} messages of a frame: ${d.text}`,
      );
    } else if (spy.mixed.length > 0) {
      error = new Error(`the server packed an event (Id 0) with other messages: ${spy.mixed[0]}`);
    } else if (spy.largest < 2) {
      error = new Error(
        `no frame the client parsed held 2 or more messages (largest ${spy.largest}): ` +
          'the scenario did not produce a packed frame, so nothing was proven',
      );
    }
  }
  if (spy) {
    const types = describeTypes(spy.largestTypes);
    log(`frames parsed: ${spy.frames.length}, largest: ${largest} (${types})`);
  }
  if (error) {
    console.error(`FAIL ${name} ${version}: ${error.stack || error}`);
  }
  console.log(`result: ${name} ${version} largest_frame=${largest} ${error ? 'FAIL' : 'PASS'}`);
  process.exit(error ? 1 : 0);
}
