"""Loading ``libteleplug``, the ABI check, status checking, and the process-lifetime callback
trampolines (docs/FFI.md §5).

- The library is loaded with ``ctypes.CDLL`` (the GIL is released during every call), from
  ``TELEPLUG_LIB`` if set, else from this package's directory (installed wheels), else from the
  ``target/`` folder of the source checkout this package lives in (after ``cargo build``).
- Every function gets ``argtypes``/``restype`` from the generated ``_ffi`` module, and the ABI
  version is checked before anything else runs.
- Native callbacks go through module-level ``CFUNCTYPE`` trampolines that live as long as the
  process. ``user_data`` is an integer key of :data:`HANDLES` (never reused, never ``id()``).
  Trampolines copy what they are given, hand it on and return; exceptions never unwind into
  native frames (they are logged).
- An ``atexit`` hook clears the log callback and frees every live context, so no native thread
  calls into a finalizing interpreter.
"""

from __future__ import annotations

import atexit
import ctypes
import glob
import itertools
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from . import _ffi
from .errors import AbiMismatchError, LibraryNotFoundError, Status, status_error

log = logging.getLogger("teleplug")

_LIB_NAMES = {
    "linux": ["libteleplug.so"],
    "darwin": ["libteleplug.dylib"],
    "win32": ["teleplug.dll"],
}


def _candidates() -> List[Path]:
    """Where the library may be, in order of preference."""
    out: List[Path] = []
    env = os.environ.get("TELEPLUG_LIB")
    if env:
        return [Path(env)]
    here = Path(__file__).resolve().parent
    # Installed: the library built by setup.py sits next to this file (setuptools-rust may
    # add a platform suffix: libteleplug.cpython-311-x86_64-linux-gnu.so).
    for pattern in ("libteleplug*.so", "libteleplug*.dylib", "teleplug*.dll"):
        out.extend(Path(p) for p in sorted(glob.glob(str(here / pattern))))
    # Source checkout: bindings/python/teleplug -> repository root -> target/<profile>.
    names = _LIB_NAMES.get(sys.platform, _LIB_NAMES["linux"])
    roots = []
    if os.environ.get("CARGO_TARGET_DIR"):
        roots.append(Path(os.environ["CARGO_TARGET_DIR"]))
    for parent in here.parents:
        if (parent / "Cargo.toml").is_file():
            roots.append(parent / "target")
            break
    found = [
        root / profile / name
        for root in roots
        for profile in ("debug", "release")
        for name in names
        if (root / profile / name).is_file()
    ]
    # The most recently built profile wins (what the last `cargo build` produced).
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    out.extend(found)
    return out


_WANTED = f"libteleplug {_ffi.TP_VERSION_STRING} (ABI version {_ffi.TP_ABI_VERSION})"


def _load() -> "tuple[ctypes.CDLL, str]":
    tried = _candidates()
    for path in tried:
        if path.is_file():
            try:
                return ctypes.CDLL(str(path)), str(path)
            except OSError as e:  # another CPU or OS, a truncated file, a missing dependency
                raise LibraryNotFoundError(
                    f"{path} could not be loaded ({e}); this teleplug package needs {_WANTED}"
                ) from e
    where = ", ".join(str(p) for p in tried) or "nowhere"
    raise LibraryNotFoundError(
        f"{_WANTED} was not found (looked at: "
        + where
        + "). Set TELEPLUG_LIB to the library's path, run `cargo build` in the source checkout, "
        "or install a wheel with the library inside (`pip install teleplug-*.whl`)."
    )


lib, LIBRARY_PATH = _load()
_ffi.declare(lib)

ABI_VERSION: int = lib.tp_abi_version()
if ABI_VERSION != _ffi.TP_ABI_VERSION:
    try:
        _found = ctypes.string_at(lib.tp_version_string()).decode("utf-8", "replace")
    except Exception:  # pragma: no cover - a library too different to say
        _found = "unknown"
    raise AbiMismatchError(
        Status.ERR_INVALID_ARG,
        f"{LIBRARY_PATH} is libteleplug {_found} with ABI version {ABI_VERSION}, but this "
        f"teleplug package needs {_WANTED}: install the matching library or package",
    )


def version_string() -> str:
    """The library version ("major.minor.patch")."""
    return ctypes.string_at(lib.tp_version_string()).decode("utf-8")


def status_string(status: int) -> str:
    """The library's short description of a status code."""
    p = lib.tp_status_string(status)
    return ctypes.string_at(p).decode("utf-8") if p else ""


def last_error_message() -> str:
    """The calling thread's last error text (copied out of the library)."""
    n = lib.tp_last_error_message(None, 0)
    if n == 0:
        return ""
    buf = ctypes.create_string_buffer(n)
    m = lib.tp_last_error_message(buf, n)
    return buf.raw[: min(m, n)].decode("utf-8", "replace")


def check(status: int, what: str) -> None:
    """Raise the typed error of a failed C call (reads the last error on this thread)."""
    if status != _ffi.TP_OK:
        detail = last_error_message() or status_string(status)
        raise status_error(status, f"{what}: {detail}")


# ---- handle map ------------------------------------------------------------------------------


class HandleMap:
    """Integer keys for objects handed to native code as ``user_data``: lock-protected, keys
    are never reused, and a missing key is reported instead of crashing."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._next = itertools.count(1)
        self._items: Dict[int, Any] = {}

    def insert(self, obj: Any) -> int:
        with self._lock:
            key = next(self._next)
            self._items[key] = obj
            return key

    def get(self, key: Optional[int]) -> Any:
        with self._lock:
            return self._items.get(key) if key is not None else None

    def remove(self, key: Optional[int]) -> Any:
        with self._lock:
            return self._items.pop(key, None) if key is not None else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


HANDLES = HandleMap()

# OS thread ids currently inside a trampoline (a native library thread calling Python).
# Not threading.local: foreign threads get a fresh thread state on each call (docs/FFI.md C5).
_in_callback: Dict[int, int] = {}
_in_callback_lock = threading.Lock()


def _enter_callback() -> int:
    tid = threading.get_ident()
    with _in_callback_lock:
        _in_callback[tid] = _in_callback.get(tid, 0) + 1
    return tid


def _leave_callback(tid: int) -> None:
    with _in_callback_lock:
        n = _in_callback.get(tid, 1) - 1
        if n:
            _in_callback[tid] = n
        else:
            _in_callback.pop(tid, None)


def in_native_callback() -> bool:
    """True on a library thread inside one of our trampolines (e.g. the dispatcher)."""
    with _in_callback_lock:
        return threading.get_ident() in _in_callback


def off_native_thread(fn: Callable[[], None], name: str) -> None:
    """Run ``fn`` now, or on a short-lived helper thread when called from inside a native
    callback, where the library refuses (or must not wait for) some calls, such as freeing the
    context whose dispatcher thread we are on."""
    if in_native_callback():
        threading.Thread(target=fn, name=name, daemon=True).start()
    else:
        fn()


def report_callback_error(where: str) -> None:
    """Log the exception being handled: it must not unwind into native frames."""
    try:
        log.error("exception in %s", where, exc_info=True)
    except BaseException:  # noqa: BLE001 - never raise out of a trampoline
        pass


# ---- trampolines -----------------------------------------------------------------------------


def _on_event(user_data: Optional[int], buf: Optional[int], length: int) -> None:
    tid = _enter_callback()
    try:
        target = HANDLES.get(user_data)
        if target is not None:
            target._native_message(ctypes.string_at(buf, length) if buf and length else b"")
    except BaseException:  # noqa: BLE001
        report_callback_error("the event trampoline")
    finally:
        _leave_callback(tid)


def _on_free(user_data: Optional[int]) -> None:
    tid = _enter_callback()
    try:
        target = HANDLES.remove(user_data)
        if target is not None:
            target._native_finalized()
    except BaseException:  # noqa: BLE001
        report_callback_error("the finalizer trampoline")
    finally:
        _leave_callback(tid)


# Module-level CFUNCTYPE objects: alive as long as the process, never garbage-collected.
_event_trampoline = _ffi.tp_event_fn(_on_event)
_free_trampoline = _ffi.tp_free_fn(_on_free)
EVENT_TRAMPOLINE = _event_trampoline
FREE_TRAMPOLINE = _free_trampoline
# NULL function pointers (poll mode, no finalizer, cleared log callback).
NO_EVENT_FN = _ffi.tp_event_fn()
NO_FREE_FN = _ffi.tp_free_fn()
NO_LOG_FN = _ffi.tp_log_fn()


# ---- log callback ----------------------------------------------------------------------------

_log_lock = threading.Lock()
_log_key: Optional[int] = None


def _on_log(user_data: Optional[int], level: int, msg: Optional[int], length: int) -> None:
    tid = _enter_callback()
    try:
        fn = HANDLES.get(user_data)
        if fn is not None:
            text = ctypes.string_at(msg, length).decode("utf-8", "replace") if msg and length else ""
            fn(level, text)
    except BaseException:  # noqa: BLE001
        report_callback_error("the log callback")
    finally:
        _leave_callback(tid)


_log_trampoline = _ffi.tp_log_fn(_on_log)


def set_log_callback(fn: Optional[Callable[[int, str], None]], max_level: int) -> None:
    """Install, replace or clear (``fn=None``) the process-wide log callback."""
    global _log_key
    with _log_lock:
        new_key = HANDLES.insert(fn) if fn is not None else None
        if fn is None:
            status = lib.tp_log_set_callback(NO_LOG_FN, None, 0)
        else:
            status = lib.tp_log_set_callback(_log_trampoline, new_key, int(max_level))
        if status != _ffi.TP_OK:
            HANDLES.remove(new_key)
            check(status, "tp_log_set_callback")
        # The previous callback is no longer running and never runs again: drop its key.
        HANDLES.remove(_log_key)
        _log_key = new_key


# ---- live contexts, freed at exit ------------------------------------------------------------

_contexts_lock = threading.Lock()
_live_contexts: Dict[int, str] = {}


def register_context(handle: int) -> None:
    with _contexts_lock:
        _live_contexts[handle] = threading.current_thread().name


def unregister_context(handle: int) -> bool:
    """Forget a context; False if it was already forgotten (freed)."""
    with _contexts_lock:
        return _live_contexts.pop(handle, None) is not None


def live_context_count() -> int:
    with _contexts_lock:
        return len(_live_contexts)


@atexit.register
def _shutdown_at_exit() -> None:
    try:
        set_log_callback(None, 0)
    except BaseException:  # noqa: BLE001
        pass
    with _contexts_lock:
        handles = list(_live_contexts)
        _live_contexts.clear()
    for h in handles:
        lib.tp_context_free(h)
