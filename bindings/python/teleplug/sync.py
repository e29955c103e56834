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

import concurrent.futures
import logging
import queue
import threading
import time
import warnings
import weakref
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Type, TypeVar, Union, cast

from . import _messages as m
from ._core import Context, Session, _CoreDeviceEvent
from ._ffi import InputCommandType, InputType, LogLevel, OutputType, PanicSite
from ._model import DeviceBase, FeatureBase
from .client import DEFAULT_NAME
from .errors import ClosedError, RequestTimeoutError, Status
from .types import (
    Closed,
    DeviceAdded,
    DeviceInfo,
    DeviceListChanged,
    DeviceRemoved,
    Event,
    InputReading,
    ServerInfo,
    SimulatedDevice,
    input_enum,
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


class EventIterator(Iterator[EventT]):
    """Events from the moment it was created; ends after the client's Closed event."""

    def __init__(
        self, client: "Client", types: Tuple[Type[Event], ...], predicate: Optional[Callable[[Any], bool]]
    ) -> None:
        self._client = client
        self._types = types or (Event,)
        self._predicate = predicate
        self._queue: "queue.Queue[Optional[Event]]" = queue.Queue()
        self._ended = False
        client._streams.add(self)
        if client.closed:
            self._end()

    def _offer(self, event: Event) -> None:
        if self._ended:
            return
        if isinstance(event, self._types) and (self._predicate is None or self._predicate(event)):
            self._queue.put(event)
        if isinstance(event, Closed):
            self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put(None)

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
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise RequestTimeoutError(Status.TIMEOUT, f"no event within {timeout} s") from None
        if event is None:
            self._queue.put(None)
            raise ClosedError(Status.CLOSED, "the client is closed")
        return cast(EventT, event)

    def close(self) -> None:
        self._client._streams.discard(self)
        self._end()

    def __enter__(self) -> "EventIterator[EventT]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Subscription(Iterator[InputReading]):
    """An input subscription: iterate it for readings; ``unsubscribe()`` (or ``with``) ends it."""

    def __init__(
        self,
        feature: Feature,
        input_type: Union[InputType, int, str],
        callback: Optional[Callable[[InputReading], Any]],
    ) -> None:
        self.feature = feature
        self.input_type = input_enum(input_type)
        client = feature._client
        self._stream: EventIterator[InputReading] = client.events(InputReading, predicate=self._mine)
        self._callback = callback
        if callback is not None:
            client.add_listener(InputReading, self._on_reading)

    def _mine(self, r: InputReading) -> bool:
        return (
            r.device_index == self.feature.device_index
            and r.feature_index == self.feature.index
            and r.type == self.input_type
        )

    def _on_reading(self, r: InputReading) -> None:
        if self._mine(r) and self._callback is not None:
            self._callback(r)

    def _detach(self) -> None:
        self._stream.close()
        if self._callback is not None:
            self.feature._client.remove_listener(InputReading, self._on_reading)

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


class Client:
    """A Buttplug client with blocking calls (see :class:`teleplug.Client` for the arguments).

    Args:
        timeout: default limit in seconds for every request (None: wait for the reply, which
            the library always sends).
    """

    def __init__(
        self,
        name: str = DEFAULT_NAME,
        *,
        context: Optional[Context] = None,
        delivery: str = "poll",
        debug: bool = False,
        timeout: Optional[float] = None,
    ) -> None:
        owns = context is None
        ctx = Context(debug=debug) if context is None else context
        try:
            self._session = Session(ctx, name, delivery=delivery, owns_context=owns)
        except BaseException:
            if owns:
                ctx.close()
            raise
        self.timeout = timeout
        self._lock = threading.Lock()
        self._listeners: List[Tuple[Type[Event], Callable[[Any], Any]]] = []
        self._streams: "weakref.WeakSet[EventIterator[Any]]" = weakref.WeakSet()
        self._device_cache: Dict[int, Device] = {}
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self.simulator = Simulator(self)
        # The event thread holds only a weak reference, so an unclosed client can be collected.
        self._thread = threading.Thread(
            target=_event_loop, args=(weakref.ref(self), self._queue), name=f"teleplug-events-{name}", daemon=True
        )
        self._thread.start()
        self._session.set_listener(self._queue.put)

    # ---- properties --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._session.name

    @property
    def context(self) -> Context:
        return self._session.context

    @property
    def closed(self) -> bool:
        return self._session.closed

    @property
    def connected(self) -> bool:
        return self._session.connected

    @property
    def server_info(self) -> Optional[ServerInfo]:
        return self._session.server_info

    @property
    def devices(self) -> Dict[int, Device]:
        """The connected devices by index."""
        return {i: self._device(info) for i, info in sorted(self._session.devices().items())}

    # ---- requests ----------------------------------------------------------------------------

    def _call(self, body: m.Body, timeout: Optional[float] = None) -> Tuple[str, Any]:
        fut = self._session.request(*body)
        limit = self.timeout if timeout is None else timeout
        try:
            return fut.result(limit)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise RequestTimeoutError(Status.TIMEOUT, f"no reply to {body[0]} within {limit} s") from None

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

    def add_listener(self, event_type: Type[EventT], fn: Callable[[EventT], Any]) -> None:
        """Call ``fn(event)`` on the client's event thread for each event of that type."""
        with self._lock:
            self._listeners.append((event_type, fn))

    def remove_listener(self, event_type: Type[Event], fn: Callable[[Any], Any]) -> None:
        with self._lock:
            self._listeners = [(t, f) for t, f in self._listeners if not (t is event_type and f == fn)]

    def on(self, event_type: Type[EventT], fn: Optional[Callable[[EventT], Any]] = None) -> Any:
        """Register a listener; usable as a decorator."""
        if fn is not None:
            self.add_listener(event_type, fn)
            return fn

        def decorator(f: Callable[[EventT], Any]) -> Callable[[EventT], Any]:
            self.add_listener(event_type, f)
            return f

        return decorator

    def _device(self, info: DeviceInfo) -> Device:
        with self._lock:
            cached = self._device_cache.get(info.index)
            if cached is not None and cached.info == info:
                return cached
            dev = Device(self, info)
            self._device_cache[info.index] = dev
            return dev

    def _dispatch(self, event: Event) -> None:
        """On the event thread."""
        if isinstance(event, _CoreDeviceEvent):
            if event.what == "added":
                event = DeviceAdded(self._device(cast(DeviceInfo, event.device)))
            elif event.what == "removed":
                info = cast(DeviceInfo, event.device)
                with self._lock:
                    dev = self._device_cache.pop(info.index, None)
                event = DeviceRemoved(dev or Device(self, info))
            else:
                event = DeviceListChanged(tuple(self._device(i) for i in event.devices))
        for stream in list(self._streams):
            stream._offer(event)
        with self._lock:
            listeners = [f for t, f in self._listeners if isinstance(event, t)]
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

    def __del__(self) -> None:
        session = getattr(self, "_session", None)
        if session is not None and not session._freed:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, stacklevel=2)
            session.close()
            self._queue.put(_STOP)

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("connected" if self.connected else "open")
        return f"<teleplug.sync.Client {self.name!r} {state}>"


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
