//! What a hardware manager saw of a device before connecting to it: the data the device
//! database matches to find the device's protocol.

use uuid::Uuid;

/// How a device was found, which decides what the device database matches it against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdvertisementKind {
    /// A Bluetooth LE advertisement (also used by simulated devices): matched by name,
    /// manufacturer data and advertised services.
    Btle,
    /// A serial port: matched by port name.
    Serial { port: String },
    /// A USB HID device: matched by vendor/product id.
    Hid { vendor_id: u16, product_id: u16 },
    /// A device that dialed in over WebSocket: matched by its handshake identifier.
    Websocket { identifier: String },
    /// A gamepad with rumble: matched by every `sdl-gamepad` specifier (the definition is the
    /// gamepad transport's choice, by capability; see docs/protocols/sdl-gamepad.md).
    SdlGamepad,
    /// A toy listed by the Lovense Connect app: matched by every `lovense_connect_service`
    /// specifier (the app's toy name is the identifier that picks the definition).
    LovenseConnect,
}

/// What a hardware manager saw of a device before connecting to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advertisement {
    /// Advertised local name (BLE), port name (serial), product string (HID), identifier
    /// (WebSocket), gamepad name.
    pub name: String,
    /// A unique address: BLE address, port path, HID path, WebSocket address.
    pub address: String,
    /// Manufacturer-specific data: (company id, payload).
    pub manufacturer_data: Vec<(u16, Vec<u8>)>,
    /// Advertised service UUIDs.
    pub services: Vec<Uuid>,
    pub kind: AdvertisementKind,
}

impl Advertisement {
    /// A BLE advertisement carrying only a name.
    pub fn btle(name: impl Into<String>, address: impl Into<String>) -> Advertisement {
        Advertisement {
            name: name.into(),
            address: address.into(),
            manufacturer_data: Vec::new(),
            services: Vec::new(),
            kind: AdvertisementKind::Btle,
        }
    }
}
