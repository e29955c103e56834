//! The loaded device database with the user config applied: lookup of protocols, definitions
//! and user device entries. The base database (a file's protocols plus Teleplug's additions for
//! keys it lacks, see `additions`) is immutable and shared (`Arc`); a user config is a separate
//! layer on top, so layering one never copies the base.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use once_cell::sync::Lazy;

use super::load::{self, Protocol};
use super::matching::SpecTable;
use super::user::{self, BaseLookup, UserLayer};
use super::{Advertisement, SimulatedDeviceEntry, additions, write_back};
use super::{CommunicationSpecifier, ConfigError, DeviceDefinition, DeviceIdentity, ProtocolMatch};

/// The device database shipped with the library (docs/PROTOCOL.md §6.1).
pub(super) const EMBEDDED_JSON: &str =
    include_str!("../../data/device-config/buttplug-device-config-v5.json");

/// How text handed over directly (not read from a file) is named in errors.
const BASE_ORIGIN: &str = "device config";
const USER_ORIGIN: &str = "user device config";

/// A parsed base database with its matching index.
struct BaseDb {
    version: (u32, u32),
    /// Sorted by name; the file's protocols and Teleplug's additions.
    protocols: Vec<Protocol>,
    /// Keys that came from Teleplug's additions, not from the file; sorted.
    added: Vec<String>,
    by_name: HashMap<String, usize>,
    specs: SpecTable,
}

impl BaseDb {
    fn parse(text: &str, origin: &str) -> Result<BaseDb, ConfigError> {
        let mut file = load::parse_base(text, origin)?;
        let added = additions::layer(&mut file.protocols);
        let by_name = file
            .protocols
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        let specs = SpecTable::new(
            file.protocols
                .iter()
                .enumerate()
                .flat_map(|(i, p)| p.communication.iter().map(move |c| (i, c.clone())))
                .collect(),
        );
        Ok(BaseDb {
            version: file.version,
            protocols: file.protocols,
            added,
            by_name,
            specs,
        })
    }

    fn empty() -> BaseDb {
        BaseDb {
            version: (0, 0),
            protocols: Vec::new(),
            added: Vec::new(),
            by_name: HashMap::new(),
            specs: SpecTable::default(),
        }
    }
}

impl BaseLookup for BaseDb {
    fn protocol_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
    fn protocols(&self) -> &[Protocol] {
        &self.protocols
    }
}

struct Inner {
    base: Arc<BaseDb>,
    user: Option<UserLayer>,
}

/// The device database (base + user config). Cheap to clone.
#[derive(Clone)]
pub struct DeviceConfig {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DeviceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceConfig")
            .field("version", &self.inner.base.version)
            .field("protocols", &self.inner.base.protocols.len())
            .field(
                "user_devices",
                &self.inner.user.as_ref().map_or(0, |u| u.devices.len()),
            )
            .finish()
    }
}

static EMBEDDED: Lazy<DeviceConfig> = Lazy::new(|| {
    let base = BaseDb::parse(EMBEDDED_JSON, "the embedded device database").unwrap_or_else(|e| {
        // Cannot happen with the shipped file (a test loads it); stay usable regardless.
        tracing::error!("embedded device database failed to load: {e}");
        BaseDb::empty()
    });
    DeviceConfig::from_base(base)
});

impl DeviceConfig {
    fn from_base(base: BaseDb) -> DeviceConfig {
        DeviceConfig {
            inner: Arc::new(Inner {
                base: Arc::new(base),
                user: None,
            }),
        }
    }

    /// The database embedded in the library (parsed once per process, then shared).
    pub fn embedded() -> DeviceConfig {
        EMBEDDED.clone()
    }

    /// A base database from JSON text (replacing the embedded one), with Teleplug's additions
    /// for the keys it lacks. Reads major versions 4 and 5 ([`super::SUPPORTED_MAJORS`]); errors
    /// name it "device config" and give the line and column.
    pub fn from_base_json(text: &str) -> Result<DeviceConfig, ConfigError> {
        BaseDb::parse(text, BASE_ORIGIN).map(DeviceConfig::from_base)
    }

    /// [`DeviceConfig::from_base_json`] reading the text from a file (named in errors).
    pub fn from_base_file(path: impl AsRef<Path>) -> Result<DeviceConfig, ConfigError> {
        let path = path.as_ref();
        BaseDb::parse(&read(path)?, &path.display().to_string()).map(DeviceConfig::from_base)
    }

    /// This database with a user config (JSON text) layered on top. The user config replaces
    /// any user config this database already had. Only an unreadable config (not JSON, not an
    /// object, no `version`, a major other than 4 and 5) is an error, named "user device config"
    /// with its line and column; invalid parts are skipped with a warning.
    pub fn with_user_config_json(&self, text: &str) -> Result<DeviceConfig, ConfigError> {
        self.with_user(text, USER_ORIGIN)
    }

    /// [`DeviceConfig::with_user_config_json`] reading the text from a file (named in errors).
    pub fn with_user_config_file(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<DeviceConfig, ConfigError> {
        let path = path.as_ref();
        self.with_user(&read(path)?, &path.display().to_string())
    }

    fn with_user(&self, text: &str, origin: &str) -> Result<DeviceConfig, ConfigError> {
        let base = self.inner.base.clone();
        let user = user::parse_user(text, origin, base.as_ref())?;
        Ok(DeviceConfig {
            inner: Arc::new(Inner {
                base,
                user: Some(user),
            }),
        })
    }

    /// `(major, minor)` of the base database.
    pub fn version(&self) -> (u32, u32) {
        self.inner.base.version
    }

    /// `(major, minor)` of the user config, if one is layered on top.
    pub fn user_config_version(&self) -> Option<(u32, u32)> {
        self.inner.user.as_ref().map(|u| u.version)
    }

    /// The protocol keys that Teleplug's additions supplied because the base database lacks
    /// them (`nintendo-joycon` for database v5), sorted.
    pub fn teleplug_additions(&self) -> &[String] {
        &self.inner.base.added
    }

    /// The virtual devices the user config asks for (`simulated_devices`, database v5), in file
    /// order.
    pub fn simulated_devices(&self) -> &[SimulatedDeviceEntry] {
        self.inner.user.as_ref().map_or(&[], |u| &u.simulated)
    }

    /// Every protocol key (the database's and Teleplug's additions), sorted.
    pub fn protocol_names(&self) -> Vec<String> {
        self.inner
            .base
            .protocols
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }

    /// The communication specifiers of a protocol (user-config ones first).
    pub fn communication(&self, protocol: &str) -> Vec<CommunicationSpecifier> {
        let base = &self.inner.base;
        let Some(index) = base.protocol_index(protocol) else {
            return Vec::new();
        };
        let user = self
            .inner
            .user
            .iter()
            .flat_map(|u| u.specs.for_protocol(index));
        user.chain(base.specs.for_protocol(index))
            .cloned()
            .collect()
    }

    /// Every protocol whose specifiers match the advertisement, user-config specifiers first,
    /// then base ones in protocol-key order. Each protocol appears once, with the first of its
    /// specifiers that matched. Matching rules and decisions: see `matching`.
    pub fn match_advertisement(&self, ad: &Advertisement) -> Vec<ProtocolMatch> {
        let base = &self.inner.base;
        let mut hits = self
            .inner
            .user
            .as_ref()
            .map(|u| u.specs.matches(ad))
            .unwrap_or_default();
        hits.extend(base.specs.matches(ad));
        let mut seen = Vec::with_capacity(hits.len());
        let mut out = Vec::with_capacity(hits.len());
        for (index, spec) in hits {
            if seen.contains(&index) {
                continue;
            }
            seen.push(index);
            if let Some(p) = base.protocols.get(index) {
                out.push(ProtocolMatch {
                    protocol: p.name.clone(),
                    specifier: spec.clone(),
                });
            }
        }
        out
    }

    /// Resolve the definition for a connected device: the user device entry for this identity,
    /// else the configuration whose identifier list contains `identifier` (user-added ones
    /// first), else the protocol's defaults; a simulated device of the user config at this
    /// address gets its display name. `None` when the protocol is unknown.
    pub fn resolve(&self, identity: &DeviceIdentity) -> Option<DeviceDefinition> {
        let base = &self.inner.base;
        let index = base.protocol_index(&identity.protocol)?;
        let protocol = base.protocols.get(index)?;
        let user = self.inner.user.as_ref();
        if let Some(device) = user.and_then(|u| u.devices.get(identity)) {
            return Some(device.definition.clone());
        }
        let ident = identity.identifier.as_deref();
        let template = ident
            .and_then(|i| {
                user.and_then(|u| u.configuration(index, i))
                    .or_else(|| protocol.configuration(i))
            })
            .unwrap_or(&protocol.defaults);
        let mut definition = protocol.resolve_template(template, ident);
        definition.display_name = self
            .simulated_devices()
            .iter()
            .find(|s| s.address == identity.address && s.protocol == identity.protocol)
            .and_then(|s| s.display_name.clone());
        Some(definition)
    }

    /// The Lovense model name the user config gives this device for the Lovense local API
    /// (`user_config.lovense_api_name` of its user device entry), if any.
    pub fn lovense_api_name(&self, identity: &DeviceIdentity) -> Option<&str> {
        self.inner
            .user
            .as_ref()?
            .devices
            .get(identity)?
            .lovense_api_name
            .as_deref()
    }

    /// Whether the allow/deny lists of the user config let this address connect.
    pub fn is_allowed(&self, address: &str) -> bool {
        self.inner
            .user
            .as_ref()
            .is_none_or(|u| u.is_allowed(address))
    }

    /// Indexes pinned by user device entries.
    pub fn reserved_indexes(&self) -> Vec<u32> {
        self.inner
            .user
            .as_ref()
            .map(UserLayer::reserved_indexes)
            .unwrap_or_default()
    }

    /// The index for a device seen for the first time (docs/PROTOCOL.md §6.6): the lowest index that
    /// no user device entry pins and that is not in `also_taken` (e.g. indexes the running
    /// server already handed out).
    pub fn lowest_free_index(&self, also_taken: &[u32]) -> u32 {
        let reserved = self.reserved_indexes();
        (0..=u32::MAX)
            .find(|i| !also_taken.contains(i) && reserved.binary_search(i).is_err())
            .unwrap_or(u32::MAX)
    }

    /// Every device definition of the base database (each protocol's defaults and every
    /// configuration), as `resolve` would return them. Configurations carry their first
    /// identifier; defaults none.
    pub fn all_definitions(&self) -> Vec<DeviceDefinition> {
        let mut out = Vec::new();
        for p in &self.inner.base.protocols {
            out.push(p.resolve_template(&p.defaults, None));
            for c in &p.configurations {
                out.push(p.resolve_template(c, c.identifiers.first().map(String::as_str)));
            }
        }
        out
    }

    /// The user config to persist (docs/PROTOCOL.md §6.6, "the engine rewrites this file"): the
    /// current one plus an entry for each `(identity, index, name)` in `new_devices`, as JSON,
    /// in the version the user config was read in (a v4 file stays v4), or the base database's
    /// version when there was none. Loading it back pins each new device to its index. Devices
    /// that already have an entry, repeats, and unknown protocols are skipped; existing entries
    /// are kept verbatim.
    pub fn user_config_json_with(&self, new_devices: &[(DeviceIdentity, u32, String)]) -> String {
        write_back::write_user_config(
            self.inner.user.as_ref(),
            self.inner.base.version,
            new_devices,
            |id| self.resolve(id),
        )
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}
