"""Lifetimes: clients and contexts dropped in every order, freed from inside event handlers and
native callbacks, collected by the garbage collector while callbacks are live, interpreter exit
with everything open, many cycles. The autouse `no_leaks` fixture checks after every test that
no context, callback key, teleplug thread or native thread is left."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import subprocess
import sys
import textwrap
import threading
import warnings

import pytest

import teleplug
from teleplug import Transport, _core, _native
from teleplug.sync import Client as SyncClient

from conftest import PACKAGE_ROOT, WAIT, wait_until

SIM_ONLY = dict(disabled_transports=Transport.ALL)


def running_toy(client: SyncClient, address: str):
    client.connect(**SIM_ONLY)
    client.simulator.advertise_lovense(address, battery=50)
    client.start_scanning()
    device = client.wait_for_device(lambda d: True, timeout=WAIT)
    device.features[0].vibrate(0.5)
    return device


ORDERS = ["clients-then-context", "context-then-clients", "shutdown-then-clients", "interleaved"]


@pytest.mark.parametrize("order", ORDERS)
def test_drop_orders(delivery, order):
    ctx = teleplug.Context()
    a = SyncClient("a", context=ctx, delivery=delivery, timeout=WAIT)
    b = SyncClient("b", context=ctx, delivery=delivery, timeout=WAIT)
    closed_a = a.events(teleplug.Closed)
    running_toy(a, "toy-a")
    running_toy(b, "toy-b")
    if order == "clients-then-context":
        a.close()
        b.close()
        ctx.close()
    elif order == "context-then-clients":
        ctx.close()
        assert closed_a.next(WAIT).reason
        with pytest.raises(teleplug.ClosedError):
            a.ping()
        a.close()
        b.close()
    elif order == "shutdown-then-clients":
        ctx.shutdown()
        assert isinstance(closed_a.next(WAIT), teleplug.Closed)
        with pytest.raises(teleplug.ShutdownError) as e:
            a.ping()
        assert e.value.code == teleplug.Status.ERR_SHUTDOWN
        ctx.shutdown()  # idempotent
        a.close()
        b.close()
        ctx.close()
    else:
        a.close()
        ctx.close()
        b.close()
    assert a.closed and b.closed and ctx.closed
    for obj in (a, b, ctx):
        obj.close()  # idempotent
    with pytest.raises(teleplug.ClosedError):
        ctx.handle


def test_pending_requests_fail_when_the_context_shuts_down(delivery):
    ctx = teleplug.Context(debug=True)
    client = SyncClient("pending", context=ctx, delivery=delivery)
    client.connect(**SIM_ONLY)
    slow = client._session.request(*teleplug._messages.debug(sleep_ms=60_000))
    ctx.shutdown(timeout=5)
    with pytest.raises(teleplug.ShutdownError) as e:
        slow.result(WAIT)
    assert e.value.code == teleplug.ErrorCode.SHUTDOWN
    client.close()
    ctx.close()


def test_closing_fails_pending_requests(delivery):
    client = SyncClient("closing", delivery=delivery, debug=True)
    client.connect(**SIM_ONLY)
    slow = client._session.request(*teleplug._messages.debug(sleep_ms=60_000))
    client.close()
    with pytest.raises(teleplug.ClosedError) as e:
        slow.result(WAIT)
    assert e.value.code == teleplug.Status.CLOSED
    with pytest.raises(teleplug.ClosedError):
        client.ping()


@pytest.mark.parametrize("what", ["client", "owned-client-and-context", "shared-context"])
async def test_close_inside_an_async_event_handler(delivery, what):
    ctx = teleplug.Context() if what == "shared-context" else None
    client = teleplug.Client("close in handler", delivery=delivery, context=ctx)
    closed = client.events(teleplug.Closed)

    def on_added(event):
        if what == "shared-context":
            ctx.close()
        else:
            client.close()

    client.on(teleplug.DeviceAdded, on_added)
    await client.connect(**SIM_ONLY)
    await client.simulator.advertise_lovense("handler-toy")
    await client.start_scanning()
    assert isinstance(await closed.next(WAIT), teleplug.Closed)
    assert client.closed
    with pytest.raises(teleplug.ClosedError):
        await client.ping()
    client.close()


@pytest.mark.parametrize("what", ["client", "shared-context"])
def test_close_inside_a_sync_event_handler(delivery, what):
    ctx = teleplug.Context() if what == "shared-context" else None
    client = SyncClient("close in sync handler", delivery=delivery, context=ctx, timeout=WAIT)
    closed = client.events(teleplug.Closed)
    client.on(teleplug.DeviceAdded, lambda e: ctx.close() if ctx else client.close())
    client.connect(**SIM_ONLY)
    client.simulator.advertise_lovense("sync-handler-toy")
    client.start_scanning()
    assert isinstance(closed.next(WAIT), teleplug.Closed)
    client.close()


def test_free_inside_the_native_callback():
    """A core listener runs on the library's dispatcher thread (callback delivery): closing the
    session there is tp_client_free inside its own callback, and freeing the owned context
    there is deferred to a helper thread."""
    ctx = teleplug.Context()
    session = _core.Session(ctx, "free inside", delivery="callback", owns_context=True)
    threads = _close_on_first_event(session, "cb-toy")
    assert session.closed and ctx.closed
    assert threads[0].startswith("Dummy"), threads  # a library thread, not ours


def test_free_inside_the_poll_reader():
    ctx = teleplug.Context()
    session = _core.Session(ctx, "free in reader", delivery="poll", owns_context=True)
    _close_on_first_event(session, "poll-toy")
    assert ctx.closed


def _close_on_first_event(session, toy_address):
    """Give ``session`` a listener that closes it from inside its first event, make events
    come (connect, a simulated toy at ``toy_address``, a scan) and wait for the final Closed.
    Returns the names of the threads the listener ran on."""
    done = threading.Event()
    threads = []

    def listener(event):
        threads.append(threading.current_thread().name)
        if isinstance(event, teleplug.Closed):
            done.set()
        else:
            session.close()

    session.set_listener(listener)
    session.request("connect", {})
    session.request(*teleplug._messages.advertise_lovense(toy_address, observe=True))
    session.request("startScanning", {})
    assert done.wait(WAIT)
    return threads


def test_shutdown_inside_a_native_callback_is_refused():
    ctx = teleplug.Context()
    session = _core.Session(ctx, "shutdown inside", delivery="callback")
    outcome = []
    got = threading.Event()

    def listener(event):
        if not got.is_set():
            try:
                ctx.shutdown()
            except teleplug.TeleplugError as e:
                outcome.append(e)
            got.set()

    session.set_listener(listener)
    session.request("connect", {})
    session.request(*teleplug._messages.advertise_lovense("x", observe=True))
    session.request("startScanning", {})
    assert got.wait(WAIT)
    assert isinstance(outcome[0], teleplug.InvalidArgumentError)
    assert outcome[0].code == teleplug.Status.ERR_INVALID_ARG
    session.close()
    ctx.close()


def _abandon_clients(delivery, n):
    """Clients with a running toy and a flood of requests in flight, dropped unclosed; their
    listeners reference them (cycles), so only the cyclic collector can free them."""
    for i in range(n):
        client = SyncClient(f"gc-{i}", delivery=delivery, timeout=WAIT)
        device = running_toy(client, f"gc-toy-{i}")
        client.on(teleplug.SimulatorOp, lambda e, c=client: c.devices)
        for step in range(20):
            client._session.request(
                *teleplug._messages.output(device.index, 0, teleplug.OutputType.VIBRATE, steps=step)
            )
        del client, device


def test_garbage_collection_while_callbacks_are_live(delivery):
    old = gc.get_threshold()
    stop = threading.Event()

    def collector():
        while not stop.is_set():
            gc.collect()

    background = threading.Thread(target=collector, name="gc-hammer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            # Collect at nearly every allocation: finalizers then run on every thread that
            # allocates, including the library's dispatcher thread inside our trampoline.
            gc.set_threshold(1, 1, 1)
            background.start()
            _abandon_clients(delivery, 4)
            gc.collect()
        finally:
            stop.set()
            background.join()
            gc.set_threshold(*old)
        wait_until(lambda: _native.live_context_count() == 0, what="abandoned contexts to be freed")
    # The trampolines are module-level: they survived every collection.
    assert _native.EVENT_TRAMPOLINE is _native._event_trampoline


def test_an_unclosed_client_warns_and_is_freed_by_the_collector():
    client = teleplug.Client("forgotten")
    with pytest.warns(ResourceWarning):
        del client
        gc.collect()
    assert _native.live_context_count() == 0


def test_many_cycles_do_not_leak(delivery):
    def rss_kb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))

    def cycle(i):
        with SyncClient(f"cycle-{i}", delivery=delivery, timeout=WAIT) as c:
            running_toy(c, f"cycle-toy-{i}")

    for i in range(5):
        cycle(i)
    gc.collect()
    before = rss_kb()
    for i in range(5, 35):
        cycle(i)
    gc.collect()
    grown = rss_kb() - before
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB over 30 cycles"


EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, teleplug
    from teleplug.sync import Client

    teleplug.set_log_handler(lambda level, text: None, teleplug.LogLevel.DEBUG)
    keep = []
    for delivery in teleplug.DELIVERY_MODES:
        c = Client("exit-" + delivery, delivery=delivery)
        c.connect(disabled_transports=teleplug.Transport.ALL)
        c.simulator.advertise_lovense("exit-toy-" + delivery)
        c.on(teleplug.SimulatorOp, lambda e: None)
        c.start_scanning()
        d = c.wait_for_device(timeout=10)
        d.features[0].vibrate(1.0)
        keep.append(c)

    async def main():
        c = teleplug.Client("exit-async", delivery="callback")
        await c.connect(disabled_transports=teleplug.Transport.ALL)
        await c.simulator.advertise_lovense("exit-async-toy")
        await c.start_scanning()
        await (await c.wait_for_device(timeout=10)).vibrate(0.5)
        keep.append(c)

    asyncio.run(main())
    print("leaving with", len(keep), "open clients", flush=True)
    """
)


def test_interpreter_exit_with_open_clients_and_callbacks(tmp_path):
    script = tmp_path / "exit.py"
    script.write_text(EXIT_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    for _ in range(3):
        p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
        assert p.returncode == 0, p.stderr
        assert "leaving with 3 open clients" in p.stdout
        assert "Fatal" not in p.stderr and "Segmentation" not in p.stderr, p.stderr
