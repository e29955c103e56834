//! `--ask`: the terminal approver. When a client identifies itself, its name and address are
//! shown (escaped) and the user answers y/n on stdin (a Windows console's CRLF and any encoding
//! are accepted); no answer within the time limit (or end of input) refuses the client.
//! Implements the server's `ClientApprover` hook.

use std::io::{BufRead, Write};
use std::time::Duration;

use async_trait::async_trait;
use teleplug::server::{ClientApprover, ClientInfo};
use tokio::sync::{Mutex, mpsc};

/// How long the user has to answer.
pub const ANSWER_TIME: Duration = Duration::from_secs(30);

pub struct TerminalApprover {
    lines: Mutex<mpsc::UnboundedReceiver<String>>,
    limit: Duration,
}

impl TerminalApprover {
    /// Start reading stdin lines on a thread of their own.
    pub fn new(limit: Duration) -> TerminalApprover {
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut line = Vec::new();
            // Bytes, not `lines()`: a line in another encoding (a Windows code page on a pipe,
            // text a Windows console cannot convert) is an answer that is not "y", not the end
            // of the answers. `trim` in `approve` drops a Windows "\r".
            loop {
                line.clear();
                match stdin.read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {}
                    Err(_) => break,
                }
                if tx
                    .send(String::from_utf8_lossy(&line).into_owned())
                    .is_err()
                {
                    break;
                }
            }
        });
        TerminalApprover {
            lines: Mutex::new(rx),
            limit,
        }
    }
}

#[async_trait]
impl ClientApprover for TerminalApprover {
    async fn approve(&self, client: &ClientInfo) -> bool {
        // One question at a time; answers typed before the question do not count.
        let mut lines = self.lines.lock().await;
        while lines.try_recv().is_ok() {}
        let from = client.address.as_deref().unwrap_or("this machine");
        // The name is the client's to choose: quoted and escaped (`{:?}`), so control
        // characters or terminal escape sequences in it cannot rewrite the question.
        println!(
            "Client {:?} from {from} wants to connect. Allow? [y/N] ({} s)",
            client.name,
            self.limit.as_secs()
        );
        let _ = std::io::stdout().flush();
        let answer = tokio::time::timeout(self.limit, lines.recv()).await;
        let allowed = match answer {
            Ok(Some(line)) => matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
            Ok(None) => {
                println!("no input; refused");
                false
            }
            Err(_) => {
                println!("no answer in time; refused");
                false
            }
        };
        println!(
            "client {:?} {}",
            client.name,
            if allowed { "allowed" } else { "refused" }
        );
        let _ = std::io::stdout().flush();
        allowed
    }
}
