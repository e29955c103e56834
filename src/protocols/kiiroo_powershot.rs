//! Kiiroo PowerShot (`kiiroo-powershot`): both motors in one packet `[01 00 00 v0 v1 00]`,
//! written to `tx` with response; battery from `rxblebattery`.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        WholeDevice::new(&[OutputType::Vibrate], |steps: &[i32; 2]| {
            let [v0, v1] = steps.map(byte);
            [0x01, 0x00, 0x00, v0, v1, 0x00]
        })
        .with_response()
        .with_ble_battery(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::InputPlan;
    use crate::protocols::shared::testing::*;
    use crate::wire::InputType;
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn both_motors_in_one_packet() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
            battery(2),
        ]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![1, 0, 0, 0x32, 0, 0], true)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[1], cmd(Vibrate, 100))),
            vec![vec![1, 0, 0, 0x32, 0x64, 0]]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), &def.features)),
            vec![(Endpoint::Tx, vec![1, 0, 0, 0, 0, 0], true)]
        );
        let f = def.feature(2).unwrap();
        let Ok(InputPlan::Read {
            endpoint,
            mut parse,
            ..
        }) = h.read_input(f, InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!(endpoint, Endpoint::RxBleBattery);
        assert_eq!(parse(endpoint, &[77]), Some(77));
    }
}
