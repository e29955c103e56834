//! The common case of a v4 connection without the `serde_json::Value` detour: a frame of v4
//! client messages parsed straight into [`ClientMessage`]s. Anything unusual (an array inside a
//! message, a message that fails to parse, Id 0, several top-level arrays, an empty frame) is
//! left to the general decoder, which has the exact error texts; so this path only ever
//! accepts what the general one accepts, with the same result (checked by tests/json_fast_path.rs).

use crate::wire::v4::ClientMessage;

/// The messages of a v4 frame, or `None` to take the general path.
pub fn decode_v4_frame(text: &str) -> Option<Vec<ClientMessage>> {
    let body = text.trim_start().strip_prefix('[')?;
    // No other array anywhere: serde would read a struct written as an array of its fields,
    // which the general path refuses (and no v4 client message has an array field).
    if body.contains('[') {
        return None;
    }
    let messages: Vec<ClientMessage> = serde_json::from_str(text).ok()?;
    if messages.is_empty() || messages.iter().any(|m| m.id() == 0) {
        return None;
    }
    Some(messages)
}
