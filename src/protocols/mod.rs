//! Device protocols: one file per protocol key of the device database, registered in
//! [`registry`]. A protocol turns generic commands ("vibrate feature 0 at step 10") into the
//! brand's bytes. It never performs I/O while running: output encoding is a pure function of the
//! handler's state and the command, returning [`HardwareCommand`]s; inputs are described as
//! [`InputPlan`]s the device task carries out. Only the one-time identify and initialize steps
//! talk to the device, through [`DeviceIo`].

pub mod framework;
pub mod registry;
pub mod shared;

mod activejoy;
mod adrienlastic;
mod amorelie_joy;
mod aneros;
mod ankni;
mod bananasome;
mod cachito;
mod cowgirl;
mod cowgirl_cone;
mod cueme;
mod cupido;
mod deepsire;
mod feelingso;
mod fleshy_thrust;
mod fluffer;
mod foreo;
mod fox;
mod fredorch;
mod fredorch_rotary;
mod galaku;
mod galaku_pump;
mod kgoal_boost;
mod lovense;
mod sakuraneko;
mod satisfyer;
mod sayberx;
mod sensee;
mod sensee_capsule;
mod sensee_v2;
mod serveu;
mod sexverse_lg389;
mod sexverse_v1;
mod sexverse_v2;
mod sexverse_v3;
mod sexverse_v4;
mod sexverse_v5;
mod svakom_alex;
mod svakom_alex_v2;
mod svakom_avaneo;
mod svakom_barnard;
mod svakom_barney;
mod svakom_dice;
mod svakom_dt250a;
mod svakom_iker;
mod svakom_jordan;
mod svakom_pulse;
mod svakom_sam;
mod svakom_sam2;
mod svakom_suitcase;
mod svakom_tarax;
mod svakom_v1;
mod svakom_v2;
mod svakom_v3;
mod svakom_v4;
mod svakom_v5;
mod svakom_v6;

pub use framework::*;
pub use registry::{ProtocolSpec, lookup, supported_protocols};
