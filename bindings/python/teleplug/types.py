"""Plain data: device descriptions, server info and events, read from the library's messages.

Everything here is built from the JSON encoding of ``proto/teleplug.proto`` (proto3 JSON:
lowerCamelCase names, enums as names, fields at their default omitted).
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass, field
from typing import Any, Dict, Generic, Optional, Tuple, Type, TypeVar, Union

from ._ffi import (
    ENUM_PREFIXES,
    ErrorCode,
    InputCommandType,
    InputType,
    LogLevel,
    OutputType,
    SimulatorOpKind,
    Transport,
)
from .errors import InvalidArgumentError, TeleplugError

E = TypeVar("E", bound=enum.IntEnum)


def enum_from_json(cls: Type[E], value: Any) -> Union[E, int]:
    """An enum field as proto3 JSON writes it (its name; readers also accept the number).
    Values newer than this package stay plain ints."""
    if value is None:
        return cls(0) if 0 in cls._value2member_map_ else 0
    if isinstance(value, str):
        prefix = ENUM_PREFIXES[cls]
        name = value[len(prefix) :] if value.startswith(prefix) else value
        member = cls.__members__.get(name)
        if member is not None:
            return member
        return 0
    try:
        return cls(int(value))
    except ValueError:
        return int(value)


def enum_to_json(cls: Type[E], value: Union[E, int, str]) -> str:
    """The proto3 JSON name of an enum value given as a member, a number or a (short or full)
    name; raises ValueError for anything else."""
    prefix = ENUM_PREFIXES[cls]
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a {cls.__name__}")
    if isinstance(value, cls):
        return prefix + value.name
    if isinstance(value, int):
        return prefix + cls(value).name
    if isinstance(value, str):
        name = value.upper()
        name = name[len(prefix) :] if name.startswith(prefix) else name
        if name in cls.__members__:
            return prefix + name
    raise ValueError(f"{value!r} is not a {cls.__name__} (one of {', '.join(cls.__members__)})")


def input_enum(value: Union[InputType, int, str]) -> Union[InputType, int]:
    """An input type given as a member, number or name, as the member."""
    try:
        return enum_from_json(InputType, enum_to_json(InputType, value))
    except ValueError as e:
        raise InvalidArgumentError(ErrorCode.INVALID_ARGUMENT, f"input type: {e}") from None


@dataclass(frozen=True)
class Range:
    """An inclusive range of steps (or of milliseconds for durations)."""

    min: int = 0
    max: int = 0

    @classmethod
    def from_json(cls, d: Optional[Dict[str, Any]]) -> "Range":
        d = d or {}
        return cls(int(d.get("min", 0)), int(d.get("max", 0)))


@dataclass(frozen=True)
class OutputDescription:
    """One output of a feature: its type, step range and (HwPositionWithDuration) durations."""

    type: Union[OutputType, int]
    value: Range
    duration: Optional[Range] = None

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "OutputDescription":
        return cls(
            enum_from_json(OutputType, d.get("type")),
            Range.from_json(d.get("value")),
            Range.from_json(d["duration"]) if "duration" in d else None,
        )


@dataclass(frozen=True)
class InputDescription:
    """One input of a feature: its type, the commands it accepts and each channel's range."""

    type: Union[InputType, int]
    commands: Tuple[Union[InputCommandType, int], ...] = ()
    value: Tuple[Range, ...] = ()

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "InputDescription":
        return cls(
            enum_from_json(InputType, d.get("type")),
            tuple(enum_from_json(InputCommandType, c) for c in d.get("commands", ())),
            tuple(Range.from_json(r) for r in d.get("value", ())),
        )


@dataclass(frozen=True)
class FeatureInfo:
    """What a device feature offers (the ``Feature`` message)."""

    index: int
    description: str = ""
    outputs: Tuple[OutputDescription, ...] = ()
    inputs: Tuple[InputDescription, ...] = ()

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "FeatureInfo":
        return cls(
            int(d.get("index", 0)),
            d.get("description", ""),
            tuple(OutputDescription.from_json(o) for o in d.get("outputs", ())),
            tuple(InputDescription.from_json(i) for i in d.get("inputs", ())),
        )


@dataclass(frozen=True)
class DeviceInfo:
    """A device as the server describes it (the ``Device`` message)."""

    index: int
    name: str = ""
    display_name: str = ""
    message_gap_ms: int = 0
    features: Tuple[FeatureInfo, ...] = ()

    @classmethod
    def from_json(cls, d: Optional[Dict[str, Any]]) -> "DeviceInfo":
        d = d or {}
        return cls(
            int(d.get("index", 0)),
            d.get("name", ""),
            d.get("displayName", ""),
            int(d.get("messageGapMs", 0)),
            tuple(FeatureInfo.from_json(f) for f in d.get("features", ())),
        )


@dataclass(frozen=True)
class ServerInfo:
    """The reply to connect: the server's name, ping deadline and protocol version."""

    server_name: str = ""
    max_ping_time_ms: int = 0
    protocol_version_major: int = 0
    protocol_version_minor: int = 0

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "ServerInfo":
        return cls(
            d.get("serverName", ""),
            int(d.get("maxPingTimeMs", 0)),
            int(d.get("protocolVersionMajor", 0)),
            int(d.get("protocolVersionMinor", 0)),
        )


# ---- events ----------------------------------------------------------------------------------

D = TypeVar("D")


class Event:
    """Base class of every event (messages with id 0)."""


@dataclass(frozen=True)
class DeviceAdded(Event, Generic[D]):
    """A device connected (``device`` is the client's :class:`~teleplug.Device`)."""

    device: D


@dataclass(frozen=True)
class DeviceRemoved(Event, Generic[D]):
    """A device disconnected."""

    device: D


@dataclass(frozen=True)
class DeviceListChanged(Event, Generic[D]):
    """The device list changed (after the added/removed events of that change)."""

    devices: Tuple[D, ...]


@dataclass(frozen=True)
class ScanningFinished(Event):
    """Every device manager stopped scanning on its own."""


@dataclass(frozen=True)
class InputReading(Event):
    """A reading of an input: the reply to a read, or (as an event) a subscription reading."""

    device_index: int
    feature_index: int
    type: Union[InputType, int]
    value: int

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "InputReading":
        return cls(
            int(d.get("deviceIndex", 0)),
            int(d.get("featureIndex", 0)),
            enum_from_json(InputType, d.get("type")),
            int(d.get("value", 0)),
        )


@dataclass(frozen=True)
class ErrorEvent(Event):
    """An error not tied to a request (e.g. the server's ping timeout, a transport failure)."""

    error: TeleplugError


@dataclass(frozen=True)
class ServerDisconnected(Event):
    """The connection to the server ended; the client may connect again."""

    reason: str = ""


@dataclass(frozen=True)
class LogRecord(Event):
    """A library log record (after ``subscribe_logs``)."""

    level: Union[LogLevel, int]
    target: str = ""
    message: str = ""

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "LogRecord":
        return cls(
            enum_from_json(LogLevel, d.get("level")), d.get("target", ""), d.get("message", "")
        )


@dataclass(frozen=True)
class SimulatorOp(Event):
    """Something an observed simulated device went through (connect, write, read, ...)."""

    address: str
    kind: Union[SimulatorOpKind, int]
    endpoint: str = ""
    data: bytes = b""
    text: str = ""
    write_with_response: bool = False
    protocol: str = ""
    name: str = ""

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "SimulatorOp":
        return cls(
            d.get("address", ""),
            enum_from_json(SimulatorOpKind, d.get("kind")),
            d.get("endpoint", ""),
            base64.b64decode(d.get("data", "")),
            d.get("text", ""),
            bool(d.get("writeWithResponse", False)),
            d.get("protocol", ""),
            d.get("name", ""),
        )


@dataclass(frozen=True)
class ButtplugFrame(Event):
    """A frame of Buttplug spec messages from the server (raw channels): each message a dict
    such as ``{"Ok": {"Id": 1}}``."""

    messages: Tuple[Dict[str, Any], ...]


@dataclass(frozen=True)
class Closed(Event):
    """The last event of a client: its context shut down, or the client was closed."""

    reason: str = ""


@dataclass(frozen=True)
class SimulatedDevice:
    """A simulated BLE device (``SimulatedDeviceSpec``), matched against the device database
    like real hardware. ``read_values`` answers reads per endpoint; ``auto_replies`` maps an
    exact write to a notification ``(endpoint, reply)``."""

    name: str
    address: str
    services: Tuple[str, ...] = ()
    manufacturer_data: Dict[int, bytes] = field(default_factory=dict)
    auto_replies: Dict[bytes, Tuple[str, bytes]] = field(default_factory=dict)
    read_values: Dict[str, bytes] = field(default_factory=dict)
    message_gap_ms: int = 0


__all__ = [
    "Closed",
    "DeviceAdded",
    "DeviceInfo",
    "DeviceListChanged",
    "DeviceRemoved",
    "ErrorCode",
    "ErrorEvent",
    "Event",
    "FeatureInfo",
    "InputCommandType",
    "InputDescription",
    "InputReading",
    "InputType",
    "LogLevel",
    "LogRecord",
    "OutputDescription",
    "OutputType",
    "Range",
    "ScanningFinished",
    "ServerDisconnected",
    "ServerInfo",
    "SimulatedDevice",
    "SimulatorOp",
    "SimulatorOpKind",
    "Transport",
]
