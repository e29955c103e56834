#!/usr/bin/env python3
"""Teleplug from Python, connected to a running Buttplug server (`teleplug serve`, Intiface).

Scans until a device is found (10 s at most), lists its features, vibrates it at 50% for a
moment, reads its battery when it has one, stops it and disconnects.

Run:
    teleplug serve &                      # or Intiface Central / Engine
    python3 examples/python/remote.py ws://127.0.0.1:12345
"""

import asyncio
import sys

import _path  # noqa: F401  (source checkout support)
import teleplug


async def main(url: str) -> int:
    async with teleplug.Client("Python remote example") as client:
        info = await client.connect(url)
        print(f"connected to {info.server_name!r} (spec v{info.protocol_version_major})")
        await client.start_scanning()
        try:
            device = await client.wait_for_device(timeout=10)
        except teleplug.RequestTimeoutError:
            print("no device found", file=sys.stderr)
            return 1
        await client.stop_scanning()
        print(f"found device {device.index}: {device.name}")
        for feature in device.features:
            kinds = [o.type.name.lower() for o in feature.outputs] + [i.type.name.lower() for i in feature.inputs]
            print(f"  feature {feature.index}: {', '.join(kinds)}")
        vibrators = device.features_with(output=teleplug.OutputType.VIBRATE)
        if vibrators:
            print("vibrate at 50%")
            await vibrators[0].vibrate(0.5)
        if device.features_with(input=teleplug.InputType.BATTERY):
            print(f"battery: {await device.read_battery()}%")
        print("stop")
        await device.stop()
        await client.disconnect()
    print("done")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} ws://HOST:PORT")
    sys.exit(asyncio.run(main(sys.argv[1])))
