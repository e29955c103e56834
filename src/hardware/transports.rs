//! The hardware transports, described once: [`TRANSPORTS`] has one entry per real transport
//! (Bluetooth LE, serial, USB HID, gamepads, the Lovense dongle over HID or serial, the Lovense
//! Connect app) with its name, cargo feature, bit in the C ABI's
//! `disabled_transports` (`TransportBit` of proto/teleplug.proto), CLI switch, the Intiface
//! Engine flags that ask for it, and manager constructor. The [`Transports`] selection,
//! [`add_platform_managers`], the CLI's `--no-…` flags and the C ABI's bitmask are derived from
//! it. Simulated devices and devices dialing in over WebSocket are not in it: they are always
//! there.

use std::sync::Arc;

use super::{HardwareManager, ManagerEventSender};

/// Which hardware transports a server scans with (among those compiled in). One switch per
/// entry of [`TRANSPORTS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transports {
    pub bluetooth: bool,
    pub serial: bool,
    pub hid: bool,
    pub gamepad: bool,
    /// The Lovense USB dongle (off by default, see its entry).
    pub lovense_dongle: bool,
    /// The Lovense dongle's serial variant (off by default, see its entry).
    pub lovense_dongle_serial: bool,
    /// Toys of the Lovense Connect app (off by default, see its entry).
    pub lovense_connect: bool,
    /// Lovense Connect apps given directly (`http://IP:PORT`); none: found by discovery.
    pub lovense_connect_hosts: Vec<String>,
    /// The Lovense Connect discovery endpoint instead of the vendor's (tests).
    pub lovense_connect_discovery_url: Option<String>,
    /// Serial ports to open besides enumerated ones (virtual ports are not enumerated).
    pub serial_ports: Vec<String>,
}

impl Default for Transports {
    /// The transports whose entry is on by default.
    fn default() -> Self {
        let mut transports = Transports::none();
        for t in TRANSPORTS {
            t.set(&mut transports, t.on_by_default);
        }
        transports
    }
}

impl Transports {
    /// Simulated devices only (tests, demos).
    pub fn none() -> Transports {
        Transports::all(false)
    }

    /// Every transport switched on or off, no extra serial port.
    fn all(on: bool) -> Transports {
        Transports {
            bluetooth: on,
            serial: on,
            hid: on,
            gamepad: on,
            lovense_dongle: on,
            lovense_dongle_serial: on,
            lovense_connect: on,
            lovense_connect_hosts: Vec::new(),
            lovense_connect_discovery_url: None,
            serial_ports: Vec::new(),
        }
    }
}

/// Creates a transport's manager.
type ManagerFactory = fn(&Transports, &ManagerEventSender) -> Arc<dyn HardwareManager>;

/// One hardware transport.
#[derive(Debug)]
pub struct TransportInfo {
    /// Its manager's name (logs, errors, `HardwareManager::name`).
    pub name: &'static str,
    /// What it is, for people ("Bluetooth LE").
    pub label: &'static str,
    /// The cargo feature that compiles it in.
    pub feature: &'static str,
    /// Whether that feature is on in this build.
    pub compiled: bool,
    /// Whether [`Transports::default`] (the CLI's `serve`, the C ABI) switches it on.
    pub on_by_default: bool,
    /// Its bit in `EmbeddedOptions.disabled_transports` of the C ABI: the value of
    /// `TRANSPORT_BIT_<NAME>` in proto/teleplug.proto (the wire contract; a test checks them).
    pub bit: u32,
    /// The CLI flag that switches it off (`no-<name>`, i.e. `--no-bluetooth`), and its help.
    pub cli_flag: &'static str,
    pub cli_help: &'static str,
    /// The Intiface Engine flags (without `--`) that switch it on: Intiface scans only with the
    /// transports its `--use-…` flags name, so a command line written for Intiface maps to
    /// Teleplug's transports through these (several flags may name one transport; none may name
    /// two).
    pub intiface_flags: &'static [&'static str],
    /// Its switch in [`Transports`].
    get: fn(&Transports) -> bool,
    set: fn(&mut Transports, bool),
    /// Its manager (None when not compiled in).
    manager: Option<ManagerFactory>,
}

impl TransportInfo {
    /// Whether `transports` switches it on.
    pub fn is_on(&self, transports: &Transports) -> bool {
        (self.get)(transports)
    }

    /// Switch it on or off in `transports`.
    pub fn set(&self, transports: &mut Transports, on: bool) {
        (self.set)(transports, on)
    }
}

/// An entry of [`TRANSPORTS`]: the feature is named once, and the manager constructor is only
/// compiled with it.
macro_rules! transport {
    (
        name: $name:literal,
        label: $label:literal,
        feature: $feature:literal,
        bit: $bit:literal,
        cli_help: $help:literal,
        intiface: [$($intiface:literal),* $(,)?],
        switch: $field:ident,
        manager: $manager:expr
        $(, off_by_default: $off:literal)? $(,)?
    ) => {
        TransportInfo {
            name: $name,
            label: $label,
            feature: $feature,
            compiled: cfg!(feature = $feature),
            on_by_default: !(false $(|| $off)?),
            bit: $bit,
            cli_flag: concat!("no-", $name),
            cli_help: $help,
            intiface_flags: &[$($intiface),*],
            get: |t| t.$field,
            set: |t, on| t.$field = on,
            manager: {
                #[cfg(feature = $feature)]
                let manager: Option<ManagerFactory> = Some($manager);
                #[cfg(not(feature = $feature))]
                let manager: Option<ManagerFactory> = None;
                manager
            },
        }
    };
}

/// Every real hardware transport, in the order managers are created.
pub const TRANSPORTS: &[TransportInfo] = &[
    transport! {
        name: "bluetooth",
        label: "Bluetooth LE",
        feature: "btle",
        bit: 1,
        cli_help: "Do not scan Bluetooth LE",
        intiface: ["use-bluetooth-le"],
        switch: bluetooth,
        manager: |_, events| Arc::new(super::btle::BtleManager::new(events.clone())),
    },
    transport! {
        name: "serial",
        label: "serial port",
        feature: "serial",
        bit: 2,
        cli_help: "Do not scan serial ports",
        intiface: ["use-serial"],
        switch: serial,
        manager: |transports, events| Arc::new(super::serial::manager(
            events.clone(),
            transports.serial_ports.clone(),
        )),
    },
    transport! {
        name: "hid",
        label: "USB HID",
        feature: "hid",
        bit: 4,
        cli_help: "Do not scan USB HID devices",
        intiface: ["use-hid"],
        switch: hid,
        manager: |_, events| Arc::new(super::hid::manager(events.clone())),
    },
    transport! {
        name: "gamepad",
        label: "gamepad",
        feature: "gamepad",
        bit: 8,
        cli_help: "Do not scan gamepads (rumble)",
        // Intiface 12's SDL gamepads, and its older XInput manager: both are gamepads here, all
        // served by the `sdl-gamepad` protocol (src/hardware/gamepad/mod.rs says why).
        intiface: ["use-sdl-gamepad", "use-xinput"],
        switch: gamepad,
        manager: |_, events| Arc::new(super::gamepad::GamepadManager::new(events.clone())),
    },
    transport! {
        name: "lovense-dongle",
        label: "Lovense USB dongle",
        // A HID device: compiled with HID support.
        feature: "hid",
        bit: 16,
        cli_help: "Do not use the Lovense USB dongle (off unless --use-lovense-dongle-hid)",
        intiface: ["use-lovense-dongle-hid"],
        switch: lovense_dongle,
        manager: |_, events| Arc::new(super::lovense_dongle::LovenseDongleManager::new(
            events.clone(),
        )),
        // Off unless asked for: deprecated by Intiface Central, tested against a fake dongle
        // only, and it connects any Lovense toy in range on its own (README, transport table).
        off_by_default: true,
    },
    transport! {
        name: "lovense-dongle-serial",
        label: "Lovense USB dongle (serial)",
        // A serial port: compiled with serial support.
        feature: "serial",
        bit: 32,
        cli_help: "Do not use the Lovense dongle over serial (off unless --use-lovense-dongle-serial)",
        intiface: ["use-lovense-dongle-serial"],
        switch: lovense_dongle_serial,
        manager: |_, events| Arc::new(super::lovense_dongle::LovenseDongleManager::serial(
            events.clone(),
        )),
        // Off unless asked for: as the HID dongle, and its CH340 chip is also used by TCode
        // strokers, which its probe writes one `statuss` line to (README, transport table).
        off_by_default: true,
    },
    transport! {
        name: "lovense-connect",
        label: "Lovense Connect app",
        feature: "lovense-connect",
        bit: 64,
        cli_help: "Do not use the Lovense Connect app (off unless --use-lovense-connect)",
        intiface: ["use-lovense-connect"],
        switch: lovense_connect,
        manager: |transports, events| Arc::new(super::lovense_connect::LovenseConnectManager::new(
            events.clone(),
            super::lovense_connect::LovenseConnectOptions {
                hosts: transports.lovense_connect_hosts.clone(),
                discovery_url: transports.lovense_connect_discovery_url.clone(),
            },
        )),
        // Off unless asked for, as in Intiface: without a host given it calls a cloud endpoint
        // of the vendor to find the app (README, transport table).
        off_by_default: true,
    },
];

/// The hardware managers for the selected real transports (those compiled in; a transport
/// switched on here but not compiled in is skipped with a log line).
///
/// Scanning: Bluetooth LE scans until told to stop (like Intiface); serial ports and HID devices
/// are listed again every 5 s / 1 s until told to stop (hot-plug); gamepads are listed once per
/// StartScanning and then report [`super::ManagerEvent::ScanningStopped`].
pub fn add_platform_managers(
    transports: &Transports,
    events: &ManagerEventSender,
) -> Vec<Arc<dyn HardwareManager>> {
    let mut managers = Vec::new();
    for t in TRANSPORTS.iter().filter(|t| t.is_on(transports)) {
        match t.manager {
            Some(make) => managers.push(make(transports, events)),
            None => tracing::info!(
                "{} support is not compiled in (cargo feature `{}`)",
                t.label,
                t.feature
            ),
        }
    }
    managers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_switch_of_transports_has_one_entry() {
        let mut all = Transports::none();
        for t in TRANSPORTS {
            assert!(!t.is_on(&all), "{}: its switch is shared", t.name);
            t.set(&mut all, true);
            assert!(t.is_on(&all), "{}", t.name);
        }
        assert_eq!(all, Transports::all(true), "a switch without an entry");
        let defaults = Transports::default();
        for t in TRANSPORTS {
            assert_eq!(t.is_on(&defaults), t.on_by_default, "{}", t.name);
        }
        let dongle = TRANSPORTS.iter().find(|t| t.name == "lovense-dongle");
        assert_eq!(dongle.map(|t| t.on_by_default), Some(false));
    }

    #[test]
    fn names_and_bits_are_distinct() {
        let mut bits = 0;
        for (i, t) in TRANSPORTS.iter().enumerate() {
            assert!(t.bit.is_power_of_two() && bits & t.bit == 0, "{}", t.name);
            bits |= t.bit;
            assert!(TRANSPORTS[..i].iter().all(|o| o.name != t.name));
        }
    }

    #[test]
    fn each_intiface_flag_names_one_transport() {
        let flags: Vec<&str> = TRANSPORTS
            .iter()
            .flat_map(|t| t.intiface_flags)
            .copied()
            .collect();
        for (i, f) in flags.iter().enumerate() {
            assert!(
                f.starts_with("use-"),
                "{f}: Intiface's transport flags are --use-…"
            );
            assert!(!flags[..i].contains(f), "{f} names two transports");
        }
        let gamepad = TRANSPORTS.iter().find(|t| t.name == "gamepad");
        assert_eq!(
            gamepad.map(|t| t.intiface_flags),
            Some(&["use-sdl-gamepad", "use-xinput"][..])
        );
    }

    #[test]
    fn each_manager_has_the_name_of_its_entry() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        for t in TRANSPORTS {
            assert_eq!(t.compiled, t.manager.is_some(), "{}", t.name);
            if let Some(make) = t.manager {
                assert_eq!(make(&Transports::default(), &tx).name(), t.name);
            }
        }
    }
}
