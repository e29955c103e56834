//! The Windows gamepad backend: gilrs (Windows.Gaming.Input, which serves XInput pads such as
//! Xbox controllers too).
//!
//! - Pads: gilrs's connected gamepads; those with force feedback have main rumble (gilrs drives
//!   the two XInput-model motors: strong = low-frequency, weak = high-frequency). gilrs has no
//!   trigger rumble. gilrs reuses a gamepad's id when it comes back, so each connection gets a
//!   fresh instance id here.
//! - Main rumble: one gilrs effect per pad (a strong and a weak base effect, played for the
//!   armed duration); a change replaces it, `(0, 0)` drops it (gilrs's mixer then stops the
//!   motors).
//! - Removal: gilrs's `Disconnected` events, read before every answer.
//! - Battery: gilrs's power information.

use std::collections::HashMap;
use std::time::Duration;

use gilrs::ff::{BaseEffect, BaseEffectType, EffectBuilder, Repeat, Replay, Ticks};
use gilrs::{EventType, GamepadId, Gilrs, PowerInfo};

use super::io::{Capabilities, GamepadIo, PadInfo, Power};
use crate::hardware::HardwareError;

/// One connected pad.
struct Pad {
    gamepad: GamepadId,
    effect: Option<gilrs::ff::Effect>,
}

/// The gilrs backend.
pub struct GilrsIo {
    gilrs: Gilrs,
    pads: HashMap<u32, Pad>,
    next_id: u32,
}

impl GilrsIo {
    pub fn new() -> Result<GilrsIo, HardwareError> {
        let gilrs = Gilrs::new()
            .map_err(|e| HardwareError::Unavailable(format!("gamepads are not available: {e}")))?;
        Ok(GilrsIo {
            gilrs,
            pads: HashMap::new(),
            next_id: 1,
        })
    }

    /// Reads gilrs's events: forgets the pads that were disconnected, gives new ones an id.
    fn catch_up(&mut self) {
        while let Some(event) = self.gilrs.next_event() {
            if event.event == EventType::Disconnected {
                self.pads.retain(|_, p| p.gamepad != event.id);
            }
        }
        let connected: Vec<GamepadId> = self.gilrs.gamepads().map(|(id, _)| id).collect();
        self.pads.retain(|_, p| connected.contains(&p.gamepad));
        for gamepad in connected {
            if !self.pads.values().any(|p| p.gamepad == gamepad) {
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1).max(1);
                self.pads.insert(
                    id,
                    Pad {
                        gamepad,
                        effect: None,
                    },
                );
            }
        }
    }
}

impl GamepadIo for GilrsIo {
    fn pads(&mut self) -> Result<Vec<PadInfo>, HardwareError> {
        self.catch_up();
        let mut out: Vec<PadInfo> = self
            .pads
            .iter()
            .filter_map(|(id, p)| {
                let pad = self.gilrs.connected_gamepad(p.gamepad)?;
                Some(PadInfo {
                    id: *id,
                    name: pad.name().to_string(),
                    capabilities: Capabilities {
                        rumble: pad.is_ff_supported(),
                        trigger_rumble: false,
                    },
                })
            })
            .collect();
        out.sort_by_key(|p| p.id);
        Ok(out)
    }

    fn is_connected(&mut self, id: u32) -> bool {
        self.catch_up();
        self.pads.contains_key(&id)
    }

    fn rumble(
        &mut self,
        id: u32,
        low: u16,
        high: u16,
        duration: Duration,
    ) -> Result<(), HardwareError> {
        let pad = self.pads.get_mut(&id).ok_or(HardwareError::Disconnected)?;
        // Dropping the last handle of an effect removes it.
        pad.effect = None;
        if (low, high) == (0, 0) {
            return Ok(());
        }
        let ms = u32::try_from(duration.as_millis()).unwrap_or(u32::MAX);
        let scheduling = Replay {
            play_for: Ticks::from_ms(ms),
            ..Replay::default()
        };
        let motor = |kind| BaseEffect {
            kind,
            scheduling,
            ..BaseEffect::default()
        };
        let io = |e: gilrs::ff::Error| HardwareError::Io(format!("gamepad rumble: {e}"));
        let effect = EffectBuilder::new()
            .add_effect(motor(BaseEffectType::Strong { magnitude: low }))
            .add_effect(motor(BaseEffectType::Weak { magnitude: high }))
            .gamepads(&[pad.gamepad])
            .repeat(Repeat::For(Ticks::from_ms(ms)))
            .finish(&mut self.gilrs)
            .map_err(io)?;
        effect.play().map_err(io)?;
        pad.effect = Some(effect);
        Ok(())
    }

    fn power(&mut self, id: u32) -> Power {
        let Some(pad) = self.pads.get(&id) else {
            return Power::Unknown;
        };
        match self
            .gilrs
            .connected_gamepad(pad.gamepad)
            .map(|g| g.power_info())
        {
            Some(PowerInfo::Wired) => Power::Wired,
            Some(PowerInfo::Discharging(p)) => Power::OnBattery(Some(p)),
            Some(PowerInfo::Charging(p)) => Power::Charging(Some(p)),
            Some(PowerInfo::Charged) => Power::Charged,
            Some(PowerInfo::Unknown) | None => Power::Unknown,
        }
    }

    fn release(&mut self, id: u32) {
        if let Some(pad) = self.pads.get_mut(&id) {
            pad.effect = None;
        }
    }
}
