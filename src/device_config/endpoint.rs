//! Logical endpoint names (docs/PROTOCOL.md §6.3): what protocols write to and read from, mapped to
//! real characteristics, ports or sockets by each transport.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A logical endpoint of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    Command,
    Firmware,
    Rx,
    RxAccel,
    RxBleBattery,
    RxBleModel,
    RxPressure,
    RxTouch,
    Tx,
    TxMode,
    TxShock,
    TxVibrate,
    TxVendorControl,
    Whitelist,
    /// `generic0` … `generic31`
    Generic(u8),
}

impl Endpoint {
    /// The lowercase name used in the device database and the vectors.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        let s = match self {
            Endpoint::Command => "command",
            Endpoint::Firmware => "firmware",
            Endpoint::Rx => "rx",
            Endpoint::RxAccel => "rxaccel",
            Endpoint::RxBleBattery => "rxblebattery",
            Endpoint::RxBleModel => "rxblemodel",
            Endpoint::RxPressure => "rxpressure",
            Endpoint::RxTouch => "rxtouch",
            Endpoint::Tx => "tx",
            Endpoint::TxMode => "txmode",
            Endpoint::TxShock => "txshock",
            Endpoint::TxVibrate => "txvibrate",
            Endpoint::TxVendorControl => "txvendorcontrol",
            Endpoint::Whitelist => "whitelist",
            Endpoint::Generic(n) => return format!("generic{n}").into(),
        };
        s.into()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Error for an endpoint name that does not exist.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown endpoint name {0:?}")]
pub struct UnknownEndpoint(pub String);

impl FromStr for Endpoint {
    type Err = UnknownEndpoint;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "command" => Endpoint::Command,
            "firmware" => Endpoint::Firmware,
            "rx" => Endpoint::Rx,
            "rxaccel" => Endpoint::RxAccel,
            "rxblebattery" => Endpoint::RxBleBattery,
            "rxblemodel" => Endpoint::RxBleModel,
            "rxpressure" => Endpoint::RxPressure,
            "rxtouch" => Endpoint::RxTouch,
            "tx" => Endpoint::Tx,
            "txmode" => Endpoint::TxMode,
            "txshock" => Endpoint::TxShock,
            "txvibrate" => Endpoint::TxVibrate,
            "txvendorcontrol" => Endpoint::TxVendorControl,
            "whitelist" => Endpoint::Whitelist,
            other => {
                let n = other
                    .strip_prefix("generic")
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| *n < 32)
                    .ok_or_else(|| UnknownEndpoint(other.to_string()))?;
                Endpoint::Generic(n)
            }
        })
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "command",
            "firmware",
            "rx",
            "rxaccel",
            "rxblebattery",
            "rxblemodel",
            "rxpressure",
            "rxtouch",
            "tx",
            "txmode",
            "txshock",
            "txvibrate",
            "txvendorcontrol",
            "whitelist",
            "generic0",
            "generic31",
        ] {
            let e: Endpoint = name.parse().unwrap();
            assert_eq!(e.name(), name);
        }
        assert!("generic32".parse::<Endpoint>().is_err());
        assert!("TX".parse::<Endpoint>().is_err());
    }
}
