//! Lovense Connect Service (`lovense-connect-service`): Lovense toys driven through the vendor's
//! Lovense Connect app on the local network. A write of text `T` to `tx` becomes an HTTP GET of
//! `{host}/T`; commands name the toy by its id (the device address), e.g.
//! `Vibrate1?v=10&t=abc123`. Reads return the battery level the transport polls. The network
//! transport that reaches the app is not part of this module. See
//! docs/protocols/lovense-connect-service.md.
//!
//! Stops: buttplug_server 12 gives every request of this protocol one coalescing identity and
//! coalesces a stop's requests, so a toy with several outputs gets only the last one's zero (Edge:
//! only `Vibrate2?v=0`; Gravity: only `Thrusting?v=0`). Teleplug keys each request by its
//! feature and writes every stop: one zero request per output. Rotation (which 12 still drops)
//! tracks the direction as the Bluetooth handler does (lovense.rs).

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, InputPlan, ProtocolError, ProtocolHandler,
    unsupported_input, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{InputCommandType, InputType, OutputCommand};

pub struct LovenseConnectService {
    /// The toy id given by the app (the device address).
    toy: String,
    /// Whether the toy currently turns counter-clockwise.
    counter_clockwise: bool,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LovenseConnectService {
        toy: String::new(),
        counter_clockwise: false,
    })
}

impl LovenseConnectService {
    fn request(&self, path: &str, key: CoalesceKey) -> HardwareCommand {
        let text = if path.ends_with('?') {
            format!("{path}t={}", self.toy)
        } else {
            format!("{path}&t={}", self.toy)
        };
        HardwareCommand::write(Endpoint::Tx, text.into_bytes(), false, key)
    }
}

#[async_trait]
impl ProtocolHandler for LovenseConnectService {
    /// The Solace is switched to stroke depth 3 at connect, as the reference does.
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.toy = io.advertisement().address.clone();
        if io.advertisement().name == "Solace" {
            let depth = self.request("Depth?v=3", CoalesceKey(0));
            io.perform(&[depth]).await?;
        }
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let v = command.value();
        let key = CoalesceKey::feature(feature.index);
        Ok(match command {
            OutputCommand::Vibrate(_) => {
                vec![self.request(
                    &format!("Vibrate{}?v={v}", u64::from(feature.index) + 1),
                    key,
                )]
            }
            // Choice: the reference sends oscillate-only toys other than the Solace (the Sex
            // Machine) `AirAuto`, a leftover of its air-pump code that does not drive a thruster;
            // every oscillating toy gets `Thrusting` here.
            OutputCommand::Oscillate(_) => vec![self.request(&format!("Thrusting?v={v}"), key)],
            // Choice: the reference drops Constrict silently, so the Max's air pump cannot be
            // driven; `AirAuto` (levels 0-3) is the app's air-pump command.
            OutputCommand::Constrict(_) => vec![self.request(&format!("AirAuto?v={v}"), key)],
            // Choice: the reference drops Rotate silently (its rotate routine is unreachable).
            // Speed goes in `Rotate?v=`, direction is toggled with `RotateChange?` when the sign
            // changes, and a stop leaves the toy clockwise (as over Bluetooth, see lovense.rs).
            // `RotateChange` has an empty coalescing key so a queued toggle is never dropped.
            OutputCommand::Rotate(_) => {
                let mut out = Vec::new();
                let ccw = v < 0;
                if v != 0 && ccw != self.counter_clockwise {
                    out.push(self.request("RotateChange?", CoalesceKey(0)));
                    self.counter_clockwise = ccw;
                }
                if v == 0 {
                    self.counter_clockwise = false;
                }
                out.push(self.request(&format!("Rotate?v={}", v.saturating_abs()), key));
                out
            }
            _ => return Err(unsupported_output(&command)),
        })
    }

    /// The transport answers any read with the battery level it last polled; `tx` is the
    /// device's only endpoint.
    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        if input != InputType::Battery {
            return Err(unsupported_input(input, InputCommandType::Read));
        }
        Ok(InputPlan::Read {
            before: Vec::new(),
            endpoint: Endpoint::Tx,
            max_len: 1,
            parse: Box::new(|_, d| d.first().map(|b| i32::from(*b))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{
        battery, cmd, definition, drain, encode, feature, sim_io, stop, write_op, writes,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Vibrate};

    fn get(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, s.as_bytes().to_vec(), false)
    }

    /// A handler initialized for toy `name` with id `abc123`, and the requests it made.
    async fn toy(name: &str) -> (Box<dyn ProtocolHandler>, Vec<SimOp>) {
        let (_dev, io, mut ops) =
            sim_io(SimulatedDeviceSpec::new(name, "a"), &[Endpoint::Tx]).await;
        let (transport, events, mut ad) = io.into_parts();
        ad.address = "abc123".into();
        let mut io = DeviceIo::new(transport, events, ad);
        let mut h = create();
        h.initialize(&mut io, &definition(Vec::new()))
            .await
            .unwrap();
        (h, drain(&mut ops))
    }

    #[tokio::test]
    async fn vibrators() {
        let (mut h, init) = toy("Lush").await;
        assert!(init.is_empty());
        let (v0, v1) = (
            feature(0, &[(Vibrate, 0, 20)]),
            feature(1, &[(Vibrate, 0, 20)]),
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &v0, cmd(Vibrate, 10))),
            vec![get("Vibrate1?v=10&t=abc123")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &v1, cmd(Vibrate, 15))),
            vec![get("Vibrate2?v=15&t=abc123")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&v0, &v1])),
            vec![get("Vibrate1?v=0&t=abc123"), get("Vibrate2?v=0&t=abc123")]
        );
    }

    #[tokio::test]
    async fn thrusters() {
        let (mut h, init) = toy("Solace").await;
        assert_eq!(
            init,
            vec![write_op(Endpoint::Tx, b"Depth?v=3&t=abc123", false)]
        );
        let osc = feature(0, &[(Oscillate, 0, 20)]);
        assert_eq!(
            writes(&encode(h.as_mut(), &osc, cmd(Oscillate, 10))),
            vec![get("Thrusting?v=10&t=abc123")]
        );
        let (mut h, _) = toy("Gravity").await;
        assert_eq!(
            writes(&encode(h.as_mut(), &osc, cmd(Oscillate, 8))),
            vec![get("Thrusting?v=8&t=abc123")]
        );
        // The Sex Machine thrusts too (the reference would send AirAuto).
        let (mut h, init) = toy("XMachine").await;
        assert!(init.is_empty());
        assert_eq!(
            writes(&encode(h.as_mut(), &osc, cmd(Oscillate, 12))),
            vec![get("Thrusting?v=12&t=abc123")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&osc])),
            vec![get("Thrusting?v=0&t=abc123")]
        );
    }

    #[tokio::test]
    async fn max_air_pump() {
        let (mut h, _) = toy("Max").await;
        let pump = feature(1, &[(Constrict, 0, 3)]);
        assert_eq!(
            writes(&encode(h.as_mut(), &pump, cmd(Constrict, 2))),
            vec![get("AirAuto?v=2&t=abc123")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&pump])),
            vec![get("AirAuto?v=0&t=abc123")]
        );
    }

    #[tokio::test]
    async fn rotation_toggles_direction_on_sign_changes() {
        let (mut h, _) = toy("Nora").await;
        let rot = feature(1, &[(Rotate, -20, 20)]);
        assert_eq!(
            writes(&encode(h.as_mut(), &rot, cmd(Rotate, 5))),
            vec![get("Rotate?v=5&t=abc123")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &rot, cmd(Rotate, -10))),
            vec![get("RotateChange?t=abc123"), get("Rotate?v=10&t=abc123")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &rot, cmd(Rotate, -12))),
            vec![get("Rotate?v=12&t=abc123")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &rot, cmd(Rotate, 3))),
            vec![get("RotateChange?t=abc123"), get("Rotate?v=3&t=abc123")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&rot])),
            vec![get("Rotate?v=0&t=abc123")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &rot, cmd(Rotate, -1))),
            vec![get("RotateChange?t=abc123"), get("Rotate?v=1&t=abc123")]
        );
    }

    #[tokio::test]
    async fn battery_is_read_from_the_transport_cache() {
        let (mut h, _) = toy("Lush").await;
        let Ok(InputPlan::Read {
            endpoint,
            mut parse,
            ..
        }) = h.read_input(&battery(1), InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!(endpoint, Endpoint::Tx);
        assert_eq!(parse(endpoint, &[64]), Some(64));
        assert!(h.read_input(&battery(1), InputType::Pressure).is_err());
    }

    /// Through the server's device task (this transport has no message gap): every output of
    /// a multi-feature toy gets its zero request, where buttplug_server 12 sends only the last.
    #[tokio::test(start_paused = true)]
    async fn a_stop_writes_a_zero_for_every_output() {
        use crate::protocols::shared::testing::{served, written};
        use std::time::Duration;
        let toys = [
            (
                "Edge",
                vec![(Vibrate, 20), (Vibrate, 20)],
                vec!["Vibrate1?v=0&t=abc123", "Vibrate2?v=0&t=abc123"],
            ),
            (
                "Lapis",
                vec![(Vibrate, 20), (Vibrate, 20), (Vibrate, 20)],
                vec![
                    "Vibrate1?v=0&t=abc123",
                    "Vibrate2?v=0&t=abc123",
                    "Vibrate3?v=0&t=abc123",
                ],
            ),
            (
                "Gravity",
                vec![(Vibrate, 20), (Oscillate, 20)],
                vec!["Vibrate1?v=0&t=abc123", "Thrusting?v=0&t=abc123"],
            ),
        ];
        for (name, outputs, stops) in toys {
            let features: Vec<FeatureDefinition> = outputs
                .iter()
                .enumerate()
                .map(|(i, (t, max))| feature(i as u32, &[(*t, 0, *max)]))
                .collect();
            let running: Vec<(u32, OutputCommand)> = outputs
                .iter()
                .enumerate()
                .map(|(i, (t, _))| (i as u32, cmd(*t, 5)))
                .collect();
            let spec = SimulatedDeviceSpec::new(name, "abc123");
            let def = definition(features);
            let mut d = served(create(), def, spec, &[Endpoint::Tx], Duration::ZERO).await;
            assert_eq!(written(&d.message(&running).await).len(), outputs.len());
            let stopped: Vec<(Endpoint, Vec<u8>)> = stops
                .iter()
                .map(|s| (Endpoint::Tx, s.as_bytes().to_vec()))
                .collect();
            assert_eq!(written(&d.stop().await), stopped, "{name}");
        }
    }
}
