"""The raw Buttplug channel: spec JSON frames with the embedded server, in-process."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

import teleplug
from teleplug import ButtplugChannel, SimulatorOpKind, Transport

from conftest import WAIT


def hello(version: int = 4, name: str = "py raw") -> List[Dict[str, Any]]:
    if version >= 4:
        return [
            {
                "RequestServerInfo": {
                    "Id": 1,
                    "ClientName": name,
                    "ProtocolVersionMajor": version,
                    "ProtocolVersionMinor": 0,
                }
            }
        ]
    return [{"RequestServerInfo": {"Id": 1, "ClientName": name, "MessageVersion": version}}]


def reply_to(channel: ButtplugChannel, msg_id: int) -> Dict[str, Any]:
    """The server's message answering `msg_id` (events in between are skipped)."""
    while True:
        for msg in channel.receive(WAIT):
            (kind, body), = msg.items()
            if body.get("Id") == msg_id:
                return msg


def writes(channel: ButtplugChannel, address: str, count: int) -> List[bytes]:
    found: List[bytes] = []
    while len(found) < count:
        ev = channel.next_event(WAIT)
        if isinstance(ev, teleplug.SimulatorOp) and ev.address == address and ev.kind == SimulatorOpKind.WRITE:
            found.append(ev.data)
    return found


def test_v4_client_drives_a_simulated_toy(delivery: str) -> None:
    with ButtplugChannel("py raw", delivery=delivery, timeout=WAIT) as channel:
        channel.configure(disabled_transports=Transport.ALL, server_name="raw server")
        channel.simulator_advertise_lovense("raw-toy", battery=40)
        channel.send(hello())
        info = reply_to(channel, 1)
        assert info["ServerInfo"]["ServerName"] == "raw server"
        assert info["ServerInfo"]["ProtocolVersionMajor"] == 4
        channel.send([{"StartScanning": {"Id": 2}}])
        assert reply_to(channel, 2) == {"Ok": {"Id": 2}}
        # The device arrives in a DeviceList event (Id 0).
        devices: Dict[str, Any] = {}
        while not devices:
            for msg in channel.receive(WAIT):
                if "DeviceList" in msg:
                    devices = msg["DeviceList"]["Devices"]
        (device,) = devices.values()
        assert device["DeviceName"] == "Lovense Hush"
        index = device["DeviceIndex"]
        # Text frames go as they are.
        channel.send(
            json.dumps(
                [{"OutputCmd": {"Id": 3, "DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 5}}}}]
            )
        )
        assert reply_to(channel, 3) == {"Ok": {"Id": 3}}
        assert writes(channel, "raw-toy", 2) == [b"DeviceType;", b"Vibrate:5;"]
        channel.send([{"StopCmd": {"Id": 4, "DeviceIndex": index}}])
        assert reply_to(channel, 4) == {"Ok": {"Id": 4}}
        assert writes(channel, "raw-toy", 1) == [b"Vibrate:0;"]
    assert channel.closed


def test_legacy_client_is_served_its_own_version() -> None:
    with ButtplugChannel("py raw v3", timeout=WAIT) as channel:
        channel.configure(disabled_transports=Transport.ALL)
        channel.send(hello(3, "v3 app"))
        info = reply_to(channel, 1)["ServerInfo"]
        assert info["MessageVersion"] == 3
        channel.send([{"RequestDeviceList": {"Id": 2}}])
        assert reply_to(channel, 2) == {"DeviceList": {"Id": 2, "Devices": []}}


def test_protocol_errors_come_back_as_buttplug_errors() -> None:
    with ButtplugChannel("py raw errors", timeout=WAIT) as channel:
        channel.configure(disabled_transports=Transport.ALL)
        # Before the handshake: an Error message (not an exception), and the channel goes on.
        channel.send([{"StartScanning": {"Id": 7}}])
        err = reply_to(channel, 7)["Error"]
        assert err["ErrorCode"] > 0 and err["ErrorMessage"]
        channel.send(hello())
        assert "ServerInfo" in reply_to(channel, 1)


def test_bad_frames_raise_and_the_channel_goes_on() -> None:
    with ButtplugChannel("py raw bad", timeout=WAIT) as channel:
        channel.configure(disabled_transports=Transport.ALL)
        # Not JSON: the server answers as Buttplug says, with an Error message (MESSAGE, Id 0).
        channel.send("[not json")
        (err,) = channel.receive(WAIT)
        assert err["Error"]["Id"] == 0 and err["Error"]["ErrorCode"] == 3
        # Not even text: the library refuses the bytes.
        with pytest.raises(teleplug.DecodeError) as e:
            channel.send(b"[\xff]")
        assert e.value.code == teleplug.Status.ERR_DECODE
        with pytest.raises(teleplug.InvalidArgumentError):
            channel.send('{"id": 1, "ping": {}}')  # a control request is not a frame
        with pytest.raises(teleplug.InvalidArgumentError):
            channel.send([{"Ping": {"Id": object()}}])  # type: ignore[dict-item]
        with pytest.raises(teleplug.InvalidArgumentError):
            channel.send(42)  # type: ignore[arg-type]
        with pytest.raises(teleplug.RequestTimeoutError):
            channel.receive(timeout=0)
        channel.send(hello())
        assert "ServerInfo" in reply_to(channel, 1)


def test_control_request_errors_are_typed() -> None:
    with ButtplugChannel("py raw control", timeout=WAIT) as channel:
        with pytest.raises(TypeError):
            channel.configure(url="ws://127.0.0.1:12345")  # the embedded server only
        with pytest.raises(TypeError):
            channel.configure(no_such_option=1)
        channel.configure(disabled_transports=Transport.ALL)
        with pytest.raises(teleplug.AlreadyConnectedError):
            channel.configure(disabled_transports=Transport.ALL)
        with pytest.raises(teleplug.TeleplugError) as e:
            channel.request("simulatorDisconnect", {"address": "nobody"})
        assert e.value.code != 0


def test_closing_ends_receive_and_refuses_sends() -> None:
    channel = ButtplugChannel("py raw close", timeout=WAIT)
    channel.configure(disabled_transports=Transport.ALL)
    channel.send(hello())
    channel.close()
    channel.close()  # idempotent
    # Whatever arrived before the close can still be read; then the end.
    with pytest.raises(teleplug.ClosedError):
        for _ in range(3):
            channel.receive(WAIT)
    with pytest.raises(teleplug.ClosedError):
        channel.receive(WAIT)  # the end stays
    with pytest.raises(teleplug.ClosedError):
        channel.send(hello())
    with pytest.raises(teleplug.ClosedError):
        channel.next_event(WAIT)
    assert list(channel.frames(WAIT)) == []


def test_context_shutdown_closes_a_shared_channel() -> None:
    with teleplug.Context() as ctx:
        channel = ButtplugChannel("py raw shared", context=ctx, timeout=WAIT)
        channel.configure(disabled_transports=Transport.ALL)
        ctx.shutdown(WAIT)
        with pytest.raises(teleplug.ClosedError):
            while True:
                channel.receive(WAIT)
        assert channel.closed
        channel.close()
