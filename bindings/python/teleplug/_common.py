"""What the asyncio client (``client.py``) and the blocking one (``sync.py``) share, so each of
them only writes what waits: the session and its read-only properties, listener registration,
the per-client cache of device objects and the routing of events to streams and listeners,
and the plumbing of event streams and input subscriptions. How requests are awaited and where
listeners run stay in the two modules.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from typing import (
    Any,
    Callable,
    Dict,
    Generic,
    List,
    Optional,
    Protocol,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
)

from ._core import Context, Session, _CoreDeviceEvent
from ._ffi import InputType
from ._model import DeviceBase, FeatureBase
from .types import (
    Closed,
    DeviceAdded,
    DeviceInfo,
    DeviceListChanged,
    DeviceRemoved,
    Event,
    InputReading,
    ServerInfo,
    input_enum,
)

DEFAULT_NAME = "Teleplug Python client"

D = TypeVar("D", bound="DeviceBase[Any, Any]")
F = TypeVar("F", bound="FeatureBase[Any]")
S = TypeVar("S", bound="EventSource[Any]")
EventT = TypeVar("EventT", bound=Event)


class ClientBase(Generic[D]):
    """A client's session and what does not depend on how its requests are awaited."""

    _device_class: Type[D]
    _repr_name = "teleplug.Client"

    def __init__(
        self, name: str, *, context: Optional[Context], delivery: str, debug: bool
    ) -> None:
        self._session = Session.open(name, context=context, delivery=delivery, debug=debug)
        self._lock = threading.Lock()
        self._listeners: List[Tuple[Type[Event], Callable[[Any], Any]]] = []
        self._streams: "weakref.WeakSet[EventSource[Any]]" = weakref.WeakSet()
        self._device_cache: Dict[int, D] = {}

    # ---- properties --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._session.name

    @property
    def context(self) -> Context:
        return self._session.context

    @property
    def closed(self) -> bool:
        """True once the client is closed (or its context shut down)."""
        return self._session.closed

    @property
    def connected(self) -> bool:
        return self._session.connected

    @property
    def server_info(self) -> Optional[ServerInfo]:
        """What the server said at connect (None while not connected)."""
        return self._session.server_info

    @property
    def devices(self) -> Dict[int, D]:
        """The connected devices by index (kept up to date from the server's events)."""
        return {i: self._device(info) for i, info in sorted(self._session.devices().items())}

    # ---- listeners ---------------------------------------------------------------------------

    def add_listener(self, event_type: Type[EventT], fn: Callable[[EventT], Any]) -> None:
        """Call ``fn(event)`` for each event of that type (subclasses included; ``Event`` for
        all): on the event loop for :class:`teleplug.Client` (``fn`` may be a coroutine
        function), on the client's event thread for :class:`teleplug.sync.Client`."""
        with self._lock:
            self._listeners.append((event_type, fn))

    def remove_listener(self, event_type: Type[Event], fn: Callable[[Any], Any]) -> None:
        with self._lock:
            self._listeners = [(t, f) for t, f in self._listeners if not (t is event_type and f == fn)]

    def on(
        self, event_type: Type[EventT], fn: Optional[Callable[[EventT], Any]] = None
    ) -> Any:
        """Register a listener; usable as a decorator: ``@client.on(teleplug.DeviceAdded)``."""
        if fn is not None:
            self.add_listener(event_type, fn)
            return fn

        def decorator(f: Callable[[EventT], Any]) -> Callable[[EventT], Any]:
            self.add_listener(event_type, f)
            return f

        return decorator

    # ---- delivery ----------------------------------------------------------------------------

    def _device(self, info: DeviceInfo) -> D:
        with self._lock:
            cached = self._device_cache.get(info.index)
            if cached is not None and cached.info == info:
                return cached
            dev = self._device_class(self, info)
            self._device_cache[info.index] = dev
            return dev

    def _route(self, event: Event) -> Tuple[Event, List[Callable[[Any], Any]]]:
        """Where events are delivered: turn a core device event into the API event (with this
        client's device objects), feed it to the streams, and return it with its listeners."""
        if isinstance(event, _CoreDeviceEvent):
            if event.what == "added":
                event = DeviceAdded(self._device(cast(DeviceInfo, event.device)))
            elif event.what == "removed":
                info = cast(DeviceInfo, event.device)
                with self._lock:
                    dev = self._device_cache.pop(info.index, None)
                event = DeviceRemoved(dev or self._device_class(self, info))
            else:
                event = DeviceListChanged(tuple(self._device(i) for i in event.devices))
        for stream in list(self._streams):
            stream._offer(event)
        with self._lock:
            listeners = [f for t, f in self._listeners if isinstance(event, t)]
        return event, listeners

    # ---- lifetime ----------------------------------------------------------------------------

    def _close_collected(self) -> None:
        """What ``__del__`` does to an unclosed client (after the warning)."""
        self._session.close()

    def __del__(self) -> None:
        session = getattr(self, "_session", None)
        if session is not None and not session._freed:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, stacklevel=2)
            self._close_collected()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("connected" if self.connected else "open")
        return f"<{self._repr_name} {self.name!r} {state}>"


class _EventQueue(Protocol):
    def put_nowait(self, item: Optional[Event]) -> None: ...


class EventSource(Generic[EventT]):
    """The events of a client from the moment it was created, queued until taken; ends (a
    ``None`` in the queue) after the client's :class:`~teleplug.Closed` event. Subclasses make
    ``_queue`` before calling ``__init__`` and take from it."""

    _queue: _EventQueue

    def __init__(
        self,
        client: "ClientBase[Any]",
        types: Tuple[Type[Event], ...],
        predicate: Optional[Callable[[Any], bool]],
    ) -> None:
        self._client = client
        self._types = types or (Event,)
        self._predicate = predicate
        self._ended = False
        client._streams.add(self)
        if client.closed:
            self._end()

    def _offer(self, event: Event) -> None:
        if self._ended:
            return
        if isinstance(event, self._types) and (self._predicate is None or self._predicate(event)):
            self._queue.put_nowait(event)
        if isinstance(event, Closed):
            self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(None)

    def close(self) -> None:
        """Stop receiving events."""
        self._client._streams.discard(self)
        self._end()

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SubscriptionBase(Generic[F, S]):
    """An input subscription of ``feature``: its readings go to a stream (``S``) of the
    feature's client and to ``callback``, if any."""

    def __init__(
        self,
        feature: F,
        input_type: Union[InputType, int, str],
        callback: Optional[Callable[[InputReading], Any]],
    ) -> None:
        self.feature = feature
        self.input_type = input_enum(input_type)
        client = feature._client
        self._stream: S = client.events(InputReading, predicate=self._mine)
        self._callback = callback
        if callback is not None:
            client.add_listener(InputReading, self._on_reading)

    def _mine(self, r: InputReading) -> bool:
        return (
            r.device_index == self.feature.device_index
            and r.feature_index == self.feature.index
            and r.type == self.input_type
        )

    def _on_reading(self, r: InputReading) -> Any:
        if self._mine(r) and self._callback is not None:
            return self._callback(r)
        return None

    def _detach(self) -> None:
        self._stream.close()
        if self._callback is not None:
            self.feature._client.remove_listener(InputReading, self._on_reading)
