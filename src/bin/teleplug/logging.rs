//! Log lines on stderr: the `--log` filter, and colours only where they show as colours —
//! stderr is a terminal, `NO_COLOR` is unset (no-color.org), and on Windows the console accepts
//! ANSI sequences (virtual terminal processing, switched on here; consoles older than Windows 10
//! refuse it and get plain text). Logs sent to a file or a pipe carry no escape codes.

use std::io::IsTerminal;

/// Install the subscriber; an invalid filter is a usage error (its message).
pub fn init(level: &str) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .map_err(|e| format!("invalid --log level {level:?}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours())
        .init();
    Ok(())
}

fn colours() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal() && console_shows_ansi()
}

#[cfg(windows)]
fn console_shows_ansi() -> bool {
    nu_ansi_term::enable_ansi_support().is_ok()
}

#[cfg(not(windows))]
fn console_shows_ansi() -> bool {
    true
}
