"""Builds the Rust library into the package (``pip install ./bindings/python``).

By default setuptools-rust runs ``cargo`` on the repository's Cargo.toml (release profile)
and puts the cdylib next to ``teleplug/__init__.py``. With ``TELEPLUG_LIB`` set to an
already-built library (e.g. ``target/debug/libteleplug.so`` after ``cargo build``), that file
is bundled instead and cargo does not run.
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
MANIFEST = HERE.parent.parent / "Cargo.toml"
PREBUILT = os.environ.get("TELEPLUG_LIB")


class BinaryDistribution(Distribution):
    """The wheel carries a native library: platform-specific, never "pure"."""

    def has_ext_modules(self):
        return True


class build_py_with_prebuilt(build_py):
    def run(self):
        super().run()
        src = Path(PREBUILT)
        if not src.is_file():
            raise SystemExit(f"TELEPLUG_LIB={PREBUILT} is not a file")
        dest = Path(self.build_lib) / "teleplug" / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


if PREBUILT:
    setup(distclass=BinaryDistribution, cmdclass={"build_py": build_py_with_prebuilt})
else:
    if not MANIFEST.is_file():
        raise SystemExit(
            f"{MANIFEST} not found: build from the Teleplug source tree "
            "(pip install ./bindings/python), or set TELEPLUG_LIB to a built libteleplug"
        )
    from setuptools_rust import Binding, RustExtension

    setup(
        distclass=BinaryDistribution,
        rust_extensions=[
            RustExtension(
                "teleplug.libteleplug",
                path=str(MANIFEST),
                binding=Binding.NoBinding,
                py_limited_api=False,
            )
        ],
        zip_safe=False,
    )
