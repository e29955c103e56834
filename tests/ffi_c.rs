//! The C side of the ABI, driven from Rust: the committed header is fresh, compiles standalone
//! as C11 and C++17 (twice, from two translation units) with -Wall -Werror, its version macros
//! match the crate; the C example and the C stress test are built with gcc against the cdylib
//! cargo built for this test run (target/<profile>/deps/libteleplug.so, next to this test
//! binary), run and checked, run again under valgrind when it is installed, and built again
//! with AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer (gcc's) and run.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::c_programs::{check_example_output, check_stress_output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the libteleplug.so cargo built together with this test binary:
/// target/<profile>/deps, next to the test executable. (The copy cargo uplifts to
/// target/<profile> is refreshed only by `cargo build`, so it can be stale or built with other
/// features.)
fn lib_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        let dir = exe.parent().expect("target/<profile>/deps").to_path_buf();
        assert!(
            dir.join("libteleplug.so").exists(),
            "no libteleplug.so in {dir:?}: cargo builds the cdylib with the tests"
        );
        dir
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("teleplug-ffi-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run_ok(cmd: &mut Command) -> String {
    // cargo puts target/<profile> (whose uplifted copy of the library may be stale) on
    // LD_LIBRARY_PATH, which beats the program's RUNPATH: point it at this run's library.
    cmd.env("LD_LIBRARY_PATH", lib_dir());
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

/// Compile a C program against the header and the cdylib.
fn build_c(source: &Path, name: &str) -> PathBuf {
    build_c_with(source, name, &[])
}

/// [`build_c`] with AddressSanitizer (and its leak checker) and UndefinedBehaviorSanitizer.
fn build_c_sanitized(source: &Path, name: &str) -> PathBuf {
    build_c_with(
        source,
        name,
        &["-fsanitize=address,undefined", "-fno-omit-frame-pointer"],
    )
}

/// Run a sanitized program: any report fails it (leaks included).
fn sanitized(exe: &Path, args: &[&str]) -> String {
    run_ok(
        Command::new(exe)
            .args(args)
            .env("ASAN_OPTIONS", "detect_leaks=1:exitcode=1")
            .env("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1"),
    )
}

fn build_c_with(source: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let exe = scratch(name);
    let lib = lib_dir();
    run_ok(
        Command::new("gcc")
            .args([
                "-std=c11",
                "-D_GNU_SOURCE",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-g",
            ])
            .args(extra)
            .arg("-I")
            .arg(root().join("include"))
            .arg(source)
            .arg("-L")
            .arg(lib)
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .args(["-lteleplug", "-lpthread", "-o"])
            .arg(&exe),
    );
    exe
}

fn valgrind(exe: &Path, args: &[&str]) -> String {
    run_ok(
        Command::new("valgrind")
            .args([
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
                "--error-exitcode=1",
                "--quiet",
            ])
            .arg(exe)
            .args(args),
    )
}

#[test]
fn header_is_fresh() {
    let generated =
        std::fs::read_to_string(concat!(env!("OUT_DIR"), "/teleplug.h")).expect("generated header");
    let committed =
        std::fs::read_to_string(root().join("include/teleplug.h")).expect("include/teleplug.h");
    assert!(
        generated == committed,
        "include/teleplug.h is stale: run `TELEPLUG_WRITE_HEADER=1 cargo build` and commit it"
    );
}

#[test]
fn header_version_macros_match_the_crate() {
    let header =
        std::fs::read_to_string(root().join("include/teleplug.h")).expect("include/teleplug.h");
    let define = |name: &str| {
        header
            .lines()
            .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("no #define {name}"))
            .trim()
            .to_string()
    };
    assert_eq!(define("TP_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MAJOR"));
    assert_eq!(define("TP_VERSION_MINOR"), env!("CARGO_PKG_VERSION_MINOR"));
    assert_eq!(define("TP_VERSION_PATCH"), env!("CARGO_PKG_VERSION_PATCH"));
    assert_eq!(
        define("TP_VERSION_STRING"),
        format!("\"{}\"", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        define("TP_ABI_VERSION"),
        teleplug::ffi::tp_abi_version().to_string()
    );
    assert_eq!(
        teleplug::ffi::TP_ABI_VERSION,
        teleplug::ffi::tp_abi_version()
    );
}

#[test]
fn header_compiles_standalone_as_c_and_cpp() {
    let include = root().join("include");
    let c = scratch("standalone.c");
    std::fs::write(
        &c,
        "#include \"teleplug.h\"\n#include \"teleplug.h\"\n\
         _Static_assert(TP_OK == 0, \"TP_OK\");\n\
         int probe(void) { tp_buffer b = {0, 0}; (void)b; return TP_ABI_VERSION; }\n",
    )
    .unwrap();
    run_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
            .arg("-I")
            .arg(&include)
            .arg(&c)
            .arg("-o")
            .arg(scratch("standalone.o")),
    );
    // C++17, two translation units linked together (catches definitions in the header).
    let a = scratch("a.cpp");
    let b = scratch("b.cpp");
    std::fs::write(
        &a,
        "#include \"teleplug.h\"\nint f() { return TP_ERR_PANIC; }\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "#include \"teleplug.h\"\n#include \"teleplug.h\"\nint f();\n\
         int main() { static_assert(TP_FORMAT_JSON == 2, \"fmt\"); return f() == TP_ERR_PANIC ? 0 : 1; }\n",
    )
    .unwrap();
    let exe = scratch("cpp_probe");
    run_ok(
        Command::new("g++")
            .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .arg("-I")
            .arg(&include)
            .arg(&a)
            .arg(&b)
            .arg("-o")
            .arg(&exe),
    );
    run_ok(&mut Command::new(&exe));
}

#[test]
fn c_example_runs() {
    let exe = build_c(&root().join("examples/c/embedded.c"), "embedded");
    check_example_output(&run_ok(&mut Command::new(&exe)));
}

#[test]
fn c_example_is_clean_under_valgrind() {
    if !have("valgrind") {
        eprintln!("valgrind is not installed: skipped");
        return;
    }
    let exe = build_c(&root().join("examples/c/embedded.c"), "embedded_vg");
    check_example_output(&valgrind(&exe, &[]));
}

#[test]
fn c_stress_runs() {
    let exe = build_c(&root().join("tests/c/stress.c"), "stress");
    let out = run_ok(Command::new(&exe).args(["20", "4", "250"]));
    check_stress_output(&out, 20, 4, 250);
}

#[test]
fn c_stress_is_clean_under_valgrind() {
    if !have("valgrind") {
        eprintln!("valgrind is not installed: skipped");
        return;
    }
    let exe = build_c(&root().join("tests/c/stress.c"), "stress_vg");
    let out = valgrind(&exe, &["4", "3", "300"]);
    check_stress_output(&out, 4, 3, 300);
}

#[test]
fn c_example_is_clean_under_sanitizers() {
    let exe = build_c_sanitized(&root().join("examples/c/embedded.c"), "embedded_asan");
    check_example_output(&sanitized(&exe, &[]));
}

#[test]
fn c_stress_is_clean_under_sanitizers() {
    let exe = build_c_sanitized(&root().join("tests/c/stress.c"), "stress_asan");
    let out = sanitized(&exe, &["20", "4", "250"]);
    check_stress_output(&out, 20, 4, 250);
}

#[test]
fn sanitizers_are_really_on() {
    // The checks above would pass silently if the sanitizers were not active: the same build
    // of a program that reads freed memory must be stopped with a report.
    let source = scratch("misuse.c");
    std::fs::write(
        &source,
        "#include <stdio.h>\n#include <stdlib.h>\n#include \"teleplug.h\"\n\
         static void (*volatile release)(void *) = free;\n\
         int main(void) {\n\
           char *p = malloc(8); p[0] = 't'; release(p);\n\
           printf(\"%c\\n\", p[0]);\n\
           return tp_abi_version() == TP_ABI_VERSION ? 0 : 2;\n\
         }\n",
    )
    .unwrap();
    let exe = build_c_sanitized(&source, "misuse");
    let out = Command::new(&exe)
        .env("LD_LIBRARY_PATH", lib_dir())
        .env("ASAN_OPTIONS", "detect_leaks=1:exitcode=1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a use after free went unnoticed");
    assert!(stderr.contains("heap-use-after-free"), "{stderr}");
}
