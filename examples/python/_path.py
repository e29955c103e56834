"""Lets the examples run from a source checkout without installing the package: when
``teleplug`` is not importable, use ``bindings/python`` of this repository (the library is then
found in ``target/`` after ``cargo build``, or through ``TELEPLUG_LIB``)."""

import sys
from pathlib import Path

try:
    import teleplug  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
