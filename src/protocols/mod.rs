//! Device protocols: one file per protocol key of the device database, registered in
//! [`registry`]. A protocol turns generic commands ("vibrate feature 0 at step 10") into the
//! brand's bytes. It never performs I/O while running: output encoding is a pure function of the
//! handler's state and the command, returning [`HardwareCommand`]s; inputs are described as
//! [`InputPlan`]s the device task carries out. Only the one-time identify and initialize steps
//! talk to the device, through [`DeviceIo`].

pub mod framework;
pub mod registry;
pub mod shared;

mod aneros;
mod kgoal_boost;
mod lovense;
mod lovense_connect_service;
mod lovenuts;
mod luvmazer;
mod magic_motion_1;
mod magic_motion_2;
mod magic_motion_3;
mod magic_motion_4;
mod mannuo;
mod maxpro;
mod meese;
mod mizzzee;
mod mizzzee_v2;
mod mizzzee_v3;
mod monsterpub;
mod motorbunny;
mod muse;
mod mymuselinkplus;
mod mysteryvibe;
mod mysteryvibe_v2;
mod nextlevelracing;
mod nexus_revo;
mod nintendo_joycon;
mod nobra;
mod omobo;
mod patoo;
mod picobong;
mod pink_punch;
mod prettylove;
mod raw;
mod realov;
mod realtouch;

pub use framework::*;
pub use registry::{ProtocolSpec, lookup, supported_protocols};
