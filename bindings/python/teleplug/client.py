"""The asyncio API: :class:`Client`, :class:`Device`, :class:`Feature`, event streams.

::

    async with teleplug.Client("my app") as client:
        await client.connect()                      # embedded server (default)
        await client.start_scanning()
        device = await client.wait_for_device(timeout=10)
        await device.features[0].vibrate(0.5)
        print(await device.read_battery())
        await device.stop()

Replies and events come from a library thread and are handed to the event loop the client is
used from (``loop.call_soon_threadsafe``): listeners, event streams and awaited requests all run
on that loop, in the order the library delivered them.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Iterable,
    List,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
)

from . import _messages as m
from ._common import DEFAULT_NAME, ClientBase, EventSource, SubscriptionBase
from ._core import Context
from ._ffi import InputCommandType, InputType, LogLevel, OutputType, PanicSite
from ._model import DeviceBase, FeatureBase
from .errors import ClosedError, RequestTimeoutError, Status
from .types import (
    DeviceAdded,
    Event,
    InputReading,
    ServerInfo,
    SimulatedDevice,
)

EventT = TypeVar("EventT", bound=Event)
Number = Union[int, float]


class Feature(FeatureBase["Client"]):
    """A feature of a device. Commands go through its client; values are fractions (0.0-1.0,
    -1.0-1.0 for rotate/temperature) converted to steps by the library, or ``steps=``."""

    __slots__ = ()

    async def run_output(
        self,
        output_type: Union[OutputType, int, str],
        value: Optional[Number] = None,
        *,
        steps: Optional[int] = None,
        duration_ms: Optional[int] = None,
    ) -> None:
        """Drive one output of this feature (an ``OutputCommand``)."""
        await self._client._call(
            m.output(
                self._device_index,
                self.index,
                output_type,
                value,
                steps=steps,
                duration_ms=duration_ms,
            )
        )

    async def vibrate(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        """Vibrate at ``value`` (0.0-1.0), or at ``steps``."""
        await self.run_output(OutputType.VIBRATE, value, steps=steps)

    async def rotate(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        """Rotate at ``value`` (-1.0-1.0: the sign is the direction), or at ``steps``."""
        await self.run_output(OutputType.ROTATE, value, steps=steps)

    async def oscillate(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        await self.run_output(OutputType.OSCILLATE, value, steps=steps)

    async def constrict(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        await self.run_output(OutputType.CONSTRICT, value, steps=steps)

    async def position(self, value: Optional[Number] = None, *, steps: Optional[int] = None) -> None:
        await self.run_output(OutputType.POSITION, value, steps=steps)

    async def position_with_duration(
        self, value: Optional[Number] = None, duration_ms: int = 0, *, steps: Optional[int] = None
    ) -> None:
        """Move to ``value`` within ``duration_ms`` (HwPositionWithDuration)."""
        await self.run_output(
            OutputType.HW_POSITION_WITH_DURATION, value, steps=steps, duration_ms=duration_ms
        )

    async def read(self, input_type: Optional[Union[InputType, int, str]] = None) -> int:
        """Read an input once (the feature's only input when ``input_type`` is omitted)."""
        reading = await self.read_reading(input_type)
        return reading.value

    async def read_reading(
        self, input_type: Optional[Union[InputType, int, str]] = None
    ) -> InputReading:
        """Like :meth:`read`, returning the whole :class:`InputReading`."""
        kind = self._only_input(input_type)
        key, body = await self._client._call(
            m.input_command(self._device_index, self.index, kind, InputCommandType.READ)
        )
        return InputReading.from_json(body)

    async def read_battery(self) -> int:
        """The battery level (percent)."""
        return await self.read(InputType.BATTERY)

    async def subscribe(
        self,
        input_type: Optional[Union[InputType, int, str]] = None,
        callback: Optional[Callable[[InputReading], Any]] = None,
    ) -> "Subscription":
        """Subscribe to an input: readings arrive as :class:`InputReading` events, through the
        returned :class:`Subscription` (an async iterator) and ``callback`` if given."""
        kind = self._only_input(input_type)
        sub = Subscription(self, kind, callback)
        try:
            await self._client._call(
                m.input_command(self._device_index, self.index, kind, InputCommandType.SUBSCRIBE)
            )
        except BaseException:
            sub._detach()
            raise
        return sub

    async def unsubscribe(self, input_type: Optional[Union[InputType, int, str]] = None) -> None:
        kind = self._only_input(input_type)
        await self._client._call(
            m.input_command(self._device_index, self.index, kind, InputCommandType.UNSUBSCRIBE)
        )

    async def stop(self, *, inputs: Optional[bool] = None, outputs: Optional[bool] = None) -> None:
        """Stop this feature's outputs (and unsubscribe its inputs)."""
        await self._client._call(
            m.stop(self._device_index, self.index, inputs=inputs, outputs=outputs)
        )


class Device(DeviceBase["Client", Feature]):
    """A connected device. Hold it as long as you like: it is addressed by index, and a
    command to a device that went away fails with :class:`~teleplug.DeviceError`."""

    _feature_class = Feature

    async def stop(self, *, inputs: Optional[bool] = None, outputs: Optional[bool] = None) -> None:
        """Stop every output of the device (and unsubscribe its inputs)."""
        await self._client._call(m.stop(self.index, inputs=inputs, outputs=outputs))

    async def vibrate(self, value: Number) -> None:
        """Vibrate every vibrating feature at ``value`` (0.0-1.0)."""
        await asyncio.gather(*(f.vibrate(value) for f in self._with_output(OutputType.VIBRATE)))

    async def read_battery(self) -> int:
        """The battery level (percent) of the first feature with a battery input."""
        return await self._first_with_input(InputType.BATTERY).read_battery()


class EventStream(EventSource[EventT], AsyncIterator[EventT]):
    """Events of a client from the moment the stream was created, as an async iterator.

    Made by :meth:`Client.events`; ends after the client's :class:`~teleplug.Closed` event.
    Close it (or use ``async with``) when done, so events stop queueing.
    """

    def __init__(
        self,
        client: "Client",
        types: Tuple[Type[Event], ...],
        predicate: Optional[Callable[[Any], bool]],
    ) -> None:
        self._queue: "asyncio.Queue[Optional[Event]]" = asyncio.Queue()
        super().__init__(client, types, predicate)

    def __aiter__(self) -> "EventStream[EventT]":
        return self

    async def __anext__(self) -> EventT:
        event = await self._queue.get()
        if event is None:
            self._queue.put_nowait(None)  # stay ended for later calls
            raise StopAsyncIteration
        return cast(EventT, event)

    async def next(self, timeout: Optional[float] = None) -> EventT:
        """The next event; :class:`~teleplug.RequestTimeoutError` after ``timeout`` seconds,
        :class:`~teleplug.ClosedError` once the client is closed."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except asyncio.TimeoutError:
            raise RequestTimeoutError(Status.TIMEOUT, f"no event within {timeout} s") from None
        except StopAsyncIteration:
            raise ClosedError(Status.CLOSED, "the client is closed") from None

    async def __aenter__(self) -> "EventStream[EventT]":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class Subscription(SubscriptionBase[Feature, EventStream[InputReading]], AsyncIterator[InputReading]):
    """An input subscription: an async iterator of its readings (and the callback, if any).
    ``await sub.unsubscribe()`` (or ``async with``) ends it."""

    async def unsubscribe(self) -> None:
        """Unsubscribe the input and end the iteration."""
        try:
            await self.feature.unsubscribe(self.input_type)
        finally:
            self._detach()

    def __aiter__(self) -> "Subscription":
        return self

    async def __anext__(self) -> InputReading:
        return await self._stream.__anext__()

    async def next(self, timeout: Optional[float] = None) -> InputReading:
        """The next reading (RequestTimeoutError after ``timeout`` seconds)."""
        return await self._stream.next(timeout)

    async def __aenter__(self) -> "Subscription":
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.feature._client.closed:
            self._detach()
        else:
            await self.unsubscribe()


class Simulator:
    """Simulated devices of the embedded server (no hardware needed): advertise a device,
    then scan to find it. With ``observe`` every operation of the device arrives as a
    :class:`~teleplug.SimulatorOp` event."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    async def advertise_lovense(
        self, address: str, *, battery: int = 0, type_reply: str = "", observe: bool = True
    ) -> None:
        """A simulated Lovense toy (a Hush unless ``type_reply`` says otherwise)."""
        await self._client._call(
            m.advertise_lovense(address, battery=battery, type_reply=type_reply, observe=observe)
        )

    async def advertise(self, device: SimulatedDevice, *, observe: bool = True) -> None:
        """A simulated BLE device described field by field."""
        await self._client._call(m.advertise_spec(device, observe=observe))

    async def notify(self, address: str, endpoint: str, data: Union[bytes, str]) -> None:
        """The device notifies ``data`` on ``endpoint`` (which must be subscribed)."""
        await self._client._call(m.simulator_notify(address, endpoint, data))

    async def queue_read(self, address: str, endpoint: str, data: Union[bytes, str]) -> None:
        """Queue the answer to the next read of ``endpoint``."""
        await self._client._call(m.simulator_queue_read(address, endpoint, data))

    async def disconnect(self, address: str) -> None:
        """The device goes away (a DeviceRemoved event follows)."""
        await self._client._call(m.simulator_disconnect(address))


class Client(ClientBase[Device]):
    """A Buttplug client: the embedded Teleplug server by default, or a remote one.

    Args:
        name: the client name sent in the handshake.
        context: share a :class:`~teleplug.Context` between clients; by default the client
            creates its own and frees it on :meth:`close`.
        delivery: ``"poll"`` (default: a reader thread polls the library, no native callbacks)
            or ``"callback"`` (the library's dispatcher thread calls a trampoline).
        debug: for a client-owned context, honour test hooks.

    Use ``async with Client(...) as client`` or call :meth:`close`. Events are delivered to
    listeners (:meth:`on`, :meth:`add_listener`) and event streams (:meth:`events`) on the
    event loop the client is used from.
    """

    _device_class = Device

    def __init__(
        self,
        name: str = DEFAULT_NAME,
        *,
        context: Optional[Context] = None,
        delivery: str = "poll",
        debug: bool = False,
    ) -> None:
        super().__init__(name, context=context, delivery=delivery, debug=debug)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._early: List[Event] = []
        self._tasks: "set[asyncio.Task[Any]]" = set()
        self.simulator = Simulator(self)
        """Simulated devices of the embedded server."""
        try:
            self._bind_loop(asyncio.get_running_loop())
        except RuntimeError:
            pass
        self._session.set_listener(self._on_core_event)

    # ---- requests ----------------------------------------------------------------------------

    async def connect(
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
        """Connect to the embedded server (``url`` None, the default) or to a remote Buttplug
        server (``url="ws://127.0.0.1:12345"``). Embedded options: ``disabled_transports``
        (a :class:`~teleplug.Transport` mask; ``Transport.ALL`` for simulated devices only),
        ``simulator_scan_ms`` (simulated scans end on their own), configs, ping time,
        ``lovense_api_port`` (serve the Lovense local API for games on 127.0.0.1 at that port)...
        """
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
        _, reply = await self._call(body)
        return ServerInfo.from_json(reply)

    async def disconnect(self) -> None:
        """Disconnect (every device stops). The client may connect again."""
        await self._call(m.empty("disconnect"))

    async def start_scanning(self) -> None:
        """Look for devices; each one found arrives as a :class:`~teleplug.DeviceAdded`."""
        await self._call(m.empty("startScanning"))

    async def stop_scanning(self) -> None:
        await self._call(m.empty("stopScanning"))

    async def request_device_list(self) -> Dict[int, Device]:
        """Ask the server for its device list (also refreshes :attr:`devices`)."""
        await self._call(m.empty("requestDeviceList"))
        return self.devices

    async def stop_all(self) -> None:
        """Stop every device."""
        await self._call(m.stop())

    async def ping(self) -> None:
        await self._call(m.empty("ping"))

    async def subscribe_logs(self, level: Union[LogLevel, int, str] = LogLevel.INFO) -> None:
        """Receive the library's log records as :class:`~teleplug.LogRecord` events on this
        client (``LogLevel.OFF`` stops them)."""
        await self._call(m.subscribe_logs(level))

    async def debug(
        self,
        *,
        panic: Optional[Union[PanicSite, int, str]] = None,
        sleep_ms: Optional[int] = None,
        shutdown_server: bool = False,
    ) -> None:
        """Test hooks (the context must be created with ``debug=True``)."""
        await self._call(m.debug(panic=panic, sleep_ms=sleep_ms, shutdown_server=shutdown_server))

    async def _call(self, body: m.Body) -> Tuple[str, Any]:
        loop = asyncio.get_running_loop()
        self._bind_loop(loop)
        fut = self._session.request(*body)
        return await asyncio.wrap_future(fut, loop=loop)

    # ---- events ------------------------------------------------------------------------------

    def events(
        self, *types: Type[EventT], predicate: Optional[Callable[[EventT], bool]] = None
    ) -> EventStream[EventT]:
        """An async iterator of events (of these types; all when none is given) from now on.

        Create it before the request whose events you want, e.g. before ``start_scanning``.
        """
        self._bind_loop(asyncio.get_running_loop())
        return EventStream(self, tuple(types), cast(Optional[Callable[[Any], bool]], predicate))

    async def wait_for(
        self,
        event_type: Type[EventT],
        predicate: Optional[Callable[[EventT], bool]] = None,
        timeout: Optional[float] = None,
    ) -> EventT:
        """The next event of that type (matching ``predicate``), arriving from now on."""
        with self.events(event_type, predicate=predicate) as stream:
            return await stream.next(timeout)

    async def wait_for_device(
        self,
        predicate: Optional[Callable[[Device], bool]] = None,
        timeout: Optional[float] = None,
    ) -> Device:
        """A connected device (matching ``predicate``): one already there, or the next one
        added. :class:`~teleplug.RequestTimeoutError` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.events(DeviceAdded) as stream:
            for d in self.devices.values():
                if predicate is None or predicate(d):
                    return d
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                ev = await stream.next(left)
                if predicate is None or predicate(ev.device):
                    return cast(Device, ev.device)

    # ---- delivery (library thread -> event loop) ----------------------------------------------

    def _bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self._loop is loop:
                return
            if self._loop is not None and not self._loop.is_closed():
                raise RuntimeError("a teleplug.Client is bound to the event loop it was first used on")
            self._loop = loop
            early, self._early = self._early, []
        for ev in early:
            loop.call_soon_threadsafe(self._dispatch, ev)

    def _on_core_event(self, event: Event) -> None:
        """On the library thread: hand the event to the loop (or keep it until there is one)."""
        with self._lock:
            loop = self._loop
            if loop is None:
                self._early.append(event)
                return
        try:
            loop.call_soon_threadsafe(self._dispatch, event)
        except RuntimeError:
            pass  # the loop is closed: nobody can receive it

    def _dispatch(self, event: Event) -> None:
        """On the loop: turn core events into API events, feed streams, call listeners."""
        event, listeners = self._route(event)
        for fn in listeners:
            try:
                result = fn(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._task_done)
            except Exception as e:  # noqa: BLE001 - one listener must not stop the others
                self._report(e, fn)

    def _task_done(self, task: "asyncio.Task[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._report(task.exception(), task)

    def _report(self, exc: Optional[BaseException], where: Any) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_exception_handler(
                {"message": f"exception in teleplug event listener {where!r}", "exception": exc}
            )

    # ---- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client: its connection closes (devices stop), pending requests fail with
        :class:`~teleplug.ClosedError`, streams end after a :class:`~teleplug.Closed` event.
        Frees the context if the client created it. Idempotent; fine inside event listeners."""
        self._session.close()

    async def aclose(self) -> None:
        """:meth:`close`, awaitable."""
        self.close()

    async def __aenter__(self) -> "Client":
        self._bind_loop(asyncio.get_running_loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Client", "Device", "EventStream", "Feature", "Simulator", "Subscription"]
