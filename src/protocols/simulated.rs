//! Simulated (`simulated`): the database's virtual archetypes (`simulated-1vibe`,
//! `simulated-2vibe`, `simulated-rotator`, `simulated-oscillator`, `simulated-stroker` and the
//! defaults), devices without hardware. See docs/protocols/simulated.md.
//!
//! Choice: the reference's handler accepts every output and writes nothing, so nothing shows
//! what such a device was asked. Teleplug accepts every output too, and writes one readable
//! record per command to `tx`, keyed by its feature like a real per-feature device:
//! `"<feature> <OutputType> <step>\n"`, plus ` <ms>` for HwPositionWithDuration (e.g.
//! `"1 Vibrate 50\n"`, a stop `"1 Vibrate 0\n"`). On Teleplug's simulated transport every write
//! is an op its observers see (the C ABI's `simulator_op` events, the demo's printout, tests), so
//! a simulated device shows each command and each stop the way a real device would receive
//! them; a transport whose writes do nothing (the reference's) loses nothing.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(|feature, command| {
        Some(record(feature, &command))
    }))
}

/// The record of a command on `feature`.
fn record(feature: u32, command: &OutputCommand) -> String {
    let (t, v) = (command.output_type(), command.value());
    match command {
        OutputCommand::HwPositionWithDuration(p) => format!("{feature} {t} {v} {}\n", p.duration),
        _ => format!("{feature} {t} {v}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType;

    /// Every output type is accepted and recorded.
    #[test]
    fn every_output_is_recorded() {
        let mut h = create();
        for t in OutputType::ALL {
            let f = feature(3, &[(t, -100, 1000)]);
            let out = encode(h.as_mut(), &f, OutputCommand::new(t, -7, 250));
            let want = if t == OutputType::HwPositionWithDuration {
                format!("3 {t} -7 250\n")
            } else {
                format!("3 {t} -7\n")
            };
            assert_eq!(writes(&out), vec![(Endpoint::Tx, want.into_bytes(), false)]);
            assert_eq!(out[0].key, crate::protocols::CoalesceKey::feature(3));
        }
    }

    /// The sheet's example device ("simulated-2vibe"): vibrate 50 on feature 1, then a stop
    /// records a zero for each motor.
    #[test]
    fn two_motor_archetype() {
        let def = definition(vec![
            feature(0, &[(OutputType::Vibrate, 0, 100)]),
            feature(1, &[(OutputType::Vibrate, 0, 100)]),
        ]);
        let mut h = create();
        let out = encode(h.as_mut(), &def.features[1], cmd(OutputType::Vibrate, 50));
        assert_eq!(only_write(&out), b"1 Vibrate 50\n");
        assert_eq!(
            data(&stop(h.as_mut(), &def.features)),
            vec![b"0 Vibrate 0\n".to_vec(), b"1 Vibrate 0\n".to_vec()]
        );
    }

    /// The database's archetypes, each stopped with a record per output feature.
    #[test]
    fn database_archetypes() {
        let cases = [
            ("simulated-1vibe", vec!["0 Vibrate 0\n"]),
            ("simulated-2vibe", vec!["0 Vibrate 0\n", "1 Vibrate 0\n"]),
            ("simulated-rotator", vec!["0 Rotate 0\n"]),
            ("simulated-oscillator", vec!["0 Oscillate 0\n"]),
            ("simulated-stroker", vec![]),
        ];
        for (id, records) in cases {
            let def = db_resolve("simulated", Some(id));
            let want: Vec<Vec<u8>> = records.iter().map(|r| r.as_bytes().to_vec()).collect();
            assert_eq!(data(&stop(create().as_mut(), &def.features)), want, "{id}");
        }
    }
}
