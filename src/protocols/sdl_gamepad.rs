//! Gamepads with rumble (`sdl-gamepad`, docs/protocols/sdl-gamepad.md), driven through the
//! gamepad transport (src/hardware/gamepad): every Vibrate command stores its step (0–65535) in
//! the slot its feature maps to and writes the four slots to `tx` as one 8-byte packet,
//! `u16le(low) u16le(high) u16le(left trigger) u16le(right trigger)`, keyed by the commanded
//! feature (so a stop's per-feature zeros are all written; the last is all zero). The layout
//! comes only from the definition's `protocol_variant` (which the transport chose by the pad's
//! capabilities): main rumble only (features 0, 1 → low, high), `sdl-rumble-and-triggers`
//! (0–3 → low, high, left, right) or `sdl-triggers-only` (0, 1 → left, right). The battery is a
//! one-byte `rx` read, the percentage. No keep-alive: the transport re-arms rumble itself.

use async_trait::async_trait;

use super::{
    DeviceIo, HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{InputType, OutputCommand};

/// The slots (0 low, 1 high, 2 left trigger, 3 right trigger) features 0, 1, … drive.
const MAIN_ONLY: &[usize] = &[0, 1];
const RUMBLE_AND_TRIGGERS: &[usize] = &[0, 1, 2, 3];
const TRIGGERS_ONLY: &[usize] = &[2, 3];

/// The layout of a `protocol_variant` (none or unknown: main rumble only).
fn layout(variant: Option<&str>) -> &'static [usize] {
    match variant {
        Some("sdl-rumble-and-triggers") => RUMBLE_AND_TRIGGERS,
        Some("sdl-triggers-only") => TRIGGERS_ONLY,
        _ => MAIN_ONLY,
    }
}

pub struct SdlGamepad {
    /// Feature index → slot.
    layout: &'static [usize],
    /// `[low, high, left, right]`.
    slots: [u16; 4],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SdlGamepad {
        layout: MAIN_ONLY,
        slots: [0; 4],
    })
}

#[async_trait]
impl ProtocolHandler for SdlGamepad {
    /// Nothing is written: the layout is taken from the definition.
    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.layout = layout(definition.protocol_variant.as_deref());
        self.slots = [0; 4];
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let slot = usize::try_from(feature.index)
            .ok()
            .and_then(|i| self.layout.get(i))
            .ok_or_else(|| {
                ProtocolError::Unsupported(format!(
                    "this gamepad has {} rumble channels, not feature {}",
                    self.layout.len(),
                    feature.index
                ))
            })?;
        self.slots[*slot] = v.value.clamp(0, i32::from(u16::MAX)) as u16;
        let data: Vec<u8> = self.slots.iter().flat_map(|s| s.to_le_bytes()).collect();
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            data,
            false,
        )])
    }

    /// One byte of percent from `rx` (the transport's battery reading).
    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        InputPlan::battery_byte_only(input, Endpoint::Rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, battery, cmd, db_definitions, definition, feature, hex, only_write,
        stop, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    /// A handler initialized for a definition with `variant` and `channels` vibrators.
    async fn handler(variant: Option<&str>, channels: u32) -> (SdlGamepad, Vec<FeatureDefinition>) {
        let features: Vec<FeatureDefinition> = (0..channels)
            .map(|i| feature(i, &[(Vibrate, 0, 65535)]))
            .collect();
        let mut def = definition(features.clone());
        def.protocol_variant = variant.map(String::from);
        let mut h = SdlGamepad {
            layout: MAIN_ONLY,
            slots: [0; 4],
        };
        let (_device, mut io, _ops) = crate::protocols::shared::testing::sim_io(
            crate::hardware::simulated::SimulatedDeviceSpec::new("pad", "sdl-gamepad-1"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        h.initialize(&mut io, &def).await.expect("initializes");
        (h, features)
    }

    #[tokio::test]
    async fn main_rumble_only_worked_example() {
        let (mut h, f) = handler(None, 2).await;
        let out = h.encode_output(&f[0], cmd(Vibrate, 65535)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("FF FF 00 00 00 00 00 00"), false)]
        );
        assert_eq!(out[0].key, CoalesceKey::feature(0));
        let out = h.encode_output(&f[1], cmd(Vibrate, 32768)).unwrap();
        assert_eq!(only_write(&out), hex("FF FF 00 80 00 00 00 00"));
        assert_eq!(out[0].key, CoalesceKey::feature(1));
        // The stop: one zero per feature, each written (per-feature keys), the last all zero.
        let out = stop(&mut h, &f);
        assert_eq!(
            writes(&out).into_iter().map(|w| w.1).collect::<Vec<_>>(),
            vec![
                hex("00 00 00 80 00 00 00 00"),
                hex("00 00 00 00 00 00 00 00")
            ]
        );
        let err = h.encode_output(&feature(2, &[(Vibrate, 0, 65535)]), cmd(Vibrate, 1));
        assert!(
            matches!(&err, Err(ProtocolError::Unsupported(m)) if m.contains("2 rumble channels")),
            "{err:?}"
        );
        assert!(h.encode_output(&f[0], cmd(Rotate, 1)).is_err());
    }

    #[tokio::test]
    async fn triggers_only_drive_the_trigger_slots() {
        let (mut h, f) = handler(Some("sdl-triggers-only"), 2).await;
        let out = h.encode_output(&f[0], cmd(Vibrate, 0x1234)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00 34 12 00 00"));
        let out = h.encode_output(&f[1], cmd(Vibrate, 0x0102)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00 34 12 02 01"));
        assert!(
            h.encode_output(&feature(2, &[(Vibrate, 0, 65535)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[tokio::test]
    async fn rumble_and_triggers_carry_all_four_slots() {
        let (mut h, f) = handler(Some("sdl-rumble-and-triggers"), 4).await;
        let mut last = Vec::new();
        for (feature, value) in f.iter().zip([0x1234, 0x5678, 0x9ABC, 0xDEF0]) {
            last = only_write(&h.encode_output(feature, cmd(Vibrate, value)).unwrap());
        }
        assert_eq!(last, hex("34 12 78 56 BC 9A F0 DE"));
        let out = h.encode_output(&f[0], cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 78 56 BC 9A F0 DE"));
    }

    #[tokio::test]
    async fn an_unknown_variant_is_main_rumble_only() {
        let (mut h, f) = handler(Some("something-else"), 4).await;
        assert_eq!(
            only_write(&h.encode_output(&f[1], cmd(Vibrate, 0xFFFF)).unwrap()),
            hex("00 00 FF FF 00 00 00 00")
        );
        assert!(h.encode_output(&f[2], cmd(Vibrate, 1)).is_err());
    }

    /// Every database definition (the defaults and the two layouts chosen by capability)
    /// encodes every output, each on its own slot.
    #[tokio::test]
    async fn every_database_definition_encodes() {
        let defs = db_definitions("sdl-gamepad");
        assert_eq!(defs.len(), 3, "defaults and two layouts");
        for def in defs {
            let (mut h, _) = handler(def.protocol_variant.as_deref(), 0).await;
            assert_encodes_all(&mut h, &def);
            let vibrators = def.features.iter().filter(|f| f.output(Vibrate).is_some());
            assert_eq!(vibrators.count(), h.layout.len(), "{}", def.name);
        }
    }

    #[test]
    fn battery_is_one_byte_of_percent() {
        let mut h = create();
        let Ok(InputPlan::Read {
            endpoint,
            max_len,
            mut parse,
            before,
        }) = h.read_input(&battery(2), InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!((endpoint, max_len, before.len()), (Endpoint::Rx, 1, 0));
        assert_eq!(parse(endpoint, &[0x39]), Some(57));
        assert_eq!(parse(endpoint, &[]), None);
        assert!(h.read_input(&battery(2), InputType::Pressure).is_err());
    }
}
