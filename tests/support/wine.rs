//! The Windows build run under wine, for tests/windows.rs. scripts/test-windows.sh cross-builds
//! the artifacts, installs mingw-w64 and wine when missing, prepares a wine prefix of its own and
//! runs those tests with:
//!
//! - `TELEPLUG_WINDOWS_DIR`: the directory of teleplug.dll, its import library
//!   (libteleplug.dll.a), the static library (libteleplug.a) and teleplug.exe;
//! - `WINEPREFIX`: the prepared prefix (never the user's ~/.wine);
//! - `TELEPLUG_WINE`: the wine loader (default `/usr/lib/wine/wine64`, Debian's);
//! - `TELEPLUG_WINDOWS_SCRATCH`: where the tests build their programs (default: the system's
//!   temporary directory).
//!
//! Here: those paths, a command running a Windows program under wine (its console output in
//! UTF-8, wine's own messages off), Windows paths, and C programs built with mingw-w64 against
//! the library, with mingw's runtime linked in statically (a Windows user has no mingw DLLs).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The C cross compiler (the posix thread model: C11 threads and pthreads, as the tests use).
pub const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc-posix";
/// binutils for the PE files (import and export tables).
pub const MINGW_OBJDUMP: &str = "x86_64-w64-mingw32-objdump";
pub const MINGW_NM: &str = "x86_64-w64-mingw32-nm";

fn env_path(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} is not set: run scripts/test-windows.sh"))
}

/// The directory of the cross-built artifacts.
pub fn artifacts() -> PathBuf {
    env_path("TELEPLUG_WINDOWS_DIR")
}

/// One artifact (`teleplug.dll`, `libteleplug.dll.a`, `libteleplug.a`, `teleplug.exe`).
pub fn artifact(name: &str) -> PathBuf {
    let path = artifacts().join(name);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// How long a Windows program run to completion ([`bounded`]) may take.
pub const RUN_LIMIT_SECONDS: u32 = 120;

fn loader() -> PathBuf {
    std::env::var_os("TELEPLUG_WINE")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/lib/wine/wine64".into())
}

fn under_wine(mut cmd: Command) -> Command {
    cmd.env("WINEPREFIX", env_path("WINEPREFIX"))
        .env("WINEDEBUG", "-all")
        // Arguments and console output are converted between UTF-16 and the locale's encoding.
        .env("LC_ALL", "C.UTF-8");
    cmd
}

/// `exe` (a Windows program) under wine, for a program the test stops itself. The child's pid
/// is the Windows process's: SIGINT to it is the console's Ctrl+C.
pub fn command(exe: &Path) -> Command {
    let mut cmd = Command::new(loader());
    cmd.arg(exe);
    under_wine(cmd)
}

/// `exe` under wine, ended (SIGTERM, then SIGKILL) after [`RUN_LIMIT_SECONDS`] whatever happens:
/// for programs run to completion.
pub fn bounded(exe: &Path) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "5", &RUN_LIMIT_SECONDS.to_string()])
        .arg(loader())
        .arg(exe);
    under_wine(cmd)
}

/// `path` as a Windows program sees it (wine maps drive Z: to `/`).
pub fn windows_path(path: &Path) -> String {
    let absolute = std::path::absolute(path).expect("absolute path");
    format!("Z:{}", absolute.display()).replace('/', "\\")
}

/// A directory of this test process's own, under `TELEPLUG_WINDOWS_SCRATCH` (which
/// scripts/test-windows.sh empties before each run) or else the system's temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::var_os("TELEPLUG_WINDOWS_SCRATCH")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("teleplug-windows-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Compile C `sources` with mingw-w64 into `exe`, against include/teleplug.h and `link` (the
/// import library, or the static library and the system libraries it needs), linking mingw's
/// runtime statically.
pub fn build_c(sources: &[PathBuf], exe: &Path, link: &[&str]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(MINGW_GCC)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1"])
        .arg("-I")
        .arg(root.join("include"))
        .args(sources)
        .args(link)
        .arg("-static")
        .arg("-o")
        .arg(exe)
        .output()
        .unwrap_or_else(|e| panic!("{MINGW_GCC}: {e}"));
    assert!(
        out.status.success(),
        "{MINGW_GCC} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run a Windows program to completion (bounded by its own checks and the caller's test
/// timeout); its stdout, after asserting it succeeded.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The DLLs a PE file (.exe or .dll) imports, lower-cased.
pub fn imported_dlls(pe: &Path) -> Vec<String> {
    let dump = objdump(pe);
    let mut dlls: Vec<String> = dump
        .lines()
        .filter_map(|l| l.trim().strip_prefix("DLL Name: "))
        .map(str::to_ascii_lowercase)
        .collect();
    dlls.sort();
    dlls.dedup();
    dlls
}

/// The names a DLL exports.
pub fn exported_names(dll: &Path) -> Vec<String> {
    let dump = objdump(dll);
    let table = dump
        .split("[Ordinal/Name Pointer] Table")
        .nth(1)
        .expect("an export table");
    let mut names: Vec<String> = table
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split(']').nth(1))
        .map(|n| n.trim().to_string())
        .collect();
    names.sort();
    names
}

fn objdump(pe: &Path) -> String {
    let out = Command::new(MINGW_OBJDUMP)
        .arg("-p")
        .arg(pe)
        .output()
        .unwrap_or_else(|e| panic!("{MINGW_OBJDUMP}: {e}"));
    assert!(out.status.success(), "{MINGW_OBJDUMP} -p {}", pe.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}
