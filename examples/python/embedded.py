#!/usr/bin/env python3
"""Teleplug from Python (asyncio), embedded server, simulated toy.

Connects to the embedded server with hardware transports off, advertises a simulated Lovense
toy, scans until it is found, lists its features, vibrates it, reads its battery, stops it and
closes. Every byte the toy receives is printed ("toy received: ...").

Run (after `pip install ./bindings/python`, or from a source checkout after `cargo build`):
    python3 examples/python/embedded.py
"""

import asyncio

import _path  # noqa: F401  (source checkout support)
import teleplug
from teleplug import SimulatorOpKind


def describe(feature: teleplug.Feature) -> str:
    parts = [f"{o.type.name.lower()} (steps {o.value.min}-{o.value.max})" for o in feature.outputs]
    parts += [f"{i.type.name.lower()} input" for i in feature.inputs]
    return ", ".join(parts)


async def main() -> None:
    print(f"teleplug {teleplug.library_version()}")
    async with teleplug.Client("Python example") as client:

        @client.on(teleplug.SimulatorOp)
        def toy_received(op: teleplug.SimulatorOp) -> None:
            if op.kind == SimulatorOpKind.WRITE:
                print(f"toy received: {op.text}")

        # Embedded server (the default); Transport.ALL switches Bluetooth, serial and HID off.
        await client.connect(server_name="Python example", disabled_transports=teleplug.Transport.ALL)
        print("connected")
        await client.simulator.advertise_lovense("11:22:33:44:55:66", battery=87)
        await client.start_scanning()
        device = await client.wait_for_device(timeout=10)
        await client.stop_scanning()
        print(f"found device {device.index}: {device.name}")
        for feature in device.features:
            print(f"  feature {feature.index}: {describe(feature)}")

        vibrator = device.features_with(output=teleplug.OutputType.VIBRATE)[0]
        print("vibrate at 50%")
        await vibrator.vibrate(0.5)
        print(f"battery: {await device.read_battery()}%")
        print("stop")
        await device.stop()  # the toy's writes are reported before the reply
        await client.disconnect()
    print("done")


if __name__ == "__main__":
    asyncio.run(main())
