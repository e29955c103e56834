//! The console's control events (Ctrl+C, Ctrl+Break, close, logoff, shutdown), through tokio's
//! safe wrapper of `SetConsoleCtrlHandler`. Ctrl+C and Ctrl+Break count as handled, so Windows
//! does not end the process itself.

use tokio::signal::windows::{
    CtrlBreak, CtrlC, CtrlClose, CtrlLogoff, CtrlShutdown, ctrl_break, ctrl_c, ctrl_close,
    ctrl_logoff, ctrl_shutdown,
};

pub struct Watchers {
    c: CtrlC,
    brk: CtrlBreak,
    close: CtrlClose,
    logoff: CtrlLogoff,
    shutdown: CtrlShutdown,
}

impl Watchers {
    pub fn new() -> Result<Watchers, (&'static str, std::io::Error)> {
        Ok(Watchers {
            c: ctrl_c().map_err(|e| ("Ctrl+C", e))?,
            brk: ctrl_break().map_err(|e| ("Ctrl+Break", e))?,
            close: ctrl_close().map_err(|e| ("the console closing", e))?,
            logoff: ctrl_logoff().map_err(|e| ("logoff", e))?,
            shutdown: ctrl_shutdown().map_err(|e| ("shutdown", e))?,
        })
    }

    pub async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.c.recv() => "Ctrl+C",
            _ = self.brk.recv() => "Ctrl+Break",
            _ = self.close.recv() => "console close",
            _ = self.logoff.recv() => "logoff",
            _ = self.shutdown.recv() => "shutdown",
        }
    }
}
