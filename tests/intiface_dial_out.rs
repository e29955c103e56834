//! `teleplug --websocket-client-address URL` (Intiface Engine's client mode): Teleplug connects
//! out to URL and serves the Buttplug protocol over that socket, the remote end being the
//! client; when the remote drops the connection every device stops, and Teleplug connects again
//! (also when nobody listened at first), with the devices still there.

mod support;

use std::process::Command;

use serde_json::json;
use support::serve::{BIN, Serve, scan_and_vibrate};
use support::wire::msg_type;
use support::ws::{Peer, SimPeer, WAIT};
use tokio::net::TcpListener;
use tokio_tungstenite::MaybeTlsStream;

/// The next connection Teleplug makes to `listener`, as the Buttplug client's side.
async fn accept_client(listener: &TcpListener) -> Peer {
    let (tcp, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("teleplug connects")
        .expect("accept");
    let ws = tokio_tungstenite::accept_async(MaybeTlsStream::Plain(tcp))
        .await
        .expect("WebSocket upgrade");
    Peer::from_ws(ws)
}

fn dial_out(url: &str) -> Serve {
    let mut command = Command::new(BIN);
    command.args(["--websocket-client-address", url, "--simulator-port", "0"]);
    command.args(["--server-name", "Dialing Engine"]);
    Serve::spawn(command)
}

#[tokio::test]
async fn serves_the_client_it_connects_to_and_again_after_the_client_leaves() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let mut serve = dial_out(&url);
    let mut sim = SimPeer::connect(&serve.url("simulator control on")).await;
    serve.line_with("Buttplug server dialing out to");

    let mut client = accept_client(&listener).await;
    let info = client.handshake("Remote Client", 4).await;
    assert_eq!(msg_type(&info), "ServerInfo", "{info}");
    assert_eq!(info["ServerInfo"]["ServerName"], "Dialing Engine");
    scan_and_vibrate(&mut client, &mut sim).await;

    // The remote end goes away without a word: the toy stops at once, as on a client disconnect.
    drop(client);
    assert_eq!(sim.next_write().await, "Vibrate:0;");

    // Teleplug connects again; the next client finds the toy at the same index.
    let mut client = accept_client(&listener).await;
    assert_eq!(
        msg_type(&client.handshake("Second Client", 4).await),
        "ServerInfo"
    );
    let list = client.request("RequestDeviceList", json!({})).await;
    assert_eq!(
        list["DeviceList"]["Devices"]["0"]["DeviceName"], "Lovense Hush",
        "{list}"
    );
    let vibrate = json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":15}}});
    assert_eq!(msg_type(&client.request("OutputCmd", vibrate).await), "Ok");
    assert_eq!(sim.next_write().await, "Vibrate:15;");

    // Shutdown stops the toy and closes the connection.
    serve.signal("TERM");
    assert_eq!(sim.next_write().await, "Vibrate:0;");
    support::ws::until_closed(&mut client.ws).await;
    assert_eq!(serve.exit_status().code(), Some(0));
}

#[tokio::test]
async fn keeps_trying_until_the_client_listens() {
    // A port nobody listens on (yet).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Without a scheme: ws:// is meant, as in Intiface.
    let serve = dial_out(&format!("127.0.0.1:{port}"));
    let warning = serve.log_line_with("trying again");
    assert!(warning.contains("connection refused"), "{warning}");
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let mut client = accept_client(&listener).await;
    assert_eq!(
        msg_type(&client.handshake("Late Client", 4).await),
        "ServerInfo"
    );
}
