#!/usr/bin/env python3
"""Writes the licences of the crates linked into the library for one target.

    third_party_licenses.py <rust-target-triple> <output file>

Reads `cargo metadata` (the lockfile's versions, the crate's default features), follows the
normal (not dev, not build) dependencies from teleplug for that target, and writes each crate's
name, version and licence expression followed by the licence files from its sources
(LICENSE*, LICENCE*, COPYING*, NOTICE*, UNLICENSE). Identical texts are written once, under the
list of crates that share them. A crate without any licence file is named as such (its
expression still applies) so a reader can tell.
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

PREFIXES = ("license", "licence", "copying", "notice", "unlicense")


def main() -> None:
    triple, out = sys.argv[1], Path(sys.argv[2])
    meta = json.loads(
        subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", triple]
        )
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    seen, todo = set(), [root]
    while todo:
        node = nodes[todo.pop()]
        for dep in node["deps"]:
            if any(k["kind"] is None for k in dep["dep_kinds"]) and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                todo.append(dep["pkg"])

    texts: dict = {}  # sha256 -> (text, [crate names])
    lines = [
        f"Third-party crates linked into Teleplug for {triple}: name version (licence).",
        "Their licence texts follow the list.",
        "",
    ]
    for pkg in sorted((packages[i] for i in seen), key=lambda p: (p["name"], p["version"])):
        label = f"{pkg['name']} {pkg['version']}"
        lines.append(f"{label} ({pkg.get('license') or 'see its licence file'})")
        root_dir = Path(pkg["manifest_path"]).parent
        files = sorted(
            f for f in root_dir.iterdir() if f.is_file() and f.name.lower().startswith(PREFIXES)
        )
        if not files:
            lines[-1] += " [no licence file in the crate's sources]"
        for f in files:
            text = f.read_text(encoding="utf-8", errors="replace").strip()
            key = hashlib.sha256(text.encode()).hexdigest()
            texts.setdefault(key, (text, []))[1].append(f"{label}: {f.name}")
    for text, owners in texts.values():
        lines += ["", "=" * 78, *owners, "-" * 78, text]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
