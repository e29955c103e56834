"""lovensepy (PyPI `lovensepy` 1.0.4, a Lovense local-API client) against `teleplug serve
--lovense-api`: the library's own LAN (Game Mode) client drives a simulated non-Lovense toy (an
Aneros "Massage Demo": two vibrators of 0-127 steps, one write `[0xF1 + motor, value]` each)
played on the simulator control endpoint, and the bytes the toy received are checked.

lovensepy 1.0.4 is the newest release that installs on Python 3.11 (1.0.5+ need 3.12).

Usage: python lovensepy_lan.py PATH/TO/teleplug
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import traceback
from importlib.metadata import version as dist_version

from lovensepy import LANClient
from websockets.asyncio.client import connect as ws_connect

NAME = "lovensepy"
VERSION = dist_version("lovensepy")
DEADLINE_S = 30.0
STARTED = time.monotonic()


def log(*args: object) -> None:
    print(f"[{time.monotonic() - STARTED:.2f}s]", *args, file=sys.stderr, flush=True)


def start_server(binary: str) -> tuple[subprocess.Popen, str, int]:
    """`teleplug serve` on free ports; the simulator URL and the Lovense API port it prints."""
    proc = subprocess.Popen(
        [binary, "serve", "--port", "0", "--simulator-port", "0", "--no-panel",
         "--lovense-api", "--lovense-api-port", "0",
         "--no-bluetooth", "--no-serial", "--no-hid", "--no-gamepad"],
        stdout=subprocess.PIPE, text=True,
    )
    sim = port = None
    deadline = time.monotonic() + 10
    while (sim is None or port is None) and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if m := re.match(r"simulator control on (ws://\S+)", line):
            sim = m.group(1)
        if m := re.match(r"Lovense local API on http://127\.0\.0\.1:(\d+)", line):
            port = int(m.group(1))
    if sim is None or port is None:
        proc.kill()
        raise RuntimeError("teleplug serve did not print the simulator URL and the API port")
    return proc, sim, port


class Aneros:
    """A non-Lovense toy on the simulator control endpoint, recording every write."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.writes: list[bytes] = []
        self.changed = asyncio.Condition()

    async def open(self) -> None:
        self.ws = await ws_connect(self.url)
        self.reader = asyncio.create_task(self._read())
        await self.ws.send(json.dumps(
            {"Advertise": {"id": "an1", "name": "Massage Demo", "address": "AA:00:00:00:00:01"}}))

    async def _read(self) -> None:
        async for raw in self.ws:
            f = json.loads(raw)
            if "Write" in f:
                self.writes.append(bytes(f["Write"]["data"]))
            elif "Error" in f:
                log("simulator error:", f["Error"]["message"])
            async with self.changed:
                self.changed.notify_all()

    def levels(self) -> dict[int, int]:
        """The last value written to each motor."""
        out: dict[int, int] = {}
        for w in self.writes:
            if len(w) == 2 and w[0] in (0xF1, 0xF2):
                out[w[0] - 0xF1] = w[1]
        return out

    async def until_levels(self, want: dict[int, int]) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.levels() == want)
        log("toy levels", want)

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def scenario(sim: str, port: int) -> None:
    toy = Aneros(sim)
    await toy.open()
    client = LANClient("teleplug test", local_ip="127.0.0.1", port=port)
    call = lambda f, *a, **k: asyncio.to_thread(f, *a, **k)  # noqa: E731 (blocking client)
    # The server scans by itself (nobody sends StartScanning): wait for the toy in GetToys.
    while True:
        toys = await call(client.get_toys)
        if toys.data and toys.data.toys:
            break
        await asyncio.sleep(0.1)
    assert toys.code == 200, toys
    (t,) = toys.data.toys
    log("GetToys:", t.model_dump())
    assert re.fullmatch(r"[0-9a-f]{12}", t.id), t.id
    assert t.name == "edge", t.name  # two vibrators: shown as Lovense's two-motor model
    assert t.nickName == "Aneros Vivi", t.nickName
    assert "Vibrate" in (t.fullFunctionNames or []), t.fullFunctionNames
    names = await call(client.get_toys_name)
    assert names.data == ["Edge"], names

    # Vibrate 10 of 0-20 on both motors of 0-127: 64.
    r = await call(client.function_request, {"Vibrate": 10}, time=0, toy_id=t.id)
    assert r.code == 200, r
    await toy.until_levels({0: 64, 1: 64})
    # Vibrate2 alone, layered over the running command (stopPrevious 0).
    r = await call(client.function_request, {"Vibrate2": 20}, time=0, stop_previous=False)
    assert r.code == 200, r
    await toy.until_levels({0: 64, 1: 127})
    # timeSec: 1 s of 5, then the toy stops by itself.
    r = await call(client.function_request, {"Vibrate": 5}, time=1)
    await toy.until_levels({0: 32, 1: 32})
    await toy.until_levels({0: 0, 1: 0})
    # A pattern, then the library's stop.
    r = await call(client.pattern_request, [20, 10], interval=200, time=0)
    assert r.code == 200, r
    await toy.until_levels({0: 127, 1: 127})
    await toy.until_levels({0: 64, 1: 64})
    r = await call(client.stop)
    assert r.code == 200, r
    await toy.until_levels({0: 0, 1: 0})
    # An unknown toy: the library sees Lovense's 401.
    bad = await call(client.send_command,
                     {"command": "Function", "action": "Vibrate:1", "timeSec": 0,
                      "toy": "ffffffffffff", "apiVer": 1})
    assert bad.get("code") == 401, bad
    await toy.close()


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PATH/TO/teleplug", file=sys.stderr)
        return 2
    proc, sim, port = start_server(sys.argv[1])
    error = None
    try:
        asyncio.run(asyncio.wait_for(scenario(sim, port), DEADLINE_S))
    except (asyncio.TimeoutError, TimeoutError):
        error = f"timed out ({DEADLINE_S:.0f} s overall)"
    except Exception:
        error = traceback.format_exc()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = "none within 10 s"
    if rc != 0 and error is None:
        error = f"teleplug serve exited {rc} after SIGTERM"
    if error:
        print(f"FAIL {NAME} {VERSION}: {error}", file=sys.stderr)
    print(f"result: {NAME} {VERSION} largest_frame=- {'FAIL' if error else 'PASS'}")
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
