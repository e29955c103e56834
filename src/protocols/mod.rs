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
mod hgod;
mod hismith;
mod hismith_mini;
mod honeyplaybox;
mod htk_bm;
mod itoys;
mod jejoue;
mod joyhub;
mod kgoal_boost;
mod kiiroo_powershot;
mod kiiroo_prowand;
mod kiiroo_spot;
mod kiiroo_v1;
mod kiiroo_v2;
mod kiiroo_v21;
mod kiiroo_v21_initialized;
mod kiiroo_v2_vibrator;
mod kiiroo_v3;
mod kizuna;
mod lelo_f1s;
mod lelo_f1sv2;
mod lelo_harmony;
mod leten;
mod libo_elle;
mod libo_shark;
mod libo_vibes;
mod lioness;
mod loob;
mod lovedistance;
mod lovehoney_desire;
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
