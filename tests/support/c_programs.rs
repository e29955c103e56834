//! What the C programs print when they work, checked the same way wherever they run: the C
//! example (examples/c/embedded.c) and the stress test (tests/c/stress.c), built natively by
//! tests/ffi_c.rs and with mingw-w64 for Windows by tests/windows.rs.

/// The example's output: each step's line, and exactly the bytes the simulated toy received,
/// in order.
pub fn check_example_output(out: &str) {
    for line in [
        "connected",
        "toy received: DeviceType;",
        "found device 0: Lovense Hush",
        "toy received: Vibrate:10;",
        "toy received: Battery;",
        "battery: 87%",
        "toy received: Vibrate:0;",
        "done",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing {line:?} in:\n{out}"
        );
    }
    let received: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("toy received: "))
        .collect();
    assert_eq!(
        received,
        ["DeviceType;", "Vibrate:10;", "Battery;", "Vibrate:0;"],
        "bytes the toy received"
    );
}

/// The stress test's summary for `stress CONTEXTS CLIENTS COMMANDS`: every command sent, no
/// check failed.
pub fn check_stress_output(out: &str, contexts: u32, clients: u32, commands: u32) {
    let sent = contexts * clients * commands;
    assert!(out.contains(&format!("{sent} commands")), "{out}");
    assert!(out.contains(" 0 failed"), "{out}");
}
