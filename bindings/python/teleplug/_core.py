"""The thread-safe core shared by the asyncio and the synchronous API: a :class:`Context`
(``tp_context``) and a :class:`Session` (one ``tp_client`` in the JSON encoding).

A session turns requests into ``concurrent.futures.Future`` objects completed by the reply with
the same id, keeps the device list the server reports, and hands every event to one listener
(the API object that owns it). Messages arrive on a library thread: the context's dispatcher
(``delivery="callback"``, through the module-level trampoline) or the session's own reader
thread polling the library (``delivery="poll"``, the default: no foreign callbacks at all).
Nothing on those threads runs user code: listeners only enqueue.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import itertools
import json
import queue
import threading
import warnings
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _ffi, _native
from ._native import check, lib
from .errors import ClosedError, RequestTimeoutError, Status, TeleplugError, reply_error
from .types import (
    ButtplugFrame,
    Closed,
    DeviceInfo,
    ErrorEvent,
    Event,
    InputReading,
    LogRecord,
    ScanningFinished,
    ServerDisconnected,
    ServerInfo,
    SimulatorOp,
)

FORMATS = (_ffi.TP_FORMAT_JSON, _ffi.TP_FORMAT_BUTTPLUG_JSON)

DELIVERY_MODES = ("poll", "callback")
_POLL_FOREVER = 0xFFFFFFFF


class Context:
    """A library context: its async runtime, dispatcher thread, embedded servers and clients.

    Most programs never create one: each :class:`~teleplug.Client` makes its own. Share one
    between clients with ``Client(..., context=ctx)``. ``close()`` shuts it down (every client's
    pending requests fail, devices stop, each client gets a final :class:`~teleplug.Closed`
    event) and frees it; it is also a context manager. Contexts still open at interpreter exit
    are freed by an ``atexit`` hook.

    Args:
        debug: honour test hooks (``TP_CONTEXT_DEBUG``).
    """

    def __init__(self, *, debug: bool = False) -> None:
        out = ctypes.c_void_p()
        flags = _ffi.TP_CONTEXT_DEBUG if debug else 0
        check(lib.tp_context_new(flags, ctypes.byref(out)), "tp_context_new")
        self._handle: Optional[int] = out.value
        self.debug = debug
        self._lock = threading.Lock()
        self._sessions: "weakref.WeakSet[Session]" = weakref.WeakSet()
        _native.register_context(out.value or 0)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._handle is None

    @property
    def handle(self) -> int:
        """The raw ``tp_context *`` (for interop); raises ClosedError once closed."""
        h = self._handle
        if h is None:
            raise ClosedError(Status.CLOSED, "the context is closed")
        return h

    def shutdown(self, timeout: float = 5.0) -> None:
        """Shut down within ``timeout`` seconds (``tp_context_shutdown``): pending requests are
        answered with :class:`~teleplug.ShutdownError`, devices stop and disconnect, every
        client gets :class:`~teleplug.Closed`. Idempotent. The context stays allocated until
        :meth:`close`; not allowed from inside one of its own native callbacks."""
        check(lib.tp_context_shutdown(self.handle, _ms(timeout)), "tp_context_shutdown")

    def close(self) -> None:
        """Shut down and free the context and every client handle in it. Idempotent. From
        inside one of its native callbacks, the free runs on a helper thread."""
        with self._lock:
            h, self._handle = self._handle, None
        if h is None:
            return
        if _native.unregister_context(h):
            _native.off_native_thread(lambda: lib.tp_context_free(h), "teleplug-context-free")
        for s in list(self._sessions):
            s._context_freed()

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_handle", None) is not None:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, stacklevel=2)
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else f"handle={self._handle:#x}"
        return f"<teleplug.Context {state}>"


def _ms(seconds: float) -> int:
    if seconds < 0:
        raise ValueError("timeout must be >= 0")
    return min(int(seconds * 1000), 0xFFFFFFFE)


class _Pending:
    __slots__ = ("future", "kind")

    def __init__(self, kind: str) -> None:
        self.future: "concurrent.futures.Future[Tuple[str, Any]]" = concurrent.futures.Future()
        self.kind = kind


class Session:
    """One ``tp_client`` (JSON encoding): requests, replies, events and the device list.

    With ``fmt=TP_FORMAT_BUTTPLUG_JSON`` it is a raw channel instead: :meth:`send_frame` sends
    Buttplug spec frames and every frame the server sends is emitted as a
    :class:`~teleplug.ButtplugFrame` event; requests still carry the schema's control
    messages (connect options, simulated devices).
    """

    def __init__(
        self,
        context: Context,
        name: str,
        *,
        delivery: str = "poll",
        owns_context: bool = False,
        fmt: int = _ffi.TP_FORMAT_JSON,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
        if delivery not in DELIVERY_MODES:
            raise ValueError(f"delivery must be one of {DELIVERY_MODES}, not {delivery!r}")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        self.context = context
        self.name = name
        self.delivery = delivery
        self.owns_context = owns_context
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._pending: Dict[int, _Pending] = {}
        self._devices: Dict[int, DeviceInfo] = {}
        self._server: Optional[ServerInfo] = None
        self._listener: Optional[Callable[[], Optional[Callable[[Event], None]]]] = None
        self._finished = threading.Event()  # no more messages will come
        self._freed = False
        self._reader: Optional[threading.Thread] = None
        self._key: Optional[int] = None
        encoded = name.encode("utf-8")
        out = ctypes.c_void_p()
        if delivery == "callback":
            self._key = _native.HANDLES.insert(self)
            status = lib.tp_client_new(
                context.handle,
                fmt,
                encoded,
                len(encoded),
                _native.EVENT_TRAMPOLINE,
                self._key,
                _native.FREE_TRAMPOLINE,
                ctypes.byref(out),
            )
            if status != _ffi.TP_OK:
                _native.HANDLES.remove(self._key)
        else:
            status = lib.tp_client_new(
                context.handle,
                fmt,
                encoded,
                len(encoded),
                _native.NO_EVENT_FN,
                None,
                _native.NO_FREE_FN,
                ctypes.byref(out),
            )
        check(status, "tp_client_new")
        self._handle: int = out.value or 0
        context._sessions.add(self)
        if delivery == "poll":
            self._reader = threading.Thread(
                target=self._poll_loop, name=f"teleplug-poll-{name}", daemon=True
            )
            self._reader.start()

    @classmethod
    def open(
        cls,
        name: str,
        *,
        context: Optional[Context],
        delivery: str,
        debug: bool,
        fmt: int = _ffi.TP_FORMAT_JSON,
    ) -> "Session":
        """A session in ``context``, or in a context of its own (``debug``: with test hooks)
        that it frees when it closes."""
        owns = context is None
        ctx = Context(debug=debug) if context is None else context
        try:
            return cls(ctx, name, delivery=delivery, owns_context=owns, fmt=fmt)
        except BaseException:
            if owns:
                ctx.close()
            raise

    # ---- state -------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._freed or self._finished.is_set()

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._server is not None and not self.closed

    @property
    def server_info(self) -> Optional[ServerInfo]:
        with self._lock:
            return self._server

    def devices(self) -> Dict[int, DeviceInfo]:
        with self._lock:
            return dict(self._devices)

    def set_listener(self, fn: Callable[[Event], None]) -> None:
        """The one listener of events; held weakly when it is a bound method, so the API
        object owning this session can be garbage-collected (its ``__del__`` closes us)."""
        try:
            self._listener = weakref.WeakMethod(fn)
        except TypeError:
            self._listener = lambda: fn

    # ---- requests ----------------------------------------------------------------------------

    def request(self, key: str, body: Dict[str, Any]) -> "concurrent.futures.Future[Tuple[str, Any]]":
        """Send one request; the future gets ``(reply_key, reply_body)`` or the typed error."""
        with self._lock:
            if self._freed:
                raise ClosedError(Status.CLOSED, "the client is closed")
            rid = next(self._ids)
            if rid > 0xFFFFFFFF:
                self._ids = itertools.count(2)
                rid = 1
            pending = _Pending(key)
            self._pending[rid] = pending
            data = json.dumps({"id": rid, key: body}, separators=(",", ":")).encode("utf-8")
            status = lib.tp_client_send(self._handle, data, len(data))
            if status != _ffi.TP_OK:
                del self._pending[rid]
                check(status, f"tp_client_send ({key})")
            if self._finished.is_set():
                # The channel ended while we sent: no reply can come.
                self._pending.pop(rid, None)
                _fail(pending.future, ClosedError(Status.CLOSED, "the client is closed"))
        return pending.future

    def send_frame(self, data: bytes) -> None:
        """Send one Buttplug spec frame (raw channels); the library checks it is JSON."""
        with self._lock:
            if self._freed:
                raise ClosedError(Status.CLOSED, "the channel is closed")
            check(lib.tp_client_send(self._handle, data, len(data)), "tp_client_send (frame)")

    # ---- incoming ----------------------------------------------------------------------------

    def _native_message(self, data: bytes) -> None:
        """A message from the library (dispatcher thread or reader thread)."""
        try:
            msg = json.loads(data)
        except ValueError:
            _native.log.error("undecodable message from the library: %r", data[:200])
            return
        if isinstance(msg, list):  # a Buttplug frame (raw channels)
            self._emit(ButtplugFrame(tuple(msg)))
            return
        rid = int(msg.get("id", 0))
        key, body = _body(msg)
        if rid:
            self._reply(rid, key, body)
        else:
            self._event(key, body)

    def _reply(self, rid: int, key: str, body: Any) -> None:
        with self._lock:
            pending = self._pending.pop(rid, None)
            if pending is None:
                return
            if key == "connected":
                self._server = ServerInfo.from_json(body)
                self._devices = _device_map(body.get("devices", ()))
            elif key == "deviceList":
                self._devices = _device_map(body.get("devices", ()))
            elif pending.kind == "disconnect" and key == "ok":
                self._server = None
                self._devices = {}
        if key == "error":
            _fail(pending.future, reply_error(body.get("code"), body.get("message", "")))
        else:
            _resolve(pending.future, (key, body))

    def _event(self, key: str, body: Any) -> None:
        event: Optional[Event] = None
        with self._lock:
            if key == "deviceAdded":
                info = DeviceInfo.from_json(body.get("device"))
                self._devices[info.index] = info
                event = _CoreDeviceEvent("added", info)
            elif key == "deviceRemoved":
                info = DeviceInfo.from_json(body.get("device"))
                self._devices.pop(info.index, None)
                event = _CoreDeviceEvent("removed", info)
            elif key == "deviceListChanged":
                self._devices = _device_map(body.get("devices", ()))
                event = _CoreDeviceEvent("changed", None, tuple(self._devices.values()))
            elif key == "serverDisconnected":
                self._server = None
                self._devices = {}
                event = ServerDisconnected(body.get("reason", ""))
        if event is None:
            if key == "scanningFinished":
                event = ScanningFinished()
            elif key == "inputReading":
                event = InputReading.from_json(body)
            elif key == "error":
                event = ErrorEvent(reply_error(body.get("code"), body.get("message", "")))
            elif key == "log":
                event = LogRecord.from_json(body)
            elif key == "simulatorOp":
                event = SimulatorOp.from_json(body)
            elif key == "closed":
                self._finish(body.get("reason", "the context shut down"))
                return
            else:
                return  # an event newer than this package: ignored (forward compatibility)
        self._emit(event)

    def _emit(self, event: Event) -> None:
        ref = self._listener
        fn = ref() if ref is not None else None
        if fn is not None:
            try:
                fn(event)
            except BaseException:  # noqa: BLE001 - listeners only enqueue; never fail delivery
                _native.report_callback_error("an event listener")

    def _finish(self, reason: str) -> None:
        """No more messages: fail what is pending, emit Closed once."""
        with self._lock:
            if self._finished.is_set():
                return
            self._finished.set()
            pending, self._pending = self._pending, {}
            self._server = None
            self._devices = {}
        for p in pending.values():
            _fail(p.future, ClosedError(Status.CLOSED, f"the client closed: {reason}"))
        self._emit(Closed(reason))

    def _native_finalized(self) -> None:
        """``user_data_free`` ran: no callback of this client comes any more."""
        self._finish("the client was freed")

    def _poll_loop(self) -> None:
        buf = _ffi.tp_buffer()
        reason = "the context shut down"
        while True:
            status = lib.tp_client_poll(self._handle, _POLL_FOREVER, ctypes.byref(buf))
            if status == _ffi.TP_OK:
                try:
                    data = ctypes.string_at(buf.data, buf.len) if buf.len else b""
                finally:
                    lib.tp_buffer_free(buf)
                try:
                    self._native_message(data)
                except BaseException:  # noqa: BLE001 - keep polling whatever happens
                    _native.report_callback_error("the poll reader")
                continue
            if status == _ffi.TP_TIMEOUT:
                continue
            if status != _ffi.TP_CLOSED:
                # TP_ERR_INVALID_HANDLE: freed (by close() or with its context) while we waited.
                reason = "the client was freed"
            break
        self._finish(reason)

    # ---- teardown ----------------------------------------------------------------------------

    def close(self) -> None:
        """Free the client (its connection closes, devices stop), fail pending requests, and
        free the context if this session owns it. Idempotent; safe from any thread, from event
        handlers, and from ``__del__``."""
        with self._lock:
            if self._freed:
                return
            self._freed = True
        lib.tp_client_free(self._handle)
        if self.delivery == "poll":
            reader = self._reader
            if reader is not None and reader is not threading.current_thread():
                reader.join()
        self._finish("the client was closed")
        if self.owns_context:
            self.context.close()

    def _context_freed(self) -> None:
        """Our context was freed (and every client handle in it)."""
        with self._lock:
            self._freed = True
        if self.delivery == "poll":
            reader = self._reader
            if (
                reader is not None
                and reader is not threading.current_thread()
                and not _native.in_native_callback()
            ):
                reader.join()
        self._finish("the context was closed")


class _CoreDeviceEvent(Event):
    """A device event with plain DeviceInfo; the API objects turn it into theirs."""

    __slots__ = ("what", "device", "devices")

    def __init__(
        self, what: str, device: Optional[DeviceInfo], devices: Tuple[DeviceInfo, ...] = ()
    ) -> None:
        self.what = what
        self.device = device
        self.devices = devices


def _body(msg: Dict[str, Any]) -> Tuple[str, Any]:
    for k, v in msg.items():
        if k not in ("id", "schemaVersion"):
            return k, v
    return "", None


def _device_map(devices: Any) -> Dict[int, DeviceInfo]:
    infos = [DeviceInfo.from_json(d) for d in devices]
    return {d.index: d for d in infos}


def _resolve(fut: "concurrent.futures.Future[Any]", value: Any) -> None:
    try:
        fut.set_result(value)
    except concurrent.futures.InvalidStateError:
        pass


def _fail(fut: "concurrent.futures.Future[Any]", err: BaseException) -> None:
    try:
        fut.set_exception(err)
    except concurrent.futures.InvalidStateError:
        pass


def wait_reply(
    fut: "concurrent.futures.Future[Tuple[str, Any]]", key: str, limit: Optional[float]
) -> Tuple[str, Any]:
    """Block for the reply of request ``key``, at most ``limit`` seconds (None: no limit);
    :class:`~teleplug.RequestTimeoutError` after that (a late reply is then dropped)."""
    try:
        return fut.result(limit)
    except concurrent.futures.TimeoutError:
        fut.cancel()
        raise RequestTimeoutError(Status.TIMEOUT, f"no reply to {key} within {limit} s") from None


def take(q: "queue.Queue[Any]", timeout: Optional[float], what: str, end: Any, closed: str) -> Any:
    """The next item of a queue whose last item is ``end``, waiting up to ``timeout`` seconds
    (None: no limit): RequestTimeoutError when none came, ClosedError(``closed``) at the end,
    which stays queued for every later call."""
    if timeout is not None and timeout < 0:
        raise ValueError("timeout must be >= 0")
    try:
        item = q.get(timeout=timeout)
    except queue.Empty:
        raise RequestTimeoutError(Status.TIMEOUT, f"no {what} within {timeout} s") from None
    if item is end:
        q.put(end)
        raise ClosedError(Status.CLOSED, closed)
    return item


def reply_value(expected: str, reply: Tuple[str, Any]) -> Any:
    """The body of a reply of the expected kind (an unexpected kind is a library bug)."""
    key, body = reply
    if key != expected:
        raise TeleplugError(Status.ERR_INTERNAL, f"expected a {expected!r} reply, got {key!r}")
    return body


__all__ = ["Context", "Session", "DELIVERY_MODES", "FORMATS", "reply_value", "take", "wait_reply"]
