"""The process-wide log callback: set, replaced, cleared, forwarded to `logging`."""

from __future__ import annotations

import logging
import threading

import teleplug
from teleplug import _native
from teleplug.sync import Client

from conftest import WAIT, wait_until


class Probe:
    def __init__(self) -> None:
        self.records = []
        self.lock = threading.Lock()
        self.got = threading.Event()

    def __call__(self, level, text) -> None:
        with self.lock:
            self.records.append((level, text))
        self.got.set()

    def count(self) -> int:
        with self.lock:
            return len(self.records)


def make_logs() -> None:
    with Client("py log source", timeout=WAIT) as c:
        c.connect(disabled_transports=teleplug.Transport.ALL)


def test_log_callback_is_replaceable_and_clearable():
    keys = len(_native.HANDLES)
    first, second = Probe(), Probe()
    try:
        teleplug.set_log_handler(first, teleplug.LogLevel.DEBUG)
        assert len(_native.HANDLES) == keys + 1
        make_logs()
        assert first.got.wait(WAIT)
        level, text = first.records[0]
        assert isinstance(level, teleplug.LogLevel) and text
        teleplug.set_log_handler(second, teleplug.LogLevel.TRACE)
        frozen = first.count()  # once replaced, the old handler is never called again
        make_logs()
        assert second.got.wait(WAIT)
        assert first.count() == frozen
        assert len(_native.HANDLES) == keys + 1, "the replaced handler's key is released"
    finally:
        teleplug.set_log_handler(None)
    frozen = second.count()
    make_logs()
    assert second.count() == frozen
    assert len(_native.HANDLES) == keys


def test_a_failing_log_handler_does_not_break_the_library(caplog):
    def broken(level, text):
        raise RuntimeError("handler bug")

    try:
        teleplug.set_log_handler(broken, teleplug.LogLevel.DEBUG)
        with caplog.at_level(logging.ERROR, logger="teleplug"):
            make_logs()
            make_logs()  # the library still works
            teleplug.set_log_handler(None)  # no callback runs after this returns
        assert any("log callback" in r.getMessage() and r.exc_info for r in caplog.records)
    finally:
        teleplug.set_log_handler(None)


def test_forwarding_to_logging(caplog):
    try:
        with caplog.at_level(logging.DEBUG, logger="teleplug.native"):
            teleplug.log_to_logging(teleplug.LogLevel.DEBUG)
            make_logs()
            # Records arrive on the library's log thread: wait for one (bounded).
            wait_until(lambda: any(r.name == "teleplug.native" for r in caplog.records),
                       what="a forwarded log record")
            teleplug.set_log_handler(None)
    finally:
        teleplug.set_log_handler(None)
