//! The one table of protocol implementations, keyed by device-database protocol key.

use super::ProtocolHandler;

/// A protocol implementation: its database key and how to make a handler for one device.
pub struct ProtocolSpec {
    pub key: &'static str,
    pub create: fn() -> Box<dyn ProtocolHandler>,
}

macro_rules! protocol_table {
    ($($key:literal => $module:ident,)*) => {
        /// Every implemented protocol, sorted by key.
        static PROTOCOLS: &[ProtocolSpec] = &[
            $(ProtocolSpec { key: $key, create: super::$module::create },)*
        ];
    };
}

// One line per protocol: database key => module under `protocols/`.
protocol_table! {
    "aneros" => aneros,
    "kgoal-boost" => kgoal_boost,
    "lovense" => lovense,
    "lovense-connect-service" => lovense_connect_service,
    "lovenuts" => lovenuts,
    "luvmazer" => luvmazer,
    "magic-motion-1" => magic_motion_1,
    "magic-motion-2" => magic_motion_2,
    "magic-motion-3" => magic_motion_3,
    "magic-motion-4" => magic_motion_4,
    "mannuo" => mannuo,
    "maxpro" => maxpro,
    "meese" => meese,
    "mizzzee" => mizzzee,
    "mizzzee-v2" => mizzzee_v2,
    "mizzzee-v3" => mizzzee_v3,
    "monsterpub" => monsterpub,
    "motorbunny" => motorbunny,
    "muse" => muse,
    "mymuselinkplus" => mymuselinkplus,
    "mysteryvibe" => mysteryvibe,
    "mysteryvibe-v2" => mysteryvibe_v2,
    "nextlevelracing" => nextlevelracing,
    "nexus-revo" => nexus_revo,
    "nintendo-joycon" => nintendo_joycon,
    "nobra" => nobra,
    "omobo" => omobo,
    "patoo" => patoo,
    "picobong" => picobong,
    "pink_punch" => pink_punch,
    "prettylove" => prettylove,
    "raw" => raw,
    "realov" => realov,
    "realtouch" => realtouch,
}

/// The implementation for a database key.
pub fn lookup(key: &str) -> Option<&'static ProtocolSpec> {
    PROTOCOLS
        .binary_search_by(|p| p.key.cmp(key))
        .ok()
        .map(|i| &PROTOCOLS[i])
}

/// Keys of every implemented protocol, sorted.
pub fn supported_protocols() -> impl Iterator<Item = &'static str> {
    PROTOCOLS.iter().map(|p| p.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in PROTOCOLS.windows(2) {
            assert!(
                w[0].key < w[1].key,
                "{} must sort before {}",
                w[0].key,
                w[1].key
            );
        }
    }
}
