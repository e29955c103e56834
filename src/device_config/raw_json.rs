//! JSON kept as the user wrote it, for write-back: objects keep their keys in file order
//! (serde_json's own `Value` sorts them, and its `preserve_order` feature would change the order
//! of the library's wire output too). Numbers are serde_json's, read with `float_roundtrip`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A JSON value whose objects keep their key order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum RawJson {
    Null(()),
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<RawJson>),
    Object(IndexMap<String, RawJson>),
}

impl RawJson {
    /// A serde_json value as a `RawJson` (its objects in serde_json's order).
    pub fn from_value(value: serde_json::Value) -> RawJson {
        match value {
            serde_json::Value::Null => RawJson::Null(()),
            serde_json::Value::Bool(b) => RawJson::Bool(b),
            serde_json::Value::Number(n) => RawJson::Number(n),
            serde_json::Value::String(s) => RawJson::String(s),
            serde_json::Value::Array(items) => {
                RawJson::Array(items.into_iter().map(RawJson::from_value).collect())
            }
            serde_json::Value::Object(map) => RawJson::Object(
                map.into_iter()
                    .map(|(k, v)| (k, RawJson::from_value(v)))
                    .collect(),
            ),
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut IndexMap<String, RawJson>> {
        match self {
            RawJson::Object(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_array_mut(&mut self) -> Option<&mut Vec<RawJson>> {
        match self {
            RawJson::Array(items) => Some(items),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_values_their_text() {
        let text = r#"{"z":1,"a":{"y":[true,null,"s",2.5e-7],"b":-3},"m":18446744073709551615}"#;
        let raw: RawJson = serde_json::from_str(text).expect("json");
        assert_eq!(serde_json::to_string(&raw).expect("text"), text);
    }
}
