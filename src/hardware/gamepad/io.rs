//! What the gamepad transport needs from a gamepad library: the [`GamepadIo`] trait, which the
//! platform backends (evdev on Linux, gilrs on Windows) and test fakes implement, and the facts
//! it reports about a pad (its [`PadInfo`], [`Capabilities`] and [`Power`]), with the one rule
//! that turns a power state into the battery byte of docs/protocols/sdl-gamepad.md.

use std::sync::Arc;
use std::time::Duration;

use crate::hardware::HardwareError;

/// The rumble a pad can do (docs/protocols/sdl-gamepad.md, "Capabilities of the opened pad").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The two main motors: low-frequency (heavy) and high-frequency (light).
    pub rumble: bool,
    /// The two trigger motors (left and right), as Xbox One pads have.
    pub trigger_rumble: bool,
}

impl Capabilities {
    /// Whether the pad can rumble at all (pads that cannot are not offered).
    pub fn any(self) -> bool {
        self.rumble || self.trigger_rumble
    }
}

/// A connected pad as the backend lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PadInfo {
    /// The pad's instance id: unique for one connection of the pad (a pad unplugged and plugged
    /// back gets a new one), never 0. The device address is `sdl-gamepad-<id>`.
    pub id: u32,
    /// The name the pad reports (may be empty).
    pub name: String,
    pub capabilities: Capabilities,
}

/// What a pad says about its power (SDL's power states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    /// The state cannot be read.
    Unknown,
    /// Powered by its cable, no battery to report.
    Wired,
    /// Running on its battery, with the percentage when known.
    OnBattery(Option<u8>),
    /// Charging, with the percentage when known.
    Charging(Option<u8>),
    /// Fully charged.
    Charged,
}

impl Power {
    /// The battery byte of an `rx` read: 100 when charged, the known percentage (at most 100)
    /// on battery or charging; an error for wired pads and unknown states, never a made-up 0 or
    /// 100.
    pub fn battery_percent(self) -> Result<u8, HardwareError> {
        match self {
            Power::Charged => Ok(100),
            Power::OnBattery(Some(p)) | Power::Charging(Some(p)) => Ok(p.min(100)),
            Power::Wired => Err(HardwareError::Unsupported(
                "a battery reading of a wired pad",
            )),
            Power::OnBattery(None) | Power::Charging(None) | Power::Unknown => Err(
                HardwareError::Io("the pad does not report its battery level".into()),
            ),
        }
    }
}

/// Blocking access to the machine's gamepads. One value serves every pad and is used only from
/// the gamepad I/O thread (so it need not be `Send`: it is made on that thread). Every call must
/// return promptly (no call may wait for the pad).
pub trait GamepadIo: 'static {
    /// The pads connected now (the backend catches up with pads plugged in or out first).
    fn pads(&mut self) -> Result<Vec<PadInfo>, HardwareError>;

    /// Whether pad `id` is still connected.
    fn is_connected(&mut self, id: u32) -> bool;

    /// Run the main motors at these magnitudes (0–65535) for `duration`, replacing what they
    /// did before; `(0, 0)` stops them.
    fn rumble(
        &mut self,
        id: u32,
        low: u16,
        high: u16,
        duration: Duration,
    ) -> Result<(), HardwareError>;

    /// Run the trigger motors likewise. Default: the backend has no trigger rumble.
    fn trigger_rumble(
        &mut self,
        _id: u32,
        _left: u16,
        _right: u16,
        _duration: Duration,
    ) -> Result<(), HardwareError> {
        Err(HardwareError::Unsupported("trigger rumble"))
    }

    /// The pad's power state.
    fn power(&mut self, id: u32) -> Power;

    /// Pad `id` is no longer driven (its device was closed or it is gone): let go of what the
    /// backend holds for it. Default: nothing.
    fn release(&mut self, _id: u32) {}
}

/// Makes the backend on the gamepad I/O thread (again when the thread is restarted).
pub type GamepadIoFactory =
    Arc<dyn Fn() -> Result<Box<dyn GamepadIo>, HardwareError> + Send + Sync + 'static>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_byte_follows_the_power_state() {
        assert_eq!(Power::Charged.battery_percent(), Ok(100));
        assert_eq!(Power::OnBattery(Some(57)).battery_percent(), Ok(57));
        assert_eq!(Power::Charging(Some(3)).battery_percent(), Ok(3));
        assert_eq!(Power::OnBattery(Some(250)).battery_percent(), Ok(100));
        for p in [
            Power::Wired,
            Power::Unknown,
            Power::OnBattery(None),
            Power::Charging(None),
        ] {
            assert!(p.battery_percent().is_err(), "{p:?}");
        }
    }

    #[test]
    fn pads_without_any_rumble_are_not_candidates() {
        assert!(!Capabilities::default().any());
        for (rumble, trigger_rumble) in [(true, false), (false, true), (true, true)] {
            assert!(
                Capabilities {
                    rumble,
                    trigger_rumble
                }
                .any()
            );
        }
    }
}
