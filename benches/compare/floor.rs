//! The floor of the comparison: the cheapest program that serves the load generator's load,
//! measured by the same script beside the two servers (`scripts/compare.sh`, column "floor").
//! It is not a Buttplug server: one thread, no device database, no validation, no message gap,
//! no stop on disconnect. It answers the handshake, lists the toys that dialed in, and for each
//! `OutputCmd` writes `Vibrate:<value>;` to the toy and replies `Ok` — the socket work every
//! server must do per command (read the client's frame, write the toy's, write the reply, read
//! the toy's `OK;`). What it costs per command on a machine is what no server can go below
//! there; the rest of a server's cost is its own.
//!
//! ```sh
//! cargo bench --bench compare -- --floor --port 23001 --device-port 23002
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Toys by index: the channel to each one's writer.
type Toys = Arc<Mutex<BTreeMap<u32, mpsc::UnboundedSender<String>>>>;

/// Serve until the process is killed.
pub fn run(port: u16, device_port: u16) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let clients = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("port {port}: {e}"))?;
        let devices = TcpListener::bind(("127.0.0.1", device_port))
            .await
            .map_err(|e| format!("port {device_port}: {e}"))?;
        let toys: Toys = Arc::default();
        let toy_list = toys.clone();
        tokio::spawn(async move {
            let mut next = 0u32;
            while let Ok((s, _)) = devices.accept().await {
                tokio::spawn(toy(s, next, toy_list.clone()));
                next += 1;
            }
        });
        while let Ok((s, _)) = clients.accept().await {
            tokio::spawn(client(s, toys.clone()));
        }
        Ok(())
    })
}

/// A toy: read its hello, ask its type, then write what the client's commands ask.
async fn toy(stream: TcpStream, index: u32, toys: Toys) {
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut tx, mut rx) = ws.split();
    if !matches!(rx.next().await, Some(Ok(_))) {
        return; // no hello
    }
    if tx.send(Message::text("DeviceType;")).await.is_err() {
        return;
    }
    if !matches!(rx.next().await, Some(Ok(_))) {
        return; // no type
    }
    let (out, mut queue) = mpsc::unbounded_channel::<String>();
    toys.lock().insert(index, out);
    loop {
        tokio::select! {
            m = rx.next() => match m {
                Some(Ok(_)) => {} // "OK;"
                _ => break,
            },
            Some(bytes) = queue.recv() => {
                if tx.send(Message::binary(bytes.into_bytes())).await.is_err() {
                    break;
                }
            }
        }
    }
    toys.lock().remove(&index);
}

/// The number after `"key":` in `text`.
fn number_after(text: &str, key: &str) -> Option<u64> {
    let at = text.find(key)? + key.len();
    let digits: String = text[at..]
        .trim_start_matches([':', ' '])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A client: answer the handshake and device lists; turn each command into a toy write.
async fn client(stream: TcpStream, toys: Toys) {
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut tx, mut rx) = ws.split();
    while let Some(Ok(m)) = rx.next().await {
        let Ok(text) = m.to_text() else { continue };
        let mut replies = Vec::new();
        // One message per `{"Kind":{...}}` element; the load generator sends one per frame.
        let id = number_after(text, "\"Id\"").unwrap_or(0);
        if text.contains("RequestServerInfo") {
            replies.push(format!(
                r#"{{"ServerInfo":{{"Id":{id},"ServerName":"floor","ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MaxPingTime":0}}}}"#
            ));
        } else if text.contains("RequestDeviceList") {
            let devices: Vec<String> = toys
                .lock()
                .keys()
                .map(|i| {
                    format!(
                        r#""{i}":{{"DeviceIndex":{i},"DeviceName":"Lovense Hush","DeviceFeatures":{{}}}}"#
                    )
                })
                .collect();
            replies.push(format!(
                r#"{{"DeviceList":{{"Id":{id},"Devices":{{{}}}}}}}"#,
                devices.join(",")
            ));
        } else if text.contains("OutputCmd") {
            let device = number_after(text, "\"DeviceIndex\"").unwrap_or(0) as u32;
            let value = number_after(text, "\"Value\"").unwrap_or(0);
            let sent = toys
                .lock()
                .get(&device)
                .is_some_and(|t| t.send(format!("Vibrate:{value};")).is_ok());
            replies.push(if sent {
                format!(r#"{{"Ok":{{"Id":{id}}}}}"#)
            } else {
                format!(
                    r#"{{"Error":{{"Id":{id},"ErrorMessage":"no toy {device}","ErrorCode":3}}}}"#
                )
            });
        } else {
            replies.push(format!(r#"{{"Ok":{{"Id":{id}}}}}"#));
        }
        let frame = format!("[{}]", replies.join(","));
        if tx.send(Message::text(frame)).await.is_err() {
            break;
        }
    }
}
