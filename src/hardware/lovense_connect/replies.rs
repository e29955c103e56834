//! What the Lovense Connect side answers, read as leniently as the reference reads it
//! (docs/protocols/lovense-dongle-and-connect.md, "Lovense Connect"): the cloud discovery reply
//! (hosts keyed by `192-168-1-5.lovense.club`, with `httpPort` a number or a string) and the
//! app's GetToys reply (`data` keyed by toy: `id`, `name`, `status` in any truthy form,
//! `battery` a number, a string or null).

use serde_json::Value;

/// A toy the app lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToyInfo {
    pub id: String,
    pub name: String,
    pub connected: bool,
    /// 0–100 (null or unreadable: 0, as the reference).
    pub battery: u8,
}

/// The app hosts a discovery reply names, as `http://<ip>:<httpPort>` (the domain's first
/// label with dashes as dots: the reference's way around `lovense.club` names that fail to
/// resolve). Entries without a usable port are skipped.
pub fn hosts(body: &[u8]) -> Result<Vec<String>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("discovery reply: {e}"))?;
    let Value::Object(map) = value else {
        return Err("discovery reply: not a JSON object".into());
    };
    let mut out = Vec::new();
    for (domain, info) in map {
        let Some(port) = number(&info["httpPort"]).filter(|p| (1..=65535).contains(p)) else {
            tracing::debug!("Lovense Connect: no httpPort for {domain}");
            continue;
        };
        let ip = domain
            .split('.')
            .next()
            .unwrap_or_default()
            .replace('-', ".");
        if ip.is_empty() {
            continue;
        }
        out.push(format!("http://{ip}:{port}"));
    }
    Ok(out)
}

/// The toys of a GetToys reply (no `data`: none).
pub fn toys(body: &[u8]) -> Result<Vec<ToyInfo>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("GetToys reply: {e}"))?;
    let data = match &value["data"] {
        Value::Object(map) => map,
        Value::Null => return Ok(Vec::new()),
        _ => return Err("GetToys reply: `data` is not an object".into()),
    };
    let mut out = Vec::new();
    for toy in data.values() {
        let (Some(id), Some(name)) = (toy["id"].as_str(), toy["name"].as_str()) else {
            continue;
        };
        out.push(ToyInfo {
            id: id.to_string(),
            name: name.to_string(),
            connected: truthy(&toy["status"]),
            battery: number(&toy["battery"]).map_or(0, |b| b.clamp(0, 100) as u8),
        });
    }
    Ok(out)
}

/// A number, or a string holding one.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `true`, a non-zero number, or a string of either.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s.parse::<f64>().is_ok_and(|f| f != 0.0)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_names_become_hosts() {
        let body = br#"{"192-168-1-5.lovense.club":{"domain":"192-168-1-5.lovense.club","httpPort":20010,"toys":{}},
            "10-0-0-2.lovense.club":{"domain":"10-0-0-2.lovense.club","httpPort":"30010"},
            "bad.lovense.club":{"httpPort":null}}"#;
        let mut got = hosts(body).unwrap();
        got.sort();
        assert_eq!(got, ["http://10.0.0.2:30010", "http://192.168.1.5:20010"]);
        assert!(hosts(b"[1]").is_err());
        assert!(hosts(b"<html>").is_err());
    }

    #[test]
    fn toys_with_any_truthy_status_and_null_battery() {
        let body = br#"{"code":200,"type":"OK","data":{
            "a1":{"id":"a1","name":"Hush","status":"1","battery":null},
            "b2":{"id":"b2","name":"Edge","status":true,"battery":"64"},
            "c3":{"id":"c3","name":"Max","status":0,"battery":250},
            "d4":{"name":"no id"}}}"#;
        let got = toys(body).unwrap();
        let find = |id: &str| got.iter().find(|t| t.id == id).cloned().unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(
            find("a1"),
            ToyInfo {
                id: "a1".into(),
                name: "Hush".into(),
                connected: true,
                battery: 0
            }
        );
        assert_eq!((find("b2").connected, find("b2").battery), (true, 64));
        assert_eq!((find("c3").connected, find("c3").battery), (false, 100));
        assert_eq!(toys(br#"{"code":200}"#).unwrap(), []);
        assert!(toys(br#"{"data":[1]}"#).is_err());
    }
}
