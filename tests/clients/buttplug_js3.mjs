// buttplug-js 3 (npm `buttplug` 3.x, installed here as `buttplug3`; Buttplug spec v3) against
// `teleplug serve`: replies that wait behind a slow battery read (SensorReadCmd) arrive packed
// in one frame, and the client must resolve every one of them.
// Usage: node buttplug_js3.mjs ws://SERVER ws://SIMULATOR

import { createRequire } from 'node:module';
import bp from 'buttplug3';
import { BATTERY, runScenario } from './common.mjs';

const version = createRequire(import.meta.url)('buttplug3/package.json').version;
/** The Hush vibrates in 20 steps; spec v3 commands are a fraction of the range. */
const STEPS = 20;

await runScenario((server) => ({
  name: 'buttplug-js',
  version,
  connector: new bp.ButtplugNodeWebsocketClientConnector(server),
  client: new bp.ButtplugClient(`teleplug real-client test (buttplug-js ${version})`),
  battery: (device) => device.battery(),
  // buttplug-js 3 reports the battery as a fraction.
  expectBattery: BATTERY / 100,
  vibrate: (device, step) => device.vibrate(step / STEPS),
  bad: (client) => client.sendMessage(new bp.StopDeviceCmd(99)),
}));
