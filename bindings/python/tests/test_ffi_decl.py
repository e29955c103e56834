"""The ctypes layer: generated from the committed header (and fresh), every export declared,
ABI version checked at import, library found the documented ways."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import teleplug
from teleplug import _ffi, _native

from conftest import PACKAGE_ROOT, REPO

HEADER = REPO / "include" / "teleplug.h"
PROTO = REPO / "proto" / "teleplug.proto"


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_ffi", PACKAGE_ROOT / "tools" / "gen_ffi.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_module_is_fresh():
    gen = load_generator()
    expected = gen.generate(HEADER.read_text(encoding="utf-8"), PROTO.read_text(encoding="utf-8"))
    committed = (PACKAGE_ROOT / "teleplug" / "_ffi.py").read_text(encoding="utf-8")
    assert committed == expected, "teleplug/_ffi.py is stale: run tools/gen_ffi.py"
    # The module the tests import is the same text (an installed copy must not be stale either).
    assert Path(_ffi.__file__).read_text(encoding="utf-8") == expected


def test_every_header_function_is_declared_with_argtypes_and_restype():
    header_functions = set(re.findall(r"\b(tp_[a-z_]+)\s*\(", HEADER.read_text(encoding="utf-8")))
    header_functions -= {"tp_event_fn", "tp_free_fn", "tp_log_fn"}
    assert set(_ffi.FUNCTIONS) == header_functions
    for name, (restype, argtypes) in _ffi.FUNCTIONS.items():
        fn = getattr(_native.lib, name)
        assert fn.restype is restype, name
        assert fn.argtypes == argtypes, name
        # No function returns c_char_p (docs/FFI.md C6): static strings are read with string_at.
        assert fn.restype is not ctypes.c_char_p
    # Pointers are never plain ints.
    assert _ffi.FUNCTIONS["tp_context_new"][1][1] == ctypes.POINTER(ctypes.c_void_p)


@pytest.mark.skipif(shutil.which("nm") is None, reason="nm not installed")
def test_every_exported_symbol_is_in_the_header():
    out = subprocess.run(
        ["nm", "-D", "--defined-only", _native.LIBRARY_PATH], capture_output=True, text=True, check=True
    ).stdout
    exported = {line.split()[-1] for line in out.splitlines() if re.search(r" T tp_", line)}
    assert exported == set(_ffi.FUNCTIONS)


def test_abi_and_versions():
    assert teleplug.ABI_VERSION == _ffi.TP_ABI_VERSION
    assert teleplug.library_version() == _ffi.TP_VERSION_STRING
    assert _native.status_string(_ffi.TP_ERR_DECODE)
    assert _native.status_string(123456)  # unknown codes get a static text too


def test_enums_match_the_schema():
    proto = PROTO.read_text(encoding="utf-8")
    for cls, prefix in _ffi.ENUM_PREFIXES.items():
        for member in cls:
            assert re.search(rf"\b{prefix}{member.name}\s*=\s*{member.value}\s*;", proto), (cls, member)


def test_the_last_error_is_copied_per_thread():
    with pytest.raises(teleplug.InvalidArgumentError) as e:
        _native.check(_native.lib.tp_context_new(0, None), "tp_context_new")
    assert e.value.code == teleplug.Status.ERR_NULL_ARG
    assert "out" in e.value.message or "NULL" in e.value.message or e.value.message


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "TELEPLUG_LIB"}
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=60)


def test_an_abi_mismatch_refuses_to_import():
    code = (
        "import importlib, teleplug, teleplug._ffi as f, teleplug._native as n\n"
        "f.TP_ABI_VERSION = f.TP_ABI_VERSION + 1\n"
        "try:\n"
        "    importlib.reload(n)\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    p = _python(code, TELEPLUG_LIB=_native.LIBRARY_PATH)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("AbiMismatchError") and "ABI version" in p.stdout, p.stdout
    # Which file, which versions: the library's and the one the package needs.
    assert _native.LIBRARY_PATH in p.stdout, p.stdout
    assert f"ABI version {_ffi.TP_ABI_VERSION}," in p.stdout, p.stdout
    assert f"ABI version {_ffi.TP_ABI_VERSION + 1})" in p.stdout, p.stdout


def test_a_missing_library_is_a_clear_import_error(tmp_path):
    p = _python("import teleplug", TELEPLUG_LIB=str(tmp_path / "libnope.so"))
    assert p.returncode != 0
    assert "LibraryNotFoundError" in p.stderr and "TELEPLUG_LIB" in p.stderr
    assert str(tmp_path / "libnope.so") in p.stderr
    assert f"libteleplug {_ffi.TP_VERSION_STRING} (ABI version {_ffi.TP_ABI_VERSION})" in p.stderr


def test_a_library_that_does_not_load_is_an_import_error_naming_it(tmp_path):
    broken = tmp_path / "libteleplug.so"
    broken.write_bytes(b"not a shared library")
    p = _python("import teleplug", TELEPLUG_LIB=str(broken))
    assert p.returncode != 0
    assert "LibraryNotFoundError" in p.stderr and f"{broken} could not be loaded" in p.stderr
    assert f"ABI version {_ffi.TP_ABI_VERSION}" in p.stderr


def test_a_source_checkout_finds_the_cargo_build():
    """Without TELEPLUG_LIB, the package in bindings/python loads target/<profile>/ of the repo."""
    built = [REPO / "target" / p / "libteleplug.so" for p in ("debug", "release")]
    if not any(b.is_file() for b in built):
        pytest.skip("no cargo build in this checkout")
    p = _python(
        "import teleplug; print(teleplug.__file__); print(teleplug.LIBRARY_PATH)",
        PYTHONPATH=str(PACKAGE_ROOT),
    )
    assert p.returncode == 0, p.stderr
    module, lib = p.stdout.split()
    assert Path(module).resolve().is_relative_to(PACKAGE_ROOT.resolve())
    assert Path(lib).resolve() in [b.resolve() for b in built]


@pytest.mark.skipif(os.environ.get("TELEPLUG_EXPECT_INSTALLED") != "1", reason="not an installed run")
def test_the_installed_package_carries_its_library():
    """pip install ./bindings/python bundles the library next to the package."""
    here = Path(teleplug.__file__).resolve().parent
    assert not here.is_relative_to(PACKAGE_ROOT.resolve()), "tests must import the installed package"
    assert Path(_native.LIBRARY_PATH).resolve().parent == here
    assert (here / "py.typed").is_file()


def test_type_hints_pass_mypy_strict(tmp_path):
    """The package ships py.typed: its hints must hold (mypy --strict)."""
    pytest.importorskip("mypy")
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path),
         "-p", "teleplug"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(Path(teleplug.__file__).resolve().parent.parent)),
        timeout=300,
    )
    assert p.returncode == 0, p.stdout + p.stderr
