//! `ffi_request`: the bytes a C caller passes to `tp_client_send`, decoded in each client format
//! by `ffi::schema::decode` (protobuf via prost, the proto3 JSON mapping via pbjson, and the raw
//! Buttplug channel, which takes a JSON frame or a JSON `Request`), then checked the way
//! `tp_client_send` checks a request (id ≥ 1, schema version not newer, a body).
//!
//! Checked besides "no panic":
//! - a decoded request survives protobuf encode → decode (compared as encoded bytes, so a NaN
//!   fraction compares equal to itself), and JSON encode → decode, bit for bit (a non-finite
//!   fraction has no JSON form: serde_json writes `null`);
//! - its JSON mapping, when it has one, decodes to the same request in both JSON formats, and
//!   the JSON of a JSON-decoded request always exists (only protobuf can carry enum numbers the
//!   schema does not name);
//! - the send-time check gives the same verdict on the round-tripped request;
//! - the raw channel hands a frame on unchanged.

use prost::Message;
use teleplug::ffi::schema::{self, Format, Incoming, Request, SCHEMA_VERSION};

/// Decode `data` in every format of the C ABI.
pub fn run(data: &[u8]) {
    for format in [Format::Protobuf, Format::Json, Format::ButtplugJson] {
        match schema::decode(format, data) {
            Ok(Incoming::Request(r)) => round_trip(format, &r),
            Ok(Incoming::Frame(frame)) => {
                assert_eq!(format, Format::ButtplugJson, "a frame in {format:?}");
                assert_eq!(frame.as_bytes(), data, "the raw channel changed the frame");
            }
            Err(_) => {}
        }
    }
}

/// What `tp_client_send` accepts (src/ffi/exports.rs `check_request`, without the debug panic
/// hook): `Ok` or the reason for TP_ERR_INVALID_ARG.
fn send_check(r: &Request) -> Result<(), &'static str> {
    if r.id == 0 {
        return Err("id 0");
    }
    if r.schema_version > SCHEMA_VERSION {
        return Err("newer schema");
    }
    if r.body.is_none() {
        return Err("no body");
    }
    Ok(())
}

/// The request decoded in `format` must read the same after protobuf and JSON round trips.
fn round_trip(format: Format, r: &Request) {
    let verdict = send_check(r);
    let bytes = r.encode_to_vec();
    let again = match schema::decode(Format::Protobuf, &bytes) {
        Ok(Incoming::Request(again)) => again,
        other => panic!("re-encoded protobuf of {r:?} decodes to {other:?}"),
    };
    assert_eq!(again.encode_to_vec(), bytes, "protobuf round trip of {r:?}");
    assert_eq!(send_check(&again), verdict, "{r:?}");

    if fraction(r).is_some_and(|f| !f.is_finite()) {
        // serde_json writes a NaN or infinite fraction as `null` (proto3 JSON says "NaN"), which
        // reads back as no value: not a JSON form of the request. The library never encodes
        // requests (callers do), and refuses non-finite fractions when it runs one.
        return;
    }
    let json = match serde_json::to_vec(r) {
        Ok(json) => json,
        Err(e) => {
            // Enum fields hold any number on the protobuf wire; the JSON mapping names values.
            assert_eq!(
                format,
                Format::Protobuf,
                "a {format:?} request has no JSON form ({e}): {r:?}"
            );
            return;
        }
    };
    for json_format in [Format::Json, Format::ButtplugJson] {
        let from_json = match schema::decode(json_format, &json) {
            Ok(Incoming::Request(from_json)) => from_json,
            other => panic!(
                "the JSON of {r:?} ({}) decodes in {json_format:?} to {other:?}",
                String::from_utf8_lossy(&json)
            ),
        };
        assert_eq!(
            from_json.encode_to_vec(),
            bytes,
            "JSON round trip of {r:?} via {} gives {from_json:?}",
            String::from_utf8_lossy(&json)
        );
    }
}

/// The request's output fraction, if it has one.
fn fraction(r: &Request) -> Option<f64> {
    use schema::output_command::Value;
    use schema::request::Body;
    match &r.body {
        Some(Body::Output(o)) => match o.value {
            Some(Value::Fraction(f)) => Some(f),
            _ => None,
        },
        _ => None,
    }
}
