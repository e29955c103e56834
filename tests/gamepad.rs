//! Gamepads: the real backend lists this machine's pads (none here; no virtual pad can be made:
//! the kernel has no uinput), and the gamepad transport driven end to end by the server with an
//! in-process fake behind the same [`GamepadIo`] trait the evdev and gilrs backends implement:
//! pads found while scanning get the database definition of their capabilities, each rumble
//! channel reaches its motor with the commanded magnitude, the battery is read, a stop zeroes
//! the motors, and an unplugged pad is removed.
#![cfg(feature = "gamepad")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use support::scan::{device_list_of, output_ok, scan_error, scanning_client};
use support::wire::{WireClient, body, msg_type};
use teleplug::device_config::CommunicationSpecifier;
use teleplug::hardware::gamepad::{ARM, Capabilities, GamepadIo, GamepadManager, PadInfo, Power};
use teleplug::hardware::{
    AdvertisementKind, Endpoint, HardwareError, HardwareEvent, HardwareManager, ManagerEvent,
};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use tokio::sync::mpsc;

const TIMEOUT: Duration = Duration::from_secs(5);

/// What a fake pad was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Call {
    Rumble(u32, u16, u16),
    Triggers(u32, u16, u16),
}

/// The machine's pads as the test sets them, and where the calls go.
#[derive(Clone)]
struct FakePads {
    pads: Arc<Mutex<Vec<PadInfo>>>,
    calls: mpsc::UnboundedSender<Call>,
}

impl FakePads {
    fn new() -> (FakePads, mpsc::UnboundedReceiver<Call>) {
        let (calls, rx) = mpsc::unbounded_channel();
        let pads = Arc::new(Mutex::new(Vec::new()));
        (FakePads { pads, calls }, rx)
    }

    fn plug(&self, id: u32, name: &str, rumble: bool, trigger_rumble: bool) {
        self.pads.lock().push(PadInfo {
            id,
            name: name.into(),
            capabilities: Capabilities {
                rumble,
                trigger_rumble,
            },
        });
    }

    fn unplug(&self, id: u32) {
        self.pads.lock().retain(|p| p.id != id);
    }

    /// A gamepad manager over this fake.
    fn manager(&self, events: teleplug::hardware::ManagerEventSender) -> Arc<GamepadManager> {
        let fake = self.clone();
        Arc::new(GamepadManager::with_io(
            events,
            Arc::new(move || Ok(Box::new(fake.clone()) as Box<dyn GamepadIo>)),
        ))
    }
}

impl GamepadIo for FakePads {
    fn pads(&mut self) -> Result<Vec<PadInfo>, HardwareError> {
        Ok(self.pads.lock().clone())
    }

    fn is_connected(&mut self, id: u32) -> bool {
        self.pads.lock().iter().any(|p| p.id == id)
    }

    fn rumble(&mut self, id: u32, low: u16, high: u16, d: Duration) -> Result<(), HardwareError> {
        assert_eq!(d, ARM, "rumble is armed for 60 s");
        let _ = self.calls.send(Call::Rumble(id, low, high));
        Ok(())
    }

    fn trigger_rumble(
        &mut self,
        id: u32,
        left: u16,
        right: u16,
        d: Duration,
    ) -> Result<(), HardwareError> {
        assert_eq!(d, ARM, "rumble is armed for 60 s");
        let _ = self.calls.send(Call::Triggers(id, left, right));
        Ok(())
    }

    fn power(&mut self, id: u32) -> Power {
        match id {
            1 => Power::OnBattery(Some(57)),
            2 => Power::Charged,
            _ => Power::Wired,
        }
    }
}

/// Waits for `call` (refreshes of earlier values may come first).
async fn until_call(calls: &mut mpsc::UnboundedReceiver<Call>, call: Call) {
    tokio::time::timeout(TIMEOUT, async {
        while calls.recv().await.expect("backend alive") != call {}
    })
    .await
    .unwrap_or_else(|_| panic!("no {call:?}"));
}

/// The device of `list` named `name`.
fn device_named(list: &Value, name: &str) -> Value {
    body(list)["Devices"]
        .as_object()
        .and_then(|d| d.values().find(|d| d["DeviceName"] == json!(name)))
        .cloned()
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

/// The output or input types of each feature of a DeviceList entry, in index order.
fn feature_kinds(dev: &Value) -> Vec<String> {
    let features = dev["DeviceFeatures"].as_object().expect("features");
    (0..features.len())
        .map(|i| {
            let f = &features[&i.to_string()];
            let kinds = f["Output"]
                .as_object()
                .or_else(|| f["Input"].as_object())
                .expect("output or input");
            kinds.keys().cloned().collect::<Vec<_>>().join("+")
        })
        .collect()
}

/// What one pad of the main test must become and do.
struct Expected {
    /// Its definition's name (the DeviceName).
    name: &'static str,
    /// Its features' output or input types.
    kinds: &'static [&'static str],
    /// Vibrate `(feature, value)` and the call it must reach the pad as.
    rumble: &'static [(u32, u16, Call)],
    /// The battery feature and its reading (None: an error).
    battery: (u32, Option<u32>),
}

const PADS: [Expected; 3] = [
    // Main rumble only: the defaults.
    Expected {
        name: "SDL Gamepad",
        kinds: &["Vibrate", "Vibrate", "Battery"],
        rumble: &[
            (0, 65535, Call::Rumble(1, 65535, 0)),
            (1, 32768, Call::Rumble(1, 65535, 32768)),
        ],
        battery: (2, Some(57)),
    },
    // Main and trigger rumble: the configuration chosen by capability.
    Expected {
        name: "SDL Gamepad (Rumble and Triggers)",
        kinds: &["Vibrate", "Vibrate", "Vibrate", "Vibrate", "Battery"],
        rumble: &[
            (0, 0x1234, Call::Rumble(2, 0x1234, 0)),
            (1, 0x5678, Call::Rumble(2, 0x1234, 0x5678)),
            (2, 0x9ABC, Call::Triggers(2, 0x9ABC, 0)),
            (3, 0xDEF0, Call::Triggers(2, 0x9ABC, 0xDEF0)),
        ],
        battery: (4, Some(100)),
    },
    // Trigger rumble only: features 0 and 1 are the triggers; a wired pad has no battery
    // reading (an error, not a made-up value).
    Expected {
        name: "SDL Gamepad (Triggers Only)",
        kinds: &["Vibrate", "Vibrate", "Battery"],
        rumble: &[
            (0, 4660, Call::Triggers(3, 4660, 0)),
            (1, 1, Call::Triggers(3, 4660, 1)),
        ],
        battery: (2, None),
    },
];

/// Sends `name` with `fields` and returns the reply.
async fn request(c: &mut WireClient, name: &str, fields: Value) -> Value {
    let m = c.msg(name, fields);
    c.request(vec![m]).await.remove(0)
}

#[tokio::test]
async fn pads_of_each_capability_rumble_report_battery_stop_and_leave() {
    let (fake, mut calls) = FakePads::new();
    fake.plug(1, "Xbox Wireless Controller", true, false);
    fake.plug(2, "Xbox One Elite", true, true);
    fake.plug(3, "Trigger Pad", false, true);
    fake.plug(4, "Wheel without rumble", false, false);
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    server.add_manager(|events| fake.manager(events));
    let mut c = scanning_client(&server, "gamepad test").await;
    let list = device_list_of(&mut c, TIMEOUT, 3).await;

    let mut devices = Vec::new();
    for pad in &PADS {
        let dev = device_named(&list, pad.name);
        assert_eq!(feature_kinds(&dev), pad.kinds, "{}", pad.name);
        assert_eq!(dev["DeviceMessageTimingGap"], json!(0));
        assert_eq!(
            dev["DeviceFeatures"]["0"]["Output"],
            json!({"Vibrate": {"Value": [0, 65535]}})
        );
        for (feature, value, call) in pad.rumble {
            let command = json!({"Vibrate": {"Value": value}});
            output_ok(&mut c, dev["DeviceIndex"].clone(), *feature, command).await;
            until_call(&mut calls, call.clone()).await;
        }
        let (feature, reading) = pad.battery;
        let read = json!({"DeviceIndex": dev["DeviceIndex"], "FeatureIndex": feature,
            "Type": "Battery", "Command": "Read"});
        let r = request(&mut c, "InputCmd", read).await;
        match reading {
            Some(v) => assert_eq!(body(&r)["Reading"], json!({"Battery": {"Value": v}}), "{r}"),
            None => assert_eq!(msg_type(&r), "Error", "{r}"),
        }
        devices.push(dev);
    }
    let [main, both, triggers] = &devices[..] else {
        panic!("three pads");
    };

    // Stop zeroes every motor.
    for (dev, zero) in [
        (both, Call::Triggers(2, 0, 0)),
        (main, Call::Rumble(1, 0, 0)),
    ] {
        let r = request(
            &mut c,
            "StopCmd",
            json!({"DeviceIndex": dev["DeviceIndex"]}),
        )
        .await;
        assert_eq!(msg_type(&r), "Ok", "{r}");
        until_call(&mut calls, zero).await;
    }

    // Unplugged: zeroed (in case it is not quite gone) and removed.
    let mut events = server.events();
    fake.unplug(3);
    until_call(&mut calls, Call::Triggers(3, 0, 0)).await;
    let index = triggers["DeviceIndex"].as_u64().expect("index") as u32;
    tokio::time::timeout(TIMEOUT, async {
        while events.recv().await.expect("events") != ServerEvent::DeviceRemoved(index) {}
    })
    .await
    .expect("DeviceRemoved");
    device_list_of(&mut c, TIMEOUT, 2).await;
}

#[tokio::test]
async fn the_transport_checks_what_it_is_given() {
    let (fake, mut calls) = FakePads::new();
    fake.plug(1, "", true, false);
    let (tx, mut found) = mpsc::unbounded_channel();
    let manager = fake.manager(tx);
    manager.start_scanning().await.expect("scans");
    let Some(ManagerEvent::DeviceFound(candidate)) = found.recv().await else {
        panic!("pad offered");
    };
    assert_eq!(
        found.recv().await.map(|e| format!("{e:?}")),
        Some("ScanningStopped(\"gamepad\")".into())
    );
    let ad = &candidate.advertisement;
    assert_eq!(ad.name, "SDL Gamepad 1", "a pad without a name");
    assert_eq!(ad.address, "sdl-gamepad-1");
    assert_eq!(ad.kind, AdvertisementKind::SdlGamepad);
    assert_eq!(candidate.connector.forced_identity(), None);

    // Only the gamepad specifier opens a pad.
    let other = CommunicationSpecifier::Hid(vec![(1, 2)]);
    assert!(candidate.connector.connect(&other).await.is_err());
    let t = candidate
        .connector
        .connect(&CommunicationSpecifier::SdlGamepad)
        .await
        .expect("opens");
    let mut events = t.take_events().expect("events");
    assert_eq!(t.endpoints(), vec![Endpoint::Rx, Endpoint::Tx]);
    assert_eq!(t.default_message_gap(), Duration::ZERO);

    let err = t.write(Endpoint::Tx, &[1, 2, 3, 4], false).await;
    assert!(
        matches!(&err, Err(HardwareError::Io(m)) if m.contains("8 bytes")),
        "{err:?}"
    );
    assert_eq!(
        t.write(Endpoint::Rx, &[0; 8], false).await,
        Err(HardwareError::InvalidEndpoint(Endpoint::Rx))
    );
    assert_eq!(
        t.write(Endpoint::Tx, &[0, 0, 0, 0, 1, 0, 0, 0], false)
            .await,
        Err(HardwareError::Unsupported("trigger rumble on this gamepad"))
    );
    t.write(Endpoint::Tx, &[0x34, 0x12, 0x78, 0x56, 0, 0, 0, 0], false)
        .await
        .expect("rumble");
    until_call(&mut calls, Call::Rumble(1, 0x1234, 0x5678)).await;
    assert_eq!(
        t.read(Endpoint::Rx, 1, TIMEOUT).await,
        Ok(vec![57]),
        "battery"
    );
    assert!(t.subscribe(Endpoint::Rx).await.is_err());

    // A second scan does not offer the open pad again.
    manager.start_scanning().await.expect("scans");
    assert!(matches!(
        found.recv().await,
        Some(ManagerEvent::ScanningStopped("gamepad"))
    ));

    // Closing zeroes the pad; afterwards the transport refuses everything.
    t.disconnect().await;
    until_call(&mut calls, Call::Rumble(1, 0, 0)).await;
    assert_eq!(
        t.write(Endpoint::Tx, &[0; 8], false).await,
        Err(HardwareError::Disconnected)
    );
    assert!(
        events.try_recv().is_err(),
        "a closed pad is not reported gone"
    );
}

#[tokio::test]
async fn a_pad_with_trigger_rumble_names_its_definition() {
    let (fake, _calls) = FakePads::new();
    fake.plug(5, "Elite", true, true);
    fake.plug(6, "Triggers", false, true);
    let (tx, mut found) = mpsc::unbounded_channel();
    fake.manager(tx).start_scanning().await.expect("scans");
    let mut identities = Vec::new();
    while let Some(ManagerEvent::DeviceFound(c)) = found.recv().await {
        identities.push(c.connector.forced_identity());
    }
    let named = |id: &str| Some(("sdl-gamepad".to_string(), Some(id.to_string())));
    assert_eq!(
        identities,
        [
            named("__sdl-rumble-and-triggers"),
            named("__sdl-triggers-only")
        ]
    );
}

#[tokio::test]
async fn an_unplugged_pad_tells_its_transport() {
    let (fake, _calls) = FakePads::new();
    fake.plug(8, "Pad", true, false);
    let (tx, mut found) = mpsc::unbounded_channel();
    fake.manager(tx).start_scanning().await.expect("scans");
    let Some(ManagerEvent::DeviceFound(candidate)) = found.recv().await else {
        panic!("pad offered");
    };
    let t = candidate
        .connector
        .connect(&CommunicationSpecifier::SdlGamepad)
        .await
        .expect("opens");
    let mut events = t.take_events().expect("events");
    fake.unplug(8);
    let ev = tokio::time::timeout(TIMEOUT, events.recv()).await;
    assert_eq!(ev.ok().flatten(), Some(HardwareEvent::Disconnected));
    assert_eq!(
        t.write(Endpoint::Tx, &[0; 8], false).await,
        Err(HardwareError::Disconnected)
    );
}

/// The real backend on this machine (no gamepads on CI machines): scanning lists none and ends.
#[tokio::test]
async fn gamepad_scanning_enumerates_once_and_finishes() {
    let server = Server::new(ServerOptions {
        transports: Transports {
            gamepad: true,
            ..Transports::none()
        },
        ..ServerOptions::default()
    });
    assert_eq!(
        scan_error(&server, TIMEOUT).await,
        None,
        "gamepad scanning reported an error"
    );
}
