#!/usr/bin/env bash
# The packages stage of scripts/test-all.sh: builds dist/ (scripts/package.sh), then installs
# every artifact in a temporary folder outside the repository and uses it as its user would:
#
#   - glibc floor: the Linux library and CLI need no glibc symbol newer than 2.17, and the
#     wheel's manylinux tag is the one `auditwheel show` computes (manylinux_2_17);
#   - wheel: a fresh venv, `pip install` with no cargo on PATH, the Python example runs on the
#     library inside the wheel; a missing library or one of another ABI is an ImportError naming
#     the file and the versions; pip refuses the Windows wheel on Linux (tag error);
#   - sdist: `pip install teleplug-<v>.tar.gz` in another venv builds the library with cargo
#     from the sources inside the sdist, in cargo's dev profile: its dependencies come from the
#     shared target directory's debug build (test-all.sh's `cargo build`), so only teleplug
#     itself compiles (dist/'s Linux release build is zig's, for another target directory);
#   - C/C++ SDK: the examples' CMake project finds it with find_package(teleplug CONFIG) and
#     builds the C (shared and static) and C++ examples, the Makefile builds the C example with
#     pkg-config; they run without LD_LIBRARY_PATH; the binaries are stripped and point at
#     their debug files;
#   - Unity: unpacked into a fake Packages/ folder, every asset has its .meta, the plugins'
#     import settings select their platform, Runtime/ (and the sample) compile with mcs against
#     the stub UnityEngine assemblies of the C# tests;
#   - NuGet: lib/netstandard2.0/Teleplug.dll runs the C# example under mono with the native
#     library from runtimes/linux-x64/native/;
#   - Windows (when dist/ has them): the C example built with MinGW against the Windows SDK zip
#     (import library and static library) runs under wine (the prefix scripts/test-windows.sh
#     prepared); the win_amd64 wheel, the nupkg's runtimes/win-x64 and the Unity plugin carry
#     the SDK's teleplug.dll;
#   - one version: Cargo.toml's, in the wheel, package.json, the nuspec, the CMake version file,
#     teleplug.pc, Teleplug.dll (nupkg and Unity), the C# project's <Version> (read from
#     Cargo.toml) and tp_version_string (what every example prints first).
#
# Environment: TELEPLUG_PACKAGES_BUILT=1 tests the dist/ already there (no scripts/package.sh);
# TELEPLUG_PACKAGES_SKIP_SDIST=1 skips the sdist's build (it compiles the library: minutes);
# TELEPLUG_DIST, CARGO_TARGET_DIR, NEWTONSOFT_JSON_DLL as for scripts/package.sh.
# Arguments are passed to scripts/package.sh (e.g. --no-windows).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
step() { printf '\n==> packages (%ss): %s\n' "$SECONDS" "$*"; }
fail() { echo "packages: $*" >&2; exit 1; }

if [ "${TELEPLUG_PACKAGES_BUILT:-0}" != 1 ]; then
    bash scripts/package.sh "$@"
fi
target="${CARGO_TARGET_DIR:-$root/target}"
dist="${TELEPLUG_DIST:-$root/dist}"
newtonsoft="${NEWTONSOFT_JSON_DLL:-/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll}"
version="$(cargo metadata --no-deps --format-version 1 --offline \
    | python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "teleplug"))')"
echo "Cargo.toml version: $version"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/teleplug-packages.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
case "$tmp" in "$root"/*) fail "the temporary folder $tmp is inside the repository" ;; esac

# expect_output <file> <what> <line>...: each line must appear exactly in the file.
expect_output() {
    local file="$1" what="$2"
    shift 2
    for want in "$@"; do
        grep -qxF "$want" "$file" || { cat "$file" >&2; fail "$what: no line '$want'"; }
    done
}
toy_lines=("teleplug $version" "toy received: Vibrate:10;" "toy received: Vibrate:0;")

only() {  # only <glob>: the single file matching it
    local matches=()
    for f in $1; do [ -e "$f" ] && matches+=("$f"); done
    [ "${#matches[@]}" = 1 ] || fail "expected one file matching $1, found: ${matches[*]:-none}"
    echo "${matches[0]}"
}

# (Pipelines into `grep -q` would fail under pipefail when grep stops reading early: the
# listings are read whole with <<<"$(...)" instead.)

# ---- one version: the C# project reads Cargo.toml's ------------------------------------------
# (dotnet cannot run here: the csproj's pattern is applied to Cargo.toml as MSBuild would, and
# the sources must carry no version of their own. The built artefacts are checked below.)
step "the C# sources carry no version; the csproj's pattern finds $version in Cargo.toml"
csproj=bindings/csharp/src/Teleplug/Teleplug.csproj
python3 - "$csproj" Cargo.toml "$version" <<'PY' || fail "$csproj does not derive its <Version> from Cargo.toml"
import html, re, sys
csproj, cargo, version = sys.argv[1:]
m = re.search(r"<Version>\$\(\[System\.Text\.RegularExpressions\.Regex\]::Match\("
              r"\$\(\[System\.IO\.File\]::ReadAllText\('\$\(MSBuildThisFileDirectory\)([^']+)'\)\), "
              r"'([^']+)'\)\.Value\)</Version>", open(csproj).read())
assert m, "no <Version> read from a file with Regex.Match"
assert m.group(1) == "../../../../Cargo.toml", m.group(1)
found = re.search(html.unescape(m.group(2)), open(cargo).read())
assert found and found.group(0) == version, (found and found.group(0), version)
PY
if grep -n 'Version("\|<Version>[0-9]' bindings/csharp/src/Teleplug/*.cs "$csproj"; then
    fail "a version is written by hand in the C# sources (it comes from Cargo.toml)"
fi

# ---- glibc floor -----------------------------------------------------------------------------
# scripts/package.sh links the Linux builds against glibc 2.17's symbols (cargo zigbuild): no
# binary may need a newer symbol version, and the wheel's tag is the one auditwheel computes.
glibc_floor=2.17
step "Linux binaries need glibc <= $glibc_floor; the wheel's tag is auditwheel's"
# max_glibc <elf>: the newest GLIBC_x.y version the file needs.
max_glibc() {
    readelf -V --wide "$1" | grep -o 'Name: GLIBC_[0-9.]*' | sed 's/Name: GLIBC_//' | sort -V | tail -1
}
mkdir -p "$tmp/floor" && tar -C "$tmp/floor" -xzf "$dist/teleplug-$version-linux-x86_64.tar.gz"
for f in lib/libteleplug.so bin/teleplug; do
    need="$(max_glibc "$tmp/floor/teleplug-$version-linux-x86_64/$f")"
    [ -n "$need" ] || fail "$f needs no GLIBC_ symbol version (not a glibc build?)"
    [ "$(printf '%s\n%s\n' "$need" "$glibc_floor" | sort -V | tail -1)" = "$glibc_floor" ] \
        || fail "$f needs GLIBC_$need, newer than the floor $glibc_floor"
    echo "  $f: GLIBC_$need"
done
wheel="$(only "$dist/teleplug-$version-py3-none-manylinux*_x86_64.whl")"
shown="$("$target/package-venv/bin/auditwheel" show "$wheel" 2>&1 | tr '\n' ' ')" \
    || fail "auditwheel show failed: $shown"
computed="$(sed -n 's/.*consistent with the following platform tag: "\([^"]*\)".*/\1/p' <<<"$shown")"
[ -n "$computed" ] || fail "auditwheel show gave no platform tag: $shown"
# The file name's platform tags (the compressed set: the tag and its legacy alias, manylinux2014).
tags="$(basename "$wheel" .whl)" && tags="${tags#teleplug-"$version"-py3-none-}"
grep -qxF "$computed" <<<"${tags//./$'\n'}" || fail "the wheel is tagged $tags, auditwheel computes $computed"
[ "$computed" = "manylinux_${glibc_floor/./_}_x86_64" ] || fail "auditwheel computes $computed, not the floor $glibc_floor"
echo "  $(basename "$wheel"): auditwheel computes $computed"

# ---- Python wheel -------------------------------------------------------------------------
step "wheel $(basename "$wheel"): fresh venv, no cargo on PATH"
python3 -m venv "$tmp/wheel-venv"
nocargo_path="$tmp/wheel-venv/bin:/usr/local/bin:/usr/bin:/bin"
if PATH="$nocargo_path" command -v cargo >/dev/null 2>&1; then
    nocargo_path="$tmp/wheel-venv/bin:/usr/bin:/bin"
fi
PATH="$nocargo_path" command -v cargo >/dev/null 2>&1 && fail "cargo is still on PATH for the wheel install"
vpy="$tmp/wheel-venv/bin/python"
(cd "$tmp" && env -u TELEPLUG_LIB -u CARGO_TARGET_DIR PATH="$nocargo_path" \
    "$vpy" -m pip install -q --no-index --disable-pip-version-check "$wheel")
mkdir -p "$tmp/py" && cp examples/python/embedded.py examples/python/_path.py "$tmp/py/"
(cd "$tmp/py" && env -u TELEPLUG_LIB -u CARGO_TARGET_DIR PATH="$nocargo_path" "$vpy" embedded.py) \
    >"$tmp/py/out.txt" || { cat "$tmp/py/out.txt" >&2; fail "the Python example failed on the wheel"; }
expect_output "$tmp/py/out.txt" "Python example (wheel)" "${toy_lines[@]}"
installed="$(cd "$tmp" && env -u TELEPLUG_LIB "$vpy" -c \
    'import teleplug; print(teleplug.LIBRARY_PATH); print(teleplug.__version__)')"
case "$(sed -n 1p <<<"$installed")" in
    "$tmp/wheel-venv/"*/teleplug/libteleplug.so) ;;
    *) fail "the wheel's package loads $(sed -n 1p <<<"$installed"), not its own library" ;;
esac
[ "$(sed -n 2p <<<"$installed")" = "$version" ] || fail "teleplug.__version__ is not $version"
[ "$("$vpy" -c 'import importlib.metadata as m; print(m.version("teleplug"))')" = "$version" ] \
    || fail "the wheel's metadata version is not $version"

step "wheel: a library of another ABI, or none, is an ImportError naming the file and versions"
pkgdir="$(dirname "$(sed -n 1p <<<"$installed")")"
sed -i 's/^TP_ABI_VERSION = \([0-9]*\)$/TP_ABI_VERSION = 999/' "$pkgdir/_ffi.py"
out="$(cd "$tmp" && env -u TELEPLUG_LIB "$vpy" -c 'import teleplug' 2>&1)" && fail "import succeeded with ABI 999"
grep -q "AbiMismatchError: $pkgdir/libteleplug.so is libteleplug $version with ABI version [0-9]*, but this teleplug package needs libteleplug $version (ABI version 999)" <<<"$out" \
    || { echo "$out" >&2; fail "the ABI mismatch error does not name the file and versions"; }
rm "$pkgdir/libteleplug.so"
out="$(cd "$tmp" && env -u TELEPLUG_LIB "$vpy" -c 'import teleplug' 2>&1)" && fail "import succeeded without the library"
grep -q "LibraryNotFoundError: libteleplug $version (ABI version 999) was not found" <<<"$out" \
    || { echo "$out" >&2; fail "the missing-library error does not say which library"; }

win_wheel="$dist/teleplug-$version-py3-none-win_amd64.whl"
if [ -f "$win_wheel" ]; then
    step "pip refuses the Windows wheel on Linux with its tag error"
    out="$("$vpy" -m pip install --no-index --disable-pip-version-check "$win_wheel" 2>&1)" \
        && fail "pip installed the win_amd64 wheel on Linux"
    grep -q "is not a supported wheel on this platform" <<<"$out" || { echo "$out" >&2; fail "unexpected pip error"; }
    grep -q " teleplug/teleplug.dll$" <<<"$(unzip -l "$win_wheel")" || fail "the Windows wheel lacks teleplug/teleplug.dll"
fi

# ---- Python sdist -------------------------------------------------------------------------
if [ "${TELEPLUG_PACKAGES_SKIP_SDIST:-0}" = 1 ]; then
    echo "packages: TELEPLUG_PACKAGES_SKIP_SDIST=1: the sdist is not built" >&2
else
step "sdist teleplug-$version.tar.gz: pip builds it with cargo in a temporary folder"
python3 -m venv "$tmp/sdist-venv"
spy="$tmp/sdist-venv/bin/python"
# Unpacked where pip would, but at a fixed path: cargo keys its artifacts on the crate's path,
# so a fresh path per run would leave another copy of the library in the target directory each
# time. The crate's dependencies come from that directory's cache; the sources are the sdist's.
sdist_src="${TMPDIR:-/tmp}/teleplug-packages-sdist"
rm -rf "$sdist_src" && mkdir -p "$sdist_src"
trap 'rm -rf "$tmp" "$sdist_src"' EXIT
tar -C "$sdist_src" -xzf "$dist/teleplug-$version.tar.gz"
# SETUPTOOLS_RUST_CARGO_PROFILE=dev: what the check is about (the sdist builds outside the
# checkout) does not depend on the profile, and a release build here would compile every
# dependency once more (about 8 CPU-minutes from an empty target directory).
(cd "$tmp" && env -u TELEPLUG_LIB CARGO_TARGET_DIR="$target" SETUPTOOLS_RUST_CARGO_PROFILE=dev \
    "$spy" -m pip install -q --disable-pip-version-check "$sdist_src/teleplug-$version")
(cd "$tmp/py" && env -u TELEPLUG_LIB -u CARGO_TARGET_DIR "$spy" embedded.py) >"$tmp/py/sdist.txt" \
    || { cat "$tmp/py/sdist.txt" >&2; fail "the Python example failed on the sdist's build"; }
expect_output "$tmp/py/sdist.txt" "Python example (sdist)" "${toy_lines[@]}"
case "$(cd "$tmp" && "$spy" -c 'import teleplug; print(teleplug.LIBRARY_PATH)')" in
    "$tmp/sdist-venv/"*) ;;
    *) fail "the sdist's package does not load its own library" ;;
esac
fi

# ---- C/C++ SDK ------------------------------------------------------------------------------
sdk_name="teleplug-$version-linux-x86_64"
step "C/C++ SDK $sdk_name: find_package, pkg-config, the examples"
mkdir -p "$tmp/sdk" && tar -C "$tmp/sdk" -xzf "$dist/$sdk_name.tar.gz"
sdk="$tmp/sdk/$sdk_name"
for f in include/teleplug.h include/teleplug.hpp lib/libteleplug.so lib/libteleplug.a bin/teleplug \
    lib/cmake/teleplug/teleplugConfig.cmake lib/cmake/teleplug/teleplugConfigVersion.cmake \
    lib/pkgconfig/teleplug.pc share/licenses/teleplug/LICENSE \
    share/licenses/teleplug/LICENSE-device-config share/licenses/teleplug/THIRD-PARTY-LICENSES.txt; do
    [ -f "$sdk/$f" ] || fail "the SDK lacks $f"
done
# Stripped, with the debug info in the -debug archive under the name the debuglink gives.
mkdir -p "$tmp/sdk-debug" && tar -C "$tmp/sdk-debug" -xzf "$dist/$sdk_name-debug.tar.gz"
for f in lib/libteleplug.so bin/teleplug; do
    grep -q "\.debug_info" <<<"$(readelf -S "$sdk/$f")" && fail "$f still has debug info"
    link="$(readelf -p .gnu_debuglink "$sdk/$f" | sed -n 's/^ *\[ *0\] *//p')"
    [ -f "$tmp/sdk-debug/$sdk_name-debug/$(dirname "$f")/$link" ] || fail "$f's debug file $link is not in the -debug archive"
done
cli_version="$("$sdk/bin/teleplug" --version)"
grep -qF " $version" <<<"$cli_version" || fail "bin/teleplug --version says '$cli_version', not $version"

# CMake: the version file accepts this version and refuses another minor (the ABI may change).
cat >"$tmp/version-check.cmake" <<EOF
foreach(want "$version;TRUE" "0.999.0;FALSE")
  list(GET want 0 PACKAGE_FIND_VERSION)
  list(GET want 1 expected)
  string(REPLACE "." ";" parts "\${PACKAGE_FIND_VERSION}")
  list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
  list(GET parts 2 PACKAGE_FIND_VERSION_PATCH)
  unset(PACKAGE_VERSION_COMPATIBLE)
  include("$sdk/lib/cmake/teleplug/teleplugConfigVersion.cmake")
  if(NOT PACKAGE_VERSION STREQUAL "$version")
    message(FATAL_ERROR "teleplugConfigVersion.cmake says \${PACKAGE_VERSION}, not $version")
  endif()
  if((PACKAGE_VERSION_COMPATIBLE AND NOT expected) OR (NOT PACKAGE_VERSION_COMPATIBLE AND expected))
    message(FATAL_ERROR "compatible with \${PACKAGE_FIND_VERSION}: \${PACKAGE_VERSION_COMPATIBLE}")
  endif()
endforeach()
EOF
cmake -P "$tmp/version-check.cmake"

cp -r "$sdk/share/teleplug/examples" "$tmp/cmake-src"
cmake -S "$tmp/cmake-src" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$sdk" -DCMAKE_BUILD_TYPE=Release \
    >"$tmp/cmake.log" || { cat "$tmp/cmake.log" >&2; fail "cmake configure failed"; }
grep -qF "teleplug $version from $sdk/lib/cmake/teleplug" "$tmp/cmake.log" \
    || { cat "$tmp/cmake.log" >&2; fail "find_package did not find the SDK's $version"; }
cmake --build "$tmp/cmake-build" -j2 >"$tmp/build.log" || { cat "$tmp/build.log" >&2; fail "cmake build failed"; }
for exe in embedded_c embedded_c_static embedded_cpp; do
    [ -x "$tmp/cmake-build/$exe" ] || fail "$exe was not built (nlohmann_json missing for C++?)"
    (cd "$tmp" && env -u LD_LIBRARY_PATH "$tmp/cmake-build/$exe") >"$tmp/$exe.txt" \
        || { cat "$tmp/$exe.txt" >&2; fail "$exe failed"; }
    expect_output "$tmp/$exe.txt" "$exe" "${toy_lines[@]}"
done
grep -qF "libteleplug.so => $sdk/lib/libteleplug.so" <<<"$(ldd "$tmp/cmake-build/embedded_c")" \
    || fail "embedded_c does not load the SDK's library"
grep -q libteleplug <<<"$(ldd "$tmp/cmake-build/embedded_c_static")" && fail "embedded_c_static needs libteleplug.so"

export PKG_CONFIG_PATH="$sdk/lib/pkgconfig"
[ "$(pkg-config --modversion teleplug)" = "$version" ] || fail "teleplug.pc's version is not $version"
cp -r "$sdk/share/teleplug/examples" "$tmp/make-src"
make -s -C "$tmp/make-src" >/dev/null
(cd "$tmp" && env -u LD_LIBRARY_PATH "$tmp/make-src/embedded_c") >"$tmp/make.txt" \
    || { cat "$tmp/make.txt" >&2; fail "the pkg-config build of embedded_c failed"; }
expect_output "$tmp/make.txt" "embedded_c (pkg-config)" "${toy_lines[@]}"
unset PKG_CONFIG_PATH

# ---- C#: mono and the stubs ------------------------------------------------------------------
if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1 || [ ! -f "$newtonsoft" ]; then
    fail "mcs, mono or $newtonsoft missing (bindings/csharp/test.sh installs them)"
fi
mcs_flags=(-langversion:7 -nologo -warnaserror+ -r:"$newtonsoft" -r:System.Core.dll -r:System.dll)

step "NuGet Teleplug.$version.nupkg: the C# example under mono"
mkdir -p "$tmp/nuget" && (cd "$tmp/nuget" && unzip -q "$dist/Teleplug.$version.nupkg")
nu="$tmp/nuget"
for f in Teleplug.nuspec "[Content_Types].xml" _rels/.rels lib/netstandard2.0/Teleplug.dll \
    runtimes/linux-x64/native/libteleplug.so LICENSE.txt LICENSE-device-config.txt; do
    [ -f "$nu/$f" ] || fail "the nupkg lacks $f"
done
grep -qF "<version>$version</version>" "$nu/Teleplug.nuspec" || fail "the nuspec's version is not $version"
mkdir -p "$tmp/cs"
cat >"$tmp/cs/Version.cs" <<'EOF'
static class VersionCheck
{
    static void Main()
    {
        System.Console.WriteLine(typeof(Teleplug.Client).Assembly.GetName().Version);
        System.Console.WriteLine(Teleplug.TeleplugContext.LibraryVersion);
    }
}
EOF
mcs "${mcs_flags[@]}" -r:"$nu/lib/netstandard2.0/Teleplug.dll" -out:"$tmp/cs/embedded.exe" examples/csharp/Embedded.cs
mcs "${mcs_flags[@]}" -r:"$nu/lib/netstandard2.0/Teleplug.dll" -out:"$tmp/cs/version.exe" "$tmp/cs/Version.cs"
run_cs() {
    (cd "$tmp" && LD_LIBRARY_PATH="$nu/runtimes/linux-x64/native" \
        MONO_PATH="$nu/lib/netstandard2.0:$(dirname "$newtonsoft")" mono "$@")
}
[ "$(run_cs "$tmp/cs/version.exe" | tr '\n' ' ')" = "$version.0 $version " ] \
    || fail "Teleplug.dll's assembly version or the native library's version is not $version"
run_cs "$tmp/cs/embedded.exe" >"$tmp/cs/out.txt" || { cat "$tmp/cs/out.txt" >&2; fail "the C# example failed"; }
expect_output "$tmp/cs/out.txt" "C# example (nupkg)" "${toy_lines[@]}"

step "Unity com.teleplug.teleplug-$version.tgz: Packages/, .meta files, Runtime compiles"
mkdir -p "$tmp/unity/Packages"
tar -C "$tmp/unity/Packages" -xzf "$dist/com.teleplug.teleplug-$version.tgz"
mv "$tmp/unity/Packages/package" "$tmp/unity/Packages/com.teleplug.teleplug"
up="$tmp/unity/Packages/com.teleplug.teleplug"
python3 - "$up" "$version" <<'PY'
import json, re, sys
from pathlib import Path
root, version = Path(sys.argv[1]), sys.argv[2]
manifest = json.loads((root / "package.json").read_text())
assert manifest["version"] == version, f"package.json's version {manifest['version']} is not {version}"
generated = (root / "Runtime/Teleplug/AssemblyVersion.g.cs").read_text()
assert f'AssemblyVersion("{version}.0")' in generated, f"Runtime's assembly version is not {version}.0"
for sample in manifest["samples"]:
    assert (root / sample["path"]).is_dir(), sample
for rel in ["Runtime/Teleplug.asmdef", "Plugins/x86_64/libteleplug.so", "link.xml",
            "Documentation~/index.md", "LICENSE.md", "Third Party Notices.md"]:
    assert (root / rel).is_file(), f"{rel} missing"
guids = {}
for path in root.rglob("*"):
    rel = path.relative_to(root)
    if path.suffix == ".meta" or any(p.endswith("~") for p in rel.parts):
        continue
    meta = path.with_name(path.name + ".meta")
    assert meta.is_file(), f"{rel} has no .meta: Unity ignores it in an immutable package"
    guid = re.search(r"^guid: ([0-9a-f]{32})$", meta.read_text(), re.M).group(1)
    assert guid not in guids, f"{rel} and {guids[guid]} share a GUID"
    guids[guid] = rel
# Each plugin is enabled for its editor OS and its player only.
for name, os_name, player in [("libteleplug.so", "Linux", "Linux64"), ("teleplug.dll", "Windows", "Win64")]:
    meta = root / "Plugins/x86_64" / (name + ".meta")
    if not meta.exists():
        continue
    text = meta.read_text()
    assert f"OS: {os_name}" in text and "CPU: x86_64" in text, name
    enabled = re.findall(r"Standalone: (\w+)\n    second:\n      enabled: 1", text)
    assert enabled == [player], (name, enabled)
print(f"{len(guids)} assets with .meta files, version {version}")
PY
mcs -langversion:7 -nologo -target:library -out:"$tmp/unity/UnityStubs.dll" bindings/csharp/tests/unity-stubs/*.cs
for defines in "UNITY_5_3_OR_NEWER" "UNITY_5_3_OR_NEWER;UNITY_EDITOR"; do
    mcs "${mcs_flags[@]}" -target:library -define:"$defines" -r:"$tmp/unity/UnityStubs.dll" \
        -out:"$tmp/unity/Teleplug.dll" -recurse:"$up/Runtime/*.cs"
done
# The sample logs with Debug.Log, which the C# tests' stubs do not declare: a copy that does.
sed 's/public static void LogWarning(object message) { }/&\n        public static void Log(object message) { }/' \
    bindings/csharp/tests/unity-stubs/UnityStubs.cs >"$tmp/unity/UnityStubsWithLog.cs"
mcs -langversion:7 -nologo -target:library -out:"$tmp/unity/UnityStubsWithLog.dll" "$tmp/unity/UnityStubsWithLog.cs"
mcs "${mcs_flags[@]}" -target:library -define:UNITY_5_3_OR_NEWER -r:"$tmp/unity/UnityStubsWithLog.dll" \
    -out:"$tmp/unity/TeleplugWithSample.dll" -recurse:"$up/Runtime/*.cs" "$up/Samples~/Basic/TeleplugSample.cs"

# ---- Windows artifacts (when scripts/package.sh could cross-build them) -----------------------
win_sdk="$dist/teleplug-$version-windows-x86_64.zip"
if [ -f "$win_sdk" ]; then
    step "Windows artifacts: contents; the C example built against the SDK with MinGW runs under wine"
    grep -q " runtimes/win-x64/native/teleplug.dll$" <<<"$(unzip -l "$dist/Teleplug.$version.nupkg")" \
        || fail "the nupkg lacks runtimes/win-x64/native/teleplug.dll"
    grep -qx "package/Plugins/x86_64/teleplug.dll.meta" <<<"$(tar -tzf "$dist/com.teleplug.teleplug-$version.tgz")" \
        || fail "the Unity package lacks Plugins/x86_64/teleplug.dll(.meta)"
    mkdir -p "$tmp/win" && (cd "$tmp/win" && unzip -q "$win_sdk")
    wsdk="$tmp/win/teleplug-$version-windows-x86_64"
    for f in bin/teleplug.dll bin/teleplug.exe lib/libteleplug.dll.a lib/libteleplug.a \
        lib/cmake/teleplug/teleplugConfig.cmake lib/pkgconfig/teleplug.pc; do
        [ -f "$wsdk/$f" ] || fail "the Windows SDK lacks $f"
    done
    x86_64-w64-mingw32-gcc-posix -O2 -static -I"$wsdk/include" -o "$tmp/win/embedded.exe" \
        examples/c/embedded.c -L"$wsdk/lib" -lteleplug.dll
    # shellcheck disable=SC2046
    x86_64-w64-mingw32-gcc-posix -O2 -static -I"$wsdk/include" -o "$tmp/win/embedded_static.exe" \
        examples/c/embedded.c "$wsdk/lib/libteleplug.a" \
        $(PKG_CONFIG_PATH="$wsdk/lib/pkgconfig" pkg-config --libs-only-l --static teleplug | sed 's/-lteleplug//')
    # Both examples run under wine in the prefix scripts/test-windows.sh prepared (the Windows
    # stage runs before this one in scripts/test-all.sh), with the SDK's teleplug.dll beside
    # the dynamically linked one, as a Windows user would ship it. mingw's runtime is linked in
    # statically (-static): a Windows user has no mingw DLLs.
    wine="${TELEPLUG_WINE:-/usr/lib/wine/wine64}"
    prefix="${WINEPREFIX:-$target/wine-prefix}"
    [ -x "$wine" ] && [ -f "$prefix/drive_c/windows/system32/bcryptprimitives.dll" ] \
        || fail "no wine or no prepared prefix $prefix for the Windows examples (run scripts/test-windows.sh first)"
    cp "$wsdk/bin/teleplug.dll" "$tmp/win/"
    for exe in embedded embedded_static; do
        (cd "$tmp/win" && WINEPREFIX="$prefix" WINEDEBUG=-all LC_ALL=C.UTF-8 \
            timeout -k 5 120 "$wine" "$exe.exe" | tr -d '\r') >"$tmp/win/$exe.txt" \
            || { cat "$tmp/win/$exe.txt" >&2; fail "$exe.exe failed under wine"; }
        expect_output "$tmp/win/$exe.txt" "$exe.exe (Windows SDK, wine)" "${toy_lines[@]}"
    done
    # The other packages carry the SDK's teleplug.dll, byte for byte.
    mkdir -p "$tmp/win/wheel" "$tmp/win/nupkg"
    (cd "$tmp/win/wheel" && unzip -q "$win_wheel")
    (cd "$tmp/win/nupkg" && unzip -q "$dist/Teleplug.$version.nupkg" runtimes/win-x64/native/teleplug.dll)
    for copy in "$tmp/win/wheel/teleplug/teleplug.dll" "$tmp/win/nupkg/runtimes/win-x64/native/teleplug.dll" \
        "$up/Plugins/x86_64/teleplug.dll"; do
        cmp -s "$copy" "$wsdk/bin/teleplug.dll" || fail "${copy#"$tmp"/} is not the SDK's teleplug.dll"
    done
    grep -qx "Version: $version" "$tmp/win/wheel/teleplug-$version.dist-info/METADATA" \
        || fail "the Windows wheel's metadata version is not $version"
    [ "$(sed -n 's/^Tag: //p' "$tmp/win/wheel/teleplug-$version.dist-info/WHEEL")" = "py3-none-win_amd64" ] \
        || fail "the Windows wheel's WHEEL file is not tagged py3-none-win_amd64"
fi

step "every package installed and used (version $version)"
