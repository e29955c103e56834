//! Device step values: turning a step into a byte, and the state table of whole-device protocols
//! (the last value of every output feature, sent together in one packet).

use crate::device_config::DeviceDefinition;

/// A step as one byte, saturating (steps are validated by the server; this only guards the cast).
pub fn byte(value: i32) -> u8 {
    u8::try_from(value.clamp(0, 255)).unwrap_or(u8::MAX)
}

/// The last value of each output feature, in ascending feature index (all 0 at connect).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputState {
    slots: Vec<(u32, i32)>,
}

impl OutputState {
    /// One slot per feature of the definition that has an output.
    pub fn from_definition(definition: &DeviceDefinition) -> OutputState {
        OutputState {
            slots: definition
                .features
                .iter()
                .filter(|f| !f.outputs.is_empty())
                .map(|f| (f.index, 0))
                .collect(),
        }
    }

    /// Slots for features `0..count`.
    pub fn with_features(count: u32) -> OutputState {
        OutputState {
            slots: (0..count).map(|i| (i, 0)).collect(),
        }
    }

    /// Store a feature's value; `false` when the feature has no slot.
    pub fn set(&mut self, feature: u32, value: i32) -> bool {
        match self.slots.iter_mut().find(|(i, _)| *i == feature) {
            Some(slot) => {
                slot.1 = value;
                true
            }
            None => false,
        }
    }

    /// A feature's value (0 when it has no slot).
    pub fn get(&self, feature: u32) -> i32 {
        self.slots
            .iter()
            .find(|(i, _)| *i == feature)
            .map_or(0, |(_, v)| *v)
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Every value as a byte, in feature order.
    pub fn bytes(&self) -> Vec<u8> {
        self.slots.iter().map(|(_, v)| byte(*v)).collect()
    }

    /// Whether every value is 0.
    pub fn all_zero(&self) -> bool {
        self.slots.iter().all(|(_, v)| *v == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_saturate() {
        assert_eq!(byte(-3), 0);
        assert_eq!(byte(77), 77);
        assert_eq!(byte(1000), 255);
    }

    #[test]
    fn state_table() {
        let mut s = OutputState::with_features(3);
        assert!(s.all_zero());
        assert!(s.set(2, 10));
        assert!(!s.set(3, 10));
        assert_eq!(s.bytes(), vec![0, 0, 10]);
        assert_eq!(s.get(2), 10);
        assert_eq!(s.get(7), 0);
        assert_eq!(s.len(), 3);
        assert!(!s.all_zero());
    }
}
