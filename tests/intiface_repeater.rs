//! `teleplug --repeater --repeater-port PORT --websocket-client-address URL` (Intiface Engine's
//! repeater mode): WebSocket connections to 127.0.0.1:PORT are passed to URL frame by frame, so
//! a Buttplug client reaches the server behind it; either side ending ends the other; a remote
//! that cannot be reached closes the client's connection saying so.

mod support;

use std::process::Command;

use support::serve::{BIN, Serve, VibratingToy, vibrating_toy_at};
use support::wire::msg_type;
use support::ws::{self, Peer};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

fn repeater(remote: &str) -> (Serve, String) {
    let mut command = Command::new(BIN);
    command.args(["--repeater", "--repeater-port", "0"]);
    command.args(["--websocket-client-address", remote]);
    let serve = Serve::spawn(command);
    serve.line_with("repeater remote:");
    let url = serve.url("repeater listening on");
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
    (serve, url)
}

#[tokio::test]
async fn a_client_drives_a_toy_through_the_repeater() {
    let mut remote = Serve::start(&["--simulator-port", "0"]);
    let sim_url = remote.url("simulator control on");
    let (mut repeater, url) = repeater(&remote.url("Buttplug server listening on"));
    // Through the repeater, a client reaches the server behind it and drives its toy.
    let VibratingToy {
        client, mut sim, ..
    } = vibrating_toy_at(&sim_url, url.clone(), "Repeated Client").await;

    // The client leaves: the server behind sees its client gone and stops the toy.
    ws::close_and_wait(client.ws).await;
    assert_eq!(sim.next_write().await, "Vibrate:0;");

    // Another client through the repeater; then the server behind goes away, which closes it.
    let mut client = Peer::connect(&url).await;
    assert_eq!(
        msg_type(&client.handshake("Second Client", 4).await),
        "ServerInfo"
    );
    remote.signal("TERM");
    ws::until_closed(&mut client.ws).await;
    assert_eq!(remote.exit_status().code(), Some(0));

    repeater.signal("TERM");
    assert_eq!(repeater.exit_status().code(), Some(0));
}

#[tokio::test]
async fn an_unreachable_remote_closes_the_client_saying_why() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_repeater, url) = repeater(&format!("127.0.0.1:{port}"));
    let mut client = ws::open(&url, None).await.expect("the repeater upgrades");
    let close = ws::until_closed(&mut client).await.expect("a Close frame");
    assert_eq!(close.code, CloseCode::Error);
    assert!(close.reason.contains("connection refused"), "{close:?}");
}
