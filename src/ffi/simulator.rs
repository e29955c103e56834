//! The simulator requests of the embedded server: advertise a simulated device (a full spec or a
//! Lovense preset, optionally observed: its operations become `simulator_op` events), notify,
//! queue a read reply, disconnect. Each takes the session's simulated devices and the body.

use std::str::FromStr;
use std::time::Duration;

use tokio::sync::mpsc;
use uuid::Uuid;

use super::reply::{Failure, Reply, err, ok};
use super::schema::{self as s, ErrorCode};
use super::session::Simulated;
use crate::hardware::Endpoint;
use crate::hardware::simulated::{
    AutoReply, MAX_QUEUED_READS, SimOp, SimulatedDevice, SimulatedDeviceSpec,
};

/// The reply of the default simulated Lovense toy to `DeviceType;` (a Hush).
const DEFAULT_LOVENSE_TYPE: &str = "Z:11:0082059AD3BD;";

fn endpoint(name: &str) -> Result<Endpoint, Failure> {
    Endpoint::from_str(name).map_err(|e| (ErrorCode::InvalidArgument, e.to_string()))
}

fn spec_from(p: s::SimulatedDeviceSpec) -> Result<SimulatedDeviceSpec, Failure> {
    let invalid = |m: String| (ErrorCode::InvalidArgument, m);
    if p.address.is_empty() {
        return Err(invalid("simulated device: `address` is required".into()));
    }
    let mut spec = SimulatedDeviceSpec::new(p.name, p.address);
    spec.services = p
        .services
        .iter()
        .map(|u| Uuid::parse_str(u).map_err(|e| invalid(format!("service {u:?}: {e}"))))
        .collect::<Result<_, _>>()?;
    spec.manufacturer_data = p
        .manufacturer_data
        .into_iter()
        .map(|m| {
            u16::try_from(m.company)
                .map(|c| (c, m.data))
                .map_err(|_| invalid(format!("company id {} is not 16-bit", m.company)))
        })
        .collect::<Result<_, _>>()?;
    spec.auto_replies = p
        .auto_replies
        .into_iter()
        .map(|r| {
            Ok(AutoReply {
                on_write: r.on_write,
                endpoint: endpoint(&r.endpoint)?,
                reply: r.reply,
            })
        })
        .collect::<Result<_, Failure>>()?;
    spec.read_values = p
        .read_values
        .into_iter()
        .map(|r| Ok((endpoint(&r.endpoint)?, r.data)))
        .collect::<Result<_, Failure>>()?;
    spec.message_gap = Duration::from_millis(u64::from(p.message_gap_ms));
    Ok(spec)
}

fn sim_op(address: &str, op: &SimOp) -> s::SimulatorOp {
    use s::SimulatorOpKind as K;
    let mut o = s::SimulatorOp {
        address: address.to_string(),
        ..Default::default()
    };
    let kind = match op {
        SimOp::Connected { protocol, name } => {
            o.protocol = protocol.clone();
            o.name = name.clone();
            K::Connected
        }
        SimOp::Write {
            endpoint,
            data,
            write_with_response,
        } => {
            o.endpoint = endpoint.name().into_owned();
            o.text = std::str::from_utf8(data)
                .map(str::to_string)
                .unwrap_or_default();
            o.data = data.clone();
            o.write_with_response = *write_with_response;
            K::Write
        }
        SimOp::Read { endpoint } => {
            o.endpoint = endpoint.name().into_owned();
            K::Read
        }
        SimOp::Subscribe { endpoint } => {
            o.endpoint = endpoint.name().into_owned();
            K::Subscribe
        }
        SimOp::Unsubscribe { endpoint } => {
            o.endpoint = endpoint.name().into_owned();
            K::Unsubscribe
        }
        SimOp::Disconnected => K::Disconnected,
    };
    o.kind = kind as i32;
    o
}

/// The simulated device with this address.
fn device<'a>(sim: &'a Simulated<'_>, address: &str) -> Result<&'a SimulatedDevice, Failure> {
    sim.devices.get(address).ok_or_else(|| {
        (
            ErrorCode::InvalidArgument,
            format!("no simulated device with address {address:?}"),
        )
    })
}

/// Advertise a simulated device (again, if the address is known).
pub fn advertise(
    sim: Simulated<'_>,
    a: s::SimulatorAdvertise,
    ops: &mpsc::Sender<s::SimulatorOp>,
) -> Reply {
    let spec = match a.device {
        Some(s::simulator_advertise::Device::Spec(p)) => spec_from(p)?,
        Some(s::simulator_advertise::Device::Lovense(l)) => {
            if l.address.is_empty() {
                return err(
                    ErrorCode::InvalidArgument,
                    "simulated Lovense: `address` is required",
                );
            }
            let type_reply = if l.type_reply.is_empty() {
                DEFAULT_LOVENSE_TYPE
            } else {
                &l.type_reply
            };
            SimulatedDeviceSpec::lovense(l.address, type_reply, l.battery.min(100) as u8)
        }
        None => {
            return err(
                ErrorCode::InvalidArgument,
                "simulator_advertise: set `spec` or `lovense`",
            );
        }
    };
    let address = spec.address.clone();
    let device = match sim.devices.get(&address) {
        Some(d) => d.clone(),
        None => {
            let d = SimulatedDevice::new(spec);
            if a.observe {
                let tx = ops.clone();
                let addr = address.clone();
                d.observe(move |op| {
                    let _ = tx.try_send(sim_op(&addr, op));
                });
            }
            sim.devices.insert(address, d.clone());
            d
        }
    };
    sim.server.advertise(device);
    ok()
}

pub fn notify(sim: Simulated<'_>, n: s::SimulatorNotify) -> Reply {
    let device = device(&sim, &n.address)?;
    if device.notify(endpoint(&n.endpoint)?, n.data) {
        ok()
    } else {
        err(
            ErrorCode::Device,
            format!(
                "{}: not delivered (device not connected or {} not subscribed)",
                n.address, n.endpoint
            ),
        )
    }
}

pub fn queue_read(sim: Simulated<'_>, q: s::SimulatorQueueRead) -> Reply {
    let device = device(&sim, &q.address)?;
    if device.queue_read(endpoint(&q.endpoint)?, q.data) {
        ok()
    } else {
        err(
            ErrorCode::InvalidArgument,
            format!(
                "{}: read reply dropped: {MAX_QUEUED_READS} replies already wait for reads",
                q.address,
            ),
        )
    }
}

pub fn disconnect(sim: Simulated<'_>, d: s::SimulatorDevice) -> Reply {
    device(&sim, &d.address)?.disconnect();
    ok()
}
