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
    "activejoy" => activejoy,
    "adrienlastic" => adrienlastic,
    "amorelie-joy" => amorelie_joy,
    "aneros" => aneros,
    "ankni" => ankni,
    "bananasome" => bananasome,
    "cachito" => cachito,
    "cowgirl" => cowgirl,
    "cowgirl-cone" => cowgirl_cone,
    "cueme" => cueme,
    "cupido" => cupido,
    "deepsire" => deepsire,
    "feelingso" => feelingso,
    "fleshy-thrust" => fleshy_thrust,
    "fluffer" => fluffer,
    "fmachine" => fmachine,
    "foreo" => foreo,
    "fox" => fox,
    "fredorch" => fredorch,
    "fredorch-rotary" => fredorch_rotary,
    "galaku" => galaku,
    "galaku-pump" => galaku_pump,
    "hgod" => hgod,
    "hismith" => hismith,
    "hismith-mini" => hismith_mini,
    "honeyplaybox" => honeyplaybox,
    "htk_bm" => htk_bm,
    "itoys" => itoys,
    "jejoue" => jejoue,
    "joyhub" => joyhub,
    "kgoal-boost" => kgoal_boost,
    "kiiroo-powershot" => kiiroo_powershot,
    "kiiroo-prowand" => kiiroo_prowand,
    "kiiroo-spot" => kiiroo_spot,
    "kiiroo-spot-v2" => kiiroo_spot_v2,
    "kiiroo-v1" => kiiroo_v1,
    "kiiroo-v2" => kiiroo_v2,
    "kiiroo-v2-vibrator" => kiiroo_v2_vibrator,
    "kiiroo-v21" => kiiroo_v21,
    "kiiroo-v21-initialized" => kiiroo_v21_initialized,
    "kiiroo-v3" => kiiroo_v3,
    "kizuna" => kizuna,
    "lelo-f1s" => lelo_f1s,
    "lelo-f1sv2" => lelo_f1sv2,
    "lelo-harmony" => lelo_harmony,
    "leten" => leten,
    "libo-elle" => libo_elle,
    "libo-shark" => libo_shark,
    "libo-vibes" => libo_vibes,
    "lioness" => lioness,
    "loob" => loob,
    "lovedistance" => lovedistance,
    "lovehoney-desire" => lovehoney_desire,
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
    "ossm" => ossm,
    "patoo" => patoo,
    "picobong" => picobong,
    "pink_punch" => pink_punch,
    "prettylove" => prettylove,
    "raw" => raw,
    "realov" => realov,
    "realtouch" => realtouch,
    "sakuraneko" => sakuraneko,
    "satisfyer" => satisfyer,
    "sayberx" => sayberx,
    "sdl-gamepad" => sdl_gamepad,
    "sensee" => sensee,
    "sensee-capsule" => sensee_capsule,
    "sensee-v2" => sensee_v2,
    "serveu" => serveu,
    "sexverse-lg389" => sexverse_lg389,
    "sexverse-v1" => sexverse_v1,
    "sexverse-v2" => sexverse_v2,
    "sexverse-v3" => sexverse_v3,
    "sexverse-v4" => sexverse_v4,
    "sexverse-v5" => sexverse_v5,
    "sexverse-v6" => sexverse_v6,
    "simulated" => simulated,
    "svakom-alex" => svakom_alex,
    "svakom-alex-v2" => svakom_alex_v2,
    "svakom-avaneo" => svakom_avaneo,
    "svakom-barnard" => svakom_barnard,
    "svakom-barney" => svakom_barney,
    "svakom-dice" => svakom_dice,
    "svakom-dt250a" => svakom_dt250a,
    "svakom-fatima" => svakom_fatima,
    "svakom-iker" => svakom_iker,
    "svakom-jordan" => svakom_jordan,
    "svakom-pulse" => svakom_pulse,
    "svakom-sam" => svakom_sam,
    "svakom-sam2" => svakom_sam2,
    "svakom-suitcase" => svakom_suitcase,
    "svakom-tarax" => svakom_tarax,
    "svakom-v1" => svakom_v1,
    "svakom-v2" => svakom_v2,
    "svakom-v3" => svakom_v3,
    "svakom-v4" => svakom_v4,
    "svakom-v5" => svakom_v5,
    "svakom-v6" => svakom_v6,
    "synchro" => synchro,
    "tcode-v03" => tcode_v03,
    "thehandy" => thehandy,
    "thehandy-v3" => thehandy_v3,
    "tryfun" => tryfun,
    "tryfun-blackhole" => tryfun_blackhole,
    "tryfun-meta2" => tryfun_meta2,
    "umove" => umove,
    "utimi" => utimi,
    "vibcrafter" => vibcrafter,
    "vibio" => vibio,
    "vibratissimo" => vibratissimo,
    "vorze-cyclone-x" => vorze_cyclone_x,
    "vorze-sa" => vorze_sa,
    "wetoy" => wetoy,
    "wevibe" => wevibe,
    "wevibe-8bit" => wevibe_8bit,
    "wevibe-chorus" => wevibe_chorus,
    "xibao" => xibao,
    "xinput" => xinput,
    "xiuxiuda" => xiuxiuda,
    "xuanhuan" => xuanhuan,
    "yiciyuan" => yiciyuan,
    "youcups" => youcups,
    "youou" => youou,
    "zalo" => zalo,
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
