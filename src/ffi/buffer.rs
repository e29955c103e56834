//! Library-owned buffers handed to C (`tp_buffer`): allocated here, registered, and released
//! only through `tp_buffer_free`, which ignores pointers it did not hand out.

use std::collections::HashMap;

use parking_lot::Mutex;

use super::abi::tp_buffer;

static LIVE: Mutex<Option<HashMap<usize, usize>>> = Mutex::new(None);

/// Hand `bytes` to C.
pub fn into_buffer(bytes: Vec<u8>) -> tp_buffer {
    if bytes.is_empty() {
        return tp_buffer {
            data: std::ptr::null_mut(),
            len: 0,
        };
    }
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    let data = Box::into_raw(boxed) as *mut u8;
    LIVE.lock()
        .get_or_insert_with(HashMap::new)
        .insert(data as usize, len);
    tp_buffer { data, len }
}

/// Take back a buffer handed out by [`into_buffer`]; `None` for anything else (double free,
/// foreign pointer, mismatched length).
pub fn take_buffer(buf: &tp_buffer) -> Option<Box<[u8]>> {
    if buf.data.is_null() {
        return None;
    }
    let mut live = LIVE.lock();
    let map = live.as_mut()?;
    match map.get(&(buf.data as usize)) {
        Some(len) if *len == buf.len => {}
        _ => return None,
    }
    map.remove(&(buf.data as usize));
    if map.is_empty() {
        *live = None;
    }
    drop(live);
    let slice = std::ptr::slice_from_raw_parts_mut(buf.data, buf.len);
    // SAFETY: `data`/`len` were produced by `Box::into_raw` of a boxed slice of exactly this
    // length in `into_buffer`, and removing the entry above makes this the only reconstruction.
    Some(unsafe { Box::from_raw(slice) })
}
