#!/usr/bin/env python3
"""Generate ``teleplug/_ffi.py`` from the committed C header and message schema.

The ctypes declarations (``argtypes``/``restype`` of every exported function), the ``TP_*``
constants and the schema's enums all come from the files the library is built from:

- ``include/teleplug.h``: ``#define TP_*`` constants, callback typedefs, ``tp_buffer`` and the
  function prototypes;
- ``proto/teleplug.proto``: every ``enum`` (as ``IntEnum`` classes without their name prefix,
  with the proto3 JSON names they are written as); bit enums (``TransportBit``) also as an
  ``IntFlag`` (``Transport``, with ``ALL``).

Both are read through ``bindings/tools/abi_sources.py``, as the C# and C++ generator
(``bindings/tools/gen_enums.py``) reads them.

Usage::

    python3 bindings/python/tools/gen_ffi.py           # rewrite teleplug/_ffi.py
    python3 bindings/python/tools/gen_ffi.py --check   # exit 1 if it is stale

``tests/test_ffi_decl.py`` fails when the committed module differs from what this prints.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "teleplug"
_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in the tree
sys.path.insert(0, str(HERE.parent.parent / "tools"))
from abi_sources import (  # noqa: E402
    header_defines,
    proto_enums,
    read_sources,
    strip_comments,
    write_or_check,
)
sys.dont_write_bytecode = _bytecode

OUTPUT = PACKAGE / "_ffi.py"
# Bit enums of the schema as IntFlag classes: name, docstring, name of the "every bit" member.
BIT_FLAGS = {
    "TransportBit": ("Transport", "Hardware transports, for ``connect(disabled_transports=...)``.", "ALL"),
}

# C type (whitespace-normalised) -> ctypes expression. Pointers are never c_char_p for returned
# library memory (docs/FFI.md C6): const char * results are c_void_p, read with string_at.
ARG_TYPES = {
    "uint32_t": "ctypes.c_uint32",
    "int32_t": "ctypes.c_int32",
    "size_t": "ctypes.c_size_t",
    "void *": "ctypes.c_void_p",
    "const uint8_t *": "ctypes.c_char_p",
    "uint8_t *": "ctypes.c_char_p",
    "tp_context *": "ctypes.c_void_p",
    "tp_client *": "ctypes.c_void_p",
    "tp_context **": "ctypes.POINTER(ctypes.c_void_p)",
    "tp_client **": "ctypes.POINTER(ctypes.c_void_p)",
    "tp_buffer": "tp_buffer",
    "tp_buffer *": "ctypes.POINTER(tp_buffer)",
}
# Callback parameters: pointers stay raw addresses (c_char_p would be read as a NUL-terminated
# string and copied); the trampoline copies exactly `len` bytes with string_at.
CB_ARG_TYPES = {
    "void *": "ctypes.c_void_p",
    "const uint8_t *": "ctypes.c_void_p",
    "int32_t": "ctypes.c_int32",
    "size_t": "ctypes.c_size_t",
}
RES_TYPES = {
    "void": "None",
    "uint32_t": "ctypes.c_uint32",
    "int32_t": "ctypes.c_int32",
    "size_t": "ctypes.c_size_t",
    "const char *": "ctypes.c_void_p",
}
SCALARS = {"uint8_t": "ctypes.c_uint8", "int32_t": "ctypes.c_int32", "size_t": "ctypes.c_size_t"}


def norm(ctype: str) -> str:
    t = re.sub(r"\s+", " ", ctype.strip())
    t = re.sub(r"\s*\*", " *", t).replace("* *", "**")
    return t


def split_param(param: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)([A-Za-z_][A-Za-z0-9_]*)$", param.strip())
    if not m:
        raise SystemExit(f"cannot parse parameter {param!r}")
    return norm(m.group(1)), m.group(2)


def parse_header(text: str):
    code = strip_comments(text)
    defines = [(d.name, d.value) for d in header_defines(text)]
    callbacks = []
    for ret, name, params in re.findall(
        r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;", code
    ):
        callbacks.append((norm(ret), name, [split_param(p) for p in params.split(",")]))
    structs = []
    for body, name in re.findall(r"typedef\s+struct\s*\{([^}]*)\}\s*(\w+)\s*;", code):
        fields = [split_param(f) for f in body.split(";") if f.strip()]
        structs.append((name, fields))
    functions = []
    for ret, name, params in re.findall(
        r"^\s*([A-Za-z_][\w\s\*]*?)\s*\b(tp_\w+)\s*\(([^)]*)\)\s*;", code, flags=re.M
    ):
        if ret.startswith("typedef"):
            continue
        params = params.strip()
        plist = [] if params in ("", "void") else [split_param(p) for p in params.split(",")]
        functions.append((norm(ret), name, plist))
    return defines, callbacks, structs, functions


def ctypes_for(ctype: str, table: dict, callbacks: set, where: str) -> str:
    if ctype in callbacks:
        return ctype
    if ctype not in table:
        raise SystemExit(f"{where}: no ctypes mapping for C type {ctype!r}; extend gen_ffi.py")
    return table[ctype]


def generate(header_text: str, proto_text: str) -> str:
    defines, callbacks, structs, functions = parse_header(header_text)
    enums = proto_enums(proto_text)
    cb_names = {name for _, name, _ in callbacks}
    out = []
    w = out.append
    w('"""ctypes declarations of the Teleplug C ABI and the message schema\'s enums.')
    w("")
    w("GENERATED by bindings/python/tools/gen_ffi.py from include/teleplug.h and")
    w("proto/teleplug.proto. Do not edit: run the generator (a test fails when this is stale).")
    w('"""')
    w("")
    w("# fmt: off")
    w("import ctypes")
    w("import enum")
    w("from typing import Dict, List, Optional, Tuple")
    w("")
    w("# ---- #define TP_* -------------------------------------------------------------------")
    for name, value in defines:
        w(f"{name} = {value}")
    w("")
    w("# ---- types -----------------------------------------------------------------------------")
    for name, fields in structs:
        w("")
        w(f"class {name}(ctypes.Structure):")
        w("    _fields_ = [")
        for ctype, fname in fields:
            base = ctype[:-2].strip() if ctype.endswith("*") else ctype
            if ctype.endswith("*"):
                expr = f"ctypes.POINTER({SCALARS[base]})"
            else:
                expr = SCALARS[base]
            w(f'        ("{fname}", {expr}),')
        w("    ]")
    w("")
    for ret, name, params in callbacks:
        args = ", ".join(ctypes_for(t, CB_ARG_TYPES, set(), name) for t, _ in params)
        res = ctypes_for(ret, RES_TYPES, set(), name)
        w(f"{name} = ctypes.CFUNCTYPE({res}, {args})")
    w("")
    w("# ---- functions: name -> (restype, argtypes) ---------------------------------------------")
    w("FUNCTIONS: Dict[str, Tuple[Optional[type], List[type]]] = {")
    for ret, name, params in functions:
        res = ctypes_for(ret, RES_TYPES, cb_names, name)
        args = ", ".join(ctypes_for(t, ARG_TYPES, cb_names, name) for t, _ in params)
        w(f'    "{name}": ({res}, [{args}]),')
    w("}")
    w("")
    w("")
    w("def declare(lib: ctypes.CDLL) -> None:")
    w('    """Set argtypes and restype of every function of the header on ``lib``."""')
    w("    for name, (restype, argtypes) in FUNCTIONS.items():")
    w("        fn = getattr(lib, name)")
    w("        fn.restype = restype")
    w("        fn.argtypes = argtypes")
    w("")
    w("")
    w("# ---- enums of proto/teleplug.proto (JSON names are PREFIX + member name) ----------------")
    for e in enums:
        w("")
        w("")
        w(f"class {e.name}(enum.IntEnum):")
        w(f'    """``teleplug.v1.{e.name}`` (JSON: ``{e.prefix}<NAME>``)."""')
        w("")
        for m in e.members:
            w(f"    {m.short} = {m.value}")
    for e in enums:
        if not e.is_bits:
            continue
        name, doc, every = BIT_FLAGS[e.name]
        bits = [m.short for m in e.members if m.value != 0]
        w("")
        w("")
        w(f"class {name}(enum.IntFlag):")
        w(f'    """{doc} The bits of ``{e.name}``."""')
        w("")
        for m in e.members:
            w(f"    {m.short} = {m.value}")
        w(f"    {every} = {' | '.join(bits)}")
    w("")
    w("")
    w("ENUM_PREFIXES: Dict[type, str] = {")
    for e in enums:
        w(f'    {e.name}: "{e.prefix}",')
    w("}")
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if teleplug/_ffi.py is stale")
    args = ap.parse_args()
    text = generate(*read_sources())
    return write_or_check(OUTPUT, text, args.check, Path(__file__).name)


if __name__ == "__main__":
    sys.exit(main())
