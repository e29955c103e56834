"""A small synchronous API for scripts: the same objects as the asyncio API, blocking calls.

::

    from teleplug.sync import Client

    with Client("my script") as client:
        client.connect()
        client.start_scanning()
        device = client.wait_for_device(timeout=10)
        device.features[0].vibrate(0.5)
        print(device.read_battery())
        device.stop()

Requests block until their reply (``timeout`` seconds at most when the client was given a
``timeout``). Event listeners run on the client's own event thread (never on a library
thread), in order; :meth:`Client.events` gives an iterator instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, Type, TypeVar, Union, cast

from . import _messages as m
from ._common import DEFAULT_NAME, ClientBase, EventSource, SubscriptionBase
from ._core import Context, take, wait_reply
from ._ffi import InputCommandType, InputType, LogLevel, OutputType, PanicSite
from ._model import DeviceBase, FeatureBase
from .types import (
    Closed,
    DeviceAdded,
    Event,
    InputReading,
    ServerInfo,
    SimulatedDevice,
)

EventT = TypeVar("EventT", bound=Event)
Number = Union[int, float]
log = logging.getLogger("teleplug")


class Feature(FeatureBase["Client"]):
    """A feature of a device (blocking calls; see :class:`teleplug.Feature`)."""

    __slots__ = ()

    def run_output(
        self,
        output_type: Union[OutputType, int, str],
        value: Optional[Number] = None,
        *,
        steps: Optional[int] = None,
        duration_ms: Optional[int] = None,
    ) -> None:
        """Drive one output of this feature (a fraction ``value``, or ``steps``)."""
        self._client._call(
            m.output(
                self._device_index, self.index, output_type, value, steps=steps, duration_ms=duration_ms
            )
        )

    def vibrate(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        self.run_output(OutputType.VIBRATE, value, steps=steps)

    def rotate(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        self.run_output(OutputType.ROTATE, value, steps=steps)

    def oscillate(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        self.run_output(OutputType.OSCILLATE, value, steps=steps)

    def constrict(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        self.run_output(OutputType.CONSTRICT, value, steps=steps)

    def position(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        self.run_output(OutputType.POSITION, value, steps=steps)

    def position_with_duration(
        self, value: Optional[Number] = None, duration_ms: int = 0, *, steps: Optional[int] = None
    ) -> None:
        self.run_output(
            OutputType.HW_POSITION_WITH_DURATION, value, steps=steps, duration_ms=duration_ms
        )

    def read(self, input_type: Optional[Union[InputType, int, str]] = None) -> int:
        """Read an input once (the feature's only input when ``input_type`` is omitted)."""
        return self.read_reading(input_type).value

    def read_reading(self, input_type: Optional[Union[InputType, int, str]] = None) -> InputReading:
        kind = self._only_input(input_type)
        _, body = self._client._call(
            m.input_command(self._device_index, self.index, kind, InputCommandType.READ)
        )
        return InputReading.from_json(body)

    def read_battery(self) -> int:
        return self.read(InputType.BATTERY)

    def subscribe(
        self,
        input_type: Optional[Union[InputType, int, str]] = None,
        callback: Optional[Callable[[InputReading], Any]] = None,
    ) -> "Subscription":
        """Subscribe to an input; iterate the returned :class:`Subscription` for readings
        (and/or get ``callback(reading)`` on the client's event thread)."""
        kind = self._only_input(input_type)
        sub = Subscription(self, kind, callback)
        try:
            self._client._call(
                m.input_command(self._device_index, self.index, kind, InputCommandType.SUBSCRIBE)
            )
        except BaseException:
            sub._detach()
            raise
        return sub

    def unsubscribe(self, input_type: Optional[Union[InputType, int, str]] = None) -> None:
        kind = self._only_input(input_type)
        self._client._call(
            m.input_command(self._device_index, self.index, kind, InputCommandType.UNSUBSCRIBE)
        )

    def stop(self, *, inputs: Optional[bool] = None, outputs: Optional[bool] = None) -> None:
        self._client._call(m.stop(self._device_index, self.index, inputs=inputs, outputs=outputs))


class Device(DeviceBase["Client", Feature]):
    """A connected device (blocking calls; see :class:`teleplug.Device`)."""

    _feature_class = Feature

    def stop(self, *, inputs: Optional[bool] = None, outputs: Optional[bool] = None) -> None:
        self._client._call(m.stop(self.index, inputs=inputs, outputs=outputs))

    def vibrate(self, value: Number) -> None:
        for f in self._with_output(OutputType.VIBRATE):
            f.vibrate(value)

    def read_battery(self) -> int:
        return self._first_with_input(InputType.BATTERY).read_battery()


class EventIterator(EventSource[EventT], Iterator[EventT]):
    """Events from the moment it was created; ends after the client's Closed event."""

    def __init__(
        self, client: "Client", types: Tuple[Type[Event], ...], predicate: Optional[Callable[[Any], bool]]
    ) -> None:
        self._queue: "queue.Queue[Optional[Event]]" = queue.Queue()
        super().__init__(client, types, predicate)

    def __iter__(self) -> "EventIterator[EventT]":
        return self

    def __next__(self) -> EventT:
        event = self._queue.get()
        if event is None:
            self._queue.put(None)
            raise StopIteration
        return cast(EventT, event)

    def next(self, timeout: Optional[float] = None) -> EventT:
        """The next event; RequestTimeoutError after ``timeout`` s, ClosedError once closed."""
        return cast(EventT, take(self._queue, timeout, "event", None, "the client is closed"))


class Subscription(SubscriptionBase[Feature, EventIterator[InputReading]], Iterator[InputReading]):
    """An input subscription: iterate it for readings; ``unsubscribe()`` (or ``with``) ends it."""

    def unsubscribe(self) -> None:
        try:
            self.feature.unsubscribe(self.input_type)
        finally:
            self._detach()

    def __iter__(self) -> "Subscription":
        return self

    def __next__(self) -> InputReading:
        return next(self._stream)

    def next(self, timeout: Optional[float] = None) -> InputReading:
        return self._stream.next(timeout)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.feature._client.closed:
            self._detach()
        else:
            self.unsubscribe()


class Simulator:
    """Simulated devices of the embedded server (blocking; see :class:`teleplug.Simulator`)."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def advertise_lovense(
        self, address: str, *, battery: int = 0, type_reply: str = "", observe: bool = True
    ) -> None:
        self._client._call(
            m.advertise_lovense(address, battery=battery, type_reply=type_reply, observe=observe)
        )

    def advertise(self, device: SimulatedDevice, *, observe: bool = True) -> None:
        self._client._call(m.advertise_spec(device, observe=observe))

    def notify(self, address: str, endpoint: str, data: Union[bytes, str]) -> None:
        self._client._call(m.simulator_notify(address, endpoint, data))

    def queue_read(self, address: str, endpoint: str, data: Union[bytes, str]) -> None:
        self._client._call(m.simulator_queue_read(address, endpoint, data))

    def disconnect(self, address: str) -> None:
        self._client._call(m.simulator_disconnect(address))


_STOP = object()


class Client(ClientBase[Device]):
    """A Buttplug client with blocking calls (see :class:`teleplug.Client` for the arguments).

    Args:
        timeout: default limit in seconds for every request (None: wait for the reply, which
            the library always sends).
    """

    _device_class = Device
    _repr_name = "teleplug.sync.Client"

    def __init__(
        self,
        name: str = DEFAULT_NAME,
        *,
        context: Optional[Context] = None,
        delivery: str = "poll",
        debug: bool = False,
        timeout: Optional[float] = None,
    ) -> None:
        super().__init__(name, context=context, delivery=delivery, debug=debug)
        self.timeout = timeout
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self.simulator = Simulator(self)
        # The event thread holds only a weak reference, so an unclosed client can be collected.
        self._thread = threading.Thread(
            target=_event_loop, args=(weakref.ref(self), self._queue), name=f"teleplug-events-{name}", daemon=True
        )
        self._thread.start()
        self._session.set_listener(self._queue.put)

    # ---- requests ----------------------------------------------------------------------------

    def _call(self, body: m.Body, timeout: Optional[float] = None) -> Tuple[str, Any]:
        limit = self.timeout if timeout is None else timeout
        return wait_reply(self._session.request(*body), body[0], limit)

    def connect(
        self,
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
    ) -> ServerInfo:
        """Connect to the embedded server (default) or to ``url`` (``ws://host:port``)."""
        body = m.connect(
            url,
            server_name=server_name,
            max_ping_time_ms=max_ping_time_ms,
            disabled_transports=disabled_transports,
            serial_ports=serial_ports,
            device_config_json=device_config_json,
            user_config_json=user_config_json,
            allowed_clients=allowed_clients,
            simulator_scan_ms=simulator_scan_ms,
            lovense_api_port=lovense_api_port,
        )
        return ServerInfo.from_json(self._call(body)[1])

    def disconnect(self) -> None:
        self._call(m.empty("disconnect"))

    def start_scanning(self) -> None:
        self._call(m.empty("startScanning"))

    def stop_scanning(self) -> None:
        self._call(m.empty("stopScanning"))

    def request_device_list(self) -> Dict[int, Device]:
        self._call(m.empty("requestDeviceList"))
        return self.devices

    def stop_all(self) -> None:
        self._call(m.stop())

    def ping(self) -> None:
        self._call(m.empty("ping"))

    def subscribe_logs(self, level: Union[LogLevel, int, str] = LogLevel.INFO) -> None:
        self._call(m.subscribe_logs(level))

    def debug(
        self,
        *,
        panic: Optional[Union[PanicSite, int, str]] = None,
        sleep_ms: Optional[int] = None,
        shutdown_server: bool = False,
    ) -> None:
        """Test hooks (the context must be created with ``debug=True``)."""
        self._call(m.debug(panic=panic, sleep_ms=sleep_ms, shutdown_server=shutdown_server))

    # ---- events ------------------------------------------------------------------------------

    def events(
        self, *types: Type[EventT], predicate: Optional[Callable[[EventT], bool]] = None
    ) -> EventIterator[EventT]:
        """An iterator of events (of these types) from now on; ``.next(timeout)`` waits."""
        return EventIterator(self, tuple(types), cast(Optional[Callable[[Any], bool]], predicate))

    def wait_for(
        self,
        event_type: Type[EventT],
        predicate: Optional[Callable[[EventT], bool]] = None,
        timeout: Optional[float] = None,
    ) -> EventT:
        with self.events(event_type, predicate=predicate) as it:
            return it.next(timeout)

    def wait_for_device(
        self, predicate: Optional[Callable[[Device], bool]] = None, timeout: Optional[float] = None
    ) -> Device:
        """A connected device (matching ``predicate``): one already there, or the next added."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.events(DeviceAdded) as it:
            for d in self.devices.values():
                if predicate is None or predicate(d):
                    return d
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                ev = it.next(left)
                if predicate is None or predicate(ev.device):
                    return cast(Device, ev.device)

    def _dispatch(self, event: Event) -> None:
        """On the event thread."""
        event, listeners = self._route(event)
        for fn in listeners:
            try:
                fn(event)
            except Exception:  # noqa: BLE001 - one listener must not stop the others
                log.exception("exception in teleplug event listener %r", fn)

    # ---- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client (devices stop, pending requests fail, iterators end). Idempotent;
        fine inside event listeners."""
        self._session.close()
        self._queue.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _close_collected(self) -> None:
        self._session.close()
        self._queue.put(_STOP)


def _event_loop(ref: "weakref.ref[Client]", q: "queue.Queue[Any]") -> None:
    """The client's event thread: delivers events until the client closes or is collected."""
    while True:
        event = q.get()
        if event is _STOP:
            return
        client = ref()
        if client is None:
            return
        try:
            client._dispatch(event)
        except Exception:  # noqa: BLE001
            log.exception("teleplug event thread")
        del client
        if isinstance(event, Closed):
            return  # nothing follows Closed


__all__ = ["Client", "Device", "EventIterator", "Feature", "Simulator", "Subscription"]
