//! Magic Motion V1 (`magic-motion-1`): one motor (vibrate, or oscillate on the Xone) driven by a
//! 12-byte packet on `tx`; battery from the standard BLE battery characteristic.

use super::shared::values::byte;
use super::{
    HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::{InputCommandType, InputType, OutputCommand};

pub struct MagicMotion1;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MagicMotion1)
}

impl ProtocolHandler for MagicMotion1 {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let (OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v)) = command else {
            return Err(unsupported_output(&command));
        };
        let packet = [
            0x0B,
            0xFF,
            0x04,
            0x0A,
            0x32,
            0x32,
            0x00,
            0x04,
            0x08,
            byte(v.value),
            0x64,
            0x00,
        ];
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            false,
        )])
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        match input {
            InputType::Battery => Ok(InputPlan::ble_battery()),
            _ => Err(unsupported_input(input, InputCommandType::Read)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Oscillate, Vibrate};
    use crate::protocols::shared::testing::{
        battery, cmd, encode, feature, hex, serve, stop, writes,
    };

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = MagicMotion1;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 50))),
            vec![tx("0B FF 04 0A 32 32 00 04 08 32 64 00")]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx("0B FF 04 0A 32 32 00 04 08 00 64 00")]
        );
        // Xone: oscillate gives the same packet.
        let xone = feature(0, &[(Oscillate, 0, 100)]);
        assert_eq!(
            writes(&encode(&mut h, &xone, cmd(Oscillate, 100))),
            vec![tx("0B FF 04 0A 32 32 00 04 08 64 64 00")]
        );
    }

    #[test]
    fn battery_reads_one_byte() {
        let mut h = MagicMotion1;
        let Ok(InputPlan::Read {
            endpoint,
            max_len,
            mut parse,
            ..
        }) = h.read_input(&battery(1), InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!((endpoint, max_len), (Endpoint::RxBleBattery, 1));
        assert_eq!(parse(endpoint, &[87]), Some(87));
        assert_eq!(parse(endpoint, &[]), None);
        assert!(h.read_input(&battery(1), InputType::Pressure).is_err());
    }

    #[tokio::test]
    async fn exact_names_pick_models_and_wildcards_the_defaults() {
        assert_eq!(
            serve("Magic Cell", &[]).await.chosen.1,
            "MagicMotion Dante/Candy/Rise"
        );
        assert_eq!(
            serve("Smart Mini Vibe3", &[]).await.chosen.1,
            "MagicMotion Vini"
        );
        assert_eq!(
            serve("Smart Mini Vibe2", &[]).await.chosen.1,
            "Magic Motion V1 Device"
        );
    }
}
