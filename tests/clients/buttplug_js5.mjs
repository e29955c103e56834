// buttplug-js 5 (npm `buttplug` 5.x, Buttplug spec v4) against `teleplug serve`: replies that
// wait behind a slow battery read (InputCmd Read) arrive packed in one frame, and the client
// must resolve every one of them. Usage: node buttplug_js5.mjs ws://SERVER ws://SIMULATOR

import { createRequire } from 'node:module';
import bp from 'buttplug';
import { BATTERY, runScenario } from './common.mjs';

const version = createRequire(import.meta.url)('buttplug/package.json').version;

await runScenario((server) => ({
  name: 'buttplug-js',
  version,
  connector: new bp.ButtplugNodeWebsocketClientConnector(server),
  client: new bp.ButtplugClient(`teleplug real-client test (buttplug-js ${version})`),
  battery: (device) => device.battery(),
  // Spec v4 reports the battery in percent.
  expectBattery: BATTERY,
  vibrate: (device, step) => device.runOutput(bp.DeviceOutput.Vibrate.value(step)),
  bad: (client) =>
    client.sendMessage({
      OutputCmd: { Id: 1, DeviceIndex: 99, FeatureIndex: 0, Command: { Vibrate: { Value: 1 } } },
    }),
}));
