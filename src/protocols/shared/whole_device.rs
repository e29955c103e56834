//! The handler of every protocol whose packets carry the whole device: a command stores its step
//! in its feature's slot (features 0 to N-1), then one packet made from every slot is written to
//! `tx`, superseding every unsent packet of the device. The protocol gives the packet; options
//! cover what the sheets vary: response, connect writes, the BLE battery, a per-feature key,
//! slots chosen by output type instead of feature, and one-vibrator models that repeat motor 0 in
//! every slot.

use async_trait::async_trait;

use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::{InputCommandType, InputType, OutputCommand, OutputType};
use crate::protocols::{
    CoalesceKey, DeviceIo, HardwareCommand, InputPlan, ProtocolError, ProtocolHandler,
    unsupported_input, unsupported_output,
};

/// The bytes of the packet carrying every slot's step.
type Packet<const N: usize> = Box<dyn Fn(&[i32; N]) -> Vec<u8> + Send>;

/// One packet carrying every feature's last step.
pub struct WholeDevice<const N: usize> {
    outputs: &'static [OutputType],
    steps: [i32; N],
    packet: Packet<N>,
    with_response: bool,
    battery: bool,
    /// Written to `tx` at connect, in order: (bytes, with response).
    connect: Vec<(Vec<u8>, bool)>,
    by_feature: bool,
    /// The slot is the position of the command's type in `outputs`, whatever the feature.
    by_type: bool,
    /// Repeat motor 0 in every slot when the definition has at most one vibrator.
    mirror_single: bool,
    mirrored: bool,
}

impl<const N: usize> WholeDevice<N> {
    /// Slots for features 0 to N-1 taking commands of the `outputs` types (anything else is
    /// refused), all 0 at connect; the packet `packet(steps)` goes to `tx` without response.
    pub fn new<P: Into<Vec<u8>>>(
        outputs: &'static [OutputType],
        packet: impl Fn(&[i32; N]) -> P + Send + 'static,
    ) -> WholeDevice<N> {
        WholeDevice {
            outputs,
            steps: [0; N],
            packet: Box::new(move |steps| packet(steps).into()),
            with_response: false,
            battery: false,
            connect: Vec::new(),
            by_feature: false,
            by_type: false,
            mirror_single: false,
            mirrored: false,
        }
    }

    /// Write with response.
    pub fn with_response(mut self) -> WholeDevice<N> {
        self.with_response = true;
        self
    }

    /// Battery reads from the standard BLE battery characteristic ([`InputPlan::ble_battery`]).
    pub fn with_ble_battery(mut self) -> WholeDevice<N> {
        self.battery = true;
        self
    }

    /// At connect (initialize), write `data` to `tx`, after the writes added before.
    pub fn on_connect(mut self, data: impl Into<Vec<u8>>, with_response: bool) -> WholeDevice<N> {
        self.connect.push((data.into(), with_response));
        self
    }

    /// Key each packet by the commanded feature instead of the whole device.
    pub fn keyed_by_feature(mut self) -> WholeDevice<N> {
        self.by_feature = true;
        self
    }

    /// Slot `i` holds the step of the `i`-th output type given to [`WholeDevice::new`], whatever
    /// feature the command is for.
    pub fn slots_by_output_type(mut self) -> WholeDevice<N> {
        self.by_type = true;
        self
    }

    /// A definition with at most one vibrator drives every slot from feature 0 (as does the
    /// handler before it knows its definition).
    pub fn mirror_single_vibrator(mut self) -> WholeDevice<N> {
        self.mirror_single = true;
        self.mirrored = true;
        self
    }

    /// Size up the definition (what initialize does besides the connect writes).
    pub fn setup(&mut self, definition: &DeviceDefinition) {
        let vibrators = definition
            .features
            .iter()
            .filter(|f| f.output(OutputType::Vibrate).is_some())
            .count();
        self.mirrored = self.mirror_single && vibrators <= 1;
    }

    /// Whether every slot repeats feature 0 (a one-vibrator definition).
    pub fn mirrored(&self) -> bool {
        self.mirrored
    }
}

#[async_trait]
impl<const N: usize> ProtocolHandler for WholeDevice<N> {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.setup(definition);
        for (data, with_response) in &self.connect {
            io.write(Endpoint::Tx, data, *with_response).await?;
        }
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let Some(position) = self
            .outputs
            .iter()
            .position(|t| *t == command.output_type())
        else {
            return Err(unsupported_output(&command));
        };
        let slot = if self.by_type {
            position
        } else {
            feature.index as usize
        };
        let Some(slot) = self.steps.get_mut(slot) else {
            return Err(unsupported_output(&command));
        };
        *slot = command.value();
        let steps = if self.mirrored {
            [self.steps.first().copied().unwrap_or(0); N]
        } else {
            self.steps
        };
        let key = if self.by_feature {
            CoalesceKey::feature(feature.index)
        } else {
            CoalesceKey::device()
        };
        Ok(vec![HardwareCommand::write(
            Endpoint::Tx,
            (self.packet)(&steps),
            self.with_response,
            key,
        )])
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        match input {
            InputType::Battery if self.battery => Ok(InputPlan::ble_battery()),
            _ => Err(unsupported_input(input, InputCommandType::Read)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Rotate, Vibrate};
    use crate::protocols::shared::testing::{battery, cmd, definition, feature, writes};

    fn pair() -> WholeDevice<2> {
        WholeDevice::new(&[Vibrate], |[a, b]: &[i32; 2]| [*a as u8, *b as u8])
    }

    #[test]
    fn every_packet_carries_every_slot() {
        let mut h = pair();
        let (f0, f1) = (
            feature(0, &[(Vibrate, 0, 9)]),
            feature(1, &[(Vibrate, 0, 9)]),
        );
        h.encode_output(&f0, cmd(Vibrate, 3)).unwrap();
        let out = h.encode_output(&f1, cmd(Vibrate, 4)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![3, 4], false)]);
        assert_eq!(out[0].key, CoalesceKey::device());
        assert!(h.encode_output(&f0, cmd(Rotate, 1)).is_err());
        let f2 = feature(2, &[(Vibrate, 0, 9)]);
        assert!(h.encode_output(&f2, cmd(Vibrate, 1)).is_err());
        assert!(h.read_input(&battery(2), InputType::Battery).is_err());
    }

    #[test]
    fn options() {
        let mut h = pair()
            .with_response()
            .with_ble_battery()
            .keyed_by_feature()
            .mirror_single_vibrator();
        assert!(h.mirrored());
        let f0 = feature(0, &[(Vibrate, 0, 9)]);
        h.setup(&definition(vec![f0.clone()]));
        assert!(h.mirrored());
        let out = h.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![5, 5], true)]);
        assert_eq!(out[0].key, CoalesceKey::feature(0));
        assert!(h.read_input(&battery(1), InputType::Battery).is_ok());
        let f1 = feature(1, &[(Vibrate, 0, 9)]);
        h.setup(&definition(vec![f0, f1]));
        assert!(!h.mirrored());
    }

    #[test]
    fn slots_by_output_type() {
        let mut h = WholeDevice::new(&[Rotate, Vibrate], |[r, v]: &[i32; 2]| [*r as u8, *v as u8])
            .slots_by_output_type();
        let f5 = feature(5, &[(Vibrate, 0, 9), (Rotate, 0, 9)]);
        h.encode_output(&f5, cmd(Vibrate, 2)).unwrap();
        let out = h.encode_output(&f5, cmd(Rotate, 3)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![3, 2], false)]);
    }
}
