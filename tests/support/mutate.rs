//! Frame mutation for the parsing proptests: byte replacements, deletions and insertions.

/// `frame` with each `(position, byte)` edit applied: the byte replaces, deletes or is inserted
/// at `position` (modulo the length), chosen by `byte % 3`; the result is read as lossy UTF-8.
pub fn mutate(frame: &str, edits: &[(usize, u8)]) -> String {
    let mut bytes = frame.as_bytes().to_vec();
    for (pos, b) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = pos % bytes.len();
        match b % 3 {
            0 => bytes[i] = *b,
            1 => {
                bytes.remove(i);
            }
            _ => bytes.insert(i, *b),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
