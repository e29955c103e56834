//! Buttplug devices seen as Lovense toys: the stable 12-hex id, the Lovense model name a game
//! accepts (real Lovense devices keep theirs; others get the model whose functions best match
//! their outputs, or the user's override), the function lists, and which outputs each Lovense
//! function drives (the README's action → output table is this file's [`Toy::targets`], and
//! [`Toy::stroke_outputs`] for `Thrusting` on a stroker).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::device_config::DeviceIdentity;
use crate::wire::{DeviceEntry, InputType, OutputType};

/// A Lovense function (an action name of `Function`, a letter of a pattern rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    /// `Vibrate` (every motor) or `VibrateN` (motor N, from 1).
    Vibrate(Option<u8>),
    Rotate,
    Pump,
    Thrusting,
    Fingering,
    Suction,
    Depth,
    Oscillate,
    Position,
}

impl Func {
    /// The top of the function's Lovense range in `Function` (Pump and Depth 0–3, Position
    /// 0–100, the others 0–20).
    pub fn lovense_max(self) -> f64 {
        match self {
            Func::Pump | Func::Depth => 3.0,
            Func::Position => 100.0,
            _ => 20.0,
        }
    }

    /// The function of a pattern rule letter (`v r p t f s d o`).
    pub fn from_letter(c: char) -> Option<Func> {
        Some(match c.to_ascii_lowercase() {
            'v' => Func::Vibrate(None),
            'r' => Func::Rotate,
            'p' => Func::Pump,
            't' => Func::Thrusting,
            'f' => Func::Fingering,
            's' => Func::Suction,
            'd' => Func::Depth,
            'o' => Func::Oscillate,
            _ => return None,
        })
    }
}

/// One output of one feature: what a level is sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputKey {
    pub device: u32,
    pub feature: u32,
    pub output: OutputType,
}

/// An output with its advertised ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    pub key: OutputKey,
    pub range: [i32; 2],
    pub duration: Option<[i32; 2]>,
}

impl Output {
    /// Whether the output is a position (not an intensity).
    pub fn is_position(&self) -> bool {
        matches!(
            self.key.output,
            OutputType::Position | OutputType::HwPositionWithDuration
        )
    }
}

/// A connected device as a Lovense toy.
#[derive(Clone, Debug, PartialEq)]
pub struct Toy {
    pub index: u32,
    /// 12 lowercase hex digits, the same for the same device across restarts.
    pub id: String,
    /// The lowercase Lovense model name (`lush`, `nora`, `solace pro`).
    pub name: String,
    /// What the user calls it (the display name, else the device name).
    pub nick_name: String,
    pub outputs: Vec<Output>,
    /// Feature index of a battery input, if any.
    pub battery_feature: Option<u32>,
    /// The device's message gap (the shortest time between two commands it takes).
    pub message_gap: std::time::Duration,
}

/// The toy id of a device: a hash of its protocol, address and identifier.
pub fn toy_id(identity: &DeviceIdentity) -> String {
    let mut h = Sha256::new();
    h.update(b"teleplug-lovense-toy\0");
    h.update(identity.protocol.as_bytes());
    h.update(b"\0");
    h.update(identity.address.as_bytes());
    h.update(b"\0");
    h.update(identity.identifier.as_deref().unwrap_or("").as_bytes());
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The Lovense name of a real Lovense device: "Lovense Osci 3" → "osci",
/// "Lovense Flexer (Firmware update needed)" → "flexer".
pub fn lovense_model_name(device_name: &str) -> String {
    let mut name = device_name.to_lowercase();
    if let Some(i) = name.find('(') {
        name.truncate(i);
    }
    let name = name.trim().strip_prefix("lovense ").unwrap_or(name.trim());
    let mut words: Vec<&str> = name.split_whitespace().collect();
    if words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
    {
        words.pop();
    }
    words.join(" ")
}

/// The Lovense model chosen for a device of another brand, by its outputs.
pub fn model_for_outputs(outputs: &[Output]) -> &'static str {
    let count = |t: OutputType| outputs.iter().filter(|o| o.key.output == t).count();
    let position = count(OutputType::Position) + count(OutputType::HwPositionWithDuration);
    let (v, r, o, c) = (
        count(OutputType::Vibrate),
        count(OutputType::Rotate),
        count(OutputType::Oscillate),
        count(OutputType::Constrict),
    );
    match () {
        _ if position > 0 => "solace pro",
        _ if o > 0 && v > 0 => "gravity",
        _ if o > 0 => "solace",
        _ if r > 0 => "nora",
        _ if c > 0 => "max",
        _ if v >= 2 => "edge",
        _ => "lush",
    }
}

/// The name of a model in Lovense Connect's capitalised form (`GET /GetToys`, `GetToyName`):
/// "solace pro" → "SolacePro", "sex machine" → "XMachine".
pub fn connect_name(name: &str) -> String {
    if name == "sex machine" {
        return "XMachine".into();
    }
    name.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

impl Toy {
    /// The toy of a device list entry. `overrides` maps an address, device name, display name
    /// or toy id to a Lovense model name; `configured` is the name the user device config gives
    /// the device (`user_config.lovense_api_name`), used when no override names it.
    pub fn new(
        entry: &DeviceEntry,
        identity: Option<&DeviceIdentity>,
        overrides: &BTreeMap<String, String>,
        configured: Option<&str>,
    ) -> Toy {
        let mut outputs = Vec::new();
        let mut battery_feature = None;
        for (index, feature) in &entry.device_features {
            for (t, props) in feature.output.iter().flatten() {
                outputs.push(Output {
                    key: OutputKey {
                        device: entry.device_index,
                        feature: *index,
                        output: *t,
                    },
                    range: props.value,
                    duration: props.duration,
                });
            }
            if feature
                .input
                .as_ref()
                .is_some_and(|i| i.contains_key(&InputType::Battery))
            {
                battery_feature.get_or_insert(*index);
            }
        }
        let identity = identity.cloned().unwrap_or_else(|| DeviceIdentity {
            address: format!("index:{}", entry.device_index),
            protocol: String::new(),
            identifier: None,
        });
        let id = toy_id(&identity);
        let nick_name = entry
            .device_display_name
            .clone()
            .unwrap_or_else(|| entry.device_name.clone());
        let overridden = [&id, &identity.address, &entry.device_name, &nick_name]
            .iter()
            .find_map(|k| overrides.get(k.as_str()).map(String::as_str))
            .or(configured)
            .map(|n| n.to_lowercase());
        let name = overridden.unwrap_or_else(|| {
            if identity.protocol.starts_with("lovense") {
                lovense_model_name(&entry.device_name)
            } else {
                model_for_outputs(&outputs).to_string()
            }
        });
        Toy {
            index: entry.device_index,
            id,
            name,
            nick_name,
            outputs,
            battery_feature,
            message_gap: std::time::Duration::from_millis(entry.device_message_timing_gap.into()),
        }
    }

    fn of_type(&self, t: OutputType) -> Vec<Output> {
        self.outputs
            .iter()
            .filter(|o| o.key.output == t)
            .copied()
            .collect()
    }

    fn first_present(&self, types: &[OutputType]) -> Vec<Output> {
        types
            .iter()
            .map(|t| self.of_type(*t))
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    }

    /// The outputs a Lovense function drives on this toy (README "Games that speak Lovense").
    pub fn targets(&self, func: Func) -> Vec<Output> {
        use OutputType::*;
        match func {
            Func::Vibrate(None) => self.first_present(&[Vibrate, Oscillate, Rotate, Constrict]),
            Func::Vibrate(Some(n)) => {
                let motors = self.of_type(Vibrate);
                if motors.is_empty() && n == 1 {
                    return self.targets(Func::Vibrate(None));
                }
                motors
                    .get(usize::from(n).wrapping_sub(1))
                    .copied()
                    .into_iter()
                    .collect()
            }
            Func::Rotate => self.of_type(Rotate),
            Func::Pump | Func::Suction => self.of_type(Constrict),
            Func::Thrusting => self.first_present(&[Oscillate, Vibrate]),
            Func::Fingering => self.first_present(&[Rotate, Oscillate]),
            Func::Oscillate => self.first_present(&[Oscillate, Vibrate]),
            Func::Depth | Func::Position => self.position_outputs(),
        }
    }

    /// The outputs `Thrusting` strokes on a stroker: its position outputs when it has no
    /// Oscillate output (empty otherwise; a toy with Oscillate thrusts with it).
    pub fn stroke_outputs(&self) -> Vec<Output> {
        if self.of_type(OutputType::Oscillate).is_empty() {
            self.position_outputs()
        } else {
            Vec::new()
        }
    }

    /// Position outputs (HwPositionWithDuration preferred over Position).
    pub fn position_outputs(&self) -> Vec<Output> {
        self.first_present(&[OutputType::HwPositionWithDuration, OutputType::Position])
    }

    /// Every intensity output (what `All` and a pattern's `F:;` drive).
    pub fn intensity_outputs(&self) -> Vec<Output> {
        self.outputs
            .iter()
            .filter(|o| {
                !o.is_position()
                    && matches!(
                        o.key.output,
                        OutputType::Vibrate
                            | OutputType::Rotate
                            | OutputType::Oscillate
                            | OutputType::Constrict
                    )
            })
            .copied()
            .collect()
    }

    /// `shortFunctionNames` and `fullFunctionNames`: the functions this toy answers to.
    pub fn functions(&self) -> (Vec<&'static str>, Vec<&'static str>) {
        let mut short = Vec::new();
        let mut full = Vec::new();
        let mut add = |s: &'static str, f: &'static str| {
            short.push(s);
            full.push(f);
        };
        let motors = self.of_type(OutputType::Vibrate).len();
        if motors > 0 {
            add("v", "Vibrate");
        }
        if motors >= 2 {
            for (s, f) in [("v1", "Vibrate1"), ("v2", "Vibrate2"), ("v3", "Vibrate3")]
                .into_iter()
                .take(motors)
            {
                add(s, f);
            }
        }
        if !self.of_type(OutputType::Rotate).is_empty() {
            add("r", "Rotate");
        }
        if !self.of_type(OutputType::Constrict).is_empty() {
            add("p", "Pump");
        }
        if !self.of_type(OutputType::Oscillate).is_empty() {
            add("t", "Thrusting");
            add("o", "Oscillate");
        } else if !self.stroke_outputs().is_empty() {
            add("t", "Thrusting");
        }
        if !self.position_outputs().is_empty() {
            add("d", "Depth");
            add("pos", "Position");
        }
        (short, full)
    }

    /// Whether `key` (an id, in any case, or a model or nick name) names this toy.
    pub fn answers_to(&self, key: &str) -> bool {
        let key = key.trim();
        self.id.eq_ignore_ascii_case(key)
            || self.name.eq_ignore_ascii_case(key)
            || self.nick_name.eq_ignore_ascii_case(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lovense_names_lose_brand_version_and_notes() {
        assert_eq!(lovense_model_name("Lovense Osci 3"), "osci");
        assert_eq!(lovense_model_name("Lovense Solace Pro"), "solace pro");
        assert_eq!(
            lovense_model_name("Lovense Flexer (Firmware update needed)"),
            "flexer"
        );
        assert_eq!(lovense_model_name("Lovense Lush"), "lush");
        assert_eq!(connect_name("solace pro"), "SolacePro");
        assert_eq!(connect_name("lush"), "Lush");
    }

    #[test]
    fn ids_are_twelve_hex_digits_and_differ_per_address() {
        let a = DeviceIdentity {
            address: "aa".into(),
            protocol: "p".into(),
            identifier: None,
        };
        let b = DeviceIdentity {
            address: "ab".into(),
            ..a.clone()
        };
        assert_eq!(toy_id(&a).len(), 12);
        assert!(toy_id(&a).chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(toy_id(&a), toy_id(&a.clone()));
        assert_ne!(toy_id(&a), toy_id(&b));
    }
}
