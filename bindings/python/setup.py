"""Builds the Rust library into the package.

- ``pip install ./bindings/python`` (source checkout): setuptools-rust runs ``cargo`` on the
  repository's Cargo.toml (release profile, debug info stripped) and puts the cdylib next to
  ``teleplug/__init__.py``.
- The sdist (``python -m build --sdist bindings/python``, or ``scripts/package.sh``) carries the
  crate's sources under ``rust/``, so it builds anywhere cargo is installed.
- With ``TELEPLUG_LIB`` set to an already-built library (``libteleplug.so`` or ``teleplug.dll``),
  that file is bundled instead and cargo does not run (``scripts/package.sh`` builds the wheels
  this way, from its stripped release library).

The version is the crate's (Cargo.toml): there is no second copy. Wheels are tagged
``py3-none-<platform>``: the package is pure Python over a C library, so any CPython 3 can use
it on the platform the library was built for.
"""

import os
import re
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.dist import Distribution

try:  # setuptools >= 70.1 ships bdist_wheel; older ones use wheel's.
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# Inside an sdist the crate is under rust/; in the source checkout it is the repository.
CRATE = HERE / "rust" if (HERE / "rust" / "Cargo.toml").is_file() else REPO
MANIFEST = CRATE / "Cargo.toml"
PREBUILT = os.environ.get("TELEPLUG_LIB")

# What cargo needs to build the library (copied into the sdist's rust/ folder). The licences
# go with the sources: the device database is Nonpolynomial's (BSD-3-Clause).
RUST_SOURCES = [
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "cbindgen.toml",
    "LICENSE",
    "src",
    "proto",
    "benches",  # Cargo.toml declares the `perf` bench: the manifest does not parse without it
    "data/device-config",
]


def crate_version() -> str:
    """The `version` of Cargo.toml's [package] table."""
    if not MANIFEST.is_file():
        raise SystemExit(
            f"{MANIFEST} not found: build from the Teleplug source tree "
            "(pip install ./bindings/python) or from its sdist"
        )
    text = MANIFEST.read_text(encoding="utf-8")
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not found:
        raise SystemExit(f"{MANIFEST} has no [package] version")
    return found.group(1)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: platform-specific, never "pure"."""

    def has_ext_modules(self):
        return True


class bdist_wheel_py3_none(bdist_wheel):
    """Tag wheels py3-none-<platform>: no Python extension module, only a C library."""

    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


class build_py_with_prebuilt(build_py):
    def run(self):
        super().run()
        src = Path(PREBUILT)
        if not src.is_file():
            raise SystemExit(f"TELEPLUG_LIB={PREBUILT} is not a file")
        dest = Path(self.build_lib) / "teleplug" / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        # The licences of the crates compiled into it, when the packager put them beside it.
        notices = src.parent / "THIRD-PARTY-LICENSES.txt"
        if notices.is_file():
            shutil.copyfile(notices, dest.parent / notices.name)


class sdist_with_crate(sdist):
    """Puts the crate's sources under rust/ in the sdist (from the checkout or from the sdist
    being rebuilt)."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        dest = Path(base_dir) / "rust"
        if dest.exists():  # already listed by MANIFEST.in (rebuilding from an sdist)
            return
        for rel in RUST_SOURCES:
            src = CRATE / rel
            if src.is_dir():
                shutil.copytree(src, dest / rel, ignore=shutil.ignore_patterns("target"))
            elif src.is_file():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest / rel)
            else:
                raise SystemExit(f"{src} is missing: it must go into the sdist")


cmdclass = {"bdist_wheel": bdist_wheel_py3_none, "sdist": sdist_with_crate}
# Teleplug's licence and the device database's, into the wheel's .dist-info (from the sdist's
# rust/ folder; a build in the checkout has them at the repository root, outside the project).
LICENSES = [p for p in ("rust/LICENSE", "rust/data/device-config/LICENSE") if (HERE / p).is_file()]

if PREBUILT:
    cmdclass["build_py"] = build_py_with_prebuilt
    setup(
        version=crate_version(),
        distclass=BinaryDistribution,
        cmdclass=cmdclass,
        license_files=LICENSES,
    )
else:
    from setuptools_rust import Binding, RustExtension, Strip

    setup(
        version=crate_version(),
        distclass=BinaryDistribution,
        cmdclass=cmdclass,
        license_files=LICENSES,
        rust_extensions=[
            RustExtension(
                "teleplug.libteleplug",
                path=str(MANIFEST),
                binding=Binding.NoBinding,
                py_limited_api=False,
                strip=Strip.Debug,
            )
        ],
        zip_safe=False,
    )
