#!/usr/bin/env python3
"""Writes Unity's .meta files for every file and folder of an unpacked UPM package.

    unity_meta.py <package folder>

Unity ignores assets without a .meta in an immutable (tarball) package, so each one gets a
meta with a GUID derived from the package name and the asset's path: the same asset keeps its
GUID from one version to the next (scenes and prefabs refer to assets by GUID). Folders ending
in "~" (Documentation~, Samples~) are not imported and get none.

Native plugins get import settings that select their platform and CPU:
Plugins/x86_64/libteleplug.so for the Linux editor and Linux x64 players, and
Plugins/x86_64/teleplug.dll for the Windows editor and Windows x64 players.
"""

import hashlib
import json
import sys
from pathlib import Path

TAIL = "  userData: \n  assetBundleName: \n  assetBundleVariant: \n"

IMPORTERS = {
    ".cs": "MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
    "  executionOrder: 0\n  icon: {instanceID: 0}\n",
    ".asmdef": "AssemblyDefinitionImporter:\n  externalObjects: {}\n",
    ".json": "TextScriptImporter:\n  externalObjects: {}\n",
    ".md": "TextScriptImporter:\n  externalObjects: {}\n",
    ".txt": "TextScriptImporter:\n  externalObjects: {}\n",
    ".xml": "TextScriptImporter:\n  externalObjects: {}\n",
}

# (editor OS, standalone platform enabled) per plugin; every other platform is excluded.
PLUGINS = {
    "libteleplug.so": ("Linux", "Linux64"),
    "teleplug.dll": ("Windows", "Win64"),
}
STANDALONES = ["Linux64", "OSXUniversal", "Win", "Win64"]


def plugin_importer(editor_os: str, player: str) -> str:
    excluded = "".join(
        f"        Exclude {p}: {0 if p in ('Editor', player) else 1}\n"
        for p in ["Editor"] + STANDALONES
    )
    out = (
        "PluginImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  iconMap: {}\n"
        "  executionOrder: {}\n  defineConstraints: []\n  isPreloaded: 0\n  isOverridable: 0\n"
        "  isExplicitlyReferenced: 0\n  validateReferences: 1\n  platformData:\n"
        "  - first:\n      : Any\n    second:\n      enabled: 0\n      settings:\n" + excluded
    )
    out += (
        "  - first:\n      Any: \n    second:\n      enabled: 0\n      settings: {}\n"
        "  - first:\n      Editor: Editor\n    second:\n      enabled: 1\n      settings:\n"
        f"        CPU: x86_64\n        DefaultValueInitialized: true\n        OS: {editor_os}\n"
    )
    for p in STANDALONES:
        on = p == player
        out += (
            f"  - first:\n      Standalone: {p}\n    second:\n      enabled: {int(on)}\n"
            f"      settings:\n        CPU: {'x86_64' if on else 'None'}\n"
        )
    return out


def meta(package: str, rel: str, path: Path) -> str:
    guid = hashlib.md5(f"{package}/{rel}".encode()).hexdigest()
    head = f"fileFormatVersion: 2\nguid: {guid}\n"
    if path.is_dir():
        return head + "folderAsset: yes\nDefaultImporter:\n  externalObjects: {}\n" + TAIL
    if rel == "package.json":
        return head + "PackageManifestImporter:\n  externalObjects: {}\n" + TAIL
    if path.name in PLUGINS:
        return head + plugin_importer(*PLUGINS[path.name]) + TAIL
    body = IMPORTERS.get(path.suffix, "DefaultImporter:\n  externalObjects: {}\n")
    return head + body + TAIL


def main() -> None:
    root = Path(sys.argv[1])
    package = json.loads((root / "package.json").read_text(encoding="utf-8"))["name"]
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".meta" or any(part.endswith("~") for part in Path(rel).parts):
            continue
        path.with_name(path.name + ".meta").write_text(meta(package, rel, path), encoding="utf-8")


if __name__ == "__main__":
    main()
