"""A raw Buttplug channel: Buttplug spec JSON with the embedded server, in-process.

For code that already speaks the Buttplug protocol (an existing client library, a test
harness, a protocol tool) and wants the embedded server without a WebSocket::

    from teleplug import ButtplugChannel, Transport

    with ButtplugChannel("my tool") as channel:
        channel.configure(disabled_transports=Transport.ALL)   # optional
        channel.simulator_advertise_lovense("AA:BB:CC:DD:EE:01", battery=80)
        channel.send([{"RequestServerInfo": {"Id": 1, "ClientName": "my tool",
                                              "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}])
        print(channel.receive(timeout=5))      # [{'ServerInfo': {...}}]

Frames go to the server as they are and come back as the server wrote them: the library does
the Buttplug side (every spec version, v0 to v4), this class only carries the frames. Control
requests of the schema (server options, simulated devices) travel on the same channel; their
replies and the schema's events (simulator operations, log records) never mix with the frames.
Calls block (``timeout`` in seconds where given) and are thread-safe; an asyncio program can
run them in a thread (``await asyncio.to_thread(channel.receive, 5)``).
"""

from __future__ import annotations

import json
import queue
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _ffi
from . import _messages as m
from ._core import Context, Session, take, wait_reply
from .errors import ClosedError
from .types import ButtplugFrame, Closed, Event, SimulatedDevice

Frame = List[Dict[str, Any]]
_END = object()  # queued after the last frame / event: the channel finished


class ButtplugChannel:
    """One raw channel (``TP_FORMAT_BUTTPLUG_JSON``) to an embedded server of its own.

    The server starts with default options at the first frame unless :meth:`configure` came
    first. Closing the channel (or leaving its ``with`` block) ends the connection: every
    device stops.

    Args:
        name: the client name the library reports (the frames carry their own ClientName).
        context: share a :class:`~teleplug.Context`; by default the channel owns one.
        delivery: ``"poll"`` (a reader thread, the default) or ``"callback"``.
        timeout: default bound, in seconds, for control requests (None: wait for the reply).
        debug: with its own context: honour test hooks (``TP_CONTEXT_DEBUG``).
    """

    def __init__(
        self,
        name: str = "",
        *,
        context: Optional[Context] = None,
        delivery: str = "poll",
        timeout: Optional[float] = None,
        debug: bool = False,
    ) -> None:
        self._session = Session.open(
            name, context=context, delivery=delivery, debug=debug, fmt=_ffi.TP_FORMAT_BUTTPLUG_JSON
        )
        self.timeout = timeout
        self._frames: "queue.Queue[Any]" = queue.Queue()
        self._events: "queue.Queue[Any]" = queue.Queue()
        self._session.set_listener(self._on_event)

    # ---- frames ------------------------------------------------------------------------------

    def send(self, frame: Union[str, bytes, Sequence[Mapping[str, Any]]]) -> None:
        """Send one Buttplug frame: a list of messages (``[{"Ping": {"Id": 2}}]``) or its JSON
        text. The server answers in later frames (:meth:`receive`); a frame the library
        cannot read raises :class:`~teleplug.DecodeError` and the channel goes on."""
        if isinstance(frame, (str, bytes)):
            data = frame.encode("utf-8") if isinstance(frame, str) else bytes(frame)
            if not data.lstrip().startswith(b"["):
                raise m._bad(
                    "a Buttplug frame is a JSON array of messages (control requests go "
                    "through request())"
                )
        elif isinstance(frame, Sequence):
            try:
                data = json.dumps(list(frame), separators=(",", ":")).encode("utf-8")
            except (TypeError, ValueError) as e:
                raise m._bad(f"the frame is not JSON: {e}") from None
        else:
            raise m._bad(f"a frame is a list of messages or JSON text, not {type(frame).__name__}")
        self._session.send_frame(data)

    def receive(self, timeout: Optional[float] = None) -> Frame:
        """The next frame the server sent (a list of messages), waiting up to ``timeout``
        seconds (None: until one comes). Raises :class:`~teleplug.RequestTimeoutError` when
        none came in time, :class:`~teleplug.ClosedError` once the channel is closed and every
        frame was received."""
        item = self._take(self._frames, timeout, "frame")
        return list(item.messages)

    def frames(self, timeout: Optional[float] = None) -> Iterable[Frame]:
        """Iterate over frames as they come (each waited for up to ``timeout``) until the
        channel closes."""
        while True:
            try:
                yield self.receive(timeout)
            except ClosedError:
                return

    # ---- control requests and events ---------------------------------------------------------

    def request(self, key: str, body: Dict[str, Any], timeout: Optional[float] = None) -> Tuple[str, Any]:
        """One control request of the schema (``{"id": n, key: body}``, e.g.
        ``request("simulatorNotify", {...})``); returns the reply's ``(key, body)``, raises
        the typed error of an error reply."""
        limit = self.timeout if timeout is None else timeout
        return wait_reply(self._session.request(key, body), key, limit)

    def configure(self, **options: Any) -> None:
        """Start the embedded server with these options, before the first frame. They are the
        embedded-server keywords of :meth:`teleplug.Client.connect` (``server_name``,
        ``max_ping_time_ms``, ``disabled_transports``, ``serial_ports``,
        ``device_config_json``, ``user_config_json``, ``allowed_clients``,
        ``simulator_scan_ms``); an unknown keyword raises TypeError."""
        if "url" in options:
            raise TypeError("a raw channel talks to the embedded server: no url")
        self.request(*m.connect(**options))

    def simulator_advertise_lovense(
        self, address: str, *, battery: int = 0, type_reply: str = "", observe: bool = True
    ) -> None:
        """Advertise a simulated Lovense toy (found by the next scan). With ``observe`` its
        hardware operations arrive as :class:`~teleplug.SimulatorOp` events."""
        self.request(*m.advertise_lovense(address, battery=battery, type_reply=type_reply, observe=observe))

    def simulator_advertise(self, spec: SimulatedDevice, *, observe: bool = True) -> None:
        """Advertise any simulated BLE device, matched against the device database."""
        self.request(*m.advertise_spec(spec, observe=observe))

    def next_event(self, timeout: Optional[float] = None) -> Event:
        """The next event of the schema (:class:`~teleplug.SimulatorOp`,
        :class:`~teleplug.LogRecord`, :class:`~teleplug.ErrorEvent`, ...), waiting up to
        ``timeout`` seconds; the same errors as :meth:`receive`."""
        event: Event = self._take(self._events, timeout, "event")
        return event

    # ---- lifetime ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the channel is closed (by :meth:`close` or its context's shutdown)."""
        return self._session.closed

    def close(self) -> None:
        """End the connection (every device stops) and free the channel. Idempotent."""
        self._session.close()

    def __enter__(self) -> "ButtplugChannel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        session = getattr(self, "_session", None)
        if session is not None:
            session.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<teleplug.ButtplugChannel {self._session.name!r} {state}>"

    # ---- internals ---------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """From the session's thread: sort frames from events (only enqueues)."""
        if isinstance(event, ButtplugFrame):
            self._frames.put(event)
        elif isinstance(event, Closed):
            self._frames.put(_END)
            self._events.put(_END)
        else:
            self._events.put(event)

    @staticmethod
    def _take(q: "queue.Queue[Any]", timeout: Optional[float], what: str) -> Any:
        return take(q, timeout, what, _END, "the channel is closed")


__all__ = ["ButtplugChannel", "Frame"]
