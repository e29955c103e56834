"""buttplug-py (PyPI `buttplug` 1.0.0, Buttplug spec v4) against `teleplug serve`.

Replies that wait behind a slow battery read arrive packed in one frame, and the client must
resolve every one of them. The script plays a Lovense Hush on the simulator control endpoint,
and spies on the frames the library parses by wrapping `buttplug.connector.parse_messages`
(called once per text frame with the frame's JSON array).

Usage: python buttplug_py.py ws://SERVER ws://SIMULATOR
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import traceback
from importlib.metadata import version as dist_version

import buttplug
import buttplug.connector
from buttplug import ButtplugClient, DeviceOutputCommand, OutputType
from buttplug._messages import Error, OutputCmd
from websockets.asyncio.client import connect as ws_connect

NAME = "buttplug-py"
VERSION = dist_version("buttplug")
DEADLINE_S = 20.0
VIBRATES = 10
BATTERY = 55
STARTED = time.monotonic()


def log(*args: object) -> None:
    print(f"[{time.monotonic() - STARTED:.2f}s]", *args, file=sys.stderr, flush=True)


class FrameSpy:
    """Wraps the connector's `parse_messages`: notes each frame's size and what came of it."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, int | None]] = []
        self.largest = 0
        self.largest_types: list[str] = []
        self.dropped: list[str] = []
        self.mixed: list[str] = []
        original = buttplug.connector.parse_messages

        def spy(data):  # type: ignore[no-untyped-def]
            size = len(data) if isinstance(data, list) else 0
            if size > self.largest:
                self.largest = size
                self.largest_types = [next(iter(m), "?") for m in data]
            # teleplug packs replies only: an event (Id 0) always has a frame of its own.
            bodies = [b for m in data if isinstance(m, dict) for b in m.values()]
            if size > 1 and any(isinstance(b, dict) and b.get("Id") == 0 for b in bodies):
                self.mixed.append(json.dumps(data)[:300])
            try:
                parsed = original(data)
            except Exception as e:
                # The library drops the whole frame when one message of it does not parse.
                self.frames.append((size, None))
                frame = json.dumps(data)[:300]
                self.dropped.append(f"{size}-message frame not parsed ({e!r}): {frame}")
                raise
            self.frames.append((size, len(parsed)))
            if len(parsed) != size:
                frame = json.dumps(data)[:300]
                self.dropped.append(f"{len(parsed)} of {size} messages parsed: {frame}")
            return parsed

        buttplug.connector.parse_messages = spy


def describe(types: list[str]) -> str:
    runs: list[list] = []
    for t in types:
        if runs and runs[-1][0] == t:
            runs[-1][1] += 1
        else:
            runs.append([t, 1])
    return ", ".join(f"{t}×{n}" if n > 1 else t for t, n in runs)


class SimToy:
    """A Lovense Hush on teleplug's simulator control endpoint."""

    def __init__(self, url: str, ident: str = "hush1") -> None:
        self.url = url
        self.id = ident
        self.writes: list[str] = []
        self.changed = asyncio.Condition()

    async def open(self) -> None:
        self.ws = await ws_connect(self.url)
        self.reader = asyncio.create_task(self._read())
        await self.send(
            {"Advertise": {"id": self.id, "name": "LVS-Hush", "address": "C4:4F:33:00:00:02"}}
        )

    async def send(self, v: dict) -> None:
        await self.ws.send(json.dumps(v))

    async def notify(self, text: str) -> None:
        await self.send({"Notify": {"id": self.id, "endpoint": "rx", "data": list(text.encode())}})

    async def _read(self) -> None:
        async for raw in self.ws:
            f = json.loads(raw)
            if "Write" in f:
                w = bytes(f["Write"]["data"]).decode("latin-1")
                self.writes.append(w)
                if w == "DeviceType;":
                    await self.notify("Z:11:0082059AD3BD;")
            elif "Error" in f:
                log("simulator error:", f["Error"]["message"])
            async with self.changed:
                self.changed.notify_all()

    async def until(self, pred) -> None:  # type: ignore[no-untyped-def]
        async with self.changed:
            await self.changed.wait_for(pred)

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def scenario(server: str, sim: str, spy: FrameSpy) -> None:
    toy = SimToy(sim)
    await toy.open()

    client = ButtplugClient(f"teleplug real-client test ({NAME} {VERSION})")
    added: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_added(device) -> None:  # type: ignore[no-untyped-def]
        if not added.done():
            added.set_result(device)

    client.on_device_added = on_added
    await client.connect(server)
    log("connected to", client.server_name)
    await client.start_scanning()
    device = await added
    log(f"device added: {device.name} (index {device.index})")
    before = len(toy.writes)

    # The read first, then the commands, none awaited yet: their replies queue behind the read's
    # and go out together once the toy answers it. The read's task is created first, so it is
    # sent first (run_output sends one step later, from a task of its own per feature).
    battery = asyncio.create_task(device.battery())
    vibrates = []
    bad = None
    for i in range(1, VIBRATES + 1):
        vibrates.append(
            asyncio.create_task(device.run_output(DeviceOutputCommand(OutputType.VIBRATE, i)))
        )
        if i == VIBRATES // 2:
            # A message for a device that does not exist (the library's own internal send: its
            # public API checks devices first): its Error reply shares the frame with the Oks.
            msg = OutputCmd(
                id=0, device_index=99, feature_index=0, command={"Vibrate": {"Value": 1}}
            )
            bad = asyncio.create_task(client._send_device_message(msg))
    last = f"Vibrate:{VIBRATES};"
    await toy.until(lambda: "Battery;" in toy.writes[before:] and last in toy.writes[before:])
    n = sum(1 for w in toy.writes[before:] if w.startswith("Vibrate:"))
    log(f"toy saw Battery; and {n} vibrate writes; answering the battery")
    await toy.notify(f"{BATTERY};")

    level = await battery
    # buttplug-py reports the battery as a fraction.
    if level != BATTERY / 100:
        raise AssertionError(f"battery read {level}, expected {BATTERY / 100}")
    results = await asyncio.gather(*vibrates, return_exceptions=True)
    failed = [(i + 1, r) for i, r in enumerate(results) if isinstance(r, BaseException)]
    if failed:
        raise AssertionError(
            "vibrate commands failed: " + "; ".join(f"#{i}: {r!r}" for i, r in failed)
        )
    reply = await bad
    if not isinstance(reply, Error):
        raise AssertionError(f"a command for device 99 got {reply!r} instead of an Error")
    log(
        f"battery {level}, {len(results)} vibrate commands resolved Ok, "
        f"the bad one failed: {reply.error_message}"
    )

    await client.disconnect()
    await toy.close()


def main() -> int:
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} ws://SERVER ws://SIMULATOR", file=sys.stderr)
        return 2
    server, sim = sys.argv[1], sys.argv[2]
    spy = FrameSpy()
    error: str | None = None
    try:
        asyncio.run(asyncio.wait_for(scenario(server, sim, spy), DEADLINE_S))
    except (asyncio.TimeoutError, TimeoutError):
        error = f"timed out ({DEADLINE_S:.0f} s overall)"
    except Exception:
        error = traceback.format_exc()
    if error is None and spy.dropped:
        error = "the library lost messages of a frame: " + spy.dropped[0]
    if error is None and spy.mixed:
        error = "the server packed an event (Id 0) with other messages: " + spy.mixed[0]
    if error is None and spy.largest < 2:
        error = (
            f"no frame the client parsed held 2 or more messages (largest {spy.largest}): "
            "the scenario did not produce a packed frame, so nothing was proven"
        )
    log(f"frames parsed: {len(spy.frames)}, largest: {spy.largest} ({describe(spy.largest_types)})")
    if error:
        print(f"FAIL {NAME} {VERSION}: {error}", file=sys.stderr)
    print(f"result: {NAME} {VERSION} largest_frame={spy.largest} {'FAIL' if error else 'PASS'}")
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
