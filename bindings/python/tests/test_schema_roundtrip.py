"""docs/FFI.md §3 round trips with Python's own json module: every message the library sends in
protobuf survives protobuf -> JSON (json.dumps/json.loads) -> protobuf byte for byte and equals
what the same library sends in its JSON encoding; every request the binding writes means the
same in both encodings (same replies)."""

from __future__ import annotations

import ctypes
import json
from typing import Any, Dict, List, Tuple

import pytest

import teleplug
from teleplug import _ffi, _messages as m, _native
from teleplug._native import check, lib

from conftest import REPO, WAIT
from protowire import Schema

SCHEMA = Schema.parse((REPO / "proto" / "teleplug.proto").read_text(encoding="utf-8"))


class RawClient:
    """A poll-mode client of either encoding, straight on the C functions."""

    def __init__(self, ctx: teleplug.Context, fmt: int) -> None:
        self.fmt = fmt
        out = ctypes.c_void_p()
        check(
            lib.tp_client_new(ctx.handle, fmt, b"raw", 3, _native.NO_EVENT_FN, None,
                              _native.NO_FREE_FN, ctypes.byref(out)),
            "tp_client_new",
        )
        self.handle = out.value

    def send(self, request: Dict[str, Any]) -> None:
        data = (
            json.dumps(request).encode()
            if self.fmt == _ffi.TP_FORMAT_JSON
            else SCHEMA.encode("Request", request)
        )
        check(lib.tp_client_send(self.handle, data, len(data)), "tp_client_send")

    def next(self) -> bytes:
        buf = _ffi.tp_buffer()
        check(lib.tp_client_poll(self.handle, int(WAIT * 1000), ctypes.byref(buf)), "tp_client_poll")
        try:
            return ctypes.string_at(buf.data, buf.len)
        finally:
            lib.tp_buffer_free(buf)

    def call(self, rid: int, body: Tuple[str, Dict[str, Any]], events: List[bytes]) -> bytes:
        self.send({"id": rid, body[0]: body[1]})
        while True:
            raw = self.next()
            if self.decode(raw).get("id", 0) == rid:
                return raw
            events.append(raw)

    def decode(self, raw: bytes) -> Dict[str, Any]:
        return json.loads(raw) if self.fmt == _ffi.TP_FORMAT_JSON else SCHEMA.decode("Response", raw)

    def close(self) -> None:
        lib.tp_client_free(self.handle)


# What the binding sends, in every request shape it can produce.
REQUESTS: List[Tuple[str, Dict[str, Any]]] = [
    m.connect(server_name="roundtrip ✓", disabled_transports=7, max_ping_time_ms=0, simulator_scan_ms=0,
              lovense_api_port=0),
    m.advertise_lovense("rt-toy", battery=64, type_reply="", observe=True),
    m.empty("startScanning"),
]
AFTER_SCAN: List[Tuple[str, Dict[str, Any]]] = [
    m.empty("stopScanning"),
    # Advertised after the scan, so device 0 stays the Lovense toy.
    m.advertise_spec(
        teleplug.SimulatedDevice(
            name="Boost",
            address="rt-kg",
            read_values={"rxblebattery": bytes([55])},
            auto_replies={b"\x00\xff": ("rx", b"\x01")},
            manufacturer_data={0x0BAD: b"\x00\x01\xfe"},
            services=("0000fff0-0000-1000-8000-00805f9b34fb",),
            message_gap_ms=0,
        ),
        observe=False,
    ),
    m.empty("requestDeviceList"),
    m.output(0, 0, "vibrate", 0.5),
    m.output(0, 0, teleplug.OutputType.VIBRATE, steps=7),
    m.output(0, 0, "vibrate", 0.0),
    m.output(0, 0, "rotate", -0.5),
    m.output(0, 0, "vibrate", 1.5),
    m.output(9, 0, "vibrate", steps=1),
    m.output(0, 0, "hw_position_with_duration", 0.5, duration_ms=300),
    m.input_command(0, 1, "battery", "read"),
    m.input_command(0, 1, "battery", "subscribe"),
    m.stop(0, 0, inputs=False, outputs=True),
    m.stop(0),
    m.stop(),
    m.empty("ping"),
    m.subscribe_logs("off"),
    m.simulator_notify("rt-toy", "rx", b"OK;"),
    m.simulator_queue_read("rt-toy", "rx", b"\x00\x01"),
    m.simulator_notify("rt-toy", "nope", b""),
    m.debug(sleep_ms=1),
    m.simulator_disconnect("rt-toy"),
    ("", {}),  # wait until the device list is empty again (timing-independent event sets)
    m.empty("disconnect"),
    m.connect("ws://127.0.0.1:1"),
]


def run(fmt: int) -> Tuple[List[bytes], List[bytes], RawClient]:
    ctx = teleplug.Context()
    client = RawClient(ctx, fmt)
    replies: List[bytes] = []
    events: List[bytes] = []
    rid = 0
    for body in REQUESTS:
        rid += 1
        replies.append(client.call(rid, body, events))
    while not any("deviceListChanged" in client.decode(e) for e in events):
        events.append(client.next())
    for body in AFTER_SCAN:
        if not body[0]:
            while not any(client.decode(e).get("deviceListChanged", {"devices": 1}).get("devices") is None
                          for e in events):
                events.append(client.next())
            continue
        rid += 1
        replies.append(client.call(rid, body, events))
    ctx.shutdown()
    while True:
        buf = _ffi.tp_buffer()
        status = lib.tp_client_poll(client.handle, int(WAIT * 1000), ctypes.byref(buf))
        if status == _ffi.TP_CLOSED:
            break
        check(status, "tp_client_poll")
        events.append(ctypes.string_at(buf.data, buf.len))
        lib.tp_buffer_free(buf)
    client.close()
    ctx.close()
    return replies, events, client


def test_protobuf_json_protobuf_is_byte_for_byte_and_equals_the_json_encoding():
    pb_replies, pb_events, pb = run(_ffi.TP_FORMAT_PROTOBUF)
    js_replies, js_events, js = run(_ffi.TP_FORMAT_JSON)
    assert len(pb_replies) == len(js_replies) == len(REQUESTS) + len(AFTER_SCAN) - 1
    kinds = set()
    for raw in pb_replies + pb_events:
        as_json = pb.decode(raw)
        text = json.dumps(as_json)  # Python's json writes it...
        again = json.loads(text)  # ...and reads it back
        assert SCHEMA.encode("Response", again) == raw, as_json
        kinds.update(k for k in as_json if k not in ("id", "schemaVersion"))
    # The same requests gave the same replies in both encodings (errors compared by code).
    for p, j in zip(pb_replies, js_replies):
        pd, jd = pb.decode(p), js.decode(j)
        if "error" in jd:
            assert pd["error"]["code"] == jd["error"]["code"]
            continue
        assert pd == jd
    # Events: the same kinds in the same per-kind order (timing interleaves kinds differently).
    def by_kind(client, raws):
        out: Dict[str, List[Any]] = {}
        for r in raws:
            d = client.decode(r)
            k = next(k for k in d if k not in ("id", "schemaVersion"))
            if k != "log":
                out.setdefault(k, []).append(d[k])
        return out

    assert by_kind(pb, pb_events) == by_kind(js, js_events)
    for expected in ("connected", "ok", "error", "deviceList", "inputReading", "deviceAdded",
                     "deviceRemoved", "deviceListChanged", "simulatorOp", "closed"):
        assert expected in kinds, f"no {expected} message in the round trip"


@pytest.mark.parametrize("value", [0, 1, 2**31 - 1, 2**32 - 1])
def test_uint32_extremes_survive_python_json(value):
    """Request ids and indexes are uint32: Python's json keeps them exact (no 64-bit fields)."""
    body = m.output(value, value, "vibrate", steps=1)[1]
    assert json.loads(json.dumps(body))["deviceIndex"] == value
    decoded = SCHEMA.decode("OutputCommand", SCHEMA.encode("OutputCommand", body))
    assert decoded.get("deviceIndex", 0) == value  # proto3 JSON omits 0
