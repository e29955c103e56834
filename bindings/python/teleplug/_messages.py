"""Request bodies in the JSON encoding of ``proto/teleplug.proto``.

Marshalling only: Python values are checked for what the schema can carry (types, uint32
range) so a wrong argument fails here with a clear message; whether a value makes sense for a
device (ranges, supported outputs...) is decided by the library, which answers with an error.
"""

from __future__ import annotations

import base64
import math
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from ._ffi import ErrorCode, InputCommandType, InputType, LogLevel, OutputType, PanicSite
from .errors import InvalidArgumentError
from .types import SimulatedDevice, enum_to_json

Body = Tuple[str, Dict[str, Any]]
U32_MAX = 0xFFFFFFFF


def _bad(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(ErrorCode.INVALID_ARGUMENT, message)


def u32(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= U32_MAX:
        raise _bad(f"{name} must be within 0..{U32_MAX}, not {value}")
    return int(value)


def i32(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{name} must be an int, not {type(value).__name__}")
    if not -(2**31) <= value < 2**31:
        raise _bad(f"{name} must fit in 32 bits, not {value}")
    return int(value)


def double(name: str, value: Any) -> Union[float, str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(f"{name} must be a number, not {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        return "NaN"  # proto3 JSON spelling; the library decides what it means
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(f"{name} must be a str, not {type(value).__name__}")
    return value


def data(name: str, value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise _bad(f"{name} must be bytes (or str), not {type(value).__name__}")
    return base64.b64encode(bytes(value)).decode("ascii")


def enum_name(cls: Any, name: str, value: Any) -> str:
    try:
        return enum_to_json(cls, value)
    except ValueError as e:
        raise _bad(f"{name}: {e}") from None


def strings(name: str, values: Iterable[Any]) -> List[str]:
    if isinstance(values, str):
        raise _bad(f"{name} must be a list of str, not a str")
    return [text(name, v) for v in values]


# ---- request bodies --------------------------------------------------------------------------


def empty(key: str) -> Body:
    return key, {}


def connect(
    url: Optional[str] = None,
    *,
    server_name: Optional[str] = None,
    max_ping_time_ms: Optional[int] = None,
    disabled_transports: Optional[int] = None,
    serial_ports: Iterable[str] = (),
    device_config_json: Optional[str] = None,
    user_config_json: Optional[str] = None,
    allowed_clients: Iterable[str] = (),
    simulator_scan_ms: Optional[int] = None,
    lovense_api_port: Optional[int] = None,
) -> Body:
    embedded: Dict[str, Any] = {}
    if server_name is not None:
        embedded["serverName"] = text("server_name", server_name)
    if max_ping_time_ms is not None:
        embedded["maxPingTimeMs"] = u32("max_ping_time_ms", max_ping_time_ms)
    if disabled_transports is not None:
        embedded["disabledTransports"] = u32("disabled_transports", int(disabled_transports))
    ports = strings("serial_ports", serial_ports)
    if ports:
        embedded["serialPorts"] = ports
    if device_config_json is not None:
        embedded["deviceConfigJson"] = text("device_config_json", device_config_json)
    if user_config_json is not None:
        embedded["userConfigJson"] = text("user_config_json", user_config_json)
    allowed = strings("allowed_clients", allowed_clients)
    if allowed:
        embedded["allowedClients"] = allowed
    if simulator_scan_ms is not None:
        embedded["simulatorScanMs"] = u32("simulator_scan_ms", simulator_scan_ms)
    if lovense_api_port is not None:
        embedded["lovenseApiPort"] = u32("lovense_api_port", lovense_api_port)
    if url is not None:
        if embedded:
            raise _bad("embedded server options cannot be combined with a remote url")
        return "connect", {"remote": {"url": text("url", url)}}
    return "connect", ({"embedded": embedded} if embedded else {})


def output(
    device_index: int,
    feature_index: int,
    output_type: Any,
    value: Optional[float] = None,
    *,
    steps: Optional[int] = None,
    duration_ms: Optional[int] = None,
) -> Body:
    body: Dict[str, Any] = {
        "deviceIndex": u32("device_index", device_index),
        "featureIndex": u32("feature_index", feature_index),
        "type": enum_name(OutputType, "output type", output_type),
    }
    if (value is None) == (steps is None):
        raise _bad("give either a value (a fraction) or steps=")
    if steps is not None:
        body["steps"] = i32("steps", steps)
    else:
        body["fraction"] = double("value", value)
    if duration_ms is not None:
        body["durationMs"] = u32("duration_ms", duration_ms)
    return "output", body


def input_command(device_index: int, feature_index: int, input_type: Any, command: Any) -> Body:
    return "input", {
        "deviceIndex": u32("device_index", device_index),
        "featureIndex": u32("feature_index", feature_index),
        "type": enum_name(InputType, "input type", input_type),
        "command": enum_name(InputCommandType, "input command", command),
    }


def stop(
    device_index: Optional[int] = None,
    feature_index: Optional[int] = None,
    *,
    inputs: Optional[bool] = None,
    outputs: Optional[bool] = None,
) -> Body:
    body: Dict[str, Any] = {}
    if device_index is not None:
        body["deviceIndex"] = u32("device_index", device_index)
    if feature_index is not None:
        body["featureIndex"] = u32("feature_index", feature_index)
    for name, flag in (("inputs", inputs), ("outputs", outputs)):
        if flag is not None:
            if not isinstance(flag, bool):
                raise _bad(f"{name} must be a bool, not {type(flag).__name__}")
            body[name] = flag
    return "stop", body


def subscribe_logs(level: Any) -> Body:
    return "subscribeLogs", {"maxLevel": enum_name(LogLevel, "log level", level)}


def advertise_lovense(
    address: str, *, battery: int = 0, type_reply: str = "", observe: bool = True
) -> Body:
    lovense: Dict[str, Any] = {"address": text("address", address)}
    if type_reply:
        lovense["typeReply"] = text("type_reply", type_reply)
    if battery:
        lovense["battery"] = u32("battery", battery)
    return "simulatorAdvertise", {"lovense": lovense, "observe": bool(observe)}


def advertise_spec(spec: SimulatedDevice, *, observe: bool = True) -> Body:
    if not isinstance(spec, SimulatedDevice):
        raise _bad(f"spec must be a SimulatedDevice, not {type(spec).__name__}")
    d: Dict[str, Any] = {
        "name": text("name", spec.name),
        "address": text("address", spec.address),
    }
    if spec.services:
        d["services"] = strings("services", spec.services)
    if spec.manufacturer_data:
        d["manufacturerData"] = [
            {"company": u32("company", company), "data": data("manufacturer data", payload)}
            for company, payload in spec.manufacturer_data.items()
        ]
    if spec.auto_replies:
        d["autoReplies"] = [
            {
                "onWrite": data("on_write", on_write),
                "endpoint": text("endpoint", endpoint),
                "reply": data("reply", reply),
            }
            for on_write, (endpoint, reply) in spec.auto_replies.items()
        ]
    if spec.read_values:
        d["readValues"] = [
            {"endpoint": text("endpoint", endpoint), "data": data("read value", payload)}
            for endpoint, payload in spec.read_values.items()
        ]
    if spec.message_gap_ms:
        d["messageGapMs"] = u32("message_gap_ms", spec.message_gap_ms)
    return "simulatorAdvertise", {"spec": d, "observe": bool(observe)}


def simulator_notify(address: str, endpoint: str, payload: Any) -> Body:
    return "simulatorNotify", {
        "address": text("address", address),
        "endpoint": text("endpoint", endpoint),
        "data": data("data", payload),
    }


def simulator_queue_read(address: str, endpoint: str, payload: Any) -> Body:
    return "simulatorQueueRead", {
        "address": text("address", address),
        "endpoint": text("endpoint", endpoint),
        "data": data("data", payload),
    }


def simulator_disconnect(address: str) -> Body:
    return "simulatorDisconnect", {"address": text("address", address)}


def debug(
    *, panic: Optional[Any] = None, sleep_ms: Optional[int] = None, shutdown_server: bool = False
) -> Body:
    """Test hooks (the context must be created with ``debug=True``)."""
    if panic is not None:
        return "debug", {"panic": enum_name(PanicSite, "panic site", panic)}
    if sleep_ms is not None:
        return "debug", {"sleepMs": u32("sleep_ms", sleep_ms)}
    if shutdown_server:
        return "debug", {"shutdownServer": {}}
    return "debug", {}
