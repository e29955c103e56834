"""Every bad input gets a clear, typed error carrying the library's code."""

from __future__ import annotations

import threading

import pytest

import teleplug
from teleplug import ErrorCode, Status, _core, _messages
from teleplug.errors import reply_error, status_error
from teleplug.sync import Client

from conftest import WAIT


def test_every_code_has_its_exception_class():
    for status in Status:
        if status is Status.OK:
            continue
        err = status_error(status, "text")
        assert type(err) is not teleplug.TeleplugError, status
        assert err.code is status and err.message == "text"
        assert status.name in str(err)
    for code in ErrorCode:
        err = reply_error("ERROR_CODE_" + code.name, "text")
        assert type(err) is not teleplug.TeleplugError, code
        assert err.code is code
        assert reply_error(int(code), "x").code is code
    # Meanings shared by both kinds map to one class.
    assert type(status_error(Status.ERR_SHUTDOWN)) is type(reply_error("ERROR_CODE_SHUTDOWN"))
    assert type(status_error(Status.ERR_PANIC)) is type(reply_error("ERROR_CODE_PANIC"))
    # Codes newer than this package still carry their number.
    assert status_error(7999).code == 7999
    assert reply_error(99, "new").code == 99
    assert reply_error(None).code is ErrorCode.UNKNOWN  # proto3 JSON omits the default
    assert isinstance(reply_error("ERROR_CODE_FROM_THE_FUTURE"), teleplug.UnknownError)
    # Standard Python categories where they fit.
    assert isinstance(reply_error("ERROR_CODE_INVALID_ARGUMENT"), ValueError)
    assert isinstance(reply_error("ERROR_CODE_CONNECT_FAILED"), ConnectionError)
    assert isinstance(status_error(Status.TIMEOUT), TimeoutError)


def test_status_errors_from_the_c_calls(delivery):
    with Client("py status", delivery=delivery, timeout=WAIT) as client:
        session = client._session
        with pytest.raises(teleplug.DecodeError) as e:
            session.request("output", {"deviceIndex": 0, "fraction": "loud"})
        assert e.value.code == Status.ERR_DECODE and e.value.message.startswith("tp_client_send")
        with pytest.raises(teleplug.DecodeError):
            session.request("output", {"deviceIndex": -1})
        with pytest.raises(teleplug.InvalidArgumentError) as e:
            session.request("noSuchRequest", {})
        assert e.value.code == Status.ERR_INVALID_ARG and "body" in e.value.message
    with pytest.raises(teleplug.ClosedError) as e:
        client.ping()
    assert e.value.code == Status.CLOSED


def test_a_shut_down_context_refuses_new_clients_and_requests():
    ctx = teleplug.Context()
    client = Client("py shut", context=ctx)
    ctx.shutdown()
    with pytest.raises(teleplug.ShutdownError) as e:
        client.ping()
    assert e.value.code == Status.ERR_SHUTDOWN
    with pytest.raises(teleplug.ShutdownError):
        Client("too late", context=ctx)
    client.close()
    ctx.close()
    with pytest.raises(teleplug.ClosedError):
        Client("after close", context=ctx)


def test_a_full_request_queue_is_busy():
    """The dispatcher is held inside our callback: replies back up, then requests."""
    ctx = teleplug.Context()
    session = _core.Session(ctx, "py busy", delivery="callback")
    release = threading.Event()
    session.set_listener(lambda event: release.wait(WAIT))
    session.request("connect", {})
    session.request(*_messages.advertise_lovense("busy-toy", observe=True))
    session.request("startScanning", {})  # its events block the dispatcher
    futures = []
    with pytest.raises(teleplug.BusyError) as e:
        for _ in range(50_000):
            futures.append(session.request("ping", {}))
    assert e.value.code == Status.ERR_BUSY and "full" in e.value.message
    release.set()
    for f in futures[-10:]:
        assert f.result(WAIT)[0] == "ok"
    session.request("ping", {}).result(WAIT)
    session.close()
    ctx.close()


def test_arguments_are_checked_before_anything_is_sent():
    with pytest.raises(TypeError):
        teleplug.Client(123)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        teleplug.Client("x", delivery="carrier pigeon")
    for bad in (
        lambda: _messages.output(-1, 0, "vibrate", 0.5),
        lambda: _messages.output(2**32, 0, "vibrate", 0.5),
        lambda: _messages.output(0, 0, "vibrate"),
        lambda: _messages.output(0, 0, "vibrate", steps=2**40),
        lambda: _messages.output(0, 0, 17, 0.5),
        lambda: _messages.input_command(0, 0, "battery", "lick"),
        lambda: _messages.stop(0, inputs="yes"),
        lambda: _messages.connect(serial_ports="/dev/ttyUSB0"),
        lambda: _messages.connect(max_ping_time_ms=-5),
        lambda: _messages.simulator_notify("a", "rx", 12),
        lambda: _messages.subscribe_logs("chatty"),
        lambda: _messages.advertise_spec("not a spec"),  # type: ignore[arg-type]
    ):
        with pytest.raises(teleplug.InvalidArgumentError) as e:
            bad()
        assert e.value.code == ErrorCode.INVALID_ARGUMENT and e.value.message
    # Non-finite numbers are passed on in their proto3 JSON spelling; the library decides.
    assert _messages.output(0, 0, "vibrate", float("nan"))[1]["fraction"] == "NaN"


def test_non_finite_values_are_refused_by_the_library(delivery):
    with Client("py nan", delivery=delivery, timeout=WAIT) as client:
        client.connect(disabled_transports=teleplug.Transport.ALL)
        client.simulator.advertise_lovense("nan-toy")
        client.start_scanning()
        vib = client.wait_for_device(timeout=WAIT).features[0]
        for value in (float("nan"), float("inf")):
            with pytest.raises(teleplug.TeleplugError) as e:
                vib.vibrate(value)
            assert e.value.code in (ErrorCode.INVALID_ARGUMENT, Status.ERR_DECODE)


def test_unicode_names_travel_as_utf8():
    with Client("クライアント 🎛", timeout=WAIT) as client:
        info = client.connect(server_name="サーバー ✓", disabled_transports=teleplug.Transport.ALL)
        assert info.server_name == "サーバー ✓"
        assert client.name == "クライアント 🎛"
