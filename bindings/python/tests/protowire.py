"""Test-only: a small protobuf wire codec driven by proto/teleplug.proto, mapping messages to and
from their canonical proto3 JSON form (the dicts Python's `json` reads and writes). Used to check
that the library's protobuf and JSON encodings agree as seen through Python's json module
(docs/FFI.md §3 round trips); the binding itself never uses protobuf."""

from __future__ import annotations

import base64
import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

SCALARS = {"uint32", "int32", "bool", "double", "string", "bytes"}


@dataclass
class Field:
    name: str
    type: str
    number: int
    repeated: bool = False
    optional: bool = False
    oneof: Optional[str] = None

    @property
    def json_name(self) -> str:
        head, *rest = self.name.split("_")
        return head + "".join(p[:1].upper() + p[1:] for p in rest)


@dataclass
class Schema:
    messages: Dict[str, List[Field]] = field(default_factory=dict)
    enums: Dict[str, Dict[int, str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "Schema":
        text = re.sub(r"//[^\n]*", "", text)
        schema = cls()
        for name, body in re.findall(r"\benum\s+(\w+)\s*\{([^}]*)\}", text):
            schema.enums[name] = {int(n): v for v, n in re.findall(r"(\w+)\s*=\s*(-?\d+)\s*;", body)}
        # Messages have no nested messages here; oneof blocks are the only nested braces.
        for m in re.finditer(r"\bmessage\s+(\w+)\s*\{", text):
            depth, i = 1, m.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            body = text[m.end() : i - 1]
            fields: List[Field] = []
            oneofs = {
                om.start(): (om.group(1), om.end(), body.index("}", om.end()))
                for om in re.finditer(r"\boneof\s+(\w+)\s*\{", body)
            }
            for fm in re.finditer(r"(optional\s+|repeated\s+)?(\w+)\s+(\w+)\s*=\s*(\d+)\s*;", body):
                group = next((n for _, (n, a, b) in oneofs.items() if a <= fm.start() < b), None)
                label = (fm.group(1) or "").strip()
                fields.append(
                    Field(fm.group(3), fm.group(2), int(fm.group(4)), label == "repeated", label == "optional", group)
                )
            schema.messages[m.group(1)] = fields
        return schema

    # ---- protobuf -> JSON dict ---------------------------------------------------------------

    def decode(self, msg: str, data: bytes) -> Dict[str, Any]:
        fields = {f.number: f for f in self.messages[msg]}
        out: Dict[str, Any] = {}
        pos = 0
        while pos < len(data):
            key, pos = _varint(data, pos)
            number, wire = key >> 3, key & 7
            f = fields.get(number)
            if wire == 0:
                raw, pos = _varint(data, pos)
                values = [raw]
            elif wire == 1:
                values = [struct.unpack_from("<d", data, pos)[0]]
                pos += 8
            elif wire == 2:
                n, pos = _varint(data, pos)
                chunk = data[pos : pos + n]
                pos += n
                if f is not None and f.repeated and f.type not in ("string", "bytes") and f.type not in self.messages:
                    values = _unpack(chunk, f.type)  # packed scalars
                else:
                    values = [chunk]
            else:
                raise ValueError(f"wire type {wire}")
            if f is None:
                continue
            for v in values:
                j = self._value_to_json(f, v)
                if f.repeated:
                    out.setdefault(f.json_name, []).append(j)
                else:
                    out[f.json_name] = j
        # proto3 JSON writers omit fields at their default, except oneof members and optionals.
        for f in self.messages[msg]:
            if f.json_name in out and not f.repeated and f.oneof is None and not f.optional:
                if out[f.json_name] in (0, 0.0, False, "", self._enum_default(f.type)):
                    if f.type not in self.messages:
                        del out[f.json_name]
        return out

    def _enum_default(self, t: str) -> Any:
        return self.enums[t].get(0, object()) if t in self.enums else object()

    def _value_to_json(self, f: Field, v: Any) -> Any:
        t = f.type
        if t in self.messages:
            return self.decode(t, v)
        if t in self.enums:
            return self.enums[t].get(v, v)
        if t == "int32":
            return v - (1 << 64) if v >= 1 << 63 else v
        if t == "bool":
            return bool(v)
        if t == "string":
            return v.decode("utf-8")
        if t == "bytes":
            return base64.b64encode(v).decode("ascii")
        if t == "double":
            if math.isnan(v):
                return "NaN"
            if math.isinf(v):
                return "Infinity" if v > 0 else "-Infinity"
            return int(v) if v == int(v) and abs(v) < 2**53 else v
        return v

    # ---- JSON dict -> protobuf ---------------------------------------------------------------

    def encode(self, msg: str, obj: Dict[str, Any], *, oneofs_last: bool = True) -> bytes:
        """Encode like prost: plain fields in declaration order, then oneof fields."""
        fields = self.messages[msg]
        order = [f for f in fields if f.oneof is None] + [f for f in fields if f.oneof is not None]
        if not oneofs_last:
            order = fields
        out = bytearray()
        for f in order:
            if f.json_name not in obj:
                continue
            value = obj[f.json_name]
            if f.repeated:
                if f.type in self.messages or f.type in ("string", "bytes"):
                    for v in value:
                        out += self._field(f, v)
                else:
                    packed = b"".join(self._scalar(f.type, v) for v in value)
                    if packed:
                        out += _varint_bytes(f.number << 3 | 2) + _varint_bytes(len(packed)) + packed
                continue
            out += self._field(f, value)
        return bytes(out)

    def _field(self, f: Field, v: Any) -> bytes:
        t = f.type
        if t in self.messages:
            body = self.encode(t, v)
            return _varint_bytes(f.number << 3 | 2) + _varint_bytes(len(body)) + body
        if t in ("string", "bytes"):
            raw = v.encode("utf-8") if t == "string" else base64.b64decode(v)
            return _varint_bytes(f.number << 3 | 2) + _varint_bytes(len(raw)) + raw
        wire = 1 if t == "double" else 0
        return _varint_bytes(f.number << 3 | wire) + self._scalar(t, v)

    def _scalar(self, t: str, v: Any) -> bytes:
        if t == "double":
            special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
            return struct.pack("<d", special[v] if isinstance(v, str) else float(v))
        if t in self.enums:
            if isinstance(v, str):
                v = next(n for n, name in self.enums[t].items() if name == v)
        if t == "bool":
            v = int(bool(v))
        v = int(v)
        return _varint_bytes(v & ((1 << 64) - 1) if v < 0 else v)


def _varint(data: bytes, pos: int) -> Tuple[int, int]:
    shift = result = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _varint_bytes(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _unpack(chunk: bytes, t: str) -> List[Any]:
    values, pos = [], 0
    while pos < len(chunk):
        if t == "double":
            values.append(struct.unpack_from("<d", chunk, pos)[0])
            pos += 8
        else:
            v, pos = _varint(chunk, pos)
            values.append(v)
    return values
