"""The asyncio client against the embedded server with simulated devices, in both delivery
modes: every assertion on a device is about the bytes the simulated toy received."""

from __future__ import annotations

import asyncio

import pytest

import teleplug
from teleplug import InputType, OutputType, SimulatorOpKind, Transport

from conftest import WAIT, collect_writes_until, writes

SIM_ONLY = dict(disabled_transports=Transport.ALL)


async def connected_with_toy(client: teleplug.Client, address: str = "11:22:33:44:55:66", battery: int = 87):
    """Connect, advertise a simulated Lovense, scan until it is added; returns (device, ops stream)."""
    info = await client.connect(server_name="py test", **SIM_ONLY)
    assert info.server_name == "py test" and info.protocol_version_major == 4
    ops = client.events(teleplug.SimulatorOp)
    await client.simulator.advertise_lovense(address, battery=battery)
    added = client.events(teleplug.DeviceAdded)
    await client.start_scanning()
    event = await added.next(WAIT)
    added.close()
    await client.stop_scanning()
    return event.device, ops


async def test_embedded_scenario(delivery):
    async with teleplug.Client("py scenario", delivery=delivery) as client:
        seen_added = []
        client.on(teleplug.DeviceAdded, seen_added.append)
        device, ops = await connected_with_toy(client)
        assert isinstance(device, teleplug.Device)
        assert device.name == "Lovense Hush" and device.index == 0
        assert seen_added and seen_added[0].device is device
        assert client.devices == {0: device}
        assert client.devices[0] is device, "device objects are stable while unchanged"
        vib = device.features[0]
        assert vib.outputs[0].type == OutputType.VIBRATE
        assert vib.outputs[0].value == teleplug.Range(0, 20)
        assert vib.has_output(OutputType.VIBRATE) and not vib.has_output(OutputType.ROTATE)
        battery = device.features_with(input=InputType.BATTERY)
        assert [f.index for f in battery] == [1]
        assert battery[0].input(InputType.BATTERY).commands == (teleplug.InputCommandType.READ,)

        await vib.vibrate(0.5)
        await vib.vibrate(steps=3)
        await vib.run_output(OutputType.VIBRATE, 0.25)
        assert await device.read_battery() == 87
        assert await battery[0].read() == 87
        reading = await battery[0].read_reading(InputType.BATTERY)
        assert reading == teleplug.InputReading(0, 1, InputType.BATTERY, 87)
        await vib.stop()
        await device.vibrate(1.0)
        await device.stop()
        await client.stop_all()
        await client.ping()

        seen = await collect_writes_until(ops, "Vibrate:0;", [])
        # stop_all after device.stop(): nothing new to stop, so wait for the device's stop only.
        expected = ["DeviceType;", "Vibrate:10;", "Vibrate:3;", "Vibrate:5;", "Battery;", "Battery;",
                    "Battery;", "Vibrate:0;"]
        assert seen[: len(expected)] == expected
        seen = await collect_writes_until(ops, "Vibrate:20;", seen)
        await collect_writes_until(ops, "Vibrate:0;", seen[seen.index("Vibrate:20;"):])

        listed = await client.request_device_list()
        assert list(listed) == [0] and listed[0].name == "Lovense Hush"

        removed = client.events(teleplug.DeviceRemoved)
        changed = client.events(teleplug.DeviceListChanged, predicate=lambda e: not e.devices)
        await client.simulator.disconnect("11:22:33:44:55:66")
        assert (await removed.next(WAIT)).device.index == 0
        await changed.next(WAIT)
        assert client.devices == {}
        await client.disconnect()
        assert not client.connected
    assert client.closed


async def test_commands_the_device_refuses_are_typed_errors(delivery):
    async with teleplug.Client("py errors", delivery=delivery) as client:
        device, _ = await connected_with_toy(client)
        vib = device.features[0]
        with pytest.raises(teleplug.InvalidArgumentError) as e:
            await vib.vibrate(2.0)
        assert e.value.code == teleplug.ErrorCode.INVALID_ARGUMENT and "2" in e.value.message
        with pytest.raises(teleplug.InvalidArgumentError) as e:
            await vib.rotate(0.5)
        assert e.value.code == teleplug.ErrorCode.INVALID_ARGUMENT
        with pytest.raises(teleplug.DeviceError) as e:
            await vib.vibrate(steps=99)
        assert e.value.code == teleplug.ErrorCode.DEVICE
        with pytest.raises(teleplug.DeviceError):
            await device.features[1].subscribe(InputType.BATTERY)
        gone = teleplug.Device(client, teleplug.DeviceInfo(index=9, features=(teleplug.FeatureInfo(0),)))
        with pytest.raises(teleplug.DeviceError):
            await gone.features[0].vibrate(steps=1)
        with pytest.raises(teleplug.InvalidArgumentError, match="no device 9"):
            await gone.features[0].vibrate(0.1)
        # Marshalling errors never reach the library and still carry a code.
        for bad in ("loud", None, True, [1]):
            with pytest.raises(teleplug.InvalidArgumentError) as e:
                await vib.run_output(OutputType.VIBRATE, bad)
            assert e.value.code == teleplug.ErrorCode.INVALID_ARGUMENT
        with pytest.raises(teleplug.InvalidArgumentError):
            await vib.run_output("wobble", 0.5)
        with pytest.raises(teleplug.InvalidArgumentError):
            await vib.vibrate(0.5, steps=3)
        with pytest.raises(teleplug.InvalidArgumentError):
            await device.features[1].read("smell")
        with pytest.raises(teleplug.InvalidArgumentError):
            await vib.read()  # no input to pick
        featureless = teleplug.Device(client, teleplug.DeviceInfo(index=0))
        with pytest.raises(teleplug.DeviceError, match="no BATTERY input"):
            await featureless.read_battery()
        with pytest.raises(teleplug.DeviceError, match="no VIBRATE output"):
            await featureless.vibrate(0.5)
        with pytest.raises(teleplug.InvalidArgumentError):
            await client.simulator.notify("11:22:33:44:55:66", "no-such-endpoint", b"")
        # Strings are accepted where the schema has enums, in short or full form.
        await vib.run_output("vibrate", 0.1)
        await vib.run_output("OUTPUT_TYPE_VIBRATE", 0.0)
        # The client works after every error.
        assert await device.read_battery() == 87


async def test_connection_errors(delivery):
    async with teleplug.Client("py connect", delivery=delivery) as client:
        with pytest.raises(teleplug.NotConnectedError) as e:
            await client.start_scanning()
        assert e.value.code == teleplug.ErrorCode.NOT_CONNECTED
        with pytest.raises(teleplug.NotConnectedError):
            await client.simulator.advertise_lovense("x")
        with pytest.raises(teleplug.UnsupportedError):
            await client.debug(sleep_ms=1)  # the context has no debug flag
        with pytest.raises(teleplug.ConnectFailedError):
            await client.connect("ws://127.0.0.1:1")
        with pytest.raises(teleplug.InvalidArgumentError):
            await client.connect("http://nope")
        with pytest.raises(teleplug.InvalidArgumentError):
            await client.connect(device_config_json="{nope")
        with pytest.raises(teleplug.InvalidArgumentError):
            await client.connect("ws://x", server_name="both")
        with pytest.raises(teleplug.TeleplugError):
            await client.connect(allowed_clients=["someone else"], **SIM_ONLY)
        info = await client.connect()
        assert info.server_name == "Teleplug Server" and client.connected
        assert client.server_info == info
        with pytest.raises(teleplug.AlreadyConnectedError):
            await client.connect()
        await client.disconnect()
        await client.connect(**SIM_ONLY)
        with pytest.raises(teleplug.InvalidArgumentError):
            await client.simulator.queue_read("unknown", "rx", b"1")


async def test_scanning_finishes_on_its_own_and_events_stream_in_order(delivery):
    async with teleplug.Client("py scan", delivery=delivery) as client:
        await client.connect(simulator_scan_ms=50, **SIM_ONLY)
        await client.simulator.advertise_lovense("aa:bb", battery=10)
        events = client.events(teleplug.DeviceAdded, teleplug.DeviceListChanged, teleplug.ScanningFinished)
        await client.start_scanning()
        kinds = []
        async for ev in events:
            kinds.append(type(ev).__name__)
            if isinstance(ev, teleplug.ScanningFinished):
                break
        assert kinds.index("DeviceAdded") < kinds.index("DeviceListChanged") < kinds.index("ScanningFinished")


async def test_input_subscriptions(delivery):
    """A simulated KGoal Boost: subscribe to its pressure input, the device notifies."""
    async with teleplug.Client("py inputs", delivery=delivery) as client:
        await client.connect(**SIM_ONLY)
        ops = client.events(teleplug.SimulatorOp)
        await client.simulator.advertise(
            teleplug.SimulatedDevice(name="Boost", address="kg1", read_values={"rxblebattery": bytes([77])})
        )
        await client.start_scanning()
        device = await client.wait_for_device(timeout=WAIT)
        pressure = device.features_with(input=InputType.PRESSURE)[0]
        got = []
        sub = await pressure.subscribe(InputType.PRESSURE, callback=got.append)
        await client.simulator.notify("kg1", "rxpressure", bytes([0, 0, 0, 0, 42, 0, 42]))
        reading = await sub.next(WAIT)
        assert reading == teleplug.InputReading(device.index, pressure.index, InputType.PRESSURE, 42)
        assert got == [reading]
        await sub.unsubscribe()
        assert await device.read_battery() == 77
        kinds = set()
        while not {SimulatorOpKind.SUBSCRIBE, SimulatorOpKind.UNSUBSCRIBE, SimulatorOpKind.READ} <= kinds:
            kinds.add((await ops.next(WAIT)).kind)
        # A subscription used as a context manager unsubscribes at exit.
        async with await pressure.subscribe() as sub2:
            await client.simulator.notify("kg1", "rxpressure", bytes([0, 0, 0, 0, 7, 0, 7]))
            assert (await sub2.next(WAIT)).value == 7


async def test_listeners_may_be_coroutines_and_failing_listeners_are_reported(delivery):
    loop = asyncio.get_running_loop()
    reported = []
    loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx.get("exception")))
    async with teleplug.Client("py listeners", delivery=delivery) as client:
        done = asyncio.Event()

        @client.on(teleplug.DeviceAdded)
        def broken(event):
            raise RuntimeError("listener bug")

        @client.on(teleplug.DeviceAdded)
        async def fine(event):
            await asyncio.sleep(0)
            done.set()

        await connected_with_toy(client)
        await asyncio.wait_for(done.wait(), WAIT)
        assert any(isinstance(e, RuntimeError) for e in reported)
        client.remove_listener(teleplug.DeviceAdded, broken)
        assert all(f is not broken for _, f in client._listeners)


async def test_a_server_going_away_is_an_event_and_the_client_reconnects(delivery):
    async with teleplug.Client("py server gone", delivery=delivery, debug=True) as client:
        await client.connect(**SIM_ONLY)
        gone = client.events(teleplug.ServerDisconnected)
        await client.debug(shutdown_server=True)
        event = await gone.next(WAIT)
        assert event.reason and not client.connected
        with pytest.raises(teleplug.NotConnectedError):
            await client.ping()
        await client.connect(**SIM_ONLY)
        await client.ping()


async def test_panics_become_errors(delivery):
    async with teleplug.Client("py panic", delivery=delivery, debug=True) as client:
        with pytest.raises(teleplug.PanicError) as e:
            await client.debug(panic=teleplug.PanicSite.TASK)
        assert e.value.code == teleplug.ErrorCode.PANIC
        with pytest.raises(teleplug.PanicError) as e:
            await client.debug(panic="send")
        assert e.value.code == teleplug.Status.ERR_PANIC
        await client.connect()
        await client.ping()


async def test_replies_keep_request_order_while_a_slow_request_runs(delivery):
    async with teleplug.Client("py order", delivery=delivery, debug=True) as client:
        await client.connect(**SIM_ONLY)
        finished = []

        async def note(i, coro):
            await coro
            finished.append(i)

        await asyncio.gather(note(0, client.debug(sleep_ms=100)), *(note(i, client.ping()) for i in range(1, 40)))
        assert finished == list(range(40))


async def test_log_records_as_events(delivery):
    async with teleplug.Client("py logs", delivery=delivery) as client:
        logs = client.events(teleplug.LogRecord)
        await client.subscribe_logs(teleplug.LogLevel.DEBUG)
        await client.connect(**SIM_ONLY)
        record = await logs.next(WAIT)
        assert isinstance(record.level, teleplug.LogLevel) and record.message
        await client.subscribe_logs("off")


async def test_poll_and_callback_delivery_give_the_same_sequence():
    async def run(delivery):
        async with teleplug.Client("py same", delivery=delivery) as client:
            everything = client.events()
            device, _ = await connected_with_toy(client, address="same-toy")
            await device.features[0].vibrate(0.5)
            await device.read_battery()
            await device.stop()
            emptied = client.events(teleplug.DeviceListChanged, predicate=lambda e: not e.devices)
            await client.simulator.disconnect("same-toy")
            await emptied.next(WAIT)
        out = []
        async for ev in everything:
            if isinstance(ev, teleplug.SimulatorOp):
                out.append((ev.kind.name, ev.text))
            elif isinstance(ev, (teleplug.DeviceAdded, teleplug.DeviceRemoved)):
                out.append((type(ev).__name__, ev.device.name))
            else:
                out.append((type(ev).__name__,))
        return out

    polled = await run("poll")
    called = await run("callback")
    assert polled == called
    assert polled[-1] == ("Closed",)


async def test_the_client_is_bound_to_one_running_loop():
    client = teleplug.Client("py loop")
    try:
        await client.connect()
        other = asyncio.new_event_loop()
        try:
            with pytest.raises(RuntimeError):
                client._bind_loop(other)
        finally:
            other.close()
    finally:
        client.close()


def test_a_client_outlives_asyncio_run():
    """Created outside a loop, used in two successive asyncio.run calls."""
    client = teleplug.Client("py two loops")
    try:
        asyncio.run(client.connect(**SIM_ONLY))
        asyncio.run(client.ping())
        assert client.connected
    finally:
        client.close()
