"""Shared test helpers: async tests without plugins, both delivery modes, leak checks, the
`teleplug serve` process and a simulated device driven over its control WebSocket."""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import teleplug
from teleplug import _native

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent
REPO = PACKAGE_ROOT.parent.parent
EXAMPLES = REPO / "examples" / "python"
WAIT = 10.0  # seconds: every wait in these tests is bounded by this
TEST_TIMEOUT = 60.0


# ---- async tests (no plugin needed) ----------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: Any) -> Optional[bool]:
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {a: pyfuncitem.funcargs[a] for a in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(asyncio.wait_for(pyfuncitem.obj(**args), TEST_TIMEOUT))
        return True
    return None


@pytest.fixture(params=teleplug.DELIVERY_MODES)
def delivery(request: Any) -> str:
    """Every client test runs with the reader thread (poll) and the native callback."""
    return request.param


# ---- leak checks -----------------------------------------------------------------------------


def teleplug_threads() -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("teleplug-")]


def native_thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def wait_until(cond: Any, timeout: float = WAIT, what: str = "condition") -> None:
    """Poll a condition that another thread makes true (bounded; fails with `what`)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        gc.collect()
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def no_leaks() -> Any:
    """After each test: no context, callback key, teleplug thread or native thread left."""
    gc.collect()
    handles = len(_native.HANDLES)
    contexts = _native.live_context_count()
    threads = native_thread_count()
    yield
    wait_until(lambda: len(_native.HANDLES) <= handles, what="callback keys to be released")
    wait_until(lambda: _native.live_context_count() <= contexts, what="contexts to be freed")
    wait_until(lambda: not teleplug_threads(), what=f"threads to end: {teleplug_threads()}")
    wait_until(lambda: native_thread_count() <= threads, what="native threads to be joined")


# ---- what a simulated device received ---------------------------------------------------------


def writes(ops: List[teleplug.SimulatorOp]) -> List[str]:
    return [o.text for o in ops if o.kind == teleplug.SimulatorOpKind.WRITE]


async def collect_writes_until(stream: Any, last: str, seen: List[str]) -> List[str]:
    """Read SimulatorOp events into `seen` until the write `last` arrives."""
    while last not in seen:
        op = await stream.next(WAIT)
        if op.kind == teleplug.SimulatorOpKind.WRITE:
            seen.append(op.text)
    return seen


# ---- teleplug serve + simulated device over its control endpoint ------------------------------


def teleplug_binary() -> Path:
    env = os.environ.get("TELEPLUG_BIN")
    if env:
        return Path(env)
    beside = Path(_native.LIBRARY_PATH).with_name("teleplug")
    if beside.is_file():
        return beside
    return REPO / "target" / "debug" / "teleplug"


def _die_with_parent() -> None:
    """In the child: SIGTERM it when pytest dies (even killed), so no server outlives the run;
    the fixture stops it normally."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Serve:
    """A `teleplug serve --port 0 --simulator-port 0` process (killed at the end)."""

    def __init__(self) -> None:
        binary = teleplug_binary()
        if not binary.is_file():
            pytest.fail(f"{binary} not found: run `cargo build` (or set TELEPLUG_BIN)")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--port", "0", "--simulator-port", "0", "--no-bluetooth",
             "--no-serial", "--no-hid", "--no-gamepad", "--server-name", "serve under test"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,
        )
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True, name="serve-stdout").start()
        self.url = ""
        self.simulator_url = ""
        deadline = time.monotonic() + WAIT
        while not (self.url and self.simulator_url):
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.close()
                pytest.fail("teleplug serve did not announce its addresses")
            if line is None:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                pytest.fail(f"teleplug serve exited: {err}")
            m = re.search(r"simulator control on (ws://\S+)", line)
            if m:
                self.simulator_url = m.group(1)
            m = re.search(r"Buttplug server listening on (ws://\S+)", line)
            if m:
                self.url = m.group(1)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()


@pytest.fixture
def serve() -> Any:
    s = Serve()
    try:
        yield s
    finally:
        s.close()


class SimulatedLovense:
    """A Lovense toy on the simulator control endpoint: answers DeviceType; and Battery;,
    records every write it receives."""

    def __init__(self, url: str, *, address: str = "AA:BB:CC:DD:EE:01", battery: int = 64) -> None:
        from websockets.sync.client import connect

        # Entered as a context manager (websockets >= 17 warns otherwise); closed in close().
        self.ws = connect(url, open_timeout=WAIT).__enter__()
        self.battery = battery
        self.writes: "queue.Queue[str]" = queue.Queue()
        self.received: List[str] = []
        self.connected = threading.Event()
        self.ws.send(json.dumps({"Advertise": {"id": "d1", "name": "LVS-Hush", "address": address}}))
        self._thread = threading.Thread(target=self._run, daemon=True, name="sim-lovense")
        self._thread.start()

    def _notify(self, text: str) -> None:
        self.ws.send(json.dumps({"Notify": {"id": "d1", "endpoint": "rx", "data": list(text.encode())}}))

    def _run(self) -> None:
        try:
            for frame in self.ws:
                msg = json.loads(frame)
                if "Connected" in msg:
                    self.connected.set()
                w = msg.get("Write")
                if w is None:
                    continue
                text = bytes(w["data"]).decode("utf-8", "replace")
                self.received.append(text)
                self.writes.put(text)
                if text == "DeviceType;":
                    self._notify("Z:11:0082059AD3BD;")
                elif text == "Battery;":
                    self._notify(f"{self.battery};")
        except Exception:  # noqa: BLE001 - the connection closed
            pass

    def wait_write(self, text: str, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self.writes.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the toy never received {text!r}: {self.received}") from None
            if got == text:
                return

    def close(self) -> None:
        self.ws.close()
        self._thread.join(WAIT)


def run_example(name: str, *args: str, timeout: float = 60.0, env: Optional[Dict[str, str]] = None) -> str:
    """Run examples/python/<name> with this interpreter; return its stdout (asserting exit 0)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )
    assert proc.returncode == 0, f"{name} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout
