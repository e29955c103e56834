//! Gamepads with rumble (transport `gamepad`, database protocol `sdl-gamepad`,
//! docs/protocols/sdl-gamepad.md): the manager.
//!
//! A "scan" lists the machine's gamepads once (through the [`GamepadIo`] backend: evdev on
//! Linux, gilrs on Windows; none elsewhere) and reports [`ManagerEvent::ScanningStopped`]. Each
//! pad with rumble that is not offered or open already is offered as an
//! [`AdvertisementKind::SdlGamepad`] advertisement: name = the pad's name (`SDL Gamepad <id>`
//! when it has none), address = `sdl-gamepad-<instance id>` (stable for one connection of the
//! pad, as SDL's). The database matches it through its `sdl-gamepad` specifier, and the
//! protocol's identify step takes the pad's name as identifier, which resolves to the defaults
//! (main rumble only). A pad with trigger rumble needs another of the database's definitions,
//! chosen by capability: its connector names it as the device's identity
//! ([`DeviceConnector::forced_identity`]).
//!
//! Every pad is served by `sdl-gamepad`, XInput pads on Windows too: the database's `xinput`
//! entry (inert in the reference since database v5) is never offered, so one pad is one device
//! with one packet format whichever Intiface flag (`--use-sdl-gamepad`, `--use-xinput`) turned
//! the transport on.
//!
//! The pads are driven by one I/O thread (`pads`), started at the first scan; `transport` is a
//! pad's [`Transport`].

#[cfg(target_os = "linux")]
mod evdev_io;
#[cfg(windows)]
mod gilrs_io;
mod io;
mod pads;
mod transport;

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use async_trait::async_trait;
use tracing::debug;

use super::{
    Advertisement, AdvertisementKind, DeviceCandidate, DeviceConnector, HardwareError,
    HardwareManager, ManagerEvent, ManagerEventSender, Transport,
};
use crate::device_config::CommunicationSpecifier;
pub use io::{Capabilities, GamepadIo, GamepadIoFactory, PadInfo, Power};
pub use pads::{ARM, POLL, REFRESH};
pub use transport::{PACKET_LEN, parse_packet};

/// The manager's name in logs, errors and scanning bookkeeping (the transport table's name).
pub const NAME: &str = "gamepad";

/// The database protocol every pad is served by.
pub const PROTOCOL: &str = "sdl-gamepad";

/// Upper bound for starting the backend and for one listing of the pads.
const SCAN_TIMEOUT: Duration = Duration::from_secs(5);

/// The identifier of the database definition a pad with these capabilities gets, beyond the
/// defaults (docs/protocols/sdl-gamepad.md, "Devices"); None: the defaults (main rumble only).
pub fn layout_identifier(capabilities: Capabilities) -> Option<&'static str> {
    match (capabilities.rumble, capabilities.trigger_rumble) {
        (true, true) => Some("__sdl-rumble-and-triggers"),
        (false, true) => Some("__sdl-triggers-only"),
        _ => None,
    }
}

/// The backend of this platform: evdev on Linux, gilrs on Windows.
pub fn platform_io() -> Result<Box<dyn GamepadIo>, HardwareError> {
    #[cfg(target_os = "linux")]
    return Ok(Box::new(evdev_io::Evdev::new()));
    #[cfg(windows)]
    return Ok(Box::new(gilrs_io::GilrsIo::new()?));
    #[cfg(not(any(target_os = "linux", windows)))]
    return Err(HardwareError::Unavailable(
        "gamepad rumble is supported on Linux and Windows only".into(),
    ));
}

/// The gamepad manager.
pub struct GamepadManager {
    events: ManagerEventSender,
    factory: GamepadIoFactory,
    /// The I/O thread's commands, once started.
    commands: tokio::sync::Mutex<Option<std_mpsc::Sender<Command>>>,
}

use pads::Command;

impl GamepadManager {
    /// The manager over this platform's backend.
    pub fn new(events: ManagerEventSender) -> GamepadManager {
        GamepadManager::with_io(events, Arc::new(platform_io))
    }

    /// The manager over the backend `factory` makes (on the I/O thread; called again if the
    /// thread had to be restarted). Tests give a fake.
    pub fn with_io(events: ManagerEventSender, factory: GamepadIoFactory) -> GamepadManager {
        GamepadManager {
            events,
            factory,
            commands: tokio::sync::Mutex::new(None),
        }
    }

    /// The running I/O thread's commands, starting it if needed.
    async fn commands(&self) -> Result<std_mpsc::Sender<Command>, HardwareError> {
        let mut commands = self.commands.lock().await;
        if let Some(c) = commands.as_ref() {
            return Ok(c.clone());
        }
        let factory = self.factory.clone();
        let started = tokio::time::timeout(
            SCAN_TIMEOUT,
            tokio::task::spawn_blocking(move || pads::spawn(factory)),
        )
        .await
        .map_err(|_| HardwareError::Unavailable("the gamepad backend did not start".into()))?
        .map_err(|e| HardwareError::Unavailable(format!("the gamepad backend failed: {e}")))??;
        *commands = Some(started.clone());
        Ok(started)
    }
}

#[async_trait]
impl HardwareManager for GamepadManager {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start_scanning(&self) -> Result<(), HardwareError> {
        let commands = self.commands().await?;
        let found = match pads::ask(&commands, SCAN_TIMEOUT, Command::Scan).await {
            Err(HardwareError::Disconnected) => {
                // The thread ended (a backend panic): the next scan starts a new one.
                self.commands.lock().await.take();
                return Err(HardwareError::Unavailable(
                    "the gamepad thread ended".into(),
                ));
            }
            r => r?,
        };
        debug!(count = found.len(), "gamepads offered");
        for pad in found {
            let _ = self
                .events
                .send(ManagerEvent::DeviceFound(candidate(pad, commands.clone())));
        }
        let _ = self.events.send(ManagerEvent::ScanningStopped(NAME));
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        Ok(())
    }
}

/// The candidate offering `pad`.
fn candidate(pad: PadInfo, commands: std_mpsc::Sender<Command>) -> DeviceCandidate {
    let name = if pad.name.trim().is_empty() {
        format!("SDL Gamepad {}", pad.id)
    } else {
        pad.name
    };
    DeviceCandidate {
        advertisement: Advertisement {
            name,
            address: format!("sdl-gamepad-{}", pad.id),
            manufacturer_data: Vec::new(),
            services: Vec::new(),
            kind: AdvertisementKind::SdlGamepad,
        },
        connector: Box::new(GamepadConnector {
            id: pad.id,
            capabilities: pad.capabilities,
            commands,
        }),
    }
}

struct GamepadConnector {
    id: u32,
    capabilities: Capabilities,
    commands: std_mpsc::Sender<Command>,
}

#[async_trait]
impl DeviceConnector for GamepadConnector {
    async fn connect(
        &self,
        specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        if !matches!(specifier, CommunicationSpecifier::SdlGamepad) {
            return Err(HardwareError::Unsupported(
                "a gamepad with a non-gamepad communication specifier",
            ));
        }
        transport::open(self.commands.clone(), self.id).await
    }

    async fn abandon(&self) {
        let _ = self.commands.send(Command::Abandon(self.id));
    }

    /// Pads with trigger rumble get the database definition of their capabilities.
    fn forced_identity(&self) -> Option<(String, Option<String>)> {
        layout_identifier(self.capabilities)
            .map(|identifier| (PROTOCOL.to_string(), Some(identifier.to_string())))
    }
}

#[cfg(test)]
mod tests;
