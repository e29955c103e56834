//! Log lines on stderr: the `--log` filter, and colours only where they show as colours —
//! stderr is a terminal, `NO_COLOR` is unset (no-color.org), and on Windows the console accepts
//! ANSI sequences (virtual terminal processing, switched on here; consoles older than Windows 10
//! refuse it and get plain text). Logs sent to a file or a pipe carry no escape codes.

use std::io::IsTerminal;

use teleplug::panel::LogTail;

/// Install the subscriber; an invalid filter is a usage error (its message).
pub fn init(level: &str) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .map_err(|e| format!("invalid --log level {level:?}: {e}"))?;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let tail = TAIL.get_or_init(LogTail::default);
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(colours()),
        )
        .with(tail.layer())
        // A connected frontend gets the lines too (--frontend-websocket-port).
        .with(teleplug::net::frontend::LogLayer)
        .init();
    Ok(())
}

/// The lines logged, for the control panel (what stderr shows, without colours).
static TAIL: std::sync::OnceLock<LogTail> = std::sync::OnceLock::new();

/// The log tail, once logging is set up.
pub fn tail() -> Option<LogTail> {
    TAIL.get().cloned()
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
