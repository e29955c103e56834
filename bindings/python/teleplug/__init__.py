"""Teleplug for Python: a Buttplug client with an embedded server, over ``libteleplug``.

The asyncio API::

    import asyncio, teleplug

    async def main():
        async with teleplug.Client("my app") as client:
            await client.connect()                 # or client.connect("ws://127.0.0.1:12345")
            await client.start_scanning()
            device = await client.wait_for_device(timeout=10)
            await device.features[0].vibrate(0.5)
            print("battery", await device.read_battery())
            await device.stop()

    asyncio.run(main())

``teleplug.sync`` has the same API with blocking calls for scripts; ``ButtplugChannel``
speaks Buttplug spec JSON frames with the embedded server in-process. Errors are
:class:`TeleplugError` subclasses carrying the library's code (``err.code``).

The library is ``libteleplug`` (found through ``TELEPLUG_LIB``, next to this package, or in the
``target/`` folder of a source checkout); its ABI version is checked at import.
"""

from typing import Callable, Optional, Union

from . import _ffi, _native, channel, sync
from ._core import DELIVERY_MODES, Context
from ._ffi import (
    ErrorCode,
    InputCommandType,
    InputType,
    LogLevel,
    OutputType,
    PanicSite,
    SimulatorOpKind,
)
from ._native import ABI_VERSION, LIBRARY_PATH
from .channel import ButtplugChannel
from .client import Client, Device, EventStream, Feature, Simulator, Subscription
from .errors import (
    AbiMismatchError,
    AlreadyConnectedError,
    BusyError,
    ClosedError,
    ConnectFailedError,
    DecodeError,
    DeviceError,
    HandshakeError,
    InternalError,
    InvalidArgumentError,
    InvalidHandleError,
    LibraryNotFoundError,
    MessageError,
    NotConnectedError,
    PanicError,
    PingTimeoutError,
    RequestTimeoutError,
    ShutdownError,
    Status,
    TeleplugError,
    UnknownError,
    UnsupportedError,
)
from .types import (
    ButtplugFrame,
    Closed,
    DeviceAdded,
    DeviceInfo,
    DeviceListChanged,
    DeviceRemoved,
    ErrorEvent,
    Event,
    FeatureInfo,
    InputDescription,
    InputReading,
    LogRecord,
    OutputDescription,
    Range,
    ScanningFinished,
    ServerDisconnected,
    ServerInfo,
    SimulatedDevice,
    SimulatorOp,
    Transport,
)

# The version of the header this package was generated from, i.e. the crate's (Cargo.toml).
__version__: str = _ffi.TP_VERSION_STRING


def library_version() -> str:
    """The version of the loaded ``libteleplug`` ("major.minor.patch")."""
    return _native.version_string()


def set_log_handler(
    handler: "Optional[Callable[[LogLevel, str], None]]", level: "Union[LogLevel, int]" = LogLevel.INFO
) -> None:
    """Receive the library's log records process-wide: ``handler(level: LogLevel, text: str)``
    runs on the library's log thread (keep it short and thread-safe). ``None`` clears it."""
    if handler is None:
        _native.set_log_callback(None, 0)
        return

    def forward(raw_level: int, text: str) -> None:
        try:
            lvl = LogLevel(raw_level)
        except ValueError:
            lvl = LogLevel.TRACE
        handler(lvl, text)

    _native.set_log_callback(forward, int(level))


def log_to_logging(level: "Union[LogLevel, int]" = LogLevel.INFO) -> None:
    """Forward the library's log records to the ``logging`` logger ``"teleplug.native"``."""
    import logging

    logger = logging.getLogger("teleplug.native")
    levels = {
        LogLevel.ERROR: logging.ERROR,
        LogLevel.WARN: logging.WARNING,
        LogLevel.INFO: logging.INFO,
        LogLevel.DEBUG: logging.DEBUG,
        LogLevel.TRACE: 5,
    }
    set_log_handler(lambda lvl, text: logger.log(levels.get(lvl, logging.DEBUG), "%s", text), level)


__all__ = [
    "ABI_VERSION",
    "AbiMismatchError",
    "AlreadyConnectedError",
    "BusyError",
    "ButtplugChannel",
    "ButtplugFrame",
    "Client",
    "Closed",
    "ClosedError",
    "ConnectFailedError",
    "Context",
    "DELIVERY_MODES",
    "DecodeError",
    "Device",
    "DeviceAdded",
    "DeviceError",
    "DeviceInfo",
    "DeviceListChanged",
    "DeviceRemoved",
    "ErrorCode",
    "ErrorEvent",
    "Event",
    "EventStream",
    "Feature",
    "FeatureInfo",
    "HandshakeError",
    "InputCommandType",
    "InputDescription",
    "InputReading",
    "InputType",
    "InternalError",
    "InvalidArgumentError",
    "InvalidHandleError",
    "LIBRARY_PATH",
    "LibraryNotFoundError",
    "LogLevel",
    "LogRecord",
    "MessageError",
    "NotConnectedError",
    "OutputDescription",
    "OutputType",
    "PanicError",
    "PanicSite",
    "PingTimeoutError",
    "Range",
    "RequestTimeoutError",
    "ScanningFinished",
    "ServerDisconnected",
    "ServerInfo",
    "ShutdownError",
    "SimulatedDevice",
    "Simulator",
    "SimulatorOp",
    "SimulatorOpKind",
    "Status",
    "Subscription",
    "TeleplugError",
    "Transport",
    "UnknownError",
    "UnsupportedError",
    "library_version",
    "log_to_logging",
    "set_log_handler",
]
