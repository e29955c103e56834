#!/usr/bin/env python3
"""Teleplug from a plain script (no asyncio): the synchronous API, embedded server, simulated
toy. Same steps as embedded.py; every byte the toy receives is printed.

Run: python3 examples/python/sync_script.py
"""

import _path  # noqa: F401  (source checkout support)
import teleplug
from teleplug.sync import Client

with Client("Python script", timeout=10) as client:
    # Listeners of the sync API run on the client's event thread, in order.
    client.on(
        teleplug.SimulatorOp,
        lambda op: print(f"toy received: {op.text}") if op.kind == teleplug.SimulatorOpKind.WRITE else None,
    )
    client.connect(disabled_transports=teleplug.Transport.ALL)
    client.simulator.advertise_lovense("aa:bb:cc:dd:ee:ff", battery=42)
    client.start_scanning()
    device = client.wait_for_device(timeout=10)
    client.stop_scanning()
    print(f"found device {device.index}: {device.name}")
    for feature in device.features:
        kinds = [o.type.name.lower() for o in feature.outputs] + [i.type.name.lower() for i in feature.inputs]
        print(f"  feature {feature.index}: {', '.join(kinds)}")
    # Wait for the toy's op events too: the event thread prints them.
    seen = client.events(teleplug.SimulatorOp, predicate=lambda op: op.text == "Vibrate:0;")
    device.features[0].vibrate(0.25)
    print(f"battery: {device.read_battery()}%")
    device.stop()
    seen.next(timeout=10)
print("done")
