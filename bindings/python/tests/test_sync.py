"""The synchronous facade: same scenario, blocking calls, listeners on the event thread."""

from __future__ import annotations

import threading

import pytest

import teleplug
from teleplug import InputType, OutputType, SimulatorOpKind, Transport
from teleplug.sync import Client

from conftest import WAIT


def toy_writes_until(ops, last, seen):
    while last not in seen:
        op = ops.next(WAIT)
        if op.kind == SimulatorOpKind.WRITE:
            seen.append(op.text)
    return seen


def test_sync_scenario(delivery):
    with Client("py sync", delivery=delivery, timeout=WAIT) as client:
        listener_threads = set()
        added = []

        @client.on(teleplug.DeviceAdded)
        def on_added(event):
            listener_threads.add(threading.current_thread().name)
            added.append(event.device)

        info = client.connect(disabled_transports=Transport.ALL)
        assert info.protocol_version_major == 4 and client.connected
        ops = client.events(teleplug.SimulatorOp)
        client.simulator.advertise_lovense("sync-toy", battery=42)
        client.start_scanning()
        device = client.wait_for_device(lambda d: d.name == "Lovense Hush", timeout=WAIT)
        client.stop_scanning()
        assert isinstance(device, teleplug.sync.Device)
        assert client.devices[device.index] is device
        device.features[0].vibrate(0.5)
        device.features[0].run_output(OutputType.VIBRATE, steps=4)
        assert device.read_battery() == 42
        assert device.features_with(input=InputType.BATTERY)[0].read() == 42
        device.vibrate(0.05)
        device.stop()
        seen = toy_writes_until(ops, "Vibrate:0;", [])
        assert seen == ["DeviceType;", "Vibrate:10;", "Vibrate:4;", "Battery;", "Battery;", "Vibrate:1;", "Vibrate:0;"]
        with pytest.raises(teleplug.InvalidArgumentError):
            device.features[0].vibrate(1.5)
        with pytest.raises(teleplug.DeviceError):
            device.features[0].vibrate(steps=21)
        client.disconnect()
        # Listeners ran on the client's event thread, never on a library thread.
        assert listener_threads == {"teleplug-events-py sync"} and added == [device]
    assert client.closed


def test_sync_timeouts_and_iteration(delivery):
    with Client("py sync timeouts", delivery=delivery, debug=True) as client:
        client.connect(disabled_transports=Transport.ALL)
        with pytest.raises(teleplug.RequestTimeoutError) as e:
            client.wait_for(teleplug.DeviceAdded, timeout=0.05)
        assert e.value.code == teleplug.Status.TIMEOUT and isinstance(e.value, TimeoutError)
        client.timeout = 0.05
        with pytest.raises(teleplug.RequestTimeoutError):
            client.debug(sleep_ms=300)
        client.timeout = None
        client.ping()  # the late reply to the timed-out request is dropped, not mixed up
        events = client.events(teleplug.DeviceAdded, teleplug.DeviceListChanged)
        client.simulator.advertise_lovense("iter-toy")
        client.start_scanning()
        kinds = [type(next(events)).__name__ for _ in range(2)]
        assert kinds == ["DeviceAdded", "DeviceListChanged"]
    # After close, iterators end.
    assert list(events) == []
    with pytest.raises(teleplug.ClosedError):
        events.next(WAIT)


def test_sync_subscription(delivery):
    with Client("py sync inputs", delivery=delivery, timeout=WAIT) as client:
        client.connect(disabled_transports=Transport.ALL)
        client.simulator.advertise(teleplug.SimulatedDevice(name="Boost", address="kg2"))
        client.start_scanning()
        device = client.wait_for_device(timeout=WAIT)
        pressure = device.features_with(input=InputType.PRESSURE)[0]
        got = []
        arrived = threading.Event()

        def on_reading(r):
            got.append(r)
            arrived.set()

        with pressure.subscribe(InputType.PRESSURE, callback=on_reading) as sub:
            client.simulator.notify("kg2", "rxpressure", bytes([0, 0, 0, 0, 9, 0, 9]))
            assert sub.next(WAIT).value == 9
            assert arrived.wait(WAIT)
            assert [r.value for r in got] == [9]
