#!/usr/bin/env python3
"""Teleplug from a plain script (no asyncio): the synchronous API, embedded server, simulated
toy. Same steps as embedded.py; every byte the toy receives is printed.

Run: python3 examples/python/sync_script.py
"""

import threading

import _path  # noqa: F401  (source checkout support)
import teleplug
from teleplug.sync import Client

# Listeners of the sync API run on the client's event thread, in order: output shared with the
# main thread needs a lock.
print_lock = threading.Lock()


def say(text: str) -> None:
    with print_lock:
        print(text, flush=True)


def toy_received(op: teleplug.SimulatorOp) -> None:
    if op.kind == teleplug.SimulatorOpKind.WRITE:
        say(f"toy received: {op.text}")


with Client("Python script", timeout=10) as client:
    client.on(teleplug.SimulatorOp, toy_received)
    client.connect(disabled_transports=teleplug.Transport.ALL)
    client.simulator.advertise_lovense("aa:bb:cc:dd:ee:ff", battery=42)
    client.start_scanning()
    device = client.wait_for_device(timeout=10)
    client.stop_scanning()
    say(f"found device {device.index}: {device.name}")
    for feature in device.features:
        kinds = [o.type.name.lower() for o in feature.outputs] + [i.type.name.lower() for i in feature.inputs]
        say(f"  feature {feature.index}: {', '.join(kinds)}")
    # Wait for the toy's op events too: the event thread prints them.
    seen = client.events(teleplug.SimulatorOp, predicate=lambda op: op.text == "Vibrate:0;")
    device.features[0].vibrate(0.25)
    say(f"battery: {device.read_battery()}%")
    device.stop()
    seen.next(timeout=10)
say("done")
