"""Typed exceptions. Every error carries the code the library gave.

Two kinds of codes reach Python:

- :class:`Status`: what a C call returned (``TP_ERR_*`` of ``teleplug.h``, 7001 and up), e.g. a
  request the library could not decode, a shut-down context, a full request queue;
- :class:`ErrorCode`: the ``code`` of an ``error`` reply to a request (``teleplug.v1.ErrorCode``),
  e.g. a device that refused a command, not being connected.

Both map to one exception hierarchy by meaning, so ``except teleplug.ShutdownError`` catches a
shut-down context whichever way it was reported. ``err.code`` is the enum member, ``err.message``
the library's text.
"""

from __future__ import annotations

import enum
from typing import Dict, Optional, Type, Union

from . import _ffi
from ._ffi import ErrorCode


class Status(enum.IntEnum):
    """Status codes of the C functions (``TP_*`` in ``teleplug.h``)."""

    OK = _ffi.TP_OK
    TIMEOUT = _ffi.TP_TIMEOUT
    CLOSED = _ffi.TP_CLOSED
    ERR_NULL_ARG = _ffi.TP_ERR_NULL_ARG
    ERR_INVALID_ARG = _ffi.TP_ERR_INVALID_ARG
    ERR_DECODE = _ffi.TP_ERR_DECODE
    ERR_INVALID_HANDLE = _ffi.TP_ERR_INVALID_HANDLE
    ERR_SHUTDOWN = _ffi.TP_ERR_SHUTDOWN
    ERR_PANIC = _ffi.TP_ERR_PANIC
    ERR_BUSY = _ffi.TP_ERR_BUSY
    ERR_INTERNAL = _ffi.TP_ERR_INTERNAL


Code = Union[Status, ErrorCode, int]


class TeleplugError(Exception):
    """Base of every Teleplug error.

    Attributes:
        code: a :class:`Status` (a C call failed) or an :class:`ErrorCode` (the library
            answered a request with an error); a plain ``int`` for codes newer than this package.
        message: the library's explanation.
    """

    def __init__(self, code: Code, message: str = "") -> None:
        self.code = code
        self.message = message
        name = code.name if isinstance(code, enum.Enum) else str(code)
        kind = type(code).__name__ if isinstance(code, enum.Enum) else "code"
        super().__init__(f"{message} [{kind}.{name}]" if message else f"[{kind}.{name}]")


class InvalidArgumentError(TeleplugError, ValueError):
    """An argument or request field is invalid (``ERR_INVALID_ARG``, ``ERR_NULL_ARG``,
    ``INVALID_ARGUMENT``), or a Python value has the wrong type for the message field."""


class DecodeError(InvalidArgumentError):
    """The library could not decode the request (``ERR_DECODE``)."""


class InvalidHandleError(TeleplugError):
    """The client or context was already freed (``ERR_INVALID_HANDLE``)."""


class ShutdownError(TeleplugError):
    """The context is shut down or shutting down (``ERR_SHUTDOWN``, ``SHUTDOWN``)."""


class PanicError(TeleplugError):
    """The library panicked while handling the call or request (``ERR_PANIC``, ``PANIC``)."""


class BusyError(TeleplugError):
    """The client's request queue is full; retry after replies came back (``ERR_BUSY``)."""


class InternalError(TeleplugError):
    """The operating system refused a resource (``ERR_INTERNAL``)."""


class ClosedError(TeleplugError):
    """The client is closed: freed, or its context shut down (``CLOSED``)."""


class RequestTimeoutError(TeleplugError, TimeoutError):
    """Nothing arrived within the timeout the caller gave (``TIMEOUT``)."""


class UnknownError(TeleplugError):
    """Buttplug's ``ERROR_UNKNOWN`` (``UNKNOWN``)."""


class HandshakeError(TeleplugError):
    """The Buttplug handshake failed (``INIT``)."""


class PingTimeoutError(TeleplugError):
    """The server's ping deadline passed (``PING``)."""


class MessageError(TeleplugError):
    """The server refused a malformed or unexpected message (``MESSAGE``)."""


class DeviceError(TeleplugError):
    """A device refused the command: bad index, feature, value or I/O (``DEVICE``)."""


class NotConnectedError(TeleplugError):
    """Not connected to a server (``NOT_CONNECTED``)."""


class AlreadyConnectedError(TeleplugError):
    """Already connected (``ALREADY_CONNECTED``)."""


class ConnectFailedError(TeleplugError, ConnectionError):
    """Connecting to the server failed (``CONNECT_FAILED``)."""


class UnsupportedError(TeleplugError):
    """Not available in this build, context or connection mode (``UNSUPPORTED``)."""


class LibraryNotFoundError(ImportError):
    """``libteleplug`` was not found (set ``TELEPLUG_LIB`` or run ``cargo build``)."""


class AbiMismatchError(TeleplugError, ImportError):
    """The loaded library has another ABI version than this package was generated for."""


_BY_CODE: Dict[Code, Type[TeleplugError]] = {
    Status.TIMEOUT: RequestTimeoutError,
    Status.CLOSED: ClosedError,
    Status.ERR_NULL_ARG: InvalidArgumentError,
    Status.ERR_INVALID_ARG: InvalidArgumentError,
    Status.ERR_DECODE: DecodeError,
    Status.ERR_INVALID_HANDLE: InvalidHandleError,
    Status.ERR_SHUTDOWN: ShutdownError,
    Status.ERR_PANIC: PanicError,
    Status.ERR_BUSY: BusyError,
    Status.ERR_INTERNAL: InternalError,
    ErrorCode.UNKNOWN: UnknownError,
    ErrorCode.INIT: HandshakeError,
    ErrorCode.PING: PingTimeoutError,
    ErrorCode.MESSAGE: MessageError,
    ErrorCode.DEVICE: DeviceError,
    ErrorCode.NOT_CONNECTED: NotConnectedError,
    ErrorCode.ALREADY_CONNECTED: AlreadyConnectedError,
    ErrorCode.INVALID_ARGUMENT: InvalidArgumentError,
    ErrorCode.CONNECT_FAILED: ConnectFailedError,
    ErrorCode.UNSUPPORTED: UnsupportedError,
    ErrorCode.PANIC: PanicError,
    ErrorCode.SHUTDOWN: ShutdownError,
}


def status_error(status: int, message: str = "") -> TeleplugError:
    """The exception for a C call's status code."""
    try:
        code: Code = Status(status)
    except ValueError:
        code = status
    return _BY_CODE.get(code, TeleplugError)(code, message)


def reply_error(code: Union[str, int, None], message: str = "") -> TeleplugError:
    """The exception for an ``error`` reply (``code`` as JSON gives it: name or number)."""
    parsed: Optional[Code] = None
    if isinstance(code, str):
        name = code[len("ERROR_CODE_") :] if code.startswith("ERROR_CODE_") else code
        parsed = ErrorCode.__members__.get(name)
        if parsed is None:
            return UnknownError(ErrorCode.UNKNOWN, f"{message} (code {code})")
    elif code is None:
        parsed = ErrorCode.UNKNOWN  # proto3 JSON omits the default (0)
    else:
        try:
            parsed = ErrorCode(code)
        except ValueError:
            return TeleplugError(int(code), message)
    return _BY_CODE.get(parsed, TeleplugError)(parsed, message)


__all__ = [
    "AbiMismatchError",
    "AlreadyConnectedError",
    "BusyError",
    "ClosedError",
    "ConnectFailedError",
    "DecodeError",
    "DeviceError",
    "ErrorCode",
    "HandshakeError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidHandleError",
    "LibraryNotFoundError",
    "MessageError",
    "NotConnectedError",
    "PanicError",
    "PingTimeoutError",
    "RequestTimeoutError",
    "ShutdownError",
    "Status",
    "TeleplugError",
    "UnknownError",
    "UnsupportedError",
    "reply_error",
    "status_error",
]
