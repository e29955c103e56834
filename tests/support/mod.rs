//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod c_programs;
pub mod device_list;
pub mod fake_bluez;
pub mod http;
pub mod mutate;
pub mod ops;
pub mod scan;
pub mod serve;
pub mod vector_file;
pub mod vector_runner;
pub mod wine;
pub mod wire;
pub mod ws;
