//! OSSM (`ossm`, the open-source stroke machine by Kinky Makers): ASCII commands on `tx`, all
//! written with response. The host keeps a mode: Oscillate (stroke speed) runs the stroke engine
//! (`go:menu`, `go:strokeEngine`, then `set:speed:<v>`), HwPositionWithDuration streams
//! positions (`go:menu`, `go:streaming`, then `stream:<p>:<ms>`); the mode packets are sent only
//! on a mode change. See docs/protocols/ossm.md.
//!
//! The device reports its state as JSON on `rx` (`{"state":"strokeEngine.idle"}`). When the state
//! name (the part before the first `.`) changes to `strokeEngine` or `streaming`, the machine is
//! set up: `false` to `txmode`, `set:depth:100` and `set:stroke:100` (and, for `streaming`,
//! `set:speed:100`) to `tx`. The reference writes them from a reader task; here a notification
//! records them and the protocol's tick (every 100 ms) writes them.
//!
//! A stop is Oscillate 0: `set:speed:0` in stroke-engine mode; in streaming (or before any
//! command) nothing, so a stop never switches modes (a streaming machine holds its last target).

use std::time::Duration;

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// How often recorded set-up writes are written.
const SETUP_PERIOD: Duration = Duration::from_millis(100);
/// The coalescing identity the mode packets share (a later mode switch supersedes an unsent one).
const KEY_MODE: u8 = 0;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Mode {
    #[default]
    None,
    StrokeEngine,
    Streaming,
}

#[derive(Default)]
pub struct Ossm {
    mode: Mode,
    /// The last state name the device reported (`None`: nothing yet).
    state: Option<String>,
    /// Set-up writes a state change asks for, written at the next tick.
    setup: Vec<HardwareCommand>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Ossm::default())
}

fn text(endpoint: Endpoint, text: &str, key: CoalesceKey) -> HardwareCommand {
    HardwareCommand::write(endpoint, text.as_bytes(), true, key)
}

/// The mode packets: `go:menu`, then `go:<mode>`.
fn switch_to(mode: &str) -> [HardwareCommand; 2] {
    let key = CoalesceKey::custom(KEY_MODE);
    [
        text(Endpoint::Tx, "go:menu", key),
        text(Endpoint::Tx, &format!("go:{mode}"), key),
    ]
}

/// The state name of a report: `state` up to its first `.`; `None` if the report is not a JSON
/// object with a string `state`.
fn state_name(data: &[u8]) -> Option<String> {
    let report: serde_json::Value = serde_json::from_slice(data).ok()?;
    let state = report.get("state")?.as_str()?;
    Some(state.split('.').next().unwrap_or(state).to_string())
}

/// The writes that set the machine up for a newly reported state.
fn setup_for(state: &str) -> Vec<HardwareCommand> {
    let streaming = state == "streaming";
    if !streaming && state != "strokeEngine" {
        return Vec::new();
    }
    let key = CoalesceKey(0);
    let mut out = vec![
        text(Endpoint::TxMode, "false", key),
        text(Endpoint::Tx, "set:depth:100", key),
        text(Endpoint::Tx, "set:stroke:100", key),
    ];
    if streaming {
        out.push(text(Endpoint::Tx, "set:speed:100", key));
    }
    out
}

#[async_trait]
impl ProtocolHandler for Ossm {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        *self = Ossm::default();
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        if feature.index != 0 {
            return Err(ProtocolError::Unsupported(format!(
                "OSSM has one feature (0), not {}",
                feature.index
            )));
        }
        let key = CoalesceKey::feature(0);
        let mut out = Vec::new();
        match command {
            OutputCommand::Oscillate(v) => {
                if self.mode != Mode::StrokeEngine {
                    if v.value == 0 {
                        return Ok(out);
                    }
                    out.extend(switch_to("strokeEngine"));
                    self.mode = Mode::StrokeEngine;
                }
                out.push(text(Endpoint::Tx, &format!("set:speed:{}", v.value), key));
            }
            OutputCommand::HwPositionWithDuration(p) => {
                if self.mode != Mode::Streaming {
                    out.extend(switch_to("streaming"));
                    self.mode = Mode::Streaming;
                }
                let stream = format!("stream:{}:{}", p.value, p.duration);
                out.push(text(Endpoint::Tx, &stream, key));
            }
            _ => return Err(unsupported_output(&command)),
        }
        Ok(out)
    }

    /// State reports: a change of state name records the set-up writes (see the module doc).
    fn parse_notification(
        &mut self,
        endpoint: Endpoint,
        data: &[u8],
    ) -> Vec<(u32, crate::wire::InputType, i32)> {
        if endpoint != Endpoint::Rx {
            return Vec::new();
        }
        if let Some(name) = state_name(data) {
            if self.state.as_deref() != Some(name.as_str()) {
                self.setup = setup_for(&name);
                self.state = Some(name);
            }
        }
        Vec::new()
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::Tick(SETUP_PERIOD)
    }

    fn tick(&mut self) -> Vec<HardwareCommand> {
        std::mem::take(&mut self.setup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{HwPositionWithDuration, Oscillate, Vibrate};

    fn f0() -> FeatureDefinition {
        feature(0, &[(HwPositionWithDuration, 0, 100), (Oscillate, 0, 100)])
    }

    fn texts(cmds: &[HardwareCommand]) -> Vec<(Endpoint, String)> {
        writes(cmds)
            .into_iter()
            .map(|(e, d, with_response)| {
                assert!(with_response, "every OSSM write is with response");
                (e, String::from_utf8(d).unwrap())
            })
            .collect()
    }

    fn tx(list: &[&str]) -> Vec<(Endpoint, String)> {
        list.iter().map(|t| (Endpoint::Tx, t.to_string())).collect()
    }

    /// The sheet's worked examples, in order.
    #[test]
    fn modes_and_state_reports() {
        let f = f0();
        let mut h = Ossm::default();
        let out = encode(&mut h, &f, cmd(Oscillate, 50));
        assert_eq!(
            texts(&out),
            tx(&["go:menu", "go:strokeEngine", "set:speed:50"])
        );
        assert_eq!(
            writes(&out)[2].1,
            hex("73 65 74 3A 73 70 65 65 64 3A 35 30")
        );
        assert_eq!(writes(&out)[0].1, hex("67 6F 3A 6D 65 6E 75"));
        assert!(h.tick().is_empty());
        h.parse_notification(Endpoint::Rx, br#"{"state":"strokeEngine.idle"}"#);
        let mut setup = vec![(Endpoint::TxMode, "false".to_string())];
        setup.extend(tx(&["set:depth:100", "set:stroke:100"]));
        assert_eq!(texts(&h.tick()), setup);
        assert!(h.tick().is_empty(), "written once");
        // The same state again sets nothing up.
        h.parse_notification(Endpoint::Rx, br#"{"state":"strokeEngine.running","x":1}"#);
        assert!(h.tick().is_empty());
        assert_eq!(
            texts(&encode(&mut h, &f, cmd(Oscillate, 80))),
            tx(&["set:speed:80"])
        );
        let out = encode(&mut h, &f, position(30, 500));
        assert_eq!(
            texts(&out),
            tx(&["go:menu", "go:streaming", "stream:30:500"])
        );
        h.parse_notification(Endpoint::Rx, br#"{"state":"streaming"}"#);
        setup.extend(tx(&["set:speed:100"]));
        assert_eq!(texts(&h.tick()), setup);
        assert_eq!(
            texts(&encode(&mut h, &f, position(70, 250))),
            tx(&["stream:70:250"])
        );
        // Stop while streaming: nothing.
        assert!(stop(&mut h, [&f]).is_empty());
        // Stop in stroke-engine mode: speed 0.
        encode(&mut h, &f, cmd(Oscillate, 10));
        assert_eq!(texts(&stop(&mut h, [&f])), tx(&["set:speed:0"]));
    }

    #[test]
    fn a_stop_never_switches_modes() {
        let mut h = Ossm::default();
        assert!(stop(&mut h, [&f0()]).is_empty());
        // Still no mode: the next oscillate switches.
        let out = encode(&mut h, &f0(), cmd(Oscillate, 5));
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].key, CoalesceKey::custom(KEY_MODE));
        assert_eq!(out[1].key, CoalesceKey::custom(KEY_MODE));
        assert_eq!(out[2].key, CoalesceKey::feature(0));
    }

    #[test]
    fn reports_that_are_not_states_are_ignored() {
        let mut h = Ossm::default();
        for bad in [
            &b"not json"[..],
            b"[1,2]",
            br#"{"state":3}"#,
            br#"{"mode":"x"}"#,
            b"",
        ] {
            assert!(h.parse_notification(Endpoint::Rx, bad).is_empty());
            assert!(h.tick().is_empty());
        }
        // Other endpoints are not the state channel.
        h.parse_notification(Endpoint::Tx, br#"{"state":"streaming"}"#);
        assert!(h.tick().is_empty());
        // An unrelated state is remembered but sets nothing up; coming back to a set-up state
        // does.
        h.parse_notification(Endpoint::Rx, br#"{"state":"menu.idle"}"#);
        assert!(h.tick().is_empty());
        h.parse_notification(Endpoint::Rx, br#"{"state":"streaming.ready"}"#);
        assert_eq!(h.tick().len(), 4);
        assert_eq!(state_name(br#"{"state":"a.b.c"}"#).as_deref(), Some("a"));
    }

    #[test]
    fn refusals() {
        let mut h = Ossm::default();
        let f1 = feature(1, &[(Oscillate, 0, 100)]);
        assert!(h.encode_output(&f1, cmd(Oscillate, 5)).is_err());
        assert!(h.encode_output(&f0(), cmd(Vibrate, 5)).is_err());
        assert_eq!(h.keepalive(), Keepalive::Tick(SETUP_PERIOD));
    }

    /// Through the server's device task: a state report is answered with the set-up writes.
    #[tokio::test(start_paused = true)]
    async fn through_the_device_task() {
        use crate::hardware::simulated::{AutoReply, SimulatedDeviceSpec};
        let def = definition(vec![f0()]);
        let mut spec = SimulatedDeviceSpec::new("OSSM", "a");
        spec.auto_replies = vec![AutoReply {
            on_write: b"go:strokeEngine".to_vec(),
            endpoint: Endpoint::Rx,
            reply: br#"{"state":"strokeEngine.idle"}"#.to_vec(),
        }];
        let endpoints = [Endpoint::Tx, Endpoint::TxMode, Endpoint::Rx];
        let mut d = served(create(), def, spec, &endpoints, Duration::ZERO).await;
        let sent = written(&d.message(&[(0, cmd(Oscillate, 40))]).await);
        let sent: Vec<&[u8]> = sent.iter().map(|w| w.1.as_slice()).collect();
        assert_eq!(sent, [&b"go:menu"[..], b"go:strokeEngine", b"set:speed:40"]);
        tokio::time::sleep(SETUP_PERIOD * 2).await;
        let setup = written(&d.ops());
        assert_eq!(
            setup,
            vec![
                (Endpoint::TxMode, b"false".to_vec()),
                (Endpoint::Tx, b"set:depth:100".to_vec()),
                (Endpoint::Tx, b"set:stroke:100".to_vec()),
            ]
        );
        assert_eq!(
            written(&d.stop().await),
            vec![(Endpoint::Tx, b"set:speed:0".to_vec())]
        );
    }

    /// The database's OSSM: one feature with both outputs (the oscillate output's own
    /// description key is ignored by the loader).
    #[test]
    fn database_model() {
        let def = db_resolve("ossm", None);
        assert_eq!(def.name, "Kinky Makers OSSM");
        let f = &def.features[0];
        assert_eq!(f.output(Oscillate).map(|o| o.base_range), Some((0, 100)));
        assert_eq!(
            f.output(HwPositionWithDuration).map(|o| o.base_range),
            Some((0, 100))
        );
        let mut h = Ossm::default();
        assert_eq!(texts(&encode(&mut h, f, position(30, 500))).len(), 3);
    }
}
