//! The Linux gamepad backend: force feedback through evdev (the `evdev` crate, pure Rust over the
//! kernel's ioctls; no libudev, so no system package at build time, which rules out gilrs here:
//! gilrs-core links libudev through libudev-sys, whose build needs libudev-dev).
//!
//! - Pads: the `/dev/input/event*` nodes that can be opened for writing and that have `FF_RUMBLE`
//!   and gamepad or joystick buttons (`BTN_TRIGGER`..`BTN_THUMBR`), as SDL's joystick check has;
//!   listed again at each scan (no hot-plug monitor: scans enumerate, like the HID transport).
//!   Writing needs access to the node (the `input` group, or the seat's ACL a desktop grants).
//! - Main rumble: one `FF_RUMBLE` effect per pad (strong = low-frequency, weak = high-frequency),
//!   updated and played again at each change; `(0, 0)` stops it. Evdev has no trigger rumble.
//!   The kernel erases the effect when the node is closed, so a pad does not outlive its process.
//! - Removal: an ioctl on the open node fails (`ENODEV`) once the pad is gone.
//! - Battery: the `power_supply` the pad's driver registers beside it in sysfs
//!   (`capacity`, `status`), as gilrs and SDL read it; no power supply means a wired pad.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use evdev::{Device, FFEffect, FFEffectCode, FFEffectData, FFEffectKind, FFReplay, FFTrigger};
use tracing::debug;

use super::io::{Capabilities, GamepadIo, PadInfo, Power};
use crate::hardware::HardwareError;

/// The evdev buttons of joysticks and gamepads: `BTN_TRIGGER` (0x120) to `BTN_THUMBR` (0x13e).
const PAD_BUTTONS: std::ops::RangeInclusive<u16> = 0x120..=0x13e;

/// One open pad.
struct Pad {
    path: PathBuf,
    name: String,
    device: Device,
    effect: Option<FFEffect>,
}

/// The evdev backend: the pads it holds open, by instance id.
pub struct Evdev {
    pads: HashMap<u32, Pad>,
    next_id: u32,
}

impl Evdev {
    pub fn new() -> Evdev {
        Evdev {
            pads: HashMap::new(),
            next_id: 1,
        }
    }
}

/// A rumble gamepad at `path`, opened for writing; None for any other input device.
fn open_pad(path: &Path) -> Option<(Device, String)> {
    let fd: OwnedFd = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f.into(),
        Err(e) => {
            debug!(path = %path.display(), "input device not writable: {e}");
            return None;
        }
    };
    let device = Device::from_fd(fd).ok()?;
    let rumble = device
        .supported_ff()
        .is_some_and(|ff| ff.contains(FFEffectCode::FF_RUMBLE));
    let pad = device
        .supported_keys()
        .is_some_and(|keys| keys.iter().any(|k| PAD_BUTTONS.contains(&k.code())));
    if !(rumble && pad) {
        return None;
    }
    let name = device.name().unwrap_or_default().to_string();
    Some((device, name))
}

/// The `/dev/input/event*` nodes.
fn event_nodes() -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir("/dev/input") else {
        return Vec::new();
    };
    let mut nodes: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("event"))
        })
        .collect();
    nodes.sort();
    nodes
}

/// The power state from a sysfs power supply's `capacity` and `status` texts.
pub fn power_from_sysfs(capacity: Option<&str>, status: &str) -> Power {
    let percent = capacity.and_then(|c| c.trim().parse::<u8>().ok());
    match status.trim() {
        "Charging" => Power::Charging(percent),
        "Discharging" => Power::OnBattery(percent),
        "Full" | "Not charging" => Power::Charged,
        _ => Power::Unknown,
    }
}

/// The power state of the input device at `node` (`/dev/input/eventN`).
fn power_of(node: &Path) -> Power {
    let Some(event) = node.file_name() else {
        return Power::Unknown;
    };
    let supplies = Path::new("/sys/class/input")
        .join(event)
        .join("device/device/power_supply");
    let Some(supply) = std::fs::read_dir(supplies)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok)
    else {
        return Power::Wired;
    };
    let read = |f: &str| std::fs::read_to_string(supply.path().join(f)).ok();
    match read("status") {
        Some(status) => power_from_sysfs(read("capacity").as_deref(), &status),
        None => Power::Unknown,
    }
}

impl GamepadIo for Evdev {
    fn pads(&mut self) -> Result<Vec<PadInfo>, HardwareError> {
        let gone: Vec<u32> = self
            .pads
            .iter()
            .filter(|(_, p)| p.device.get_key_state().is_err())
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.pads.remove(&id);
        }
        for path in event_nodes() {
            if self.pads.values().any(|p| p.path == path) {
                continue;
            }
            if let Some((device, name)) = open_pad(&path) {
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1).max(1);
                self.pads.insert(
                    id,
                    Pad {
                        path,
                        name,
                        device,
                        effect: None,
                    },
                );
            }
        }
        let mut out: Vec<PadInfo> = self
            .pads
            .iter()
            .map(|(id, p)| PadInfo {
                id: *id,
                name: p.name.clone(),
                capabilities: Capabilities {
                    rumble: true,
                    trigger_rumble: false,
                },
            })
            .collect();
        out.sort_by_key(|p| p.id);
        Ok(out)
    }

    fn is_connected(&mut self, id: u32) -> bool {
        self.pads
            .get(&id)
            .is_some_and(|p| p.device.get_key_state().is_ok())
    }

    fn rumble(
        &mut self,
        id: u32,
        low: u16,
        high: u16,
        duration: Duration,
    ) -> Result<(), HardwareError> {
        let pad = self.pads.get_mut(&id).ok_or(HardwareError::Disconnected)?;
        let io = |e: std::io::Error| HardwareError::Io(format!("gamepad rumble: {e}"));
        if (low, high) == (0, 0) {
            return match pad.effect.as_mut() {
                Some(effect) => effect.stop().map_err(io),
                None => Ok(()),
            };
        }
        let data = FFEffectData {
            direction: 0,
            trigger: FFTrigger::default(),
            replay: FFReplay {
                length: u16::try_from(duration.as_millis()).unwrap_or(u16::MAX),
                delay: 0,
            },
            kind: FFEffectKind::Rumble {
                strong_magnitude: low,
                weak_magnitude: high,
            },
        };
        let effect = match pad.effect.as_mut() {
            Some(effect) => {
                effect.update(data).map_err(io)?;
                effect
            }
            None => pad
                .effect
                .insert(pad.device.upload_ff_effect(data).map_err(io)?),
        };
        effect.play(1).map_err(io)
    }

    fn power(&mut self, id: u32) -> Power {
        self.pads
            .get(&id)
            .map_or(Power::Unknown, |p| power_of(&p.path))
    }

    /// Erases the pad's effect; a pad that is gone is closed too.
    fn release(&mut self, id: u32) {
        if let Some(pad) = self.pads.get_mut(&id) {
            pad.effect = None;
            if pad.device.get_key_state().is_err() {
                self.pads.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_states_from_sysfs() {
        assert_eq!(
            power_from_sysfs(Some("57\n"), "Discharging\n"),
            Power::OnBattery(Some(57))
        );
        assert_eq!(
            power_from_sysfs(Some("80"), "Charging"),
            Power::Charging(Some(80))
        );
        assert_eq!(power_from_sysfs(None, "Charging"), Power::Charging(None));
        assert_eq!(
            power_from_sysfs(Some("x"), "Discharging"),
            Power::OnBattery(None)
        );
        assert_eq!(power_from_sysfs(Some("100"), "Full"), Power::Charged);
        assert_eq!(power_from_sysfs(Some("95"), "Not charging"), Power::Charged);
        assert_eq!(power_from_sysfs(Some("50"), "Unknown"), Power::Unknown);
    }

    #[test]
    fn listing_works_without_input_devices() {
        // This machine has no /dev/input (CI machines have none); listing must still work.
        let pads = Evdev::new().pads().expect("lists");
        assert!(pads.iter().all(|p| p.id != 0));
    }
}
