"""What the bindings' generators read: the enums of ``proto/teleplug.proto`` and the ``#define
TP_*`` constants of ``include/teleplug.h``, each with its comment.

Used by ``bindings/python/tools/gen_ffi.py`` (the Python ctypes module) and
``bindings/tools/gen_enums.py`` (the C# and C++ enum tables), so every binding reads the
schema and the header the same way.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

REPO = Path(__file__).resolve().parents[2]
HEADER = REPO / "include" / "teleplug.h"
PROTO = REPO / "proto" / "teleplug.proto"


@dataclass(frozen=True)
class Member:
    """One enum value: its proto name (``OUTPUT_TYPE_VIBRATE``, also its proto3 JSON name), the
    name without the enum's prefix (``VIBRATE``), its number and its comment."""

    name: str
    short: str
    value: int
    doc: str


@dataclass(frozen=True)
class Enum:
    """A proto enum: its name, the prefix of its values (``OUTPUT_TYPE_``), its comment and
    values. Enums named ``…Bit`` are bit masks (``TransportBit``)."""

    name: str
    prefix: str
    doc: str
    members: Tuple[Member, ...]

    @property
    def is_bits(self) -> bool:
        return self.name.endswith("Bit")

    def member(self, short: str) -> Member:
        return next(m for m in self.members if m.short == short)


@dataclass(frozen=True)
class Define:
    """A ``#define TP_*`` of the header: name, value as written, comment."""

    name: str
    value: str
    doc: str


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def prefix_of(enum_name: str) -> str:
    """``OutputType`` -> ``OUTPUT_TYPE_`` (the proto style guide's value prefix)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper() + "_"


def pascal(upper_snake: str) -> str:
    """``HW_POSITION_WITH_DURATION`` -> ``HwPositionWithDuration``."""
    return "".join(w[:1] + w[1:].lower() for w in upper_snake.split("_"))


def proto_enums(text: str) -> List[Enum]:
    """Every ``enum`` of the schema, in order, with the ``//`` comments just above it and above
    each value."""
    enums: List[Enum] = []
    comment: List[str] = []
    current = None  # (name, doc, members) while inside an enum
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            comment.append(stripped[2:].strip())
            continue
        start = re.match(r"enum\s+(\w+)\s*\{", stripped)
        if start:
            current = (start.group(1), " ".join(comment), [])
        elif current is not None:
            value = re.match(r"(\w+)\s*=\s*(-?\d+)\s*;", stripped)
            if value:
                name, prefix = value.group(1), prefix_of(current[0])
                if not name.startswith(prefix):
                    raise SystemExit(f"enum {current[0]}: value {name} lacks the prefix {prefix}")
                current[2].append(
                    Member(name, name[len(prefix):], int(value.group(2)), " ".join(comment))
                )
            elif stripped.startswith("}"):
                name, doc, members = current
                enums.append(Enum(name, prefix_of(name), doc, tuple(members)))
                current = None
        comment = []
    return enums


def header_defines(text: str) -> List[Define]:
    """Every ``#define TP_*`` of the header, in order, with the ``/* */`` comment just above."""
    defines: List[Define] = []
    for m in re.finditer(
        r"(?:/\*((?:(?!\*/).)*)\*/\s*)?^#define[ \t]+(TP_[A-Z0-9_]+)[ \t]+(\S[^\n]*?)[ \t]*$",
        text,
        flags=re.M | re.S,
    ):
        doc = " ".join((m.group(1) or "").split())
        defines.append(Define(m.group(2), m.group(3), doc))
    return defines


def read_sources() -> Tuple[str, str]:
    """The header's and the schema's text."""
    return HEADER.read_text(encoding="utf-8"), PROTO.read_text(encoding="utf-8")


def write_or_check(output: Path, text: str, check: bool, generator: str) -> int:
    """Write ``output`` if it differs from ``text``; with ``check``, only report (exit code 1)
    when it is stale."""
    current = output.read_text(encoding="utf-8") if output.exists() else ""
    if check:
        if current != text:
            print(f"{output} is stale: run {generator}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}")
    return 0
