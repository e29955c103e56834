//! Communication specifiers as written in the files (docs/PROTOCOL.md §6.3): the single-key
//! objects of a protocol's `communication` list, parsed leniently as database v5 requires
//! (data/device-config/V5-CHANGES.md §3): the known kinds are read (`btle`, `serial`, `hid`,
//! `usb`, `websocket`, `lovense_connect_service`, `xinput`, `sdl-gamepad`, `simulated`), any
//! other key is skipped with a warning so a newer database still loads. An item that is not an
//! object, has zero or several keys, or a known key with a malformed body is an error.
//!
//! Base databases read them through [`BaseSpecifier`] (a malformed one fails the file, with its
//! position); user configs through [`RawSpecifier`] and [`convert_specifier`] (skipped with a
//! warning, and serial settings completed from the protocol's base serial specifier).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use uuid::Uuid;

use super::{
    BtleSpecifier, CommunicationSpecifier, Endpoint, ManufacturerData, Parity, SerialSpecifier,
};

const BTLE: &str = "btle";
const SERIAL: &str = "serial";
const HID: &str = "hid";
const USB: &str = "usb";
const XINPUT: &str = "xinput";
const LOVENSE_CONNECT_SERVICE: &str = "lovense_connect_service";
const WEBSOCKET: &str = "websocket";
const SDL_GAMEPAD: &str = "sdl-gamepad";
const SIMULATED: &str = "simulated";

impl CommunicationSpecifier {
    /// The key this specifier has in a file (`btle`, `sdl-gamepad`, ...).
    pub fn key(&self) -> &'static str {
        match self {
            CommunicationSpecifier::Btle(_) => BTLE,
            CommunicationSpecifier::Serial(_) => SERIAL,
            CommunicationSpecifier::Hid(_) => HID,
            CommunicationSpecifier::Usb(_) => USB,
            CommunicationSpecifier::XInput => XINPUT,
            CommunicationSpecifier::LovenseConnectService => LOVENSE_CONNECT_SERVICE,
            CommunicationSpecifier::Websocket { .. } => WEBSOCKET,
            CommunicationSpecifier::SdlGamepad => SDL_GAMEPAD,
            CommunicationSpecifier::Simulated { .. } => SIMULATED,
        }
    }
}

/// One `communication` item as written. Unknown kinds are kept as `Unknown` so that a newer
/// database with a new transport still loads (the item is skipped with a warning).
pub(super) enum RawSpecifier {
    Btle(RawBtle),
    Serial(RawSerial),
    Hid(RawPairs),
    Usb(RawPairs),
    XInput(RawExists),
    LovenseConnectService(RawExists),
    Websocket(RawWebsocket),
    SdlGamepad(RawExists),
    Simulated(RawSimulated),
    Unknown(String),
}

impl<'de> Deserialize<'de> for RawSpecifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSpecifier;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a single-key communication specifier object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSpecifier, A::Error> {
                let key: String = map
                    .next_key()?
                    .ok_or_else(|| de::Error::custom("empty communication specifier"))?;
                let spec = match key.as_str() {
                    BTLE => RawSpecifier::Btle(map.next_value()?),
                    SERIAL => RawSpecifier::Serial(map.next_value()?),
                    HID => RawSpecifier::Hid(map.next_value()?),
                    USB => RawSpecifier::Usb(map.next_value()?),
                    XINPUT => RawSpecifier::XInput(map.next_value()?),
                    LOVENSE_CONNECT_SERVICE => {
                        RawSpecifier::LovenseConnectService(map.next_value()?)
                    }
                    WEBSOCKET => RawSpecifier::Websocket(map.next_value()?),
                    SDL_GAMEPAD => RawSpecifier::SdlGamepad(map.next_value()?),
                    SIMULATED => RawSpecifier::Simulated(map.next_value()?),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        RawSpecifier::Unknown(key)
                    }
                };
                if map.next_key::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(
                        "a communication specifier must have exactly one key",
                    ));
                }
                Ok(spec)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBtle {
    names: Vec<String>,
    #[serde(default)]
    manufacturer_data: Vec<RawManufacturerData>,
    #[serde(default)]
    advertised_services: Vec<Uuid>,
    services: BTreeMap<Uuid, BTreeMap<Endpoint, Uuid>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManufacturerData {
    company: u16,
    #[serde(default)]
    data: Option<Vec<u8>>,
    #[serde(default)]
    expected_length: Option<usize>,
}

/// Serial settings; all but `port` may be omitted in a user config (they are then taken from
/// the protocol's base serial specifier).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSerial {
    port: String,
    #[serde(default)]
    baud_rate: Option<u32>,
    #[serde(default)]
    data_bits: Option<u8>,
    #[serde(default)]
    parity: Option<String>,
    #[serde(default)]
    stop_bits: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPairs {
    pairs: Vec<RawPair>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    vendor_id: u16,
    product_id: u16,
}

/// `{"exists": bool}` (`xinput`, `lovense_connect_service`, `sdl-gamepad`); `exists: false`
/// switches the specifier off.
#[derive(Deserialize)]
pub(super) struct RawExists {
    #[serde(default = "yes")]
    exists: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebsocket {
    name: String,
}

/// `{"names": [archetype, ...]}`, at least one name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSimulated {
    names: Vec<String>,
}

/// Converts a specifier. `serial_template` completes serial settings a user config omitted.
/// `Ok(None)` = skipped (unknown kind, or an `exists: false` marker).
pub(super) fn convert_specifier(
    raw: RawSpecifier,
    serial_template: Option<&SerialSpecifier>,
) -> Result<Option<CommunicationSpecifier>, String> {
    Ok(Some(match raw {
        RawSpecifier::Btle(b) => CommunicationSpecifier::Btle(BtleSpecifier {
            names: b.names,
            manufacturer_data: b
                .manufacturer_data
                .into_iter()
                .map(|m| ManufacturerData {
                    company: m.company,
                    data: m.data,
                    expected_length: m.expected_length,
                })
                .collect(),
            advertised_services: b.advertised_services,
            services: b.services,
        }),
        RawSpecifier::Serial(s) => {
            CommunicationSpecifier::Serial(convert_serial(s, serial_template)?)
        }
        RawSpecifier::Hid(p) => CommunicationSpecifier::Hid(pairs(p)),
        RawSpecifier::Usb(p) => CommunicationSpecifier::Usb(pairs(p)),
        RawSpecifier::XInput(e) if e.exists => CommunicationSpecifier::XInput,
        RawSpecifier::LovenseConnectService(e) if e.exists => {
            CommunicationSpecifier::LovenseConnectService
        }
        RawSpecifier::SdlGamepad(e) if e.exists => CommunicationSpecifier::SdlGamepad,
        RawSpecifier::XInput(_)
        | RawSpecifier::LovenseConnectService(_)
        | RawSpecifier::SdlGamepad(_) => return Ok(None),
        RawSpecifier::Websocket(w) => CommunicationSpecifier::Websocket { name: w.name },
        RawSpecifier::Simulated(s) => {
            if s.names.is_empty() {
                return Err("a simulated specifier needs at least one name".into());
            }
            CommunicationSpecifier::Simulated { names: s.names }
        }
        RawSpecifier::Unknown(kind) => {
            tracing::warn!("unknown communication specifier kind {kind:?} ignored");
            return Ok(None);
        }
    }))
}

/// A `communication` item of a base database, converted while it is read so that an error
/// carries its position in the file. `None`: skipped (see [`convert_specifier`]).
pub(super) struct BaseSpecifier(pub Option<CommunicationSpecifier>);

impl<'de> Deserialize<'de> for BaseSpecifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawSpecifier::deserialize(d)?;
        convert_specifier(raw, None)
            .map(BaseSpecifier)
            .map_err(de::Error::custom)
    }
}

fn pairs(p: RawPairs) -> Vec<(u16, u16)> {
    p.pairs
        .into_iter()
        .map(|p| (p.vendor_id, p.product_id))
        .collect()
}

fn convert_serial(
    s: RawSerial,
    template: Option<&SerialSpecifier>,
) -> Result<SerialSpecifier, String> {
    let missing = |field: &str| format!("serial port {:?}: missing {field}", s.port);
    let parity = match s.parity.as_deref() {
        Some(p) => {
            parse_parity(p).ok_or_else(|| format!("serial parity {p:?} is not N, O or E"))?
        }
        None => template
            .map(|t| t.parity)
            .ok_or_else(|| missing("parity"))?,
    };
    Ok(SerialSpecifier {
        baud_rate: s
            .baud_rate
            .or(template.map(|t| t.baud_rate))
            .ok_or_else(|| missing("baud_rate"))?,
        data_bits: s
            .data_bits
            .or(template.map(|t| t.data_bits))
            .ok_or_else(|| missing("data_bits"))?,
        stop_bits: s
            .stop_bits
            .or(template.map(|t| t.stop_bits))
            .ok_or_else(|| missing("stop_bits"))?,
        parity,
        port: s.port,
    })
}

fn parse_parity(p: &str) -> Option<Parity> {
    match p {
        "N" | "n" => Some(Parity::None),
        "O" | "o" => Some(Parity::Odd),
        "E" | "e" => Some(Parity::Even),
        _ => None,
    }
}
