//! Lovense (`lovense`): an ASCII protocol (`Command:args;`) written to `tx` without response,
//! replies notified on `rx`. The model comes from the `DeviceType;` reply and picks one of six
//! command styles (Single, Dual, Mply, RotateVibrator, Max, Stroker). See docs/protocols/lovense.md.
//!
//! buttplug_server 12's changes, judged:
//! - RotateVibrator direction: both track it and send `RotateChange;` only on a real change, and
//!   a toggle is never coalesced away (12: a fresh identity each time; here an empty key). They
//!   differ after `Rotate:0;`: 12 keeps the remembered direction, Teleplug takes the toy to be
//!   clockwise again, as the v4-era vector test_lovense_nora.yaml records (rotate −20, stop,
//!   rotate −10 writes `RotateChange;` again) and must keep passing; whether the toy itself keeps
//!   its direction through a stop is not documented.
//! - Battery read timeout: not adopted. 12 gives up after 500 ms without a battery reply; here
//!   the read waits for the server's bound on every read (5 s, `INPUT_TIMEOUT`), so a toy busy
//!   answering motor commands still reports its battery, and a toy that never answers still fails
//!   the read, later.
//! - Stroker: adopted. An oscillate 0 (the stroker's stop) halts a position move where it is
//!   instead of letting the position loop run on; a step smaller than one per tick moves by one
//!   (this was already Teleplug's choice).

use std::time::Duration;

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, Identification, InputPlan, Keepalive, ProtocolError,
    ProtocolHandler, unsupported_input, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{InputCommandType, InputType, OutputCommand, OutputType};

const IDENTIFY_TIMEOUT: Duration = Duration::from_millis(500);
const IDENTIFY_ATTEMPTS: usize = 6;
const STROKER_PERIOD: Duration = Duration::from_millis(100);

/// Coalescing identity of RotateVibrator `Rotate:` packets (separate from the features'). The
/// `RotateChange;` toggle has none: a later command must never drop a queued toggle, or the
/// toy's direction would drift from the one tracked here.
const KEY_ROTATE: u8 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Single,
    Dual,
    Mply,
    RotateVibrator,
    Max,
    /// `solace`: the original Solace (`H`), whose stop is `Mply:0:0;`.
    Stroker {
        solace: bool,
    },
}

/// Emulated position of the Solace Pro's stroker (moved by `FSetSite:` writes every 100 ms).
#[derive(Default)]
struct Stroke {
    current: i32,
    goal: i32,
    duration: u32,
    /// Goal and duration the current step was computed for.
    planned: Option<(i32, u32)>,
    step: i32,
}

pub struct Lovense {
    device_type: String,
    variant: Variant,
    /// Mply slots: output feature index → stored value.
    slots: Vec<(u32, i32)>,
    /// RotateVibrator: whether the toy currently turns counter-clockwise.
    counter_clockwise: bool,
    stroke: Stroke,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Lovense {
        device_type: String::new(),
        variant: Variant::Single,
        slots: Vec::new(),
        counter_clockwise: false,
        stroke: Stroke::default(),
    })
}

/// Model identifier from a `DeviceType;` reply such as `EI:03:0082059AD3BD;`.
fn identifier_from_reply(reply: &str) -> String {
    let parts: Vec<&str> = reply.split(':').collect();
    if parts.len() < 2 {
        return "lovense".into();
    }
    let code = parts[0];
    let version: u32 = parts[1].parse().unwrap_or(0);
    if code == "EI" && version >= 3 {
        "EI-FW3".into()
    } else {
        code.to_string()
    }
}

/// Fallback identifier from a BLE name: `LVS-` + capitals + a digit (`LVS-Z36` → `Z`).
fn identifier_from_name(name: &str) -> Option<String> {
    let mut rest = name;
    while let Some(pos) = rest.find("LVS-") {
        let after = &rest[pos + 4..];
        let letters: String = after
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .collect();
        if !letters.is_empty()
            && after[letters.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        {
            return Some(letters);
        }
        rest = &rest[pos + 4..];
    }
    None
}

/// Battery level from a reply: `85;` → 85, `s89;` → 89 (the `s` prefix means a motor runs).
fn parse_battery(data: &[u8]) -> Option<i32> {
    let text = std::str::from_utf8(data).ok()?;
    let mut s = text;
    if s.contains('s') {
        s = s.get(1..)?;
    }
    let s = s
        .strip_suffix(';')
        .unwrap_or(s.get(..s.len().checked_sub(1)?)?);
    s.parse::<u8>().ok().map(i32::from)
}

fn write(text: String, key: CoalesceKey) -> HardwareCommand {
    HardwareCommand::write(Endpoint::Tx, text.into_bytes(), false, key)
}

#[async_trait]
impl ProtocolHandler for Lovense {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        for _ in 0..IDENTIFY_ATTEMPTS {
            io.write(Endpoint::Tx, b"DeviceType;", false).await?;
            if let Some((_, data)) = io.next_notification(IDENTIFY_TIMEOUT).await? {
                let reply = String::from_utf8(data).map_err(|_| {
                    ProtocolError::InvalidReply("DeviceType reply is not UTF-8".into())
                })?;
                let id = identifier_from_reply(&reply);
                self.device_type = id.clone();
                return Ok(Identification::identifier(id));
            }
        }
        let id = identifier_from_name(&io.advertisement().name);
        self.device_type = id.clone().unwrap_or_default();
        Ok(Identification {
            identifier: id,
            switch_to: None,
        })
    }

    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        let outputs: Vec<&FeatureDefinition> = def
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .collect();
        let has = |f: &FeatureDefinition, t: OutputType| f.output(t).is_some();
        let any = |t: OutputType| outputs.iter().any(|f| has(f, t));
        let k = outputs
            .iter()
            .filter(|f| has(f, OutputType::Vibrate) || has(f, OutputType::Oscillate))
            .count();
        self.variant = if self.device_type == "BA" || self.device_type == "H" {
            Variant::Stroker {
                solace: self.device_type == "H",
            }
        } else if outputs.len() == 1 {
            Variant::Single
        } else if outputs.len() == 2 && any(OutputType::Vibrate) && any(OutputType::Constrict) {
            Variant::Max
        } else if outputs.len() == 2 && any(OutputType::Vibrate) && any(OutputType::Rotate) {
            Variant::RotateVibrator
        } else if (k == 2 && outputs.len() > 2) || k > 2 {
            Variant::Mply
        } else {
            Variant::Dual
        };
        self.slots = outputs.iter().map(|f| (f.index, 0)).collect();
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let x = command.value();
        let fkey = CoalesceKey::feature(feature.index);
        let t = command.output_type();
        let vib_or_osc = matches!(t, OutputType::Vibrate | OutputType::Oscillate);
        Ok(match self.variant {
            Variant::Single if vib_or_osc => vec![write(format!("Vibrate:{x};"), fkey)],
            Variant::Dual if vib_or_osc => {
                vec![write(format!("Vibrate{}:{x};", feature.index + 1), fkey)]
            }
            Variant::Mply if matches!(t, OutputType::Vibrate | OutputType::Rotate) => {
                if let Some(slot) = self.slots.iter_mut().find(|(i, _)| *i == feature.index) {
                    slot.1 = x.abs();
                }
                let values: Vec<String> = self.slots.iter().map(|(_, v)| v.to_string()).collect();
                vec![write(
                    format!("Mply:{};", values.join(":")),
                    CoalesceKey::device(),
                )]
            }
            Variant::RotateVibrator if vib_or_osc => vec![write(format!("Vibrate:{x};"), fkey)],
            Variant::RotateVibrator if t == OutputType::Rotate => {
                // Choice (see the module doc): toggle only when the sign changes; a stop
                // (`Rotate:0;`) is taken to return the toy to clockwise, which is what the
                // vectors record (a negative command after a stop toggles again).
                let mut out = Vec::new();
                let want_ccw = x < 0;
                if x != 0 && want_ccw != self.counter_clockwise {
                    out.push(write("RotateChange;".into(), CoalesceKey(0)));
                    self.counter_clockwise = want_ccw;
                }
                if x == 0 {
                    self.counter_clockwise = false;
                }
                out.push(write(
                    format!("Rotate:{};", x.abs()),
                    CoalesceKey::custom(KEY_ROTATE),
                ));
                out
            }
            Variant::Max if vib_or_osc => vec![write(format!("Vibrate:{x};"), fkey)],
            Variant::Max if t == OutputType::Constrict => {
                vec![write(format!("Air:Level:{x};"), fkey)]
            }
            Variant::Stroker { solace } if t == OutputType::Oscillate => {
                if x == 0 {
                    // The stop: the position loop stops where it is.
                    self.stroke.goal = self.stroke.current;
                    self.stroke.duration = 0;
                }
                let range = if solace && x == 0 { 0 } else { 20 };
                vec![write(format!("Mply:{x}:{range};"), fkey)]
            }
            Variant::Stroker { .. } if t == OutputType::HwPositionWithDuration => {
                self.stroke.goal = x;
                self.stroke.duration = command.duration();
                Vec::new()
            }
            _ => return Err(unsupported_output(&command)),
        })
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        if input != InputType::Battery {
            return Err(unsupported_input(input, InputCommandType::Read));
        }
        Ok(InputPlan::Notification {
            before: vec![write("Battery;".into(), CoalesceKey(0))],
            parse: Box::new(|_, data| parse_battery(data)),
        })
    }

    fn keepalive(&self) -> Keepalive {
        match self.variant {
            Variant::Stroker { .. } => Keepalive::Tick(STROKER_PERIOD),
            _ => Keepalive::None,
        }
    }

    fn stop_on_connect(&self) -> bool {
        false
    }

    /// The Solace Pro position loop: spread a move over `duration / 100` writes.
    fn tick(&mut self) -> Vec<HardwareCommand> {
        let s = &mut self.stroke;
        if s.planned != Some((s.goal, s.duration)) {
            let steps = (s.duration / 100).max(1) as i32;
            s.step = (s.goal - s.current) / steps;
            if s.step == 0 {
                // Choice: the reference computes a zero step when the distance is smaller than
                // the number of steps and then never reaches the goal; move one unit instead.
                s.step = (s.goal - s.current).signum();
            }
            s.planned = Some((s.goal, s.duration));
        }
        if s.current == s.goal {
            return Vec::new();
        }
        let next = s.current + s.step;
        s.current = if s.step > 0 {
            next.min(s.goal)
        } else {
            next.max(s.goal)
        };
        vec![write(format!("FSetSite:{};", s.current), CoalesceKey(0))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(identifier_from_reply("Z:11:0082059AD3BD;"), "Z");
        assert_eq!(identifier_from_reply("EI:03:0082059AD3BD;"), "EI-FW3");
        assert_eq!(identifier_from_reply("EI:02:0082059AD3BD;"), "EI");
        assert_eq!(identifier_from_reply("OK;"), "lovense");
        assert_eq!(identifier_from_name("LVS-Z36").as_deref(), Some("Z"));
        assert_eq!(identifier_from_name("LVS-EI09").as_deref(), Some("EI"));
        assert_eq!(identifier_from_name("LVS-Edge36"), None);
        assert_eq!(identifier_from_name("LOVE-1"), None);
    }

    /// Every definition of the embedded database (v5 adds the Velvo, Synth and Fizz), identified
    /// by its DeviceType code, initializes and encodes every output it lists at its top, bottom
    /// and zero; the top writes something (a stroker's position, at the next tick).
    #[tokio::test(start_paused = true)]
    async fn every_database_output_encodes() {
        use crate::hardware::simulated::SimulatedDeviceSpec;
        use crate::protocols::shared::testing::{db_definitions, sim_io};
        for def in db_definitions("lovense") {
            let spec = SimulatedDeviceSpec::new(def.name.clone(), "a");
            let (_device, mut io, _ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
            let mut l = Lovense {
                device_type: def.identifier.clone().unwrap_or_default(),
                variant: Variant::Single,
                slots: Vec::new(),
                counter_clockwise: false,
                stroke: Stroke::default(),
            };
            l.initialize(&mut io, &def).await.expect("initialize");
            for f in &def.features {
                for o in &f.outputs {
                    let (min, max) = o.base_range;
                    for v in [max, min, 0] {
                        let command = OutputCommand::new(o.output_type, v, 500);
                        let out = l.encode_output(f, command);
                        let label = format!("{} feature {}: {command:?}", def.name, f.index);
                        let out = out.unwrap_or_else(|e| panic!("{label}: {e}"));
                        if v == max && max != 0 {
                            assert!(!out.is_empty() || !l.tick().is_empty(), "{label}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn battery_replies() {
        assert_eq!(parse_battery(b"100;"), Some(100));
        assert_eq!(parse_battery(b"s89;"), Some(89));
        assert_eq!(parse_battery(b"85;"), Some(85));
        assert_eq!(parse_battery(b"OK;"), None);
        assert_eq!(parse_battery(b"Z:11:0082059AD3BD;"), None);
        assert_eq!(parse_battery(&[0xff, 0x3b]), None);
        assert_eq!(parse_battery(b""), None);
    }

    fn stroker() -> Lovense {
        Lovense {
            device_type: "BA".into(),
            variant: Variant::Stroker { solace: false },
            slots: Vec::new(),
            counter_clockwise: false,
            stroke: Stroke::default(),
        }
    }

    fn sites(l: &mut Lovense, n: usize) -> Vec<String> {
        (0..n)
            .flat_map(|_| l.tick())
            .map(|c| match c.op {
                super::super::HardwareOp::Write { data, .. } => String::from_utf8(data).unwrap(),
                _ => unreachable!(),
            })
            .collect()
    }

    fn texts(cmds: Vec<HardwareCommand>) -> Vec<String> {
        cmds.into_iter()
            .map(|c| match c.op {
                super::super::HardwareOp::Write { data, .. } => String::from_utf8(data).unwrap(),
                _ => unreachable!(),
            })
            .collect()
    }

    /// A Nora (`A`): vibrator and rotator.
    fn rotate_vibrator() -> Lovense {
        Lovense {
            device_type: "A".into(),
            variant: Variant::RotateVibrator,
            slots: Vec::new(),
            counter_clockwise: false,
            stroke: Stroke::default(),
        }
    }

    #[test]
    fn rotate_direction_is_tracked() {
        let mut l = rotate_vibrator();
        let f = crate::protocols::shared::testing::feature(1, &[(OutputType::Rotate, -20, 20)]);
        let mut rot = |v| {
            texts(
                l.encode_output(&f, OutputCommand::new(OutputType::Rotate, v, 0))
                    .unwrap(),
            )
        };
        assert_eq!(rot(-20), ["RotateChange;", "Rotate:20;"]);
        // Still counter-clockwise: no second toggle (the reference would flip back here).
        assert_eq!(rot(-10), ["Rotate:10;"]);
        assert_eq!(rot(5), ["RotateChange;", "Rotate:5;"]);
        assert_eq!(rot(0), ["Rotate:0;"]);
        assert_eq!(rot(-3), ["RotateChange;", "Rotate:3;"]);
        // A toggle never coalesces away.
        let cmds = l
            .encode_output(&f, OutputCommand::new(OutputType::Rotate, 4, 0))
            .unwrap();
        assert_eq!(cmds[0].key, CoalesceKey(0));
    }

    /// The sheet's buttplug_server 12 Nora example, and where Teleplug keeps the v10 bytes:
    /// after a stop, rotate −10 toggles again (12 writes `Rotate:10;` alone), so a following
    /// +10 does not toggle (12: `RotateChange;`, `Rotate:10;`).
    #[test]
    fn rotate_after_a_stop_starts_from_clockwise() {
        let mut l = rotate_vibrator();
        let vib = crate::protocols::shared::testing::feature(0, &[(OutputType::Vibrate, 0, 20)]);
        let rot = crate::protocols::shared::testing::feature(1, &[(OutputType::Rotate, -20, 20)]);
        let mut send = |f: &FeatureDefinition, t, v| {
            texts(l.encode_output(f, OutputCommand::new(t, v, 0)).unwrap())
        };
        assert_eq!(send(&vib, OutputType::Vibrate, 10), ["Vibrate:10;"]);
        assert_eq!(
            send(&rot, OutputType::Rotate, -20),
            ["RotateChange;", "Rotate:20;"]
        );
        assert_eq!(send(&vib, OutputType::Vibrate, 0), ["Vibrate:0;"]);
        assert_eq!(send(&rot, OutputType::Rotate, 0), ["Rotate:0;"]);
        assert_eq!(
            send(&rot, OutputType::Rotate, -10),
            ["RotateChange;", "Rotate:10;"]
        );
        assert_eq!(
            send(&rot, OutputType::Rotate, 10),
            ["RotateChange;", "Rotate:10;"]
        );
        assert_eq!(send(&rot, OutputType::Rotate, 0), ["Rotate:0;"]);
        assert_eq!(send(&rot, OutputType::Rotate, 10), ["Rotate:10;"]);
    }

    /// buttplug_server 12's stroker fix, adopted: an oscillate 0 halts a move in progress.
    #[test]
    fn stroker_stop_halts_the_position_loop() {
        let mut l = stroker();
        let f = crate::protocols::shared::testing::feature(
            0,
            &[
                (OutputType::HwPositionWithDuration, 0, 100),
                (OutputType::Oscillate, 0, 20),
            ],
        );
        let moved = l.encode_output(
            &f,
            OutputCommand::new(OutputType::HwPositionWithDuration, 100, 1000),
        );
        assert!(moved.unwrap().is_empty());
        assert_eq!(
            sites(&mut l, 3),
            vec!["FSetSite:10;", "FSetSite:20;", "FSetSite:30;"]
        );
        let stop = l.encode_output(&f, OutputCommand::new(OutputType::Oscillate, 0, 0));
        assert_eq!(texts(stop.unwrap()), ["Mply:0:20;"]);
        assert!(sites(&mut l, 5).is_empty(), "the move stopped at 30");
        // A new move starts from there.
        l.encode_output(
            &f,
            OutputCommand::new(OutputType::HwPositionWithDuration, 50, 200),
        )
        .unwrap();
        assert_eq!(sites(&mut l, 3), vec!["FSetSite:40;", "FSetSite:50;"]);
        // A non-zero oscillate does not interrupt a move.
        l.encode_output(
            &f,
            OutputCommand::new(OutputType::HwPositionWithDuration, 70, 200),
        )
        .unwrap();
        l.encode_output(&f, OutputCommand::new(OutputType::Oscillate, 5, 0))
            .unwrap();
        assert_eq!(sites(&mut l, 3), vec!["FSetSite:60;", "FSetSite:70;"]);
    }

    /// The battery read is not cut at 500 ms as in buttplug_server 12: a reply after a second
    /// still counts (the server bounds every read at 5 s), and other replies are skipped.
    #[tokio::test(start_paused = true)]
    async fn battery_reply_after_a_second_still_counts() {
        use crate::hardware::simulated::SimulatedDeviceSpec;
        use crate::protocols::shared::testing::{battery, definition, served};
        use std::time::Duration;
        let h = create();
        let def = definition(vec![
            crate::protocols::shared::testing::feature(0, &[(OutputType::Vibrate, 0, 20)]),
            battery(1),
        ]);
        let spec = SimulatedDeviceSpec::new("LVS-Z36", "a");
        let mut d = served(h, def, spec, &[Endpoint::Tx, Endpoint::Rx], Duration::ZERO).await;
        let reading = d.read(1, InputType::Battery);
        let device = d.device.clone();
        let answer = async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            device.notify(Endpoint::Rx, b"OK;".to_vec());
            tokio::time::sleep(Duration::from_millis(600)).await;
            device.notify(Endpoint::Rx, b"s87;".to_vec());
        };
        let (value, ()) = tokio::join!(reading, answer);
        assert_eq!(value, Ok(Some(87)));
    }

    #[test]
    fn solace_pro_position_loop() {
        let mut l = stroker();
        l.stroke.goal = 100;
        l.stroke.duration = 1000;
        let s = sites(&mut l, 12);
        assert_eq!(s.len(), 10);
        assert_eq!(s[0], "FSetSite:10;");
        assert_eq!(s[9], "FSetSite:100;");
        l.stroke.goal = 30;
        l.stroke.duration = 250;
        assert_eq!(sites(&mut l, 3), vec!["FSetSite:65;", "FSetSite:30;"]);
        let mut l = stroker();
        l.stroke.goal = 55;
        l.stroke.duration = 300;
        assert_eq!(
            sites(&mut l, 6),
            vec![
                "FSetSite:18;",
                "FSetSite:36;",
                "FSetSite:54;",
                "FSetSite:55;"
            ]
        );
        // Small moves still arrive (the reference would stall here).
        let mut l = stroker();
        l.stroke.goal = 2;
        l.stroke.duration = 1000;
        assert_eq!(sites(&mut l, 5), vec!["FSetSite:1;", "FSetSite:2;"]);
    }
}
